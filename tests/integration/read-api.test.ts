import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { beforeAll, describe, expect, test } from 'vitest';
import { createIngestHandler } from '../../functions/ingest/handler.js';
import { storesFor } from '../../shared/compose/pipeline.js';
import type { DeviationAlert } from '../../shared/domain/alerts/deviation-alert.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../shared/domain/events/tracking-plan.js';
import type { Freshness } from '../../shared/ports/freshness.js';
import {
  type ApiRequest,
  type ApiResponse,
  createReadApi,
} from '../../shared/use-cases/read-api/read-api.js';
import {
  AlertList,
  AlertSummary,
  ApiErrorBody,
  FunnelReport,
  JourneyReport,
  MetricSeries,
  MetricTree,
  PipelineStatus,
  QuarantineReport,
  RecomputeSummary,
} from '../../shared/use-cases/read-api/schemas.js';
import { recompute } from '../../shared/use-cases/recompute/recompute.js';
import { freshTable, localClient } from '../support/dynamo.js';
import { batchEntry, type QueuedEntry, singleEntry, sqsEvent, type TestEvent } from '../support/entries.js';
import { lambdaContext } from '../support/pipeline.js';
import {
  FIRST_MONDAY,
  iso,
  smallProductConfig,
  smallProductWeek,
  WEEKS,
  wednesday,
} from '../support/small-product.js';

const config = parseConfig(smallProductConfig);
const compiled = compileConfig(config);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Monday 01:01 after the week: the week and its days have settled (end + 1 hour). */
const settledAfter = (week: number) => FIRST_MONDAY + (week + 1) * 7 * DAY + HOUR + MINUTE;
const weekEvents = (week: number) => smallProductWeek(week, { lessonBeforeVisit: true });

/** Three bad entries, one per reason; the malformed one is 3,013 characters long. */
const badEntries = (arrivedAt: number): QueuedEntry[] => [
  {
    messageId: 'bad-unknown',
    body: batchEntry([
      { name: 'teleported', eventId: 'bad-1', userId: 'x', occurredAt: iso(wednesday(4) + 9 * HOUR) },
    ]),
    arrivedAt,
  },
  {
    messageId: 'bad-missing',
    body: singleEntry({ name: 'visited', eventId: 'bad-2', occurredAt: iso(wednesday(4)) } as TestEvent),
    arrivedAt,
  },
  { messageId: 'bad-json', body: `{"broken": "${'x'.repeat(3000)}`, arrivedAt },
];

let now = FIRST_MONDAY;
const clock = () => now;
const published: DeviationAlert[] = [];
let api: (request: ApiRequest) => Promise<ApiResponse>;
let freshness: Freshness;
let pipeline: { deliver(entries: readonly QueuedEntry[]): Promise<string[]> };

