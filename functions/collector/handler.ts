import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { collectorFromEnv, once } from '../../shared/compose/lambda-env.js';
import { CALL_METRICS, COLLECTOR_SERVICE } from '../../shared/use-cases/collector/call-metrics.js';
import type {
  RequestHead,
  TrackingApi,
  TrackingApiAnswer,
} from '../../shared/use-cases/collector/tracking-api.js';
import { WriteKeysUnavailableError } from '../../shared/use-cases/collector/write-keys.js';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The route's own path (`POST /v1/batch`), whatever stage or custom domain path the request came by. */
function headOf(event: APIGatewayProxyEventV2): RequestHead {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method: event.requestContext.http.method,
    path: /^[A-Z]+ (\/\S*)$/.exec(event.routeKey)?.[1] ?? event.rawPath,
    headers,
  };
}

/** The body as sent, or undefined past `maxBytes`; API Gateway base64-encodes bodies it deems binary. */
function bodyOf(event: APIGatewayProxyEventV2, maxBytes: number): string | undefined {
  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  return bytes.byteLength > maxBytes ? undefined : bytes.toString('utf8');
}

function resultOf(answer: TrackingApiAnswer): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: answer.status,
    headers: { ...answer.headers },
    ...(answer.body === undefined ? {} : { body: JSON.stringify(answer.body) }),
  };
}

/** API Gateway HTTP API (payload 2.0) -> the Segment tracking API shared with the local runtime. */
export function createCollectorHandler(api: () => TrackingApi, { logger, metrics }: Observability) {
  return middy(async function collect(
    event: APIGatewayProxyEventV2,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const head = headOf(event);
    const opened = api().open(head);
    if ('answer' in opened) return resultOf(opened.answer);
    const served = await api().serve(head, opened.route, bodyOf(event, opened.maxBytes));
    const { tally, error } = served;
    if (tally)
      for (const [field, name] of Object.entries(CALL_METRICS))
        metrics.addMetric(name, MetricUnit.Count, tally[field as keyof typeof tally]);
    if (error && !(error instanceof WriteKeysUnavailableError))
      logger.error('calls not taken; answered 503 so the app sends them again', { error });
    if (tally && tally.entriesKept > 0)
      logger.error('entries kept for replay: PutEvents did not take them after retries', { ...tally });
    return resultOf(served.answer);
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

const logger = new Logger({ serviceName: COLLECTOR_SERVICE });

export const handler = createCollectorHandler(
  once(() => collectorFromEnv(process.env, (message) => logger.error(message))),
  { logger, metrics: new Metrics({ namespace: 'Northstar', serviceName: COLLECTOR_SERVICE }) },
);
