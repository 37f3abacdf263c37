import { describe, expect, test } from 'vitest';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../../../shared/domain/events/tracking-plan.js';
import { ingestRecords } from '../../../../shared/use-cases/ingest/ingest-records.js';
import { createReadApi, type ReadApiDeps } from '../../../../shared/use-cases/read-api/read-api.js';
import { RetentionTable } from '../../../../shared/use-cases/read-api/schemas.js';
import { entriesOf } from '../../../support/daily-activity.js';
import type { TestEvent } from '../../../support/entries.js';
import { memoryStores } from '../../../support/memory-stores.js';
import { weekOneRetention } from '../../../support/week-one-retention.js';

const config = weekOneRetention;

describe('GET /api/metrics/{id}/cohorts', () => {
  test('It should give each cohort its size, value and users per offset, with the cells still open marked', async () => {
    // Prepare: in W46 ann and bob sign up; ann has a lesson in W47, bob in W48. In W47 cy signs up.
    // Now is Wednesday of W48: W47 has ended (and settled), W48 has not.
    const compiled = compileConfig(config);
    const stores = memoryStores();
    const now = Date.parse('2026-11-25T12:00:00Z');
    const events: TestEvent[] = [
      { name: 'signed_up', eventId: 's1', userId: 'ann', occurredAt: '2026-11-10T09:00:00Z' },
      { name: 'signed_up', eventId: 's2', userId: 'bob', occurredAt: '2026-11-12T09:00:00Z' },
      { name: 'lesson', eventId: 'l1', userId: 'ann', occurredAt: '2026-11-17T09:00:00Z' },
      { name: 'lesson', eventId: 'l2', userId: 'bob', occurredAt: '2026-11-24T09:00:00Z' },
      { name: 'signed_up', eventId: 's3', userId: 'cy', occurredAt: '2026-11-18T09:00:00Z' },
    ];
    await ingestRecords(entriesOf(events, now, 'c'), {
      ...stores,
      compiled,
      schemas: trackingPlanSchemas(config),
      clock: () => now,
    });
    const api = createReadApi({
      ...stores,
      compiled,
      recompute: async () => {
        throw new Error('not called');
      },
      clock: () => now,
    } as unknown as ReadApiDeps);

    // Act
    const response = await api({
      method: 'GET',
      path: '/api/metrics/week1/cohorts',
      query: { from: '2026-11-09T00:00:00Z', to: '2026-11-23T00:00:00Z' },
    });
    const other = await api({ method: 'GET', path: '/api/metrics/signups/cohorts', query: {} });

    // Assess
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const table = RetentionTable.parse(response.body);
    expect(table.offsets).toBe(12);
    const [w46, w47] = table.cohorts;
    expect(w46).toMatchObject({ period: '2026-W46', size: 2, value: 0.5, settled: true });
    expect(w46!.retained.slice(0, 3)).toEqual([
      { offset: 1, users: 1, rate: 0.5, complete: true },
      { offset: 2, users: 1, rate: 0.5, complete: false },
      { offset: 3, users: 0, rate: 0, complete: false },
    ]);
    expect(w47).toMatchObject({ period: '2026-W47', size: 1, value: 0, settled: false });
    expect(other.status).toBe(404);
  });
});
