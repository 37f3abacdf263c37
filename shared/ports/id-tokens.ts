import { NorthstarError } from '../domain/errors.js';

/** The claims of an ID token whose signature, issuer, audience and lifetime were checked. */
export type IdTokenClaims = Readonly<Record<string, unknown>> & { readonly sub: string };

/** Checks an OIDC ID token (a JWT) against the issuer it must come from. */
export interface IdTokenVerifier {
  /**
   * The token's claims once it is proven genuine and current. A token that is not throws
   * `IdTokenRejectedError`; an issuer that cannot be reached throws anything else, which is a
   * failure of the service, not of the caller.
   */
  verify(token: string): Promise<IdTokenClaims>;
}

export type IdTokenRejection = 'token_expired' | 'token_invalid';

/** The caller's token is not one this API takes: expired, malformed, forged or for someone else. */
export class IdTokenRejectedError extends NorthstarError {
  override readonly name = 'IdTokenRejectedError';

  constructor(
    override readonly reason: IdTokenRejection,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(reason, message, options);
  }
}
