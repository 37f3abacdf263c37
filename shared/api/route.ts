import type { z } from 'zod';
import type { CompiledConfig } from '../engine/compiled-config.js';
import { parseQuery } from './api-error.js';
import type { ReadApiDeps } from './read-api.js';

/** What a route's handler gets: its dependencies, path parameters and the validated query. */
export interface RouteInput<Query> {
  readonly deps: ReadApiDeps;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Query;
}

/** One endpoint: how it is matched, what it accepts and returns, and what it does. */
export interface Route {
  readonly method: 'GET' | 'POST';
  /** OpenAPI path template, e.g. `/api/metrics/{id}/series`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  /** The query schema; built from the configuration where it lists grains. */
  readonly query: (compiled: CompiledConfig) => z.ZodType;
  readonly response: z.ZodType;
  /** When the endpoint answers 404 (for the OpenAPI document). */
  readonly notFound?: string;
  /** Path parameters and the configured ids they take. */
  readonly pathParams?: (compiled: CompiledConfig) => Record<string, readonly string[]>;
  /** Validates the query first, so a bad parameter answers 400 before any read. */
  readonly handle: (
    deps: ReadApiDeps,
    params: Readonly<Record<string, string>>,
    query: Readonly<Record<string, string | undefined>>,
  ) => Promise<unknown>;
}

export interface RouteDefinition<Q extends z.ZodType, R extends z.ZodType>
  extends Omit<Route, 'query' | 'response' | 'handle'> {
  readonly query: (compiled: CompiledConfig) => Q;
  readonly response: R;
  readonly handle: (input: RouteInput<z.output<Q>>) => Promise<z.input<R>>;
}

/** Types a route's handler by its schemas and puts query validation in front of it. */
export function defineRoute<Q extends z.ZodType, R extends z.ZodType>(
  definition: RouteDefinition<Q, R>,
): Route {
  // One schema per configuration, built on first use.
  const schemas = new WeakMap<CompiledConfig, Q>();
  const schemaFor = (compiled: CompiledConfig): Q => {
    let schema = schemas.get(compiled);
    if (!schema) schemas.set(compiled, (schema = definition.query(compiled)));
    return schema;
  };
  return {
    ...definition,
    query: schemaFor,
    handle: async function handleRoute(deps, params, query) {
      const parsed = parseQuery(schemaFor(deps.compiled), query);
      return definition.handle({ deps, params, query: parsed });
    },
  };
}
