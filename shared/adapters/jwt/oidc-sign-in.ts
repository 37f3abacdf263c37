import type { z } from 'zod';
import { type ReadApiSignIn, SignInSettings } from '../../use-cases/read-api/sign-in.js';
import { oidcIdTokenVerifier } from './oidc-id-token-verifier.js';

/**
 * The read API's sign-in from its settings: validated once (a bad issuer URL fails at start,
 * naming the setting), with a verifier that discovers the issuer's keys on first use.
 */
export function oidcSignIn(settings: z.input<typeof SignInSettings>): ReadApiSignIn {
  const parsed = SignInSettings.parse(settings);
  return {
    settings: parsed,
    verifier: oidcIdTokenVerifier({ issuer: parsed.issuer, audience: parsed.clientId }),
  };
}
