import type { ArchiveObjects } from '../../shared/ports/archive-objects.js';

const HOUR = 3_600_000;
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Writes entries as the archive's delivery stream does: a record a line, `{"arrivedAt",
 * "event"}`, gzip objects under `events/arrived=YYYY-MM-DD/hour=HH/`, two objects an hour
 * (Firehose's buffer flushes), records a little out of order within an object, and lines
 * no backfill counts (an alert of the pipeline, a torn line). Returns the keys in listing order.
 */
export async function firehoseObjects(
  objects: ArchiveObjects,
  entries: readonly { body: string; arrivedAt: number }[],
): Promise<string[]> {
  const byHour = new Map<number, { body: string; arrivedAt: number }[]>();
  for (const entry of [...entries].sort((a, b) => a.arrivedAt - b.arrivedAt)) {
    const hour = Math.floor(entry.arrivedAt / HOUR) * HOUR;
    byHour.set(hour, [...(byHour.get(hour) ?? []), entry]);
  }
  const keys: string[] = [];
  for (const [hour, inHour] of byHour) {
    const at = new Date(hour);
    const day = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
    const half = Math.ceil(inHour.length / 2);
    for (const [part, records] of [inHour.slice(0, half), inHour.slice(half)].entries()) {
      if (records.length === 0) continue;
      const lines = records.map(
        ({ body, arrivedAt }) => `{"arrivedAt":"${new Date(arrivedAt).toISOString()}","event":${body}}`,
      );
      // Firehose keeps the order records reached it, which is not quite the bus's.
      for (let i = 0; i + 1 < lines.length; i += 5) [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
      lines.push(
        JSON.stringify({
          arrivedAt: new Date(records[0]!.arrivedAt).toISOString(),
          event: {
            id: 'alert-1',
            source: 'northstar.alerts',
            'detail-type': 'Metric Deviation Detected',
            detail: {},
          },
        }),
        '{"arrivedAt":"2026-',
      );
      const key = `events/arrived=${day}/hour=${pad(at.getUTCHours())}/northstar-archive-1-${day}-${pad(at.getUTCHours())}-${pad(part * 30)}-00-${hour}-${part}.gz`;
      await objects.writeLines(key, lines);
      keys.push(key);
    }
  }
  return keys.sort();
}
