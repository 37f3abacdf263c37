import type { z } from 'zod';
import type {
  AnnotationItem as AnnotationItemSchema,
  AnnotationList as AnnotationListSchema,
  RemovedAnnotation as RemovedAnnotationSchema,
} from '../../shared/use-cases/read-api/routes-annotations.js';
import type { BacktestReport } from '../../shared/use-cases/read-api/routes-backtest.js';
import type { DigestList } from '../../shared/use-cases/read-api/routes-digests.js';
import type { VersionsResponse } from '../../shared/use-cases/read-api/routes-versions.js';
import type {
  AlertList,
  AlertSummary,
  ApiErrorBody,
  FunnelReport,
  JourneyReport,
  MetricBreakdown,
  MetricSeries,
  MetricTree,
  PipelineStatus,
  QuarantineReport,
  RetentionTable,
} from '../../shared/use-cases/read-api/schemas.js';
import { accessToken } from './access-token.js';
import { idToken, refreshAfterRefusal, signInRequired } from './sign-in.js';

export type { BacktestReport, DigestList, VersionsResponse };

/** One recorded review digest: the digest whole, whether it was sent, when it was recorded. */
export type ListedDigest = DigestList['digests'][number];
export type ReviewDigest = ListedDigest['digest'];
export type DigestMetric = ReviewDigest['metrics'][number];
/** A team's review in progress of one cadence, and when its digest is due. */
export type NextReview = DigestList['next'][number];

/** A holiday or known event of the calendar, or an owner's annotation: a label over a span. */
export type Annotation = z.infer<typeof AnnotationItemSchema>;
/** The holidays, known events and annotations overlapping a range, by start. */
export type AnnotationList = z.infer<typeof AnnotationListSchema>;
export type RemovedAnnotation = z.infer<typeof RemovedAnnotationSchema>;
/** What an owner sends to annotate a span: metrics and grains left out mean every metric, hour and day. */
export interface NewAnnotation {
  readonly label: string;
  readonly from: string;
  readonly to: string;
  readonly metrics?: readonly string[];
  readonly grains?: readonly string[];
}

/** The next generation's backfill: how far it has counted the archive. */
export type BackfillStatus = NonNullable<VersionsResponse['backfill']>;
/** One version of a definition: shown, backfilling or retired. */
export type DefinitionVersion = VersionsResponse['definitions'][number]['versions'][number];

export type {
  AlertList,
  AlertSummary,
  FunnelReport,
  JourneyReport,
  MetricBreakdown,
  MetricNode,
  MetricSeries,
  MetricTree,
  PeriodValue,
  PipelineStatus,
  QuarantineReport,
  RetentionTable,
} from '../../shared/use-cases/read-api/schemas.js';

/** An answer of the read API other than 200, with its message. */
export class ReadApiError extends Error {
  override readonly name = 'ReadApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
  }
}

type Query = Readonly<Record<string, string | undefined>>;

/** Same-origin URLs only: the dashboard is served next to the read API, locally and in AWS. */
function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
  const search = params.toString();
  return `/api/${path}${search ? `?${search}` : ''}`;
}

/** What a 401 says: the runtime was started with a token this tab does not have. */
const TOKEN_NEEDED = 'this runtime needs its token: open the URL npm start printed (it ends in #token=...)';
const TOKEN_REFUSED =
  'this runtime did not take the token this tab has (was it restarted with another?): open the URL npm start printed (it ends in #token=...)';

const SIGNED_OUT = 'you are signed out: sign in again';

