import { ApiError } from '../../use-cases/read-api/api-error.js';

/** The read API's bodies are small notes and ranges; anything larger is refused before parsing. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/**
 * A part of a history import (`POST /api/imports/{id}/events`) carries events: well within the
 * 6 MB a Lambda function URL takes.
 */
export const MAX_IMPORT_BODY_BYTES = 4 * 1024 * 1024;

/** The largest body the read API takes at a path. */
export const maxBodyBytesOf = (path: string) =>
  /^\/api\/imports\/[^/]+\/events\/?$/.test(path) ? MAX_IMPORT_BODY_BYTES : MAX_JSON_BODY_BYTES;

export function bodyTooLarge(maxBytes = MAX_JSON_BODY_BYTES): ApiError {
  return new ApiError('payload_too_large', `body: must be at most ${maxBytes} bytes`, 'body');
}

/**
 * A request body as the read API takes it, the same in every adapter: undefined when
 * empty, parsed JSON otherwise; an {@link ApiError} (413 or 400) when too large or not JSON.
 */
export function parseJsonBody(text: string, maxBytes = MAX_JSON_BODY_BYTES): unknown {
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw bodyTooLarge(maxBytes);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ApiError('invalid_parameter', 'body: is not valid JSON', 'body', { cause });
  }
}
