import { z } from 'zod';
import { NoQuery } from './query-schemas.js';
import { defineRoute } from './route.js';

/** Whether the API is behind sign-in and, if so, how a browser signs in: what the dashboard reads first. */
export const SignInInfo = z.discriminatedUnion('required', [
  z.object({ required: z.literal(false) }),
  z.object({
    required: z.literal(true),
    issuer: z
      .url()
      .describe('The OIDC issuer; its discovery document is at /.well-known/openid-configuration'),
    clientId: z.string().describe('The public client to sign in as (authorization code flow with PKCE)'),
    scopes: z.array(z.string()),
    groupsClaim: z.string().describe('The ID token claim that lists the groups'),
    adminGroup: z.string().describe('The group that may acknowledge alerts, recompute and import'),
    logoutEndpoint: z
      .url()
      .nullable()
      .describe('Where to sign out, Cognito-style, when the issuer has no end_session_endpoint'),
  }),
]);
export type SignInInfo = z.infer<typeof SignInInfo>;

export const signInRoute = defineRoute({
  method: 'GET',
  path: '/api/sign-in',
  operationId: 'getSignIn',
  summary: 'Whether this API needs sign-in, and with which issuer and client',
  description:
    'Public: answered without a token. Behind sign-in, every other endpoint needs `Authorization: Bearer <ID token>` from this issuer for this client (401 without), and writes need the admin group (403 without).',
  access: 'public',
  query: () => NoQuery,
  response: SignInInfo,
  async handle({ deps }): Promise<SignInInfo> {
    if (!deps.signIn) return { required: false };
    const { issuer, clientId, scopes, groupsClaim, adminGroup, logoutEndpoint } = deps.signIn.settings;
    return {
      required: true,
      issuer,
      clientId,
      scopes: [...scopes],
      groupsClaim,
      adminGroup,
      logoutEndpoint: logoutEndpoint ?? null,
    };
  },
});
