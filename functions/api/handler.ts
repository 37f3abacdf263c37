import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { z } from 'zod';
import { RollupStore } from '../../shared/adapters/dynamodb/rollup-store.js';
import { parseJsonBody } from '../../shared/adapters/http/request-body.js';
import { dynamoClient, loadConfigFile, PipelineEnv, storeFor } from '../../shared/compose/settings.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { ApiError } from '../../shared/use-cases/read-api/api-error.js';
import {
  type ApiRequest,
  type ApiResponse,
  createReadApi,
} from '../../shared/use-cases/read-api/read-api.js';
import { RecomputeSummary } from '../../shared/use-cases/read-api/schemas.js';

/** The API runs the recompute by invoking the recompute function: one writer of rollups and alerts. */
const ApiEnv = PipelineEnv.extend({ RECOMPUTE_FUNCTION_NAME: z.string().min(1) });

export class RecomputeInvokeError extends Error {
  override readonly name = 'RecomputeInvokeError';
  readonly reason = 'recompute_failed';
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** The function URL's request as the read API takes it; its body parsed as the local runtime parses it. */
function apiRequest(event: LambdaFunctionURLEvent): ApiRequest {
  const raw =
    event.body && (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body);
  const body = parseJsonBody(raw ?? '');
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    ...(body === undefined ? {} : { body }),
  };
}

/** Function URL (AWS_IAM) -> the framework-free read API; failures are logged and answer 500. */
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

async function invokeRecompute(client: LambdaClient, functionName: string): Promise<RecomputeSummary> {
  const result = await client.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse' }),
  );
  const payload = new TextDecoder().decode(result.Payload);
  if (result.FunctionError) throw new RecomputeInvokeError(`The recompute failed: ${payload.slice(0, 500)}`);
  return RecomputeSummary.parse(JSON.parse(payload));
}

let lambdaApi: ((request: ApiRequest) => Promise<ApiResponse>) | undefined;

function apiFromEnvironment() {
  if (!lambdaApi) {
    const parsed = ApiEnv.safeParse(process.env);
    if (!parsed.success) throw new Error(`Invalid environment: ${z.prettifyError(parsed.error)}`);
    const env = parsed.data;
    const config = loadConfigFile(env.NORTHSTAR_CONFIG_FILE);
    const client = dynamoClient(env.DYNAMODB_ENDPOINT);
    const store = storeFor(config, client, env.TABLE_NAME);
    const lambda = new LambdaClient({});
    lambdaApi = createReadApi({
      compiled: compileConfig(config),
      rollups: new RollupStore(client, env.TABLE_NAME),
      counters: store,
      quarantine: store,
      dirtyMarks: store,
      recompute: () => invokeRecompute(lambda, env.RECOMPUTE_FUNCTION_NAME),
      clock: Date.now,
    });
  }
  return lambdaApi;
}

export const handler = createApiHandler(apiFromEnvironment, new Logger({ serviceName: 'northstar-api' }));
