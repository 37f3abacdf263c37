import type { Grain, NorthstarConfig } from '../../domain/config/schema.js';
import { attribute } from '../../domain/engine/attribution.js';
import { seriesId } from '../../domain/engine/breakdowns.js';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { explainMove, type SeriesPoint } from '../../domain/engine/explanation.js';
import { hasGrain } from '../../domain/engine/metric-grains.js';
import type { VersionRegistry } from '../../domain/engine/versions.js';
import { digestSubject, renderDigestText } from '../../domain/review/digest-text.js';
import type { DigestAlert, DigestMetric, ReviewDigest } from '../../domain/review/review-digest.js';
import { type ReviewPeriod, reviewGrain } from '../../domain/review/review-periods.js';
import type { Rollup } from '../../domain/rollup.js';
import { periodBounds, periodKey } from '../../domain/time/periods.js';
import type { StoredAlert } from '../../ports/alerts.js';
import type { Stores } from '../../ports/stores.js';

export interface DigestSources
  extends Pick<Stores, 'rollups' | 'alerts' | 'quarantine' | 'freshness'>,
    Partial<Pick<Stores, 'versions'>> {
  readonly compiled: CompiledConfig;
}

const GRAIN_ORDER: Record<Grain, number> = { hour: 0, day: 1, week: 2, month: 3 };
/** Periods looked back for the last settled one: a funnel's window or a cohort's returns settle late. */
const LOOKBACK_PERIODS = 16;
const DAY_MS = 86_400_000;

/** The grain a review reads a metric at: the review's own when the metric is finer and has values there. */
export function digestGrain(config: NorthstarConfig, metricId: string, review: ReviewPeriod): Grain {
  const metric = config.metrics[metricId]!;
  const wanted = reviewGrain(review.cadence);
  return GRAIN_ORDER[wanted] > GRAIN_ORDER[metric.grain] &&
    config.grains.includes(wanted) &&
    hasGrain(config, metricId, wanted)
    ? wanted
    : metric.grain;
}

/** The keys of the last `count` periods of a grain that end by `end`, oldest first. */
function periodsEndingBy(grain: Grain, end: number, zone: string, count: number): string[] {
  let key = periodKey(end - 1, grain, zone);
  if (periodBounds(key, grain, zone).end > end)
    key = periodKey(periodBounds(key, grain, zone).start - 1, grain, zone);
  const keys = [key];
  while (keys.length < count)
    keys.unshift(periodKey(periodBounds(keys[0]!, grain, zone).start - 1, grain, zone));
  return keys;
}

/** The last settled rollup among the periods and the one before it. */
async function lastSettled(
  sources: DigestSources,
  defId: string,
  grain: Grain,
  keys: readonly string[],
): Promise<{ last?: Rollup; previous?: Rollup }> {
  const found = await sources.rollups.getRollups(defId, grain, keys);
  for (let at = keys.length - 1; at >= 0; at--) {
    const rollup = found.get(keys[at]!);
    if (rollup?.settled) {
      const previous = at > 0 ? found.get(keys[at - 1]!) : undefined;
      return { last: rollup, ...(previous ? { previous } : {}) };
    }
  }
  return {};
}

/** Event names a metric counts, through ratios and funnels: its quarantined events are these. */
function eventsBehind(config: NorthstarConfig, metricId: string, trail: string[] = []): Set<string> {
  const metric = config.metrics[metricId];
  if (!metric || trail.includes(metricId)) return new Set();
  if (metric.kind === 'ratio')
    return new Set([
      ...eventsBehind(config, metric.numerator, [...trail, metricId]),
      ...eventsBehind(config, metric.denominator, [...trail, metricId]),
    ]);
  if (metric.kind === 'funnel_conversion')
    return new Set(config.funnels[metric.funnel]?.steps.map((step) => step.event) ?? []);
  if (metric.kind === 'retention') return new Set([metric.start.event, metric.return.event]);
  return new Set(metric.events);
}

function digestAlert(stored: StoredAlert): DigestAlert {
  const { alert, acknowledgement } = stored;
  return {
    alertId: alert.alertId,
    kind: alert.kind,
    grain: alert.grain,
    period: alert.period,
    severity: alert.severity,
    state: stored.state,
    observed: alert.observed,
    expected: alert.expected,
    ...(acknowledgement
      ? {
          acknowledgement: {
            by: acknowledgement.by,
            note: acknowledgement.note,
            ...(acknowledgement.verdict ? { verdict: acknowledgement.verdict } : {}),
          },
        }
      : {}),
    ...(alert.historical ? { historical: true } : {}),
    ...(alert.quiet ? { quiet: true } : {}),
  };
}

