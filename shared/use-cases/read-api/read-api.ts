import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import type { VersionsReport } from '../../domain/engine/versions.js';
import type { Annotations } from '../../ports/annotations.js';
import type { Clock } from '../../ports/clock.js';
import type { IngestBacklog } from '../../ports/ingest-backlog.js';
import type { Stores } from '../../ports/stores.js';
import type { RecomputeSummary } from '../recompute/recompute.js';
import { ApiError } from './api-error.js';
import { openApiDocument } from './openapi.js';
import { NoQuery } from './query-schemas.js';
import { defineRoute, type Route } from './route.js';
import { acknowledgeAlertRoute, alertsRoute } from './routes-alerts.js';
import { addAnnotationRoute, annotationsRoute, removeAnnotationRoute } from './routes-annotations.js';
import { backtestRoute } from './routes-backtest.js';
import { metricBreakdownRoute } from './routes-breakdowns.js';
import { digestsRoute } from './routes-digests.js';
import { funnelRoute, journeyRoute } from './routes-funnels.js';
import { metricSeriesRoute, metricTreeRoute } from './routes-metrics.js';
import { quarantineEventsRoute, quarantineRoute, recomputeRoute } from './routes-pipeline.js';
import { retentionCohortsRoute } from './routes-retention.js';
import { signInRoute } from './routes-sign-in.js';
import { statusRoute } from './routes-status.js';
import {
  finishImportRoute,
  type HistoryImportPort,
  importEventsRoute,
  versionsRoute,
} from './routes-versions.js';
import { OpenApiDocument } from './schemas.js';
import { checkAccess, type ReadApiSignIn } from './sign-in.js';

