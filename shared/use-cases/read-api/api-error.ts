import type { z } from 'zod';
import { NorthstarError } from '../../domain/errors.js';

export type ApiErrorCode =
  | 'invalid_parameter'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large';

const STATUS: Readonly<Record<ApiErrorCode, number>> = {
  invalid_parameter: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
};

/** A request the read API answers with an error status; anything else is a failure of the API itself. */
export class ApiError extends NorthstarError {
  override readonly name = 'ApiError';
  readonly status: number;
  /** Extra response headers, such as `allow` on a 405. */
  readonly headers: Record<string, string> | undefined;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly parameter?: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(code, message, options);
    this.status = STATUS[code];
    this.headers = options?.headers;
  }

  get body(): { error: { code: ApiErrorCode; parameter?: string; message: string } } {
    return {
      error: {
        code: this.code,
        ...(this.parameter === undefined ? {} : { parameter: this.parameter }),
        message: this.message,
      },
    };
  }
}

export function invalidParameter(parameter: string, message: string, cause?: unknown): ApiError {
  return new ApiError('invalid_parameter', `${parameter}: ${message}`, parameter, { cause });
}

export function notFound(message: string): ApiError {
  return new ApiError('not_found', message);
}

/** The query parameter an issue is about: the first path segment, or the unknown key itself. */
function parameterOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return issue.keys[0] ?? '';
  return String(issue.path[0] ?? '');
}

/**
 * Validates a request's query with the endpoint's schema. The first problem answers 400
 * naming its parameter; an absent value (`undefined`) counts as not given.
 */
export function parseQuery<T extends z.ZodType>(
  schema: T,
  query: Readonly<Record<string, string | undefined>>,
): z.output<T> {
  const given = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
  const parsed = schema.safeParse(given);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  if (!issue) throw invalidParameter('query', 'is not valid', parsed.error);
  const parameter = parameterOf(issue);
  const message = issue.code === 'unrecognized_keys' ? 'is not a parameter of this endpoint' : issue.message;
  throw invalidParameter(parameter, message, parsed.error);
}

/**
 * Validates a JSON request body with the endpoint's schema. The first problem answers 400
 * naming its field (`body` when the body is missing or not an object).
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalidParameter('body', 'must be a JSON object');
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  if (!issue) throw invalidParameter('body', 'is not valid', parsed.error);
  const field = parameterOf(issue) || 'body';
  const message = issue.code === 'unrecognized_keys' ? 'is not a field of this request' : issue.message;
  throw invalidParameter(field, message, parsed.error);
}