/** Versions of a metric that started a backfill, were shown or retired in the review period. */
function definitionChanges(
  registry: VersionRegistry | undefined,
  metricId: string,
  review: ReviewPeriod,
): DigestMetric['definitionChanges'] {
  if (!registry) return [];
  const key = `metric:${metricId}`;
  const within = (at: number) => at >= review.start && at < review.end;
  const changes: {
    version: string;
    change: DigestMetric['definitionChanges'][number]['change'];
    at: number;
  }[] = [];
  const shown = registry.shown.versions[key];
  // The first generation is the configuration's start, not a change.
  if (shown && registry.shown.number > 1 && within(registry.shown.shownAt))
    changes.push({ version: shown.id, change: 'shown', at: registry.shown.shownAt });
  const next = registry.next?.versions[key];
  if (registry.next && next && next.id !== shown?.id && within(registry.next.registeredAt))
    changes.push({ version: next.id, change: 'backfilling', at: registry.next.registeredAt });
  for (const retired of registry.retired)
    if (retired.key === key && within(retired.at))
      changes.push({ version: retired.id, change: retired.why, at: retired.at });
  return changes
    .sort((a, b) => a.at - b.at)
    .map((change) => ({ ...change, at: new Date(change.at).toISOString() }));
}

/** Quarantined events of the review period's UTC arrival days, by event name (`''` for none). */
async function quarantinedByName(sources: DigestSources, review: ReviewPeriod): Promise<Map<string, number>> {
  const days: string[] = [];
  for (let day = Math.floor(review.start / DAY_MS) * DAY_MS; day < review.end; day += DAY_MS)
    days.push(new Date(day).toISOString().slice(0, 10));
  const counts = new Map<string, number>();
  for (const day of days)
    for (const event of await sources.quarantine.listQuarantine(day))
      if (event.arrivedAt >= review.start && event.arrivedAt < review.end)
        counts.set(event.name ?? '', (counts.get(event.name ?? '') ?? 0) + 1);
  return counts;
}

/** The values behind a metric's change against the period before, where it has breakdowns. */
async function driversOf(
  sources: DigestSources,
  metricId: string,
  grain: Grain,
  last: Rollup,
  previous: Rollup | undefined,
): Promise<DigestMetric['drivers']> {
  const { compiled } = sources;
  const metric = compiled.config.metrics[metricId]!;
  const sides = metric.kind === 'ratio' ? [metricId, metric.numerator, metric.denominator] : [metricId];
  const points = new Map<string, SeriesPoint>();
  const periods = [last.period, ...(previous ? [previous.period] : [])];
  for (const split of compiled.breakdowns.filter((one) => sides.includes(one.metricId))) {
    for (const [index, label] of split.labels.entries()) {
      const found = await sources.rollups.getRollups(seriesId(split.defId, index), grain, periods);
      points.set(`${split.metricId}\u0000${split.by}\u0000${label}`, {
        value: found.get(last.period)?.value ?? null,
        expected: previous ? (found.get(previous.period)?.value ?? null) : null,
      });
    }
  }
  if (points.size === 0) return undefined;
  const explained = explainMove(compiled, metricId, last.value, previous?.value ?? null, (id, by, label) =>
    points.get(`${id}\u0000${by}\u0000${label}`),
  );
  if (!explained) return undefined;
  // A digest stays one readable event: the two most concentrated breakdowns, five values each,
  // leaving out values that were zero in both periods: they explain nothing.
  const moved = (value: { observed: number | null; expected: number | null }) =>
    !((value.observed ?? 0) === 0 && (value.expected ?? 0) === 0);
  return {
    headline: explained.headline,
    breakdowns: explained.breakdowns
      .slice(0, 2)
      .map((one) => ({ ...one, values: one.values.filter(moved).slice(0, 5) })),
  };
}

