import { z } from 'zod';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { ReviewDigest } from '../../domain/review/review-digest.js';
import type { Route } from './route.js';
import { AnnotationItem, AnnotationList, RemovedAnnotation } from './routes-annotations.js';
import { BacktestReport } from './routes-backtest.js';
import { DigestList } from './routes-digests.js';
import { SignInInfo } from './routes-sign-in.js';
import {
  BackfillStatus,
  DefinitionVersion,
  ImportPartCounts,
  ImportSummary,
  VersionsResponse,
} from './routes-versions.js';
import {
  AlertList,
  AlertSummary,
  ApiErrorBody,
  FunnelReport,
  JourneyReport,
  MetricBreakdown,
  MetricNode,
  MetricSeries,
  MetricTree,
  OpenApiDocument,
  PeriodValue,
  PipelineStatus,
  QuarantinedItem,
  QuarantinePage,
  QuarantineReport,
  RecomputeSummary,
  RetentionTable,
  TargetProgress,
} from './schemas.js';

/** Response schemas under their component names; shared parts get their own so they are referenced. */
const COMPONENTS: Readonly<Record<string, z.ZodType>> = {
  ApiError: ApiErrorBody,
  MetricTree,
  MetricNode,
  PeriodValue,
  TargetProgress,
  MetricSeries,
  MetricBreakdown,
  BacktestReport,
  FunnelReport,
  RetentionTable,
  JourneyReport,
  AlertList,
  AlertSummary,
  DigestList,
  ReviewDigest,
  QuarantineReport,
  QuarantinePage,
  QuarantinedItem,
  RecomputeSummary,
  PipelineStatus,
  VersionsResponse,
  DefinitionVersion,
  BackfillStatus,
  ImportSummary,
  ImportPartCounts,
  AnnotationList,
  AnnotationItem,
  RemovedAnnotation,
  OpenApiDocument,
  SignInInfo,
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` });
  // Components sit inside the document: no dialect or id of their own.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]),
  );
}

interface JsonObjectSchema {
  properties?: Record<string, { description?: string } & Record<string, unknown>>;
  required?: string[];
}

/** OpenAPI query parameters from an endpoint's query schema, as a client sends them. */
function queryParameters(schema: z.ZodType): unknown[] {
  const json = z.toJSONSchema(schema, { io: 'input' }) as JsonObjectSchema;
  return Object.entries(json.properties ?? {}).map(([name, { description, ...property }]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    ...(description ? { description } : {}),
    schema: property,
  }));
}

function pathParameters(route: Route, compiled: CompiledConfig): unknown[] {
  return Object.entries(route.pathParams?.(compiled) ?? {}).map(([name, ids]) => ({
    name,
    in: 'path',
    required: true,
    description:
      ids.length > 0 ? 'A configured id; any other answers 404.' : 'An id; an unknown one answers 404.',
    schema: { type: 'string', ...(ids.length > 0 ? { enum: [...ids] } : {}) },
  }));
}

/** A request body's schema, inline: no dialect of its own inside the document. */
function bodySchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input' });
  return json;
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('ApiError') } },
});

/** The OpenAPI 3.1 document of the read API, generated from its routes and their zod schemas. */
export function openApiDocument(routes: readonly Route[], compiled: CompiledConfig): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const component = Object.entries(COMPONENTS).find(([, schema]) => schema === route.response)?.[0];
    if (!component) throw new Error(`the response of ${route.operationId} has no component name`);
    const parameters = [...pathParameters(route, compiled), ...queryParameters(route.query(compiled))];
    const access = route.access ?? (route.method === 'GET' ? 'signed-in' : 'admin');
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      description: route.description,
      ...(access === 'public' ? { security: [] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: !route.bodyOptional,
              content: { 'application/json': { schema: bodySchema(route.body) } },
            },
          }
        : {}),
      responses: {
        '200': { description: 'OK', content: { 'application/json': { schema: ref(component) } } },
        '400': errorResponse(
          route.body
            ? 'A query parameter or body field is not valid, or the body is not a JSON object; `error.parameter` names it.'
            : 'A query parameter is not valid; `error.parameter` names it.',
        ),
        ...(access === 'public'
          ? {}
          : {
              '401': errorResponse(
                'Behind sign-in: no ID token, or one that is expired, tampered with or for another issuer or client (`WWW-Authenticate: Bearer error="invalid_token"`).',
              ),
            }),
        ...(access === 'admin'
          ? {
              '403': errorResponse(
                'Behind sign-in: the caller is not in the admin group; the message names it.',
              ),
            }
          : {}),
        ...(route.notFound ? { '404': errorResponse(route.notFound) } : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Northstar read API',
      version: '1',
      description:
        'Metric tree, series, funnels, journey, alerts, review digests and quarantine of the Northstar pipeline. A request with a method a path does not take answers 405; an unknown path 404.',
    },
    paths,
    // Where the deployment sets sign-in (`GET /api/sign-in` says); without it the bearer is not asked for.
    security: [{}, { signIn: [] }],
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        signIn: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An OIDC ID token of the issuer and client `GET /api/sign-in` names. Reads take anyone signed in; writes need the admin group.',
        },
      },
    },
  };
}
