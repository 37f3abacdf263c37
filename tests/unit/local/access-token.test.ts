import { describe, expect, test } from 'vitest';
import {
  AccessTokenError,
  bearerCredentials,
  bearerRefusal,
  checkAccessToken,
  isToken,
} from '../../../local/access-token.js';

const TOKEN = 'b3f1c2d4e5a6978812ab34cd';

describe('access token', () => {
  test('It should need no token on loopback, and refuse another host without one, naming it and the way out', () => {
    expect(() => checkAccessToken('127.0.0.1', undefined, true)).not.toThrow();
    expect(() => checkAccessToken('0.0.0.0', undefined, false)).toThrow(AccessTokenError);
    try {
      checkAccessToken('0.0.0.0', undefined, false);
    } catch (error) {
      expect(error).toMatchObject({ name: 'AccessTokenError', reason: 'token_required' });
      expect((error as Error).message).toContain('0.0.0.0');
      expect((error as Error).message).toContain('--token');
      expect((error as Error).message).toContain('NORTHSTAR_TOKEN');
    }
  });

  test('It should refuse a token shorter than 16 characters on any host, saying why', () => {
    for (const [host, loopback] of [
      ['0.0.0.0', false],
      ['127.0.0.1', true],
    ] as const) {
      expect(() => checkAccessToken(host, 'short-token', loopback)).toThrow(
        /The token has 11 characters; it needs at least 16, since it is all that keeps others on the network/,
      );
      expect(() => checkAccessToken(host, '', loopback)).toThrow(/has 0 characters/);
    }
    expect(() => checkAccessToken('0.0.0.0', 'x'.repeat(16), false)).not.toThrow();
  });

  test('It should refuse a token that cannot travel in a header and a URL', () => {
    for (const token of ['sixteen chars here', 'sixteen-chars-é-here', 'sixteen-chars\nhere'])
      expect(() => checkAccessToken('0.0.0.0', token, false), JSON.stringify(token)).toThrow(
        expect.objectContaining({ reason: 'token_malformed' }),
      );
  });

  test('It should compare tokens whole, whatever their lengths', () => {
    expect(isToken(TOKEN, TOKEN)).toBe(true);
    expect(isToken(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(isToken(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(isToken('', TOKEN)).toBe(false);
  });

  test('It should read the credentials of a Bearer header only', () => {
    expect(bearerCredentials(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerCredentials(`bearer  ${TOKEN}`)).toBe(TOKEN);
    expect(bearerCredentials(`Basic ${TOKEN}`)).toBeUndefined();
    expect(bearerCredentials('Bearer ')).toBeUndefined();
    expect(bearerCredentials(`Bearer ${TOKEN} extra`)).toBeUndefined();
    expect(bearerCredentials(undefined)).toBeUndefined();
  });

  test('It should refuse a read API request without the token or with another, as 401 unauthorized', () => {
    expect(bearerRefusal({}, TOKEN)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(bearerRefusal({}, TOKEN)?.message).toContain('needs its token');
    expect(bearerRefusal({ authorization: `Bearer ${TOKEN}0` }, TOKEN)).toMatchObject({
      status: 401,
      code: 'unauthorized',
      message: "the bearer token is not this runtime's token",
    });
    expect(bearerRefusal({ authorization: `Bearer ${TOKEN}` }, TOKEN)).toBeUndefined();
  });
});
