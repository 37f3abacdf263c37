import type { z } from 'zod';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { parseBody, parseQuery } from './api-error.js';
import type { ReadApiDeps } from './read-api.js';
import type { RouteAccess } from './sign-in.js';

/** What a route's handler gets: its dependencies, path parameters, the validated query and body. */
export interface RouteInput<Query, Body = undefined> {
  readonly deps: ReadApiDeps;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Query;
  readonly body: Body;
  /** Who called, by their ID token (email, user name, name or subject), behind sign-in. */
  readonly caller?: string;
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
  /** The JSON request body's schema, for an endpoint that takes one. */
  readonly body?: z.ZodType;
  /** The body may be left out (the endpoint then acts as on an empty object). @default false */
  readonly bodyOptional?: boolean;
  /** When the endpoint answers 404 (for the OpenAPI document). */
  readonly notFound?: string;
  /** Who may call it behind sign-in. @default 'signed-in' for GET, 'admin' for any other method */
  readonly access?: RouteAccess;
  /** What a write does, for the 403 a non-admin gets: "Only members of ... may <action>". */
  readonly action?: string;
  /** Path parameters and the configured ids they take. */
  readonly pathParams?: (compiled: CompiledConfig) => Record<string, readonly string[]>;
  /** Validates the query (and body) first, so a bad parameter answers 400 before any read. */
  readonly handle: (
    deps: ReadApiDeps,
    params: Readonly<Record<string, string>>,
    query: Readonly<Record<string, string | undefined>>,
    body?: unknown,
    caller?: string,
  ) => Promise<unknown>;
}

export interface RouteDefinition<
  Q extends z.ZodType,
  R extends z.ZodType,
  B extends z.ZodType = z.ZodUndefined,
> extends Omit<Route, 'query' | 'response' | 'body' | 'handle'> {
  readonly query: (compiled: CompiledConfig) => Q;
  readonly response: R;
  readonly body?: B;
  readonly handle: (input: RouteInput<z.output<Q>, z.output<B>>) => Promise<z.input<R>>;
}

/** Types a route's handler by its schemas and puts query (and body) validation in front of it. */
export function defineRoute<Q extends z.ZodType, R extends z.ZodType, B extends z.ZodType = z.ZodUndefined>(
  definition: RouteDefinition<Q, R, B>,
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
    handle: async function handleRoute(deps, params, query, body, caller) {
      const parsed = parseQuery(schemaFor(deps.compiled), query);
      // Without a body schema the body is ignored, as it always was.
      const parsedBody = (definition.body ? parseBody(definition.body, body) : undefined) as z.output<B>;
      return definition.handle({
        deps,
        params,
        query: parsed,
        body: parsedBody,
        ...(caller === undefined ? {} : { caller }),
      });
    },
  };
}
