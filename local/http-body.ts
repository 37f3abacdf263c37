import type { IncomingMessage } from 'node:http';

/** The read API's bodies are small notes; anything larger is refused before parsing. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/** A request body the adapter refuses, with the status and error body to answer. */
export class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError';
  constructor(
    readonly status: 400 | 413,
    readonly code: 'invalid_parameter' | 'payload_too_large',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get body() {
    return {
      error: {
        code: this.code,
        ...(this.code === 'invalid_parameter' ? { parameter: 'body' } : {}),
        message: this.message,
      },
    };
  }
}

/**
 * Reads and parses a JSON request body: undefined when there is none, a
 * {@link RequestBodyError} when it is too large or not JSON.
 */
export async function readJsonBody(
  request: IncomingMessage,
  maxBytes = MAX_JSON_BODY_BYTES,
): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    request.resume();
    throw new RequestBodyError(413, 'payload_too_large', `body: must be at most ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes)
      throw new RequestBodyError(413, 'payload_too_large', `body: must be at most ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new RequestBodyError(400, 'invalid_parameter', 'body: is not valid JSON', { cause });
  }
}
