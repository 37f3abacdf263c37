import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../../functions/api/handler.js';
import type { ApiRequest } from '../../../shared/use-cases/read-api/read-api.js';

const context = { functionName: 'api', awsRequestId: 'request-1' } as Context;
const logger = new Logger({ serviceName: 'test' });

function urlEvent(method: string, rawPath: string, extra: Partial<LambdaFunctionURLEvent> = {}) {
  return {
    version: '2.0',
    rawPath,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { http: { method, path: rawPath } },
    ...extra,
  } as LambdaFunctionURLEvent;
}

describe('read API handler', () => {
  it('It should hand the method, path, query and JSON body to the read API and answer its response', async () => {
    const seen: ApiRequest[] = [];
    const handler = createApiHandler(
      () => async (request) => {
        seen.push(request);
        return { status: 200, body: { ok: true }, headers: { 'content-type': 'application/json' } };
      },
      logger,
    );
    const body = Buffer.from(JSON.stringify({ by: 'ana', note: 'known' })).toString('base64');
    const response = await handler(
      urlEvent('POST', '/api/alerts/a1/ack', {
        queryStringParameters: { grain: 'week' },
        body,
        isBase64Encoded: true,
      }),
      context,
    );
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/api/alerts/a1/ack',
        query: { grain: 'week' },
        body: { by: 'ana', note: 'known' },
      },
    ]);
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
    });
  });

  it('It should take a SigV4 caller of the function URL as an operator, and pass a signed-in caller’s token on', async () => {
    const seen: ApiRequest[] = [];
    const handler = createApiHandler(
      () => async (request) => {
        seen.push(request);
        return { status: 200, body: {}, headers: {} };
      },
      logger,
    );
    const iam = {
      iam: { accessKey: 'AKIA', accountId: '111111111111', userArn: 'arn:aws:iam::111111111111:user/ops' },
    };
    await handler(
      urlEvent('POST', '/api/recompute', {
        requestContext: { http: { method: 'POST', path: '/api/recompute' }, authorizer: iam },
      } as unknown as Partial<LambdaFunctionURLEvent>),
      context,
    );
    // Through the dashboard's HTTP API: a bearer token, and an operator header that counts for nothing.
    await handler(
      urlEvent('GET', '/api/metrics', {
        headers: { authorization: 'Bearer header.payload.signature', operator: 'true' },
        requestContext: {
          http: { method: 'GET', path: '/api/metrics' },
          authorizer: { jwt: { claims: { sub: 'ana' }, scopes: [] } },
        },
      } as unknown as Partial<LambdaFunctionURLEvent>),
      context,
    );
    expect(seen).toEqual([
      { method: 'POST', path: '/api/recompute', query: {}, operator: true },
      { method: 'GET', path: '/api/metrics', query: {}, authorization: 'Bearer header.payload.signature' },
    ]);
  });

  it('It should answer 400 to a body that is not JSON, without calling the read API', async () => {
    let called = false;
    const handler = createApiHandler(
      () => async () => {
        called = true;
        return { status: 200, body: {} };
      },
      logger,
    );
    const response = await handler(urlEvent('POST', '/api/recompute', { body: '{not json' }), context);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '{}').error).toMatchObject({
      code: 'invalid_parameter',
      parameter: 'body',
    });
    const large = await handler(
      urlEvent('POST', '/api/recompute', { body: JSON.stringify({ note: 'x'.repeat(20_000) }) }),
      context,
    );
    expect(large.statusCode).toBe(413);
    expect(JSON.parse(large.body ?? '{}').error.code).toBe('payload_too_large');
    expect(called).toBe(false);
  });

  it('It should answer 500 without internals when the read API fails', async () => {
    const handler = createApiHandler(
      () => async () => {
        throw new Error('table unreachable: secret detail');
      },
      logger,
    );
    const response = await handler(urlEvent('GET', '/api/metrics'), context);
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret detail');
  });
});
