import { describe, expect, test } from 'vitest';
import {
  type ApiRequest,
  createReadApi,
  READ_API_ROUTES,
  type ReadApiDeps,
} from '../../../../shared/use-cases/read-api/read-api.js';
import { ApiErrorBody, OpenApiDocument } from '../../../../shared/use-cases/read-api/schemas.js';
import { weeklySignups } from '../../../support/weekly-signups.js';

const compiled = weeklySignups({
  grains: ['day', 'week'],
  trackingPlan: { events: { visited: {}, signed_up: {} } },
  funnels: {
    activation: {
      title: 'Visit to sign-up',
      steps: [{ event: 'visited' }, { event: 'signed_up' }],
      window: 'P7D',
    },
  },
});
const NOW = Date.parse('2026-11-25T12:00:00Z');

/**
 * Stores that fail the test when read: every answer below comes from routing and
 * validation alone, before any read (the stores themselves are tested on DynamoDB Local).
 */
function unreadable<T>(what: string): T {
  return new Proxy(
    {},
    {
      get: (_target, name) => () => {
        throw new Error(`${what}.${String(name)} was called: this request must be answered before any read`);
      },
    },
  ) as T;
}

const api = createReadApi({
  compiled,
  rollups: unreadable<ReadApiDeps['rollups']>('rollups'),
  counters: unreadable<ReadApiDeps['counters']>('counters'),
  quarantine: unreadable<ReadApiDeps['quarantine']>('quarantine'),
  alerts: unreadable<ReadApiDeps['alerts']>('alerts'),
  digests: unreadable<ReadApiDeps['digests']>('digests'),
  freshness: unreadable<ReadApiDeps['freshness']>('freshness'),
  runs: unreadable<ReadApiDeps['runs']>('runs'),
  recompute: unreadable<{ run: ReadApiDeps['recompute'] }>('recompute').run,
  clock: () => NOW,
});

const request = (path: string, query: ApiRequest['query'] = {}, method = 'GET') =>
  api({ method, path, query });

/** The 400 body's parameter, checked against the error schema. */
async function rejectedParameter(path: string, query: ApiRequest['query']): Promise<string | undefined> {
  const response = await request(path, query);
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  const body = ApiErrorBody.parse(response.body);
  expect(body.error.code).toBe('invalid_parameter');
  expect(body.error.message).toContain(body.error.parameter);
  return body.error.parameter;
}

describe('read API routing', () => {
  test('Routing: It should answer 404 not_found for a path no endpoint serves', async () => {
    for (const path of [
      '/',
      '/api',
      '/api/nope',
      '/api/metrics/weekly_signups/series/extra',
      '/api/funnels',
    ]) {
      const response = await request(path);
      expect(response.status, path).toBe(404);
      expect(ApiErrorBody.parse(response.body).error.code).toBe('not_found');
    }
  });

  test('Routing: It should answer 405 with the allowed method when a path does not take the method', async () => {
    const post = await request('/api/metrics', {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers?.allow).toBe('GET');
    expect(ApiErrorBody.parse(post.body).error.code).toBe('method_not_allowed');
    const get = await request('/api/recompute');
    expect(get.status).toBe(405);
    expect(get.headers?.allow).toBe('POST');
    expect((await request('/api/quarantine', {}, 'DELETE')).status).toBe(405);
  });

  test('Routing: It should take the method in any case, a trailing slash and a path with its query string', async () => {
    expect((await request('/api/openapi.json/', {}, 'get')).status).toBe(200);
    expect((await request('/api/openapi.json?pretty=1')).status).toBe(200);
  });

  test('Routing: It should answer 404 for a path that cannot be percent-decoded', async () => {
    expect((await request('/api/metrics/%E0%A4%A/series')).status).toBe(404);
  });
});

describe('read API not found', () => {
  test('Series: It should answer 404 not_found for a metric the configuration does not have', async () => {
    for (const id of ['nope', 'constructor', '__proto__', 'activation']) {
      const response = await request(`/api/metrics/${id}/series`);
      expect(response.status, id).toBe(404);
      const body = ApiErrorBody.parse(response.body);
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).toContain(id);
    }
  });

  test('Funnel: It should answer 404 not_found for a funnel the configuration does not have', async () => {
    const response = await request('/api/funnels/weekly_signups');
    expect(response.status).toBe(404);
    expect(ApiErrorBody.parse(response.body).error.code).toBe('not_found');
  });

  test('Journey: It should answer 404 not_found when the configuration has no journey', async () => {
    const response = await request('/api/journey');
    expect(response.status).toBe(404);
    expect(ApiErrorBody.parse(response.body).error.message).toContain('journey');
  });
});

