import type { BackfillStatus, MetricNode, MetricSeries } from '../api.js';
import { alignedPeriods, type ChartAnnotation, versionChart } from '../charts.js';
import type { MetricVersion } from '../definition-versions.js';
import { h, notice, picker } from '../dom.js';
import { formatChange, formatTime, formatValue, VERSION_STATE_LABEL } from '../format.js';
import { relativeChange } from './metric-status.js';

/** The versions of a metric other than the one shown: the backfilling one, and retired ones. */
export function otherVersions(metric: MetricNode, versions: readonly MetricVersion[]): MetricVersion[] {
  return versions.filter((version) => version.id !== metric.definitionVersion && version.state !== 'shown');
}

/** The version to draw against the shown one: the one asked for, else the backfilling one, else the newest retired. */
export function comparedVersion(
  metric: MetricNode,
  versions: readonly MetricVersion[],
  requested: string | null,
): MetricVersion | undefined {
  const others = otherVersions(metric, versions);
  return (
    others.find((version) => version.id === requested) ??
    others.find((version) => version.state === 'backfilling') ??
    others[0]
  );
}

const stateLabel = (version: MetricVersion) => VERSION_STATE_LABEL[version.state] ?? version.state;

function versionLabel(version: MetricVersion): string {
  const state = stateLabel(version);
  return `${state.charAt(0).toUpperCase()}${state.slice(1)} · ${version.id}`;
}

function optionLabel(version: MetricVersion): string {
  const generation = version.generation === null ? '' : `, generation ${version.generation}`;
  return `${version.id} (${stateLabel(version)}${generation})`;
}

export interface VersionComparisonOptions {
  readonly metric: MetricNode;
  readonly grain: string;
  readonly versions: readonly MetricVersion[];
  readonly compared: MetricVersion;
  readonly shown: MetricSeries;
  /** The compared version's series for the same grain and range, or why it could not be read. */
  readonly other: MetricSeries | Error;
  readonly backfill: BackfillStatus | null;
  readonly onChoose: (versionId: string) => void;
  /** The holidays and annotations the metric's charts shade at this grain. */
  readonly annotations?: readonly ChartAnnotation[];
}

/** Old against new: the shown version and another one of the same metric, over the same periods. */
export function versionComparison(options: VersionComparisonOptions): HTMLElement {
  const { metric, compared, shown, other } = options;
  const kind = metric.kind;
  const shownVersion = options.versions.find((version) => version.id === metric.definitionVersion) ?? {
    id: metric.definitionVersion,
    state: 'shown' as const,
    generation: null,
    since: null,
  };
  const shownLabel = versionLabel(shownVersion);
  const otherLabel = versionLabel(compared);
  const partial =
    compared.state === 'backfilling'
      ? h(
          'p',
          { class: 'hint', 'data-testid': 'version-partial' },
          options.backfill?.reached
            ? `Version ${compared.id} has counted the events that arrived until ${formatTime(options.backfill.reached)}: its later periods are not complete yet.`
            : `Version ${compared.id} is still being counted: its periods are not complete yet.`,
        )
      : null;
  return h(
    'section',
    { class: 'versions', 'aria-labelledby': 'versions-title', 'data-testid': 'version-comparison' },
    h('h2', { id: 'versions-title' }, 'Definition versions: old against new'),
    h(
      'p',
      { class: 'muted' },
      `The version shown, ${shownVersion.id}, against another definition of this metric, by ${options.grain}, over the same range.`,
    ),
    h(
      'div',
      { class: 'pickers' },
      picker(
        'Compare with',
        'version-picker',
        otherVersions(metric, options.versions).map((version) => ({
          value: version.id,
          label: optionLabel(version),
        })),
        compared.id,
        options.onChoose,
      ),
    ),
    partial,
    other instanceof Error
      ? notice('error', `Could not read version ${compared.id}: ${other.message}`)
      : comparison(shown, other, {
          shownLabel,
          otherLabel,
          kind,
          title: metric.title,
          grain: options.grain,
          annotations: options.annotations ?? [],
        }),
    versionList(options.versions),
  );
}

function comparison(
  shown: MetricSeries,
  other: MetricSeries,
  labels: {
    shownLabel: string;
    otherLabel: string;
    kind: MetricNode['kind'];
    title: string;
    grain: string;
    annotations: readonly ChartAnnotation[];
  },
): HTMLElement {
  const { kind } = labels;
  const rows = alignedPeriods(shown.points, other.points);
  if (rows.length === 0) return notice('empty', 'Neither version has a period with a rollup in this range.');
  return h(
    'div',
    {},
    h(
      'div',
      { 'data-testid': 'version-chart' },
      versionChart({
        shown: { label: labels.shownLabel, points: shown.points },
        other: { label: labels.otherLabel, points: other.points },
        kind,
        annotations: labels.annotations,
      }),
    ),
    h(
      'table',
      { class: 'data', 'data-testid': 'version-table' },
      h('caption', {}, `${labels.title} by ${labels.grain} in both versions, newest first`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Period', labels.shownLabel, labels.otherLabel, 'Difference from shown'].map((label, index) =>
            h('th', { scope: 'col', class: index === 0 ? null : 'num' }, label),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        [...rows]
          .reverse()
          .map((row) =>
            h(
              'tr',
              { 'data-period': row.period },
              h('th', { scope: 'row' }, row.period),
              h('td', { class: 'num', 'data-testid': 'version-shown' }, formatValue(row.shown?.value, kind)),
              h('td', { class: 'num', 'data-testid': 'version-other' }, formatValue(row.other?.value, kind)),
              h(
                'td',
                { class: 'num', 'data-testid': 'version-change' },
                formatChange(relativeChange(row.other?.value, row.shown?.value)),
              ),
            ),
          ),
      ),
    ),
  );
}

function versionList(versions: readonly MetricVersion[]): HTMLElement {
  return h(
    'table',
    { class: 'data versions-list', 'data-testid': 'version-list' },
    h('caption', {}, 'Every version of this definition, newest state first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Version', 'State', 'Generation', 'Since'].map((label) => h('th', { scope: 'col' }, label)),
      ),
    ),
    h(
      'tbody',
      {},
      versions.map((version) =>
        h(
          'tr',
          { 'data-version': version.id, 'data-state': version.state },
          h('th', { scope: 'row' }, h('code', {}, version.id)),
          h('td', {}, h('span', { class: `badge badge-version-${version.state}` }, stateLabel(version))),
          h('td', {}, version.generation === null ? '–' : String(version.generation)),
          h(
            'td',
            {},
            version.since ? formatTime(version.since) : version.generation === null ? '–' : 'from the start',
          ),
        ),
      ),
    ),
  );
}