/** The real ingest handler, recording freshness as the Lambda does. */
function ingestWithFreshness(stores: ReturnType<typeof storesFor>) {
  const deps = { ...stores, compiled, schemas: trackingPlanSchemas(config), clock };
  const handler = createIngestHandler(() => deps, {
    logger: new Logger({ serviceName: 'northstar-ingest', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Northstar', serviceName: 'northstar-ingest' }),
  });
  return {
    async deliver(entries: readonly QueuedEntry[]): Promise<string[]> {
      const response = await handler(sqsEvent(entries), lambdaContext);
      return response.batchItemFailures.map((failure) => failure.itemIdentifier);
    },
  };
}

async function call(
  method: string,
  path: string,
  query: ApiRequest['query'] = {},
  body?: unknown,
): Promise<unknown> {
  const response = await api({ method, path, query, body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}
const get = (path: string, query: ApiRequest['query'] = {}) => call('GET', path, query);

/** Five weeks through the real ingest; the scheduled recompute after each, the last one through the API. */
let lastRun: RecomputeSummary;
beforeAll(async () => {
  const client = localClient();
  const tableName = await freshTable(client);
  const stores = storesFor(config, client, tableName);
  const bus = {
    publish: async (alerts: readonly DeviationAlert[]) => void published.push(...alerts),
    publishDigests: async () => {},
  };
  const run = () => recompute({ ...stores, compiled, bus, clock });
  api = createReadApi({ ...stores, dirty: undefined, compiled, recompute: run, clock });
  freshness = stores.freshness;
  pipeline = ingestWithFreshness(stores);
  for (let week = 0; week < WEEKS; week++) {
    now = wednesday(week) + 12 * HOUR;
    const entries: QueuedEntry[] = [
      { messageId: `week-${week}`, body: batchEntry(weekEvents(week)), arrivedAt: now },
    ];
    if (week === 4) entries.push(...badEntries(now));
    expect(await pipeline.deliver(entries)).toEqual([]);
    now = settledAfter(week);
    if (week < 4) await run();
  }
  lastRun = RecomputeSummary.parse(await call('POST', '/api/recompute'));
}, 180_000);

describe('read API on DynamoDB Local', () => {
  test('Recompute: It should run the recompute and return its summary', () => {
    // W44's seven days and the week itself, for four metrics; two metrics deviate.
    // The W44 review of the two teams with a weekly metric that has data.
    expect(lastRun).toEqual({
      periods: 8,
      rollups: 32,
      detected: 2,
      resolved: 0,
      offTrack: 0,
      resent: 0,
      digests: 2,
      recoveredRounds: 0,
    });
  });

  test('Metric tree: It should list the metrics depth first with their latest values, bands and target progress', async () => {
    const tree = MetricTree.parse(await get('/api/metrics'));
    expect(tree.northStar).toBe('weekly_learners');
    expect(tree.roots).toEqual(['weekly_learners']);
    expect(tree.generatedAt).toBe(iso(now));
    expect(
      tree.metrics.map(({ id, parent, children, northStar }) => ({ id, parent, children, northStar })),
    ).toEqual([
      {
        id: 'weekly_learners',
        parent: null,
        children: ['weekly_visits', 'weekly_signups', 'learner_rate'],
        northStar: true,
      },
      { id: 'weekly_visits', parent: 'weekly_learners', children: [], northStar: false },
      { id: 'weekly_signups', parent: 'weekly_learners', children: [], northStar: false },
      { id: 'learner_rate', parent: 'weekly_learners', children: [], northStar: false },
    ]);
    const byId = new Map(tree.metrics.map((metric) => [metric.id, metric]));
    const learners = byId.get('weekly_learners')!;
    expect(learners).toMatchObject({
      kind: 'distinct_users',
      grain: 'week',
      cadence: 'weekly',
      owner: { name: 'Growth', contact: 'growth@example.com', team: 'growth' },
      definitionVersion: compiled.defIds['metric:weekly_learners'],
      target: null,
      targetProgress: null,
    });
    // History W40..W43 was 3, 2, 2, 2: expected 2, band +-10%; W44 has one learner.
    expect(learners.latest).toMatchObject({
      period: '2026-W44',
      start: '2026-10-26T00:00:00.000Z',
      end: '2026-11-02T00:00:00.000Z',
      value: 1,
      expected: 2,
      status: 'deviating',
      severity: 'critical',
      relativeDeviation: -0.5,
      settled: true,
      projection: null,
    });
    expect(learners.latest?.lower).toBeCloseTo(1.8);
    expect(learners.latest?.upper).toBeCloseTo(2.2);
    expect(byId.get('weekly_signups')?.latest).toMatchObject({ value: 1, expected: 2, status: 'deviating' });
    expect(byId.get('learner_rate')?.latest).toMatchObject({ value: 1, expected: 1, status: 'normal' });
    const visits = byId.get('weekly_visits')!;
    expect(visits.latest).toMatchObject({ value: 4, expected: 4, status: 'normal', relativeDeviation: 0 });
    expect(visits.target).toEqual({ value: 4, by: '2026-12-31', direction: 'increase' });
    // Visits were 3, 4, 4, 4, 4: achieved; the trend through them reads 6 at the target week.
    expect(visits.targetProgress).toMatchObject({ state: 'achieved', baseline: 3, current: 4, progress: 1 });
    expect(visits.targetProgress?.requiredPerPeriod).toBe(0);
    expect(visits.targetProgress?.projection).toBeCloseTo(6);
  });

  test("Series: It should return the metric's own grain over the last 12 periods by default, leaving out periods without a rollup", async () => {
    const series = MetricSeries.parse(await get('/api/metrics/weekly_visits/series'));
    expect(series.grain).toBe('week');
    expect(series.from).toBe('2026-08-17T00:00:00.000Z'); // W34: twelve weeks counting W45
    expect(series.to).toBe(iso(now));
    expect(series.points.map(({ period, value, status }) => [period, value, status])).toEqual([
      ['2026-W40', 3, 'learning'],
      ['2026-W41', 4, 'learning'],
      ['2026-W42', 4, 'learning'],
      ['2026-W43', 4, 'learning'],
      ['2026-W44', 4, 'normal'],
    ]);
  });

  test('Series: It should take periods of another grain whose start is in [from, to)', async () => {
    const query = { grain: 'day', from: '2026-10-28T00:00:00Z', to: '2026-10-30T00:00:00Z' };
    const series = MetricSeries.parse(await get('/api/metrics/weekly_visits/series', query));
    expect(series.points.map(({ period, value }) => [period, value])).toEqual([
      ['2026-10-28', 4],
      // No event of any kind that day: no data, not a zero.
      ['2026-10-29', null],
    ]);
    // Wednesdays before were 3, 4, 4, 4.
    expect(series.points[0]).toMatchObject({ expected: 4, status: 'normal', settled: true });
    const midday = { grain: 'day', from: '2026-10-28T12:00:00+02:00', to: '2026-10-29T00:00:00.001Z' };
    const shifted = MetricSeries.parse(await get('/api/metrics/weekly_visits/series', midday));
    expect(shifted.points.map(({ period }) => period)).toEqual(['2026-10-29']);
    const ratio = MetricSeries.parse(
      await get('/api/metrics/learner_rate/series', { from: '2026-09-28T00:00:00Z' }),
    );
    expect(ratio.points.map(({ value }) => value)).toEqual([1.5, 1, 1, 1, 1]);
  });

  test('Funnel: It should sum the entry cohorts of the last 8 weeks into users per step and conversions', async () => {
    const funnel = FunnelReport.parse(await get('/api/funnels/activation'));
    expect(funnel.funnel).toEqual({
      id: 'activation',
      title: 'Visit to first lesson',
      window: 'P7D',
      definitionVersion: compiled.defIds['funnel:activation'],
      breakdowns: [],
      steps: [
        { event: 'visited', where: {} },
        { event: 'signed_up', where: {} },
        { event: 'lesson_completed', where: {} },
      ],
    });
    expect(funnel.grain).toBe('week');
    expect(funnel.cohorts.map(({ period, users }) => [period, users])).toEqual([
      ['2026-W38', [0, 0, 0]],
      ['2026-W39', [0, 0, 0]],
      ['2026-W40', [3, 2, 2]],
      ['2026-W41', [4, 2, 2]],
      ['2026-W42', [4, 2, 2]],
      ['2026-W43', [4, 2, 2]],
      ['2026-W44', [4, 1, 1]],
      ['2026-W45', [0, 0, 0]],
    ]);
    expect(funnel.cohorts[2]?.start).toBe('2026-09-28T00:00:00.000Z');
    expect(funnel.steps).toEqual([
      { step: 1, event: 'visited', users: 19, fromPrevious: null, fromFirst: 1 },
      { step: 2, event: 'signed_up', users: 9, fromPrevious: 9 / 19, fromFirst: 9 / 19 },
      { step: 3, event: 'lesson_completed', users: 9, fromPrevious: 1, fromFirst: 9 / 19 },
    ]);
  });

  test('Funnel: It should report day cohorts of a given range, and null conversions for an empty one', async () => {
    const day = FunnelReport.parse(
      await get('/api/funnels/activation', {
        grain: 'day',
        from: '2026-09-30T00:00:00Z',
        to: '2026-10-01T00:00:00Z',
      }),
    );
    // W40's u2 completed a lesson before visiting and never signed up: step 1 only.
    expect(day.cohorts).toEqual([
      { period: '2026-09-30', start: '2026-09-30T00:00:00.000Z', users: [3, 2, 2] },
    ]);
    const empty = FunnelReport.parse(
      await get('/api/funnels/activation', { from: '2026-08-03T00:00:00Z', to: '2026-08-10T00:00:00Z' }),
    );
    expect(empty.steps.map(({ users, fromPrevious, fromFirst }) => [users, fromPrevious, fromFirst])).toEqual(
      [
        [0, null, null],
        [0, null, null],
        [0, null, null],
      ],
    );
  });

  test('Journey: It should count new users per stage over the last 28 days and all users by their highest stage', async () => {
    const journey = JourneyReport.parse(await get('/api/journey'));
    expect(journey.grain).toBe('day');
    expect(journey.from).toBe('2026-10-06T00:00:00.000Z');
    // New users: the Wednesdays of W41..W44. Highest stage: 10 activated (W40's u2 without
    // registering), nobody stopped at registered, 9 visitors only.
    expect(journey.stages).toEqual([
      {
        id: 'aware',
        title: 'Aware',
        newUsers: 16,
        currentUsers: 9,
        atOrBeyond: 19,
        conversionFromPrevious: null,
      },
      {
        id: 'registered',
        title: 'Registered',
        newUsers: 7,
        currentUsers: 0,
        atOrBeyond: 10,
        conversionFromPrevious: 10 / 19,
      },
      {
        id: 'activated',
        title: 'Activated',
        newUsers: 7,
        currentUsers: 10,
        atOrBeyond: 10,
        conversionFromPrevious: 1,
      },
    ]);
    const firstWeek = JourneyReport.parse(
      await get('/api/journey', { from: '2026-09-28T00:00:00Z', to: '2026-10-05T00:00:00Z' }),
    );
    expect(firstWeek.stages.map(({ newUsers, currentUsers }) => [newUsers, currentUsers])).toEqual([
      [3, 9],
      [2, 0],
      [3, 10],
    ]);
  });

  test('Quarantine: It should count rejected events by reason and show the newest with their raw payload cut', async () => {
    const report = QuarantineReport.parse(await get('/api/quarantine'));
    expect(report.days).toHaveLength(7);
    expect(report.days[0]).toBe('2026-11-02');
    expect(report.total).toBe(3);
    expect(report.reasons).toEqual([
      { reason: 'malformed_entry', count: 1 },
      { reason: 'missing_field', count: 1 },
      { reason: 'unknown_event', count: 1 },
    ]);
    const arrivedAt = iso(wednesday(4) + 12 * HOUR);
    expect(report.samples.map(({ raw: _raw, message: _message, ...sample }) => sample)).toEqual([
      {
        reason: 'malformed_entry',
        source: null,
        name: null,
        eventId: null,
        arrivedAt,
        rawTruncated: true,
      },
      {
        reason: 'missing_field',
        source: 'app.web',
        name: 'visited',
        eventId: 'bad-2',
        arrivedAt,
        rawTruncated: false,
      },
      {
        reason: 'unknown_event',
        source: 'app.web',
        name: 'teleported',
        eventId: 'bad-1',
        arrivedAt,
        rawTruncated: false,
      },
    ]);
    expect(report.samples[0]?.raw).toBe(`{"broken": "${'x'.repeat(3000)}`.slice(0, 2000));
    expect(report.samples[1]?.message).toContain('userId');
    const today = QuarantineReport.parse(await get('/api/quarantine', { days: '1' }));
    expect(today).toEqual({ days: ['2026-11-02'], total: 0, reasons: [], samples: [] });
  });

  test('Alerts: It should list the deviations of the last 30 days, newest first, with owner and contributors', async () => {
    const list = AlertList.parse(await get('/api/alerts'));
    expect(list.from).toBe(iso(now - 30 * DAY));
    expect(list.alerts.map(({ metric, period, state, kind }) => [metric.id, period, state, kind])).toEqual([
      ['weekly_learners', '2026-W44', 'open', 'detected'],
      ['weekly_signups', '2026-W44', 'open', 'detected'],
    ]);
    const [learners, signups] = list.alerts;
    expect(learners).toMatchObject({
      alertId: `${compiled.defIds['metric:weekly_learners']}:week:2026-W44`,
      grain: 'week',
      periodStart: '2026-10-26T00:00:00.000Z',
      observed: 1,
      expected: 2,
      relativeDeviation: -0.5,
      severity: 'critical',
      owner: { team: 'growth' },
      link: 'http://127.0.0.1:4000/#/metrics/weekly_learners?grain=week&period=2026-W44',
    });
    expect(learners?.band.lower).toBeCloseTo(1.8);
    expect(learners?.contributors.map(({ metricId, share }) => [metricId, share])).toEqual([
      ['weekly_signups', 1],
      ['learner_rate', 0],
      ['weekly_visits', 0],
    ]);
    expect(signups).toMatchObject({ owner: { team: 'onboarding' }, contributors: [] });
    expect(published.map((alert) => [alert.kind, alert.metric.id])).toEqual([
      ['detected', 'weekly_learners'],
      ['detected', 'weekly_signups'],
    ]);
    const earlier = AlertList.parse(
      await get('/api/alerts', { from: '2026-09-01T00:00:00Z', to: '2026-10-26T00:00:00Z' }),
    );
    expect(earlier.alerts).toEqual([]);
  });

  test('Status: It should report the latest accepted event, its ingest lag and the last recompute, and say why it is stale', async () => {
    const status = PipelineStatus.parse(await get('/api/status'));
    // Week 4's batch arrived on Wednesday at 12:00; its latest event is u0's lesson at 10:00.
    const arrivedAt = iso(wednesday(4) + 12 * HOUR);
    expect(status).toEqual({
      now: iso(now),
      latestEvent: {
        occurredAt: iso(wednesday(4) + 10 * HOUR),
        arrivedAt,
        committedAt: arrivedAt,
        ingestLagSeconds: 0,
      },
      lastRecomputeAt: iso(now),
      // Nothing waited for ingest: the recompute judged up to its run.
      settledThrough: iso(now),
      recomputeEverySeconds: 300,
      backlog: null,
      stale: true,
      staleReasons: [{ code: 'events_quiet', message: `no event accepted since ${arrivedAt}` }],
    });
    // A slow worker committing an older batch afterwards leaves the newer times in place.
    await freshness.recordAccepted([{ occurredAt: wednesday(3), arrivedAt: wednesday(3) + HOUR }], now);
    expect(PipelineStatus.parse(await get('/api/status')).latestEvent?.arrivedAt).toBe(arrivedAt);
  });

  test('Status: It should call a pipeline stale whose recompute missed three runs or whose ingest lags', async () => {
    const client = localClient();
    const tableName = await freshTable(client);
    const stores = storesFor(config, client, tableName);
    const fresh = createReadApi({
      ...stores,
      dirty: undefined,
      compiled,
      quarantine: { listQuarantine: async () => [] },
      recompute: async () => lastRun,
      clock,
    });
    const status = async () =>
      PipelineStatus.parse((await fresh({ method: 'GET', path: '/api/status', query: {} })).body);
    expect((await status()).staleReasons.map(({ code }) => code)).toEqual(['no_events', 'never_recomputed']);
    // An event that waited 6 minutes for its counters, a recompute 16 minutes ago.
    await stores.freshness.recordAccepted(
      [{ occurredAt: now - 10 * MINUTE, arrivedAt: now - 8 * MINUTE }],
      now - 2 * MINUTE,
    );
    await stores.runs.setLastRunAt(now - 16 * MINUTE);
    const late = await status();
    expect(late.latestEvent?.ingestLagSeconds).toBe(360);
    expect(late.staleReasons.map(({ code }) => code)).toEqual(['ingest_lagging', 'recompute_late']);
    await stores.runs.setLastRunAt(now - 14 * MINUTE);
    expect((await status()).staleReasons.map(({ code }) => code)).toEqual(['ingest_lagging']);
  });

  test('Acknowledge: It should record who acknowledged an alert and why, and list it acknowledged with the note', async () => {
    const [learners] = AlertList.parse(await get('/api/alerts')).alerts;
    expect(learners).toMatchObject({ state: 'open', acknowledgement: null });
    const path = `/api/alerts/${encodeURIComponent(learners!.alertId)}/ack`;
    const body = { by: 'Growth on call', note: 'known: campaign ended' };
    const acknowledged = AlertSummary.parse(await call('POST', path, {}, body));
    expect(acknowledged).toEqual({
      ...learners,
      state: 'acknowledged',
      acknowledgement: { ...body, at: iso(now), verdict: null },
    });
    const listed = AlertList.parse(await get('/api/alerts')).alerts;
    expect(listed.map(({ metric, state }) => [metric.id, state])).toEqual([
      ['weekly_learners', 'acknowledged'],
      ['weekly_signups', 'open'],
    ]);
    expect(listed[0]?.acknowledgement).toEqual({ ...body, at: iso(now), verdict: null });
  });

  test("Verdicts: It should keep the owner's verdict with the acknowledgement and count each metric's precision from them", async () => {
    const [learners, signups] = AlertList.parse(await get('/api/alerts')).alerts;
    const ack = (verdict: string) =>
      call(
        'POST',
        `/api/alerts/${encodeURIComponent(learners!.alertId)}/ack`,
        {},
        { by: 'Growth', note: 'judged', verdict },
      );
    const precision = async () =>
      Object.fromEntries(
        AlertList.parse(await get('/api/alerts')).precision.map(({ metricId, ...counts }) => [
          metricId,
          counts,
        ]),
      );
    // Acknowledged above without a verdict: not judged yet.
    expect(await precision()).toEqual({
      [learners!.metric.id]: { real: 0, expected: 0, noise: 0, unjudged: 1, precision: null },
      [signups!.metric.id]: { real: 0, expected: 0, noise: 0, unjudged: 1, precision: null },
    });

    expect(AlertSummary.parse(await ack('real')).acknowledgement?.verdict).toBe('real');
    expect((await precision())[learners!.metric.id]).toEqual({
      real: 1,
      expected: 0,
      noise: 0,
      unjudged: 0,
      precision: 1,
    });
    // Judged again: the later verdict replaces the first.
    await ack('noise');
    expect((await precision())[learners!.metric.id]).toMatchObject({ real: 0, noise: 1, precision: 0 });

    const refused = await api({
      method: 'POST',
      path: `/api/alerts/${encodeURIComponent(learners!.alertId)}/ack`,
      query: {},
      body: { by: 'Growth', note: 'judged', verdict: 'maybe' },
    });
    expect(refused.status).toBe(400);
    expect(ApiErrorBody.parse(refused.body).error).toMatchObject({
      parameter: 'verdict',
      message: 'verdict: must be real, expected, noise',
    });
  });

  test('Acknowledge: It should answer 400 naming the field for a bad body, 404 for an unknown alert, 405 for GET', async () => {
    const [learners] = AlertList.parse(await get('/api/alerts')).alerts;
    const path = `/api/alerts/${learners!.alertId}/ack`;
    const post = async (body: unknown, at = path) => api({ method: 'POST', path: at, query: {}, body });
    const rejected = async (body: unknown) => {
      const response = await post(body);
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      return ApiErrorBody.parse(response.body).error;
    };
    expect(await rejected(undefined)).toMatchObject({
      parameter: 'body',
      message: 'body: must be a JSON object',
    });
    expect(await rejected([1])).toMatchObject({ parameter: 'body' });
    expect(await rejected({ note: 'known' })).toMatchObject({ code: 'invalid_parameter', parameter: 'by' });
    expect(await rejected({ by: '  ', note: 'known' })).toMatchObject({ parameter: 'by' });
    expect(await rejected({ by: 'x'.repeat(101), note: 'known' })).toMatchObject({
      parameter: 'by',
      message: 'by: must be at most 100 characters',
    });
    expect(await rejected({ by: 'ann', note: 'x'.repeat(501) })).toMatchObject({ parameter: 'note' });
    expect(await rejected({ by: 'ann', note: 7 })).toMatchObject({ parameter: 'note' });
    expect(await rejected({ by: 'ann', note: 'ok', severity: 'low' })).toMatchObject({
      parameter: 'severity',
    });
    // 500 characters of note and 100 of name are fine.
    expect((await post({ by: 'b'.repeat(100), note: 'n'.repeat(500) }, path)).status).toBe(200);
    const body = { by: 'ann', note: 'known' };
    const unknownIds = [
      `${learners!.metric.definitionVersion}:week:2026-W30`,
      `${learners!.metric.definitionVersion}:target:2026-W44`,
      `${learners!.metric.definitionVersion}:week:2026-13-01`,
      'not-an-alert',
    ];
    for (const id of unknownIds) {
      const response = await post(body, `/api/alerts/${encodeURIComponent(id)}/ack`);
      expect(response.status, id).toBe(404);
      expect(ApiErrorBody.parse(response.body).error.code).toBe('not_found');
    }
    expect((await api({ method: 'GET', path, query: {} })).status).toBe(405);
    // The last acknowledgement stands.
    const again = AlertSummary.parse(
      await call('POST', path, {}, { by: 'Growth on call', note: 'known: campaign ended' }),
    );
    expect(again.acknowledgement?.note).toBe('known: campaign ended');
  });

  test('OpenAPI: It should document the acknowledgement body and the status response', async () => {
    const document = (await get('/api/openapi.json')) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const ack = document.paths['/api/alerts/{id}/ack']?.post;
    expect(ack).toMatchObject({
      operationId: 'acknowledgeAlert',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['by', 'note'],
              properties: { by: { type: 'string', minLength: 1, maxLength: 100 }, note: { maxLength: 500 } },
              additionalProperties: false,
            },
          },
        },
      },
      responses: { '200': {}, '400': {}, '404': {} },
    });
    expect(document.paths['/api/status']?.get).toMatchObject({ operationId: 'getPipelineStatus' });
    // A recompute without a body is the plain run: its body is documented as optional.
    expect(document.paths['/api/recompute']?.post).toMatchObject({
      operationId: 'runRecompute',
      requestBody: { required: false },
    });
  });

  // Last: the late events change the numbers the tests above read.
  test('Alerts: It should show the alerts resolved once late sign-ups bring the week back into its band', async () => {
    now = settledAfter(4) + HOUR;
    const late = weekEvents(0)
      .filter((event) => event.userId === 'w0u1' && event.name !== 'visited')
      .map((event) => ({
        ...event,
        eventId: `late-${event.name}`,
        userId: 'w4u1',
        occurredAt: iso(Date.parse(event.occurredAt) + 4 * 7 * DAY),
      }));
    expect(await pipeline.deliver([{ messageId: 'late', body: batchEntry(late), arrivedAt: now }])).toEqual(
      [],
    );
    const summary = RecomputeSummary.parse(await call('POST', '/api/recompute'));
    expect(summary).toMatchObject({ periods: 2, rollups: 8, detected: 0, resolved: 2 });
    const list = AlertList.parse(await get('/api/alerts'));
    expect(
      list.alerts.map(({ metric, state, resolution }) => [metric.id, state, resolution?.observed]),
    ).toEqual([
      ['weekly_learners', 'resolved', 2],
      ['weekly_signups', 'resolved', 2],
    ]);
    // A resolved alert keeps its acknowledgement.
    expect(list.alerts[0]?.acknowledgement).toMatchObject({
      by: 'Growth on call',
      note: 'known: campaign ended',
    });
    expect(list.alerts[1]?.acknowledgement).toBeNull();
    expect(list.alerts.map((alert) => alert.resolvedAt)).toEqual([
      new Date(now).toISOString(),
      new Date(now).toISOString(),
    ]);
    const funnel = FunnelReport.parse(await get('/api/funnels/activation'));
    expect(funnel.cohorts.find((cohort) => cohort.period === '2026-W44')?.users).toEqual([4, 2, 2]);
  });
});
