import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { demoTraffic } from '../../local/demo-traffic.js';
import { batchEntries } from '../../local/entries.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { allCounters } from '../support/dynamo.js';
import { putEventsRaw, type RawEntry } from '../support/put-events.js';
import { referenceCounters } from '../support/reference.js';

const config = parseConfig({ ...demo, grains: ['day', 'week', 'month'] });
const compiled = compileConfig(config);
/** How long senders keep sending; the whole test stays well under a minute. */
const SEND_MS = Number(process.env.NORTHSTAR_LOAD_SECONDS ?? 20) * 1000;
const SENDERS = 4;
/** Senders pause while ingest is this many events behind, so the run ends drained, not queued. */
const MAX_BACKLOG = 1_000;
const DAY = 86_400_000;

let runtime: Runtime;

beforeAll(async () => {
  runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0 });
});

afterAll(async () => {
  await runtime?.stop();
});

const outcomes = () => runtime.totals.accepted + runtime.totals.duplicates + runtime.totals.quarantined;

describe('load through the local endpoint', () => {
  test('It should account for every event sent and count exactly what the reference counts', async () => {
    // Prepare: four days of demo traffic, as batch entries and as single-event entries,
    // with resends and bad entries mixed in.
    const now = Date.now();
    const events = demoTraffic({ seed: 8 }).between(now - 4 * DAY, now - 60_000);
    const batches = batchEntries(events.filter((_, index) => index % 3 !== 0));
    const singles = events
      .filter((_, index) => index % 3 === 0)
      .map(({ source, name, ...detail }) => ({
        Source: source,
        DetailType: name,
        Detail: JSON.stringify(detail),
      }));
    const work: { entry: RawEntry; events: number; valid: boolean }[] = [];
    const eventsIn = (detail: string) => (JSON.parse(detail) as { events: unknown[] }).events.length;
    for (let b = 0, s = 0; b < batches.length || s < singles.length; ) {
      if (b < batches.length) {
        const { Source, DetailType, Detail } = batches[b++]!;
        work.push({ entry: { Source, DetailType, Detail }, events: eventsIn(Detail), valid: true });
      }
      for (let k = 0; k < 3 && s < singles.length; k++)
        work.push({ entry: singles[s++]!, events: 1, valid: true });
      // A resend now and then, and a bad entry of each kind.
      if (work.length % 17 === 0) work.push({ ...work[work.length - 5]! });
      if (work.length % 23 === 0)
        work.push({
          entry: { Source: 'app.web', DetailType: 'no_such_event', Detail: '{"eventId":"x","userId":"u"}' },
          events: 1,
          valid: false,
        });
      if (work.length % 29 === 0)
        work.push({
          entry: { Source: 'app.web', DetailType: 'page_viewed', Detail: 'not json' },
          events: 1,
          valid: false,
        });
    }

    // Act: senders take entries ten at a time until the time is up.
    let next = 0;
    let sentEvents = 0;
    let rejectedEvents = 0;
    const sent = new Set<number>();
    const deadline = performance.now() + SEND_MS;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (performance.now() < deadline && next < work.length) {
          if (sentEvents - rejectedEvents - outcomes() > MAX_BACKLOG) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            continue;
          }
          const start = next;
          next = Math.min(work.length, next + 10);
          const chunk = work.slice(start, next);
          const answer = await putEventsRaw(
            runtime.url,
            chunk.map(({ entry }) => entry),
          );
          expect(answer.status).toBe(200);
          answer.body.Entries?.forEach((result, index) => {
            const item = chunk[index]!;
            sentEvents += item.events;
            if (result.ErrorCode) rejectedEvents += item.events;
            else if (item.valid) sent.add(start + index);
          });
        }
      }),
    );
    await runtime.drained();

    // Assess: every event is accepted, a duplicate, quarantined, or rejected by PutEvents.
    const { accepted, duplicates, quarantined, deadLettered } = runtime.totals;
    expect(sentEvents).toBeGreaterThan(1_000);
    expect(rejectedEvents).toBeGreaterThan(0);
    expect(quarantined).toBeGreaterThan(0);
    expect(deadLettered).toBe(0);
    expect(accepted + duplicates + quarantined + rejectedEvents).toBe(sentEvents);
    interface SentEvent {
      name: string;
      eventId: string;
      userId: string;
      occurredAt: string;
      properties?: Record<string, unknown>;
      context?: Record<string, unknown>;
    }
    const delivered = new Map<string, SentEvent>();
    for (const index of sent) {
      const { entry } = work[index]!;
      const detail = JSON.parse(entry.Detail as string) as Omit<SentEvent, 'name'> & { events?: SentEvent[] };
      for (const event of detail.events ?? [{ ...detail, name: entry.DetailType as string }])
        delivered.set(event.eventId, event);
    }
    expect(accepted).toBe(delivered.size);
    const expected = referenceCounters(
      [...delivered.values()].map((event) => ({
        name: event.name,
        userId: event.userId,
        occurredAt: Date.parse(event.occurredAt),
        properties: event.properties ?? {},
        ...(event.context ? { context: event.context } : {}),
      })),
      compiled,
    );
    expect(await allCounters(runtime.stores.client, 'northstar')).toEqual(expected);
  }, 90_000);
});