async function request<T>(
  path: string,
  query: Query = {},
  init: RequestInit = {},
  retried = false,
): Promise<T> {
  // Behind sign-in the ID token goes with every call; else the runtime's token, if the tab has one.
  const signIn = signInRequired();
  const token = signIn ? await idToken() : accessToken();
  if (signIn && !token) throw new ReadApiError(401, SIGNED_OUT);
  const response = await fetch(apiUrl(path, query), {
    ...init,
    headers: {
      accept: 'application/json',
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (response.status === 401 && signIn) {
    // A token the API no longer takes (revoked, clocks apart): refreshed once, then the tab signs out.
    if (!retried && (await refreshAfterRefusal())) return request(path, query, init, true);
    throw new ReadApiError(401, (body as ApiErrorBody | undefined)?.error?.message ?? SIGNED_OUT);
  }
  if (response.status === 401) throw new ReadApiError(401, token ? TOKEN_REFUSED : TOKEN_NEEDED);
  if (!response.ok) {
    const error = (body as ApiErrorBody | undefined)?.error;
    throw new ReadApiError(response.status, error?.message ?? `HTTP ${response.status}`, error?.parameter);
  }
  return body as T;
}

/** What a form shows when a write fails: the API's own message (a 400's reason, a 403's group), else what failed. */
export function failureMessage(error: unknown, doing: string): string {
  return error instanceof ReadApiError ? error.message : `Could not ${doing}: ${(error as Error).message}`;
}

export const readApi = {
  metricTree: () => request<MetricTree>('metrics'),
  /** `version`: another definition version of the metric than the one shown. */
  series: (id: string, query: { grain?: string; from?: string; to?: string; version?: string } = {}) =>
    request<MetricSeries>(`metrics/${encodeURIComponent(id)}/series`, query),
  breakdown: (id: string, query: { by: string; grain?: string; from?: string; to?: string }) =>
    request<MetricBreakdown>(`metrics/${encodeURIComponent(id)}/breakdown`, query),
  cohorts: (id: string, query: { from?: string; to?: string } = {}) =>
    request<RetentionTable>(`metrics/${encodeURIComponent(id)}/cohorts`, query),
  funnel: (id: string, query: { grain?: string; from?: string; to?: string; by?: string } = {}) =>
    request<FunnelReport>(`funnels/${encodeURIComponent(id)}`, query),
  journey: (query: { from?: string; to?: string } = {}) => request<JourneyReport>('journey', query),
  alerts: (query: { from?: string; to?: string } = {}) => request<AlertList>('alerts', query),
  /** The latest review digests of a team (or every team), newest first, and when the next are due. */
  digests: (query: { team?: string; cadence?: string; limit?: string } = {}) =>
    request<DigestList>('digests', query),
  acknowledge: (
    alertId: string,
    body: { by: string; note: string; verdict?: 'real' | 'expected' | 'noise' },
  ) =>
    request<AlertSummary>(
      `alerts/${encodeURIComponent(alertId)}/ack`,
      {},
      {
        method: 'POST',
        body: JSON.stringify(body),
      },
    ),
  /** The calendar's holidays and owners' annotations overlapping [from, to). */
  annotations: (query: { from?: string; to?: string } = {}) => request<AnnotationList>('annotations', query),
  annotate: (body: NewAnnotation) =>
    request<Annotation>('annotations', {}, { method: 'POST', body: JSON.stringify(body) }),
  /** A write: JSON like every other, so the runtime's cross-site guard lets it through. */
  removeAnnotation: (id: string) =>
    request<RemovedAnnotation>(
      `annotations/${encodeURIComponent(id)}/remove`,
      {},
      { method: 'POST', body: JSON.stringify({}) },
    ),
  /** The detector replayed over the metric's stored history: alerts it would raise, a month. */
  backtest: (id: string, query: { grain?: string } = {}) =>
    request<BacktestReport>(`metrics/${encodeURIComponent(id)}/backtest`, query),
  quarantine: (days = 7) => request<QuarantineReport>('quarantine', { days: String(days) }),
  status: () => request<PipelineStatus>('status'),
  versions: () => request<VersionsResponse>('versions'),
  openApi: () => request<OpenApiPaths>('openapi.json'),
};

interface OpenApiPaths {
  paths: Record<
    string,
    Record<string, { parameters?: { name: string; in: string; schema?: { enum?: string[] } }[] }>
  >;
}

/** What the API document says the configuration holds: funnel ids and kept grains. */
export interface Catalogue {
  readonly funnels: readonly string[];
  readonly grains: readonly string[];
}

let catalogue: Promise<Catalogue> | undefined;

/** Funnel ids and kept grains from the OpenAPI document, read once (they follow the configuration). */
export function readCatalogue(): Promise<Catalogue> {
  catalogue ??= readApi
    .openApi()
    .then(({ paths }) => {
      const funnelParams = paths['/api/funnels/{id}']?.get?.parameters ?? [];
      const seriesParams = paths['/api/metrics/{id}/series']?.get?.parameters ?? [];
      return {
        funnels: funnelParams.find((param) => param.in === 'path')?.schema?.enum ?? [],
        grains: seriesParams.find((param) => param.name === 'grain')?.schema?.enum ?? [],
      };
    })
    .catch((error: unknown) => {
      catalogue = undefined;
      throw error;
    });
  return catalogue;
}
