import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { bearerCredentials, isToken } from './access-token.js';
import type { PutEventsAuthorizer, PutEventsRefusal } from './event-bus.js';

/**
 * Who may put events on a runtime with a token: a caller whose SigV4 signature was made with
 * the token as the secret access key (any access key id, region and service), as the AWS SDK
 * and the typed client sign; or one that sends `Authorization: Bearer <token>`. Refusals are
 * answered as EventBridge answers them: status 400 with the AWS JSON error type.
 */

/** AWS takes a signature within 15 minutes of its date, either way (`RequestExpired`). */
const MAX_SKEW_MS = 15 * 60_000;

/** `AWS4-HMAC-SHA256 Credential=<key id>/<yyyymmdd>/<region>/<service>/aws4_request, SignedHeaders=a;b, Signature=<hex>` */
const SIGV4_HEADER =
  /^AWS4-HMAC-SHA256 +Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request *, *SignedHeaders=([a-z0-9;_.-]+) *, *Signature=([0-9a-f]{64}) *$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** What the authorizer reads of a request: its method, URL and headers, as they arrived. */
export type ArrivedRequest = Pick<IncomingMessage, 'method' | 'url' | 'headers'>;

const refused = (type: string, message: string): PutEventsRefusal => ({ status: 400, type, message });

const MISSING = refused('MissingAuthenticationTokenException', 'Request is missing Authentication Token');
const NOT_THE_TOKEN = refused(
  'UnrecognizedClientException',
  'The security token included in the request is invalid.',
);
const MISMATCH = refused(
  'InvalidSignatureException',
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
);

const headerText = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(',') : value);

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The request as it was signed: method, path and query as sent, the signed headers only, the body. */
function signedRequest(request: ArrivedRequest, signedHeaders: readonly string[], body: string) {
  const url = new URL(request.url ?? '/', 'http://local');
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(name);
    query[name] = values.length === 1 ? values[0]! : values;
  }
  let path = url.pathname;
  try {
    // The SDK signs the path before it is encoded for the wire; the signer encodes it again.
    path = decodeURIComponent(path);
  } catch {
    // Not decodable: compared as sent, and so refused unless it was signed that way.
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = headerText(request.headers[name]) ?? '';
  return {
    method: request.method ?? 'POST',
    protocol: 'http:',
    hostname: headers.host ?? '',
    path,
    query,
    headers,
    body,
  };
}

/** What a SigV4 `Authorization` header and `X-Amz-Date` say. */
interface SignatureClaim {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly signingDate: Date;
  readonly amzDate: string;
}

/** The claim of a request's SigV4 headers, or why they do not make one (`IncompleteSignatureException`). */
function readClaim(headers: IncomingHttpHeaders): SignatureClaim | PutEventsRefusal {
  const parts = SIGV4_HEADER.exec(headerText(headers.authorization) ?? '');
  if (!parts)
    return refused(
      'IncompleteSignatureException',
      'Authorization header requires Credential, SignedHeaders and Signature parameters (AWS4-HMAC-SHA256).',
    );
  const [, accessKeyId = '', scopeDate = '', region = '', service = '', signedList = '', signature = ''] =
    parts;
  const signedHeaders = signedList.split(';');
  if (!signedHeaders.includes('host'))
    return refused(
      'IncompleteSignatureException',
      "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    );
  const missing = signedHeaders.find((name) => headers[name] === undefined);
  if (missing !== undefined)
    return refused('IncompleteSignatureException', `The signed header '${missing}' is not in the request.`);
  const amzDate = headerText(headers['x-amz-date']) ?? '';
  const date = AMZ_DATE.exec(amzDate);
  if (!date || !signedHeaders.includes('x-amz-date'))
    return refused(
      'IncompleteSignatureException',
      "Authorization header requires existence of a signed 'X-Amz-Date' header.",
    );
  if (amzDate.slice(0, 8) !== scopeDate)
    return refused(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}'`,
    );
  const [, year, month, day, hour, minute, second] = date;
  const signingDate = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
  return { accessKeyId, region, service, signedHeaders, signature, signingDate, amzDate };
}

/**
 * Why a SigV4 signature is refused, or undefined when it was made with `secret` over this
 * request: the request is signed again, as it arrived, and the two signatures compared.
 */
export async function signatureRefusal(
  request: ArrivedRequest,
  body: string,
  secret: string,
  now = Date.now(),
): Promise<PutEventsRefusal | undefined> {
  const claim = readClaim(request.headers);
  if ('type' in claim) return claim;
  const { accessKeyId, region, service, signedHeaders, signingDate } = claim;
  if (Number.isNaN(signingDate.getTime()) || Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS)
    return refused(
      'InvalidSignatureException',
      `Signature expired or not yet current: ${claim.amzDate} is more than 15 minutes from the runtime's time ${new Date(now).toISOString()}.`,
    );
  // A client may send the body's hash itself; the signer would trust it, so it must be the body's.
  const contentHash = headerText(request.headers['x-amz-content-sha256']);
  if (contentHash !== undefined && contentHash !== sha256Hex(body))
    return refused(
      'InvalidSignatureException',
      'The provided x-amz-content-sha256 header does not match what was computed.',
    );
  const signer = new SignatureV4({
    service,
    region,
    sha256: Sha256,
    credentials: { accessKeyId, secretAccessKey: secret },
    applyChecksum: false,
  });
  const again = await signer.sign(signedRequest(request, signedHeaders, body), {
    signingDate,
    signingRegion: region,
    signingService: service,
    signableHeaders: new Set(signedHeaders),
  });
  const expected = Buffer.from(
    /Signature=([0-9a-f]{64})$/.exec(String(again.headers.authorization))?.[1] ?? '',
  );
  const given = Buffer.from(claim.signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? undefined : MISMATCH;
}

/** The authorizer of a runtime's PutEvents: a bearer token, or a SigV4 signature made with the token. */
export function putEventsAuthorizer(
  token: string,
): (request: ArrivedRequest, rawBody: string) => ReturnType<PutEventsAuthorizer> {
  return async function authorizePutEvents(request, body) {
    const authorization = headerText(request.headers.authorization);
    if (authorization === undefined || authorization.trim() === '') return MISSING;
    const bearer = bearerCredentials(authorization);
    if (bearer !== undefined) return isToken(bearer, token) ? undefined : NOT_THE_TOKEN;
    return signatureRefusal(request, body, token);
  };
}