describe('read API parameters', () => {
  const series = '/api/metrics/weekly_signups/series';

  test('Series: It should answer 400 naming grain for an unknown grain or one the configuration does not keep', async () => {
    expect(await rejectedParameter(series, { grain: 'year' })).toBe('grain');
    expect(await rejectedParameter(series, { grain: 'hour' })).toBe('grain');
    expect(await rejectedParameter(series, { grain: '' })).toBe('grain');
  });

  test('Series: It should answer 400 naming from for a time that is not an ISO 8601 timestamp with a zone', async () => {
    expect(await rejectedParameter(series, { from: 'yesterday' })).toBe('from');
    expect(await rejectedParameter(series, { from: '2026-11-01' })).toBe('from');
    expect(await rejectedParameter(series, { from: '2026-11-01T00:00:00' })).toBe('from');
    expect(await rejectedParameter(series, { to: '2026-13-01T00:00:00Z' })).toBe('to');
  });

  test('Series: It should answer 400 naming from when from is not before to, given or defaulted to now', async () => {
    const at = '2026-11-01T00:00:00Z';
    expect(await rejectedParameter(series, { from: at, to: at })).toBe('from');
    expect(await rejectedParameter(series, { from: '2026-11-02T00:00:00Z', to: at })).toBe('from');
    expect(await rejectedParameter(series, { from: '2026-11-26T00:00:00+01:00' })).toBe('from');
  });

  test('Series: It should answer 400 naming from when the range holds more periods than one request may read', async () => {
    expect(await rejectedParameter(series, { grain: 'day', from: '1990-01-01T00:00:00Z' })).toBe('from');
  });

  test('Any endpoint: It should answer 400 naming a parameter it does not know, rather than ignore a typo', async () => {
    expect(await rejectedParameter(series, { gran: 'day' })).toBe('gran');
    expect(await rejectedParameter('/api/metrics', { grain: 'day' })).toBe('grain');
  });

  test('Funnel: It should answer 400 naming grain, from or to', async () => {
    expect(await rejectedParameter('/api/funnels/activation', { grain: 'month' })).toBe('grain');
    expect(await rejectedParameter('/api/funnels/activation', { to: 'soon' })).toBe('to');
    expect(
      await rejectedParameter('/api/funnels/activation', {
        from: '2026-11-10T00:00:00Z',
        to: '2026-11-03T00:00:00Z',
      }),
    ).toBe('from');
  });

  test('Alerts: It should answer 400 naming from when the range is empty', async () => {
    const at = '2026-11-01T00:00:00Z';
    expect(await rejectedParameter('/api/alerts', { from: at, to: at })).toBe('from');
  });

  test('Quarantine: It should answer 400 naming days outside 1 to 30 or not a whole number', async () => {
    for (const days of ['0', '31', '-1', '2.5', 'seven', '']) {
      expect(await rejectedParameter('/api/quarantine', { days }), days).toBe('days');
    }
  });

  test('Any endpoint: It should treat an undefined query value as not given', async () => {
    expect((await request('/api/openapi.json', { pretty: undefined })).status).toBe(200);
  });
});

describe('read API OpenAPI document', () => {
  test('OpenAPI: It should list every endpoint with its method, parameters and response schema', async () => {
    const response = await request('/api/openapi.json');
    expect(response.status).toBe(200);
    const document = OpenApiDocument.parse(response.body);
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/alerts',
      '/api/alerts/{id}/ack',
      '/api/annotations',
      '/api/annotations/{id}/remove',
      '/api/digests',
      '/api/funnels/{id}',
      '/api/imports/{id}/events',
      '/api/imports/{id}/finish',
      '/api/journey',
      '/api/metrics',
      '/api/metrics/{id}/backtest',
      '/api/metrics/{id}/breakdown',
      '/api/metrics/{id}/cohorts',
      '/api/metrics/{id}/series',
      '/api/openapi.json',
      '/api/quarantine',
      '/api/quarantine/events',
      '/api/recompute',
      '/api/sign-in',
      '/api/status',
      '/api/versions',
    ]);
    for (const route of READ_API_ROUTES) {
      const operation = (document.paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toMatchObject({ operationId: route.operationId });
    }
  });

  test('OpenAPI: It should describe query parameters from the endpoint schemas, with the kept grains', () => {
    return request('/api/openapi.json').then((response) => {
      const paths = OpenApiDocument.parse(response.body).paths as Record<
        string,
        Record<string, { parameters?: { name: string; in: string; required: boolean; schema: unknown }[] }>
      >;
      const seriesParameters = paths['/api/metrics/{id}/series']?.get?.parameters ?? [];
      expect(seriesParameters.map((parameter) => `${parameter.in}:${parameter.name}`)).toEqual([
        'path:id',
        'query:grain',
        'query:from',
        'query:to',
        'query:version',
      ]);
      expect(seriesParameters[0]).toMatchObject({ required: true, schema: { enum: ['weekly_signups'] } });
      expect(seriesParameters[1]).toMatchObject({ required: false, schema: { enum: ['day', 'week'] } });
      expect(seriesParameters[2]).toMatchObject({ schema: { type: 'string', format: 'date-time' } });
      const days = paths['/api/quarantine']?.get?.parameters?.[0];
      expect(days).toMatchObject({
        name: 'days',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: 30, default: 7 },
      });
      expect(paths['/api/recompute']?.post?.parameters).toBeUndefined();
    });
  });

  test('OpenAPI: It should resolve every schema reference to a component', async () => {
    const document = (await request('/api/openapi.json')).body as { components: { schemas: object } };
    const references = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)];
    expect(references.length).toBeGreaterThan(READ_API_ROUTES.length);
    for (const [, name] of references) expect(Object.keys(document.components.schemas)).toContain(name);
    expect(JSON.stringify(document.components.schemas)).not.toContain('"$schema"');
  });
});