/** A request as any adapter sees it: the local HTTP server, or a Lambda behind IAM authorisation. */
export interface ApiRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/api/metrics/weekly_learners/series`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  /** The `Authorization` header as sent: behind sign-in, `Bearer <ID token>`. */
  readonly authorization?: string;
  /**
   * The adapter has already authenticated the caller as an operator (the local runtime's own
   * token, IAM on a function URL): taken as an admin without an ID token. Never set from a header.
   */
  readonly operator?: boolean;
}

/** A JSON response: the adapter serialises `body`. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** What the read API reads from and runs: the ports it reads, and the recompute it may start. */
export interface ReadApiDeps {
  readonly compiled: CompiledConfig;
  readonly rollups: Pick<Stores['rollups'], 'latestRollups' | 'rollupRange'>;
  readonly alerts: Pick<Stores['alerts'], 'listAlerts' | 'acknowledgeAlert'>;
  /** Owner teams' review digests, as the recompute recorded them. */
  readonly digests: Pick<Stores['digests'], 'listDigests'>;
  readonly counters: Pick<Stores['counters'], 'readCounters'>;
  readonly quarantine: Pick<Stores['quarantine'], 'listQuarantine'>;
  readonly freshness: Pick<Stores['freshness'], 'readLatest'>;
  readonly runs: Pick<Stores['runs'], 'lastRunAt'> & Partial<Pick<Stores['runs'], 'settledThrough'>>;
  readonly recompute: () => Promise<RecomputeSummary>;
  /** Marks periods dirty for a recompute over a range; without it a range answers 400. */
  readonly dirty?: Pick<Stores['dirty'], 'markDirty'>;
  /**
   * How often the recompute actually runs, in milliseconds: what `GET /api/status` reports and
   * judges lateness by. 0 when it runs on demand only. @default the configuration's `recompute.every`
   */
  readonly recomputeEveryMs?: number;
  /** What waits for ingest, where the pipeline can see it (the local runtime's queue). */
  readonly backlog?: () => IngestBacklog;
  /** The definition versions and their backfill, where the runtime keeps a registry. */
  readonly versionsReport?: () => VersionsReport;
  /** History import, where the runtime keeps a history (the local runtime with a data directory). */
  readonly imports?: HistoryImportPort;
  /** Owners' annotations ("campaign launch", "outage"): shown on charts, left out of history. */
  readonly annotations?: Annotations;
  readonly clock: Clock;
  /** Sign-in: every call but `GET /api/sign-in` then needs an ID token, writes the admin group. @default none: open */
  readonly signIn?: ReadApiSignIn;
}

const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json; charset=utf-8' };

/** The document depends only on the configuration: built once per configuration. */
const documents = new WeakMap<CompiledConfig, OpenApiDocument>();

const openApiRoute: Route = defineRoute({
  method: 'GET',
  path: '/api/openapi.json',
  operationId: 'getOpenApiDocument',
  summary: 'This API as an OpenAPI 3.1 document',
  description: 'Generated from the zod schemas of every endpoint’s query parameters and response.',
  query: () => NoQuery,
  response: OpenApiDocument,
  async handle({ deps }) {
    let document = documents.get(deps.compiled);
    if (!document) documents.set(deps.compiled, (document = openApiDocument(READ_API_ROUTES, deps.compiled)));
    return document;
  },
});

/** Every endpoint of the read API. */
export const READ_API_ROUTES: readonly Route[] = [
  signInRoute,
  metricTreeRoute,
  metricSeriesRoute,
  metricBreakdownRoute,
  retentionCohortsRoute,
  backtestRoute,
  funnelRoute,
  journeyRoute,
  alertsRoute,
  acknowledgeAlertRoute,
  digestsRoute,
  quarantineRoute,
  quarantineEventsRoute,
  statusRoute,
  versionsRoute,
  finishImportRoute,
  importEventsRoute,
  annotationsRoute,
  addAnnotationRoute,
  removeAnnotationRoute,
  recomputeRoute,
  openApiRoute,
];

/** Path segments, percent-decoded; undefined when the path cannot be decoded. */
function pathSegments(path: string): string[] | undefined {
  const bare = path.split(/[?#]/, 1)[0] ?? '';
  try {
    return bare
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

/** Path parameters when the segments fit the route's template (`{name}` takes one segment). */
function matchPath(
  template: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (template.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    const segment = segments[index] as string;
    if (part.startsWith('{') && part.endsWith('}')) params[part.slice(1, -1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

const templates = new Map(READ_API_ROUTES.map((route) => [route, pathSegments(route.path) ?? []]));

function errorResponse(error: ApiError): ApiResponse {
  return { status: error.status, body: error.body, headers: { ...JSON_HEADERS, ...error.headers } };
}

/**
 * The read API as one framework-free function: routes the request, checks the caller's
 * ID token and group where sign-in is set, validates its query
 * with the endpoint's schema before any read, and answers JSON. Client errors become 400,
 * 404 and 405 responses; any other failure (the table unreachable) is thrown for the
 * adapter to log and answer 500, never turned into a success.
 */
export function createReadApi(deps: ReadApiDeps): (request: ApiRequest) => Promise<ApiResponse> {
  return async function handleReadRequest(request: ApiRequest): Promise<ApiResponse> {
    const segments = pathSegments(request.path);
    const matches = READ_API_ROUTES.flatMap((route) => {
      const params = segments && matchPath(templates.get(route) ?? [], segments);
      return params ? [{ route, params }] : [];
    });
    if (matches.length === 0)
      return errorResponse(new ApiError('not_found', `no endpoint at ${request.path}`));
    const method = request.method.toUpperCase();
    const match = matches.find(({ route }) => route.method === method);
    if (!match) {
      const allowed = [...new Set(matches.map(({ route }) => route.method))].join(', ');
      return errorResponse(
        new ApiError('method_not_allowed', `${request.path} takes ${allowed}, not ${method}`, undefined, {
          headers: { allow: allowed },
        }),
      );
    }
    try {
      const { route } = match;
      const access = route.access ?? (route.method === 'GET' ? 'signed-in' : 'admin');
      // Before the query is validated: a caller without a token learns nothing of the parameters.
      const caller = await checkAccess(
        deps.signIn,
        access,
        route.action ?? `${method} ${route.path}`,
        request,
      );
      const body = await match.route.handle(deps, match.params, request.query, request.body, caller);
      return { status: 200, body, headers: { ...JSON_HEADERS } };
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      throw error;
    }
  };
}
