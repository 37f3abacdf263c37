import type { IncomingMessage } from 'node:http';
import { bodyTooLarge, MAX_JSON_BODY_BYTES, parseJsonBody } from '../shared/adapters/http/request-body.js';

/**
 * Reads a request body and parses it as the read API takes it; stops reading as soon as
 * the body is over the limit, so a large upload costs no memory.
 */
export async function readJsonBody(
  request: IncomingMessage,
  maxBytes = MAX_JSON_BODY_BYTES,
): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    request.resume();
    throw bodyTooLarge(maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw bodyTooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  return parseJsonBody(Buffer.concat(chunks).toString('utf8'), maxBytes);
}
