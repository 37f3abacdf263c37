import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, test } from 'vitest';
import {
  type ArrivedRequest,
  putEventsAuthorizer,
  signatureRefusal,
} from '../../../local/put-events-authorizer.js';

const TOKEN = 'b3f1c2d4e5a6978812ab34cd';
const BODY = JSON.stringify({
  Entries: [{ Source: 'app.web', DetailType: 'signed_up', Detail: '{"userId":"u1"}' }],
});

/** A PutEvents request signed as the AWS SDK signs it, as the server receives it (lower-case headers). */
async function signedPutEvents(
  options: { secret?: string; accessKeyId?: string; region?: string; at?: Date; body?: string } = {},
): Promise<ArrivedRequest> {
  const body = options.body ?? BODY;
  const signer = new SignatureV4({
    service: 'events',
    region: options.region ?? 'us-east-1',
    sha256: Sha256,
    credentials: {
      accessKeyId: options.accessKeyId ?? 'northstar',
      secretAccessKey: options.secret ?? TOKEN,
    },
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '10.0.0.5',
      port: 4000,
      path: '/',
      query: {},
      headers: {
        host: '10.0.0.5:4000',
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.PutEvents',
        'content-length': String(Buffer.byteLength(body)),
        'amz-sdk-invocation-id': '7c5b5f1e-0000-4000-8000-000000000000',
        'user-agent': 'aws-sdk-js/3',
      },
      body,
    },
    options.at ? { signingDate: options.at } : {},
  );
  const headers = Object.fromEntries(
    Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return { method: 'POST', url: '/', headers };
}

const authorize = putEventsAuthorizer(TOKEN);

describe('PutEvents authorizer', () => {
  test('It should take a call signed with the token as the secret, whatever the access key id and region', async () => {
    expect(await authorize(await signedPutEvents(), BODY)).toBeUndefined();
    expect(
      await authorize(await signedPutEvents({ accessKeyId: 'AKIDANYTHING', region: 'eu-west-1' }), BODY),
    ).toBeUndefined();
  });

  test('It should refuse a call signed with another secret as EventBridge does: 400 InvalidSignatureException', async () => {
    expect(await authorize(await signedPutEvents({ secret: 'another-secret-of-24-chars' }), BODY)).toEqual({
      status: 400,
      type: 'InvalidSignatureException',
      message: expect.stringContaining('The request signature we calculated does not match'),
    });
  });

  test('It should refuse a signed call whose body or signed headers were changed on the way', async () => {
    const request = await signedPutEvents();
    const otherBody = BODY.replace('u1', 'u2');
    expect((await authorize(request, otherBody))?.type).toBe('InvalidSignatureException');
    const retargeted = { ...request, headers: { ...request.headers, 'x-amz-target': 'AWSEvents.PutRule' } };
    expect((await authorize(retargeted, BODY))?.type).toBe('InvalidSignatureException');
    const elsewhere = { ...request, url: '/other' };
    expect((await authorize(elsewhere, BODY))?.type).toBe('InvalidSignatureException');
    // A hash the client claims for the body is checked against the body, not trusted.
    const claimed = {
      ...request,
      headers: {
        ...request.headers,
        'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
    };
    expect(await authorize(claimed, BODY)).toMatchObject({ type: 'InvalidSignatureException' });
  });

  test('It should refuse a signature more than 15 minutes from the runtime clock, either way', async () => {
    const now = Date.now();
    const old = await signedPutEvents({ at: new Date(now - 16 * 60_000) });
    const future = await signedPutEvents({ at: new Date(now + 16 * 60_000) });
    const recent = await signedPutEvents({ at: new Date(now - 14 * 60_000) });
    expect(await signatureRefusal(old, BODY, TOKEN, now)).toMatchObject({
      status: 400,
      type: 'InvalidSignatureException',
      message: expect.stringContaining('more than 15 minutes'),
    });
    expect((await signatureRefusal(future, BODY, TOKEN, now))?.type).toBe('InvalidSignatureException');
    expect(await signatureRefusal(recent, BODY, TOKEN, now)).toBeUndefined();
  });

  test('It should refuse a call without credentials, or with a malformed signature header', async () => {
    const request = await signedPutEvents();
    const { authorization: _, ...unsigned } = request.headers;
    expect(await authorize({ ...request, headers: unsigned }, BODY)).toEqual({
      status: 400,
      type: 'MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
    const malformed = {
      ...request,
      headers: { ...request.headers, authorization: 'AWS4-HMAC-SHA256 nonsense' },
    };
    expect((await authorize(malformed, BODY))?.type).toBe('IncompleteSignatureException');
    const signature = String(request.headers.authorization);
    const hostUnsigned = {
      ...request,
      headers: { ...request.headers, authorization: signature.replace('host;', '') },
    };
    expect((await authorize(hostUnsigned, BODY))?.type).toBe('IncompleteSignatureException');
  });

  test('It should take the token as a bearer header too, and refuse another one', async () => {
    const request = { method: 'POST', url: '/', headers: { host: '10.0.0.5:4000' } };
    const bearer = (token: string) => ({
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${token}` },
    });
    expect(await authorize(bearer(TOKEN), BODY)).toBeUndefined();
    expect(await authorize(bearer(`${TOKEN}x`), BODY)).toEqual({
      status: 400,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });
});
