import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { maxBodyBytesOf, parseJsonBody } from '../../shared/adapters/http/request-body.js';
import { once, readApiFromEnv } from '../../shared/compose/lambda-env.js';
import { ApiError } from '../../shared/use-cases/read-api/api-error.js';
import {
  type ApiRequest,
  type ApiResponse,
  createReadApi,
} from '../../shared/use-cases/read-api/read-api.js';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** The function URL's request as the read API takes it; its body parsed as the local runtime parses it. */
function apiRequest(event: LambdaFunctionURLEvent): ApiRequest {
  const raw =
    event.body && (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body);
  const body = parseJsonBody(raw ?? '', maxBodyBytesOf(event.rawPath));
  // Through the function URL, IAM has authenticated the caller (the CLI's SigV4): an operator.
  // Through the dashboard's HTTP API the ID token speaks for the caller, checked by the read API.
  const operator = Boolean((event.requestContext as { authorizer?: { iam?: unknown } }).authorizer?.iam);
  const authorization = event.headers?.authorization;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    ...(body === undefined ? {} : { body }),
    ...(authorization === undefined ? {} : { authorization }),
    ...(operator ? { operator } : {}),
  };
}

/**
 * Function URL (AWS_IAM) or the dashboard's HTTP API (payload 2.0, the same shape) -> the
 * framework-free read API; failures are logged and answer 500.
 */
export function createApiHandler(api: () => (request: ApiRequest) => Promise<ApiResponse>, logger: Logger) {
  return middy(async function serveApi(
    event: LambdaFunctionURLEvent,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    let request: ApiRequest;
    try {
      request = apiRequest(event);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { statusCode: error.status, headers: JSON_HEADERS, body: JSON.stringify(error.body) };
    }
    try {
      const response = await api()(request);
      return { statusCode: response.status, headers: response.headers, body: JSON.stringify(response.body) };
    } catch (error) {
      logger.error('read API request failed', { error, method: request.method, path: request.path });
      const body = { error: { code: 'internal', message: 'the request failed; see the API function logs' } };
      return { statusCode: 500, headers: JSON_HEADERS, body: JSON.stringify(body) };
    }
  }).use(injectLambdaContext(logger));
}

const readApiDeps = once(() => readApiFromEnv(process.env));

/** The read API of the registry as last read: its shown versions, and a backfill's progress. */
const readApi = () => async (request: ApiRequest) => createReadApi(await readApiDeps()())(request);

export const handler = createApiHandler(readApi, new Logger({ serviceName: 'northstar-api' }));
