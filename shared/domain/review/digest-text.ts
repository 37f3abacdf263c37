import { DateTime } from 'luxon';
import type { DigestAlert, DigestMetric, ReviewDigest } from './review-digest.js';

const SHARE_KINDS = new Set(['ratio', 'funnel_conversion', 'retention']);

/** A metric's number as an owner reads it: shares as percentages, counts with separators. */
export function formatValue(kind: string, value: number | null): string {
  if (value === null) return 'no data';
  if (SHARE_KINDS.has(kind)) return `${(Math.round(value * 1000) / 10).toFixed(1)}%`;
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
  return rounded.toLocaleString('en-US');
}

const signedPercent = (share: number) =>
  `${share >= 0 ? '+' : ''}${(Math.round(share * 1000) / 10).toFixed(1)}%`;
const percent = (share: number) => `${Math.round(share * 100)}%`;

function bandLine(metric: DigestMetric): string {
  if (metric.expected === null) return `no expected value yet (${metric.status})`;
  const band = `expected ${formatValue(metric.kind, metric.expected)}, band ${formatValue(metric.kind, metric.band.lower)} to ${formatValue(metric.kind, metric.band.upper)}`;
  const verdict =
    metric.status === 'deviating'
      ? `outside its band (${signedPercent(metric.relativeDeviation ?? 0)})`
      : metric.status === 'normal'
        ? 'within its band'
        : metric.status;
  return `${band}: ${verdict}`;
}

function alertLine(alert: DigestAlert): string {
  // A target alert is about the review period of its cadence, not a grain.
  const parts = [
    alert.kind === 'target_off_track'
      ? `target off track ${alert.period}`
      : `${alert.kind.replace(/_/g, ' ')} ${alert.grain} ${alert.period}`,
  ];
  if (alert.severity) parts.push(alert.severity);
  if (alert.historical) parts.push('historical, not paged');
  else if (alert.quiet) parts.push('in a marked period, not paged');
  parts.push(alert.state);
  const ack = alert.acknowledgement;
  if (ack)
    parts.push(
      `acknowledged by ${ack.by}${ack.verdict ? ` as ${ack.verdict}` : ''}${ack.note ? `: ${ack.note}` : ''}`,
    );
  else if (alert.state === 'open') parts.push('not acknowledged');
  return `  - Alert: ${parts.join(', ')}`;
}

function metricLines(metric: DigestMetric): string[] {
  const lines = [`* ${metric.title} (${metric.grain} ${metric.period ?? 'none settled'})`];
  const previous = metric.previous
    ? `, previous ${metric.grain} ${formatValue(metric.kind, metric.previous.value)}${metric.change === null ? '' : ` (${signedPercent(metric.change)})`}`
    : '';
  lines.push(`  Value: ${formatValue(metric.kind, metric.value)}${previous}`);
  lines.push(`  Band: ${bandLine(metric)}`);
  const target = metric.target;
  if (target)
    lines.push(
      `  Target: ${formatValue(metric.kind, target.value)} by ${target.by} (${target.direction}): ${target.progress === null ? 'no progress yet' : `${percent(target.progress)} of the way`}, ${target.state.replace(/_/g, ' ')}`,
    );
  const movers = metric.children.filter((child) => child.share > 0).slice(0, 3);
  if (movers.length > 0)
    lines.push(
      `  Children: ${movers.map((child) => `${child.title} ${percent(child.share)} of the change${child.change === null ? '' : ` (${signedPercent(child.change)})`}`).join('; ')}`,
    );
  const drivers = metric.drivers;
  if (drivers?.headline) lines.push(`  Values behind the change: ${drivers.headline}`);
  else if (drivers?.breakdowns[0]) {
    const [top] = drivers.breakdowns;
    const values = top.values.slice(0, 3).map((value) => `${value.value} ${percent(value.share)}`);
    lines.push(`  Values behind the change: spread over ${top.title} (${values.join(', ')})`);
  }
  if (metric.alerts.length === 0) lines.push('  Alerts: none');
  else lines.push(...metric.alerts.map(alertLine));
  if (metric.quarantined > 0) lines.push(`  Quarantined events: ${metric.quarantined}`);
  for (const change of metric.definitionChanges)
    lines.push(`  Definition: version ${change.version} ${change.change} at ${change.at}`);
  lines.push(`  Chart: ${metric.link}`);
  return lines;
}

/** The subject line of a digest's email. */
export function digestSubject(digest: Pick<ReviewDigest, 'cadence' | 'team' | 'period'>): string {
  return `Northstar ${digest.cadence} review, ${digest.team}: ${digest.period}`;
}

/** A digest as plain text, the body email shows as is: no JSON, one fact per line. */
export function renderDigestText(digest: Omit<ReviewDigest, 'text'>): string {
  const day = (ms: number) => DateTime.fromMillis(ms, { zone: digest.timeZone }).toISODate();
  const [start, end] = [Date.parse(digest.periodStart), Date.parse(digest.periodEnd)];
  const lines = [
    digestSubject(digest),
    `Period: ${digest.period} (${day(start)} to ${day(end - 1)}, ${digest.timeZone})`,
    `Owners: ${digest.owners.join(', ')}`,
    '',
  ];
  for (const metric of digest.metrics) lines.push(...metricLines(metric), '');
  const fresh = digest.freshness;
  lines.push(
    `Freshness: latest event ${fresh.latestEventAt ?? 'none yet'}, periods settled through ${fresh.settledThrough ?? 'not yet'}`,
    `Quarantined events in the period: ${digest.quarantined.all} in all, ${digest.quarantined.behindMetrics} of these metrics' events`,
    `Review page: ${digest.link}`,
  );
  return lines.join('\n');
}
