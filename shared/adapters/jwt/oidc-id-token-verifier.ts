import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import { type IdTokenClaims, IdTokenRejectedError, type IdTokenVerifier } from '../../ports/id-tokens.js';

export interface OidcIdTokenVerifierOptions {
  /** The issuer exactly as its tokens' `iss` says, e.g. `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  readonly issuer: string;
  /** The `aud` the token must carry: the dashboard's client id. */
  readonly audience: string;
  /** How far the clocks of the issuer and this API may differ, for `exp`, `nbf` and `iat`. @default 30 */
  readonly clockToleranceSeconds?: number;
  /** The issuer's keys, when they are not to be discovered (tests sign with a local key set). @default discovered */
  readonly keys?: JWTVerifyGetKey;
}

/** The part of the issuer's discovery document the verifier needs. */
const ProviderMetadata = z.object({ issuer: z.string(), jwks_uri: z.url() });

/** Asymmetric algorithms only: a symmetric or unsigned token is never taken. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export class SignInDiscoveryError extends Error {
  override readonly name = 'SignInDiscoveryError';
}

/** The issuer's JWKS, from its discovery document: fetched on first use and kept (jose caches the keys). */
function discoveredKeys(issuer: string): JWTVerifyGetKey {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const discover = async (): Promise<JWTVerifyGetKey> => {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new SignInDiscoveryError(`${url} answered ${response.status}`);
    const metadata = ProviderMetadata.safeParse(await response.json());
    if (!metadata.success)
      throw new SignInDiscoveryError(
        `${url} is not a discovery document: ${z.prettifyError(metadata.error)}`,
      );
    if (metadata.data.issuer !== issuer)
      throw new SignInDiscoveryError(`${url} names the issuer ${metadata.data.issuer}, not ${issuer}`);
    return createRemoteJWKSet(new URL(metadata.data.jwks_uri));
  };
  return async function issuerKey(header, token) {
    // A failed discovery is tried again on the next request, not kept.
    keys ??= discover().catch((error: unknown) => {
      keys = undefined;
      throw error;
    });
    return (await keys)(header, token);
  };
}

/** Why jose refused a token, for the 401; undefined for a failure of the issuer (its keys unreachable). */
function rejectionOf(error: unknown): IdTokenRejectedError | undefined {
  if (error instanceof errors.JWTExpired)
    return new IdTokenRejectedError(
      'token_expired',
      'the ID token has expired: refresh it or sign in again',
      {
        cause: error,
      },
    );
  if (error instanceof errors.JWTClaimValidationFailed)
    return new IdTokenRejectedError(
      'token_invalid',
      `the ID token's "${error.claim}" claim is not valid here (${error.message})`,
      { cause: error },
    );
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new IdTokenRejectedError('token_invalid', 'the ID token is not signed by the issuer', {
      cause: error,
    });
  if (error instanceof errors.JWKSNoMatchingKey)
    return new IdTokenRejectedError(
      'token_invalid',
      "the ID token is signed with none of the issuer's keys",
      {
        cause: error,
      },
    );
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWKSMultipleMatchingKeys
  )
    return new IdTokenRejectedError('token_invalid', `the ID token is malformed: ${error.message}`, {
      cause: error,
    });
  return undefined;
}

/**
 * Verifies ID tokens with jose: the signature against the issuer's JWKS, `iss`, `aud`,
 * `exp` and `nbf` within the clock tolerance, and a subject.
 */
export function oidcIdTokenVerifier(options: OidcIdTokenVerifierOptions): IdTokenVerifier {
  const keys = options.keys ?? discoveredKeys(options.issuer);
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSeconds ?? 30,
    algorithms: ALGORITHMS,
    requiredClaims: ['sub', 'exp'],
  };
  return {
    async verify(token: string): Promise<IdTokenClaims> {
      try {
        const { payload } = await jwtVerify(token, keys, verifyOptions);
        return payload as IdTokenClaims;
      } catch (error) {
        throw rejectionOf(error) ?? error;
      }
    },
  };
}
