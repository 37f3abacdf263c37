import { describe, expect, test } from 'vitest';
import { storesFor } from '../../shared/compose/pipeline.js';
import type { DeviationAlert } from '../../shared/domain/alerts/deviation-alert.js';
import type { Rollup } from '../../shared/domain/rollup.js';
import type { Stores } from '../../shared/ports/stores.js';
import { config } from '../support/daily-activity.js';
import { freshTable, localClient } from '../support/dynamo.js';
import { memoryStores } from '../support/memory-stores.js';

/**
 * One contract, two implementations: the use-case tests run on the in-memory stores, so
 * they must answer as the DynamoDB adapter does on DynamoDB Local, case by case.
 */
const implementations: [string, () => Promise<Stores>][] = [
  ['DynamoDB', async () => storesFor(config, localClient(), await freshTable(localClient()))],
  ['in-memory', async () => memoryStores()],
];

const AT = Date.parse('2026-11-25T12:00:00Z');

function rollup(period: string, value: number): Rollup {
  const start = Date.parse(`${period}T00:00:00Z`);
  return {
    metricId: 'daily_activity',
    defId: 'd1',
    grain: 'day',
    period,
    start,
    end: start + 86_400_000,
    value,
    expected: null,
    lower: null,
    upper: null,
    status: 'open',
    relativeDeviation: null,
    severity: null,
    settled: false,
    projection: null,
    updatedAt: AT,
  };
}

function alert(kind: DeviationAlert['kind'], alertId = 'd1:day:2026-11-24'): DeviationAlert {
  return {
    alertId,
    kind,
    metric: { id: 'daily_activity', title: 'Daily activity', definitionVersion: 'd1', definition: 'x' },
    grain: 'day',
    period: '2026-11-24',
    periodStart: '2026-11-24T00:00:00.000Z',
    periodEnd: '2026-11-25T00:00:00.000Z',
    observed: kind === 'resolved' ? 39 : 20,
    expected: 40,
    band: { lower: 36, upper: 44 },
    relativeDeviation: kind === 'resolved' ? -0.025 : -0.5,
    severity: kind === 'resolved' ? null : 'critical',
    owner: { name: 'Growth', contact: 'growth@example.com', team: 'growth' },
    contributors: [],
    link: 'http://127.0.0.1:4000/#/metrics/daily_activity',
  };
}

