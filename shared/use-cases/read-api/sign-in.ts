import { z } from 'zod';
import { type IdTokenClaims, IdTokenRejectedError, type IdTokenVerifier } from '../../ports/id-tokens.js';
import { ApiError } from './api-error.js';

/**
 * Sign-in for the read API: who may call it, as an OIDC issuer (Cognito in AWS) says. Every
 * call then carries the dashboard's ID token; reads take anyone signed in, writes the admin group.
 */
export const SignInSettings = z.object({
  /** The issuer exactly as its tokens' `iss` says; its discovery document is at `/.well-known/openid-configuration`. */
  issuer: z.url(),
  /** The dashboard's client id: the `aud` of its ID tokens. */
  clientId: z.string().min(1),
  /** Scopes the dashboard asks for; `openid` among them. */
  scopes: z
    .array(z.string().regex(/^\S+$/, 'a scope has no spaces'))
    .default(['openid', 'email', 'profile'])
    .refine((scopes) => scopes.includes('openid'), 'must include openid'),
  /** The ID token claim that lists the user's groups. */
  groupsClaim: z.string().min(1).default('cognito:groups'),
  /** The group whose members may write: acknowledge alerts, start a recompute, finish an import. */
  adminGroup: z.string().min(1).default('admin'),
  /**
   * Where the dashboard signs out when the discovery document has no `end_session_endpoint`,
   * called Cognito's way (`?client_id=&logout_uri=`). @default none: derived for a Cognito domain
   */
  logoutEndpoint: z.url().optional(),
});
export type SignInSettings = z.output<typeof SignInSettings>;

/** What the read API needs for sign-in: the settings and a verifier of the issuer's ID tokens. */
export interface ReadApiSignIn {
  readonly settings: SignInSettings;
  readonly verifier: IdTokenVerifier;
}

/** Who a route is for: anyone, anyone signed in, or the admin group. @default by method: GET signed-in, others admin */
export type RouteAccess = 'public' | 'signed-in' | 'admin';

/** What the access check needs of a request. */
export interface AccessRequest {
  readonly authorization?: string | undefined;
  readonly operator?: boolean | undefined;
}

/** What a refusal says about the request's rights, for `WWW-Authenticate` (RFC 6750). */
function bearerChallenge(error: 'invalid_token' | 'insufficient_scope', description: string): string {
  // A quoted-string: no quotes or backslashes inside.
  return `Bearer realm="northstar", error="${error}", error_description="${description.replace(/["\\]/g, "'")}"`;
}

function unauthorized(message: string): ApiError {
  return new ApiError('unauthorized', message, undefined, {
    headers: { 'www-authenticate': bearerChallenge('invalid_token', message) },
  });
}

/** The groups of a token: an array of names, or one name (some issuers send a single group as a string). */
export function groupsOf(claims: IdTokenClaims, claim: string): string[] {
  const value = claims[claim];
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  return typeof value === 'string' && value !== '' ? [value] : [];
}

/** How a signed-in user is named in messages: email, user name, name, else the subject. */
export function callerName(claims: IdTokenClaims): string {
  for (const claim of ['email', 'cognito:username', 'preferred_username', 'name'])
    if (typeof claims[claim] === 'string' && claims[claim] !== '') return claims[claim] as string;
  return claims.sub;
}

/**
 * Lets a request through when sign-in is off, the route is public, or the adapter vouches for
 * an operator; otherwise throws 401 unless it carries a genuine, current ID token, and 403
 * when an admin route is called by someone outside the admin group. Answers the signed-in
 * caller's name, which writes record in place of what the body says.
 */
export async function checkAccess(
  signIn: ReadApiSignIn | undefined,
  access: RouteAccess,
  action: string,
  request: AccessRequest,
): Promise<string | undefined> {
  if (!signIn || access === 'public' || request.operator) return undefined;
  const token = /^Bearer +(\S+) *$/i.exec(request.authorization ?? '')?.[1];
  if (token === undefined)
    throw unauthorized(
      `this API is behind sign-in: send Authorization: Bearer <ID token> from ${signIn.settings.issuer} (GET /api/sign-in says how)`,
    );
  let claims: IdTokenClaims;
  try {
    claims = await signIn.verifier.verify(token);
  } catch (error) {
    if (error instanceof IdTokenRejectedError) throw unauthorized(error.message);
    throw error;
  }
  if (access !== 'admin') return callerName(claims);
  const { groupsClaim, adminGroup } = signIn.settings;
  const groups = groupsOf(claims, groupsClaim);
  if (groups.includes(adminGroup)) return callerName(claims);
  const message = `Only members of the "${adminGroup}" group may ${action}: you are signed in as ${callerName(claims)}, ${groups.length === 0 ? 'in no group' : `in ${groups.map((group) => `"${group}"`).join(', ')}`}. Ask an administrator to add you to "${adminGroup}".`;
  throw new ApiError('forbidden', message, undefined, {
    headers: { 'www-authenticate': bearerChallenge('insufficient_scope', `needs the ${adminGroup} group`) },
  });
}