async function digestMetric(
  sources: DigestSources,
  metricId: string,
  review: ReviewPeriod,
  context: {
    alerts: readonly StoredAlert[];
    quarantined: ReadonlyMap<string, number>;
    registry?: VersionRegistry;
  },
): Promise<DigestMetric> {
  const { compiled } = sources;
  const { config, zone } = compiled;
  const metric = config.metrics[metricId]!;
  const defId = compiled.defIds[`metric:${metricId}`]!;
  const grain = digestGrain(config, metricId, review);
  const keys = periodsEndingBy(grain, review.end, zone, LOOKBACK_PERIODS);
  const { last, previous } = await lastSettled(sources, defId, grain, keys);
  // A target's pace is kept at the metric's own grain.
  const own =
    metric.target && grain !== metric.grain
      ? (
          await lastSettled(
            sources,
            defId,
            metric.grain,
            periodsEndingBy(metric.grain, review.end, zone, LOOKBACK_PERIODS),
          )
        ).last
      : last;
  const children = await Promise.all(
    Object.entries(config.metrics)
      .filter(([, child]) => child.parent === metricId)
      .map(async ([childId, child]) => {
        const childDef = compiled.defIds[`metric:${childId}`]!;
        const periods = [last?.period, previous?.period].filter((key) => key !== undefined);
        const found = hasGrain(config, childId, grain)
          ? await sources.rollups.getRollups(childDef, grain, periods)
          : new Map();
        return {
          metricId: childId,
          title: child.title,
          observed: (last && found.get(last.period)?.value) ?? null,
          expected: (previous && found.get(previous.period)?.value) ?? null,
        };
      }),
  );
  const attributed =
    last && last.value !== null && previous?.value != null
      ? attribute({ observed: last.value, expected: previous.value }, children)
      : children.map((child) => ({ ...child, relativeDeviation: null, share: 0 }));
  const drivers = last ? await driversOf(sources, metricId, grain, last, previous) : undefined;
  const change =
    last?.value != null && previous?.value != null && previous.value !== 0
      ? (last.value - previous.value) / Math.abs(previous.value)
      : null;
  const names = eventsBehind(config, metricId);
  const base = config.recompute.dashboardUrl.replace(/\/$/, '');
  return {
    id: metricId,
    title: metric.title,
    kind: metric.kind,
    definition: metric.definition,
    definitionVersion: defId,
    grain,
    period: last?.period ?? null,
    value: last?.value ?? null,
    previous: previous ? { period: previous.period, value: previous.value } : null,
    change,
    expected: last?.expected ?? null,
    band: { lower: last?.lower ?? null, upper: last?.upper ?? null },
    status: last?.status ?? 'no_data',
    relativeDeviation: last?.relativeDeviation ?? null,
    ...(metric.target && own?.target ? { target: { ...metric.target, ...own.target } } : {}),
    children: attributed.map((child) => ({
      metricId: child.metricId,
      title: config.metrics[child.metricId]?.title ?? child.metricId,
      change: child.relativeDeviation,
      share: child.share,
    })),
    ...(drivers ? { drivers } : {}),
    alerts: context.alerts.filter((stored) => stored.alert.metric.id === metricId).map(digestAlert),
    quarantined: [...names].reduce((sum, name) => sum + (context.quarantined.get(name) ?? 0), 0),
    definitionChanges: definitionChanges(context.registry, metricId, review),
    link: `${base}/#/metrics/${metricId}?grain=${grain}${last ? `&period=${last.period}` : ''}`,
  };
}

/** The digest of one owner team's metrics of one cadence for a review period, from the stores. */
export async function buildDigest(
  sources: DigestSources,
  team: string,
  review: ReviewPeriod,
  now: number,
  /** How far this run judges periods settled. */
  settledThrough: number,
): Promise<ReviewDigest> {
  const { config } = sources.compiled;
  const ids = Object.entries(config.metrics)
    .filter(([, metric]) => metric.owner.team === team && metric.cadence === review.cadence)
    .map(([id]) => id);
  const [alerts, quarantined, registry, freshness] = await Promise.all([
    sources.alerts.listAlerts(new Date(review.start).toISOString(), new Date(review.end - 1).toISOString()),
    quarantinedByName(sources, review),
    sources.versions?.readRegistry(),
    sources.freshness.readLatest(),
  ]);
  const metrics: DigestMetric[] = [];
  for (const id of ids)
    metrics.push(
      await digestMetric(sources, id, review, { alerts, quarantined, ...(registry ? { registry } : {}) }),
    );
  const owners = [...new Set(ids.map((id) => config.metrics[id]!.owner.name))].sort();
  const iso = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString());
  const withoutText = {
    digestId: `${team}:${review.cadence}:${review.period}`,
    team,
    owners,
    cadence: review.cadence,
    period: review.period,
    periodStart: new Date(review.start).toISOString(),
    periodEnd: new Date(review.end).toISOString(),
    timeZone: config.timeZone,
    generatedAt: new Date(now).toISOString(),
    metrics,
    freshness: {
      latestEventAt: iso(freshness?.occurredAt),
      committedAt: iso(freshness?.committedAt),
      settledThrough: iso(settledThrough),
    },
    quarantined: {
      all: [...quarantined.values()].reduce((sum, count) => sum + count, 0),
      behindMetrics: [...new Set(ids.flatMap((id) => [...eventsBehind(config, id)]))].reduce(
        (sum, name) => sum + (quarantined.get(name) ?? 0),
        0,
      ),
    },
    subject: digestSubject({ cadence: review.cadence, team, period: review.period }),
    link: `${config.recompute.dashboardUrl.replace(/\/$/, '')}/#/review/${team}`,
  };
  return { ...withoutText, text: renderDigestText(withoutText) };
}