describe.each(implementations)('stores contract: %s', (_name, create) => {
  test('It should write a user only at the version it read, and keep what it wrote', async () => {
    const { users } = await create();
    const state = { v: 1 } as never;
    expect(await users.commitUser('ann', 1, state, {}, 'r1')).toBe(false);
    expect(await users.commitUser('ann', 0, state, { r1: { 'day#2026-11-25': { f: 1 } } }, 'r1')).toBe(true);
    expect(await users.commitUser('ann', 0, state, {}, 'r2')).toBe(false);
    expect(await users.commitUser('ann', 1, state, {}, 'r2')).toBe(true);
    const found = await users.getUsers(['ann', 'bob']);
    expect([...found.keys()]).toEqual(['ann']);
    expect(found.get('ann')).toEqual({ state, version: 2, pending: {} });
  });

  test('It should list only the rounds in the range that never finished', async () => {
    const { users } = await create();
    const id = (at: number, tag: string) => `${Math.floor(at).toString(36).padStart(9, '0')}-${tag}`;
    await users.putRound({ id: id(AT, 'a'), users: ['ann'], createdAt: AT });
    await users.putRound({ id: id(AT + 1000, 'b'), users: ['bob'], createdAt: AT + 1000 });
    await users.putRound({ id: id(AT + 5000, 'c'), users: ['cy'], createdAt: AT + 5000 });
    await users.finishRound(id(AT + 1000, 'b'), AT + 2000);
    expect((await users.listOpenRounds(AT, AT + 4000)).sort()).toEqual([id(AT, 'a')]);
    expect((await users.getRounds([id(AT + 1000, 'b')])).get(id(AT + 1000, 'b'))).toEqual({
      id: id(AT + 1000, 'b'),
      users: ['bob'],
      createdAt: AT + 1000,
      doneAt: AT + 2000,
    });
  });

  test('It should add a round’s deltas to a counter item once, and leave fields at zero out', async () => {
    const { counters } = await create();
    const deltas = new Map([
      [
        'day#2026-11-25',
        new Map([
          ['a', 2],
          ['b', 1],
        ]),
      ],
    ]);
    await counters.applyCounters('r1', deltas, AT);
    await counters.applyCounters('r1', deltas, AT);
    await counters.applyCounters('r2', new Map([['day#2026-11-25', new Map([['b', -1]])]]), AT);
    expect(Object.fromEntries(await counters.readCounters('day#2026-11-25'))).toEqual({ a: 2 });
    expect((await counters.readCounters('day#2026-11-26')).size).toBe(0);
  });

  test('It should list the periods marked dirty in the minutes asked for', async () => {
    const { dirty } = await create();
    await dirty.markDirty('r1', AT, ['day#2026-11-25', 'week#2026-W48']);
    await dirty.markDirty('r2', AT + 60_000, ['day#2026-11-25']);
    await dirty.markDirty('r3', AT + 10 * 60_000, ['day#2026-11-26']);
    await dirty.markDirty('r4', AT, []);
    expect([...(await dirty.listDirty(AT, AT + 60_000))].sort()).toEqual(['day#2026-11-25', 'week#2026-W48']);
    expect([...(await dirty.listDirty(AT + 2 * 60_000, AT + 10 * 60_000))]).toEqual(['day#2026-11-26']);
  });

  test('It should keep a rejection once, by arrival day, with its fields', async () => {
    const { quarantine } = await create();
    const rejection = {
      reason: 'unknown_event' as const,
      message: 'not in the tracking plan',
      source: 'app.web',
      name: 'teleported',
      raw: '{"x":1}',
      arrivedAt: AT,
    };
    await quarantine.putQuarantine([rejection, rejection]);
    await quarantine.putQuarantine([rejection]);
    const [stored, ...more] = await quarantine.listQuarantine('2026-11-25');
    expect(more).toEqual([]);
    expect(stored).toEqual({ ...rejection, id: expect.stringMatching(/^unknown_event#/) });
    expect(await quarantine.listQuarantine('2026-11-24')).toEqual([]);
  });

  test('It should read rollups by period, by range, and first and last in period order', async () => {
    const { rollups } = await create();
    for (const [period, value] of [
      ['2026-11-23', 3],
      ['2026-11-21', 1],
      ['2026-11-22', 2],
    ] as const)
      await rollups.putRollup(rollup(period, value));
    await rollups.putRollup(rollup('2026-11-22', 20));
    const values = (list: Rollup[]) => list.map((r) => [r.period, r.value]);
    expect([...(await rollups.getRollups('d1', 'day', ['2026-11-22', '2026-11-30'])).keys()]).toEqual([
      '2026-11-22',
    ]);
    expect(values(await rollups.rollupRange('d1', 'day', '2026-11-22', '2026-11-23'))).toEqual([
      ['2026-11-22', 20],
      ['2026-11-23', 3],
    ]);
    expect(values(await rollups.earliestRollups('d1', 'day', 1))).toEqual([['2026-11-21', 1]]);
    expect(values(await rollups.latestRollups('d1', 'day', 2))).toEqual([
      ['2026-11-22', 20],
      ['2026-11-23', 3],
    ]);
    expect(await rollups.latestRollups('d1', 'week', 2)).toEqual([]);
  });

  test('It should open an alert once, resolve it once, and hand back what is unsent after the grace', async () => {
    const { alerts } = await create();
    expect(await alerts.openAlert(alert('detected'), AT)).toBe(true);
    expect(await alerts.openAlert(alert('detected'), AT + 1)).toBe(false);
    expect((await alerts.unsentAlerts('2026-11-01', '2026-12-01', AT)).map((a) => a.kind)).toEqual([]);
    expect((await alerts.unsentAlerts('2026-11-01', '2026-12-01', AT + 1)).map((a) => a.kind)).toEqual([
      'detected',
    ]);
    await alerts.markSent(alert('detected'));
    expect(await alerts.resolveAlert(alert('resolved'), AT + 10)).toBe(true);
    expect(await alerts.resolveAlert(alert('resolved'), AT + 11)).toBe(false);
    expect((await alerts.unsentAlerts('2026-11-01', '2026-12-01', AT + 11)).map((a) => a.kind)).toEqual([
      'resolved',
    ]);
    await alerts.markSent(alert('resolved'));
    expect(await alerts.unsentAlerts('2026-11-01', '2026-12-01', AT + 100)).toEqual([]);
    expect(await alerts.getAlert(alert('detected'))).toEqual({
      alert: alert('detected'),
      state: 'resolved',
      sent: { detected: true, resolved: true },
      raisedAt: AT,
      resolvedAt: AT + 10,
      resolution: alert('resolved'),
    });
  });

  test('It should acknowledge only an existing alert with the very id, and list alerts by period start', async () => {
    const { alerts } = await create();
    const note = { by: 'Ann', note: 'known', at: AT };
    expect(await alerts.acknowledgeAlert(alert('detected'), 'd1:day:2026-11-24', note)).toBeUndefined();
    await alerts.openAlert(alert('detected'), AT);
    expect(await alerts.acknowledgeAlert(alert('detected'), 'another-id', note)).toBeUndefined();
    const acknowledged = await alerts.acknowledgeAlert(alert('detected'), 'd1:day:2026-11-24', note);
    expect(acknowledged).toMatchObject({ state: 'open', acknowledgement: note });
    expect((await alerts.listAlerts('2026-11-24T00:00:00.000Z', '2026-11-24T00:00:00.000Z')).length).toBe(1);
    expect(await alerts.listAlerts('2026-11-25T00:00:00.000Z', '2026-11-30T00:00:00.000Z')).toEqual([]);
  });

  test('It should only move the last run and the freshness forward', async () => {
    const { runs, freshness } = await create();
    expect(await runs.lastRunAt()).toBeUndefined();
    await runs.setLastRunAt(AT);
    await runs.setLastRunAt(AT - 1);
    expect(await runs.lastRunAt()).toBe(AT);
    expect(await freshness.readLatest()).toBeUndefined();
    await freshness.recordAccepted([{ occurredAt: AT - 10, arrivedAt: AT }], AT + 5);
    await freshness.recordAccepted([{ occurredAt: AT - 20, arrivedAt: AT - 1 }], AT + 9);
    await freshness.recordAccepted([], AT + 9);
    expect(await freshness.readLatest()).toEqual({ occurredAt: AT - 10, arrivedAt: AT, committedAt: AT + 5 });
  });

  test('It should list dead letters newest first', async () => {
    const { deadLetters } = await create();
    const letter = (n: number) => ({
      messageId: `m${n}`,
      deadLetteredAt: new Date(AT + n).toISOString(),
      body: `{"n":${n}}`,
      error: 'failed every receive',
      receives: 5,
    });
    await deadLetters.putDeadLetter(letter(1));
    await deadLetters.putDeadLetter(letter(2));
    expect(await deadLetters.listDeadLetters()).toEqual([letter(2), letter(1)]);
  });

  test('It should keep annotations in the order of their spans, replace one of the same id, and remove one once', async () => {
    const { annotations } = await create();
    const later = {
      id: 'a2',
      label: 'Outage',
      from: AT + 10,
      to: AT + 20,
      grains: ['hour' as const],
      at: AT,
    };
    const earlier = {
      id: 'a1',
      label: 'Launch',
      from: AT,
      to: AT + 5,
      metrics: ['daily_activity'],
      grains: ['day' as const],
      by: 'ann',
      at: AT,
    };
    await annotations.putAnnotation(later);
    await annotations.putAnnotation(earlier);
    await annotations.putAnnotation({ ...later, label: 'Outage (region)' });
    expect(await annotations.listAnnotations()).toEqual([earlier, { ...later, label: 'Outage (region)' }]);
    expect(await annotations.removeAnnotation('a2')).toBe(true);
    expect(await annotations.removeAnnotation('a2')).toBe(false);
    expect(await annotations.listAnnotations()).toEqual([earlier]);
  });
});
