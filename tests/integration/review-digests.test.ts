import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BusEvent, startLocalEventBus } from '../../local/event-bus.js';
import { EventBridgeAlertBus } from '../../shared/adapters/eventbridge/alert-bus.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { storesFor } from '../../shared/compose/pipeline.js';
import { REVIEW_DIGEST } from '../../shared/domain/bus/rule-patterns.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { ReviewDigest } from '../../shared/domain/review/review-digest.js';
import { recompute } from '../../shared/use-cases/recompute/recompute.js';
import { freshTable, localClient } from '../support/dynamo.js';
import { ingestPipeline } from '../support/pipeline.js';
import {
  DAY,
  DAYS,
  FIRST_DAY,
  LAST_WEEK_START,
  reviewConfig,
  reviewDayEvents,
  reviewEntries,
} from '../support/review-product.js';

let bus: Awaited<ReturnType<typeof startLocalEventBus>>;
const received: BusEvent[] = [];

beforeAll(async () => {
  bus = await startLocalEventBus({ onEvents: (events) => void received.push(...events) });
});
afterAll(() => bus.close());

describe('review digests on DynamoDB Local', () => {
  test('It should record and send one digest per team and period across two recomputes running at once', async () => {
    // Prepare: the last week of traffic, ingested through the real pipeline, then the Monday after.
    const compiled = compileConfig(reviewConfig);
    const client = localClient();
    const tableName = await freshTable(client);
    let now = FIRST_DAY;
    const clock = () => now;
    const pipeline = ingestPipeline(reviewConfig, client, tableName, clock);
    for (let day = LAST_WEEK_START; day < DAYS; day++) {
      now = FIRST_DAY + (day + 1) * DAY + 61 * 60_000;
      expect(await pipeline.deliver(reviewEntries(reviewDayEvents(day), now, `d${day}`))).toEqual([]);
    }
    const stores = storesFor(reviewConfig, client, tableName);
    const deps = () => ({
      ...stores,
      compiled,
      bus: new EventBridgeAlertBus(eventBridgeClient(bus.endpoint), 'northstar'),
      clock,
    });

    // Act: two schedulers fire together, then a later run.
    const runs = await Promise.all([recompute(deps()), recompute(deps())]);
    now += 3_600_000;
    await recompute(deps());

    // Assess: one digest of 2026-W44 for growth, on the bus and in the table.
    const digests = received
      .filter((event) => event['detail-type'] === REVIEW_DIGEST && event.source === 'northstar')
      .map((event) => ReviewDigest.parse(event.detail));
    const weekly = digests.filter((digest) => digest.cadence === 'weekly');
    expect(weekly.map((digest) => digest.digestId)).toEqual(['growth:weekly:2026-W44']);
    expect(runs[0]!.digests + runs[1]!.digests).toBe(digests.length);
    expect(weekly[0]!.metrics[0]).toMatchObject({ id: 'weekly_signups', period: '2026-W44', value: 280 });
    const stored = await stores.digests.listDigests('2026-10-01', '2026-11-30', 'growth');
    expect(stored.map((one) => [one.digest.digestId, one.sent])).toEqual([['growth:weekly:2026-W44', true]]);
    expect(await stores.digests.unsentDigests('2026-10-01', '2026-11-30', now)).toEqual([]);
    // A second record of the same team and period is refused.
    expect(await stores.digests.recordDigest(weekly[0]!, now)).toBe(false);
  });
});
