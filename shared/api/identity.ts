import { z } from 'zod';
import { endpointUrl } from '../model/endpoint-url.js';
import { ConsoleIdentity, IdentityProvider } from '../model/identity.js';
import { method } from './define.js';

/** Steps of an interactive sign-in started from the UI (event `identity.signIn`). */
export const IdentitySignInStage = z.enum(['waiting', 'signed-in', 'failed']);

export const identityMethods = {
  'identity.whoami': method({
    input: z.object({}).strict(),
    output: ConsoleIdentity,
    mutates: false,
    summary: 'The console identity provider, the signed-in admin (never a token) and the admin-log actor.',
  }),
  'identity.configure': method({
    input: z
      .object({
        issuer: endpointUrl('issuer'),
        clientId: z.string().trim().min(1, 'A client id is required.').max(500),
        scopes: z.array(z.string().trim().min(1).max(200)).max(30).optional(),
      })
      .strict(),
    output: IdentityProvider,
    mutates: true,
    summary:
      'Configure the console identity provider (OpenID Connect issuer, native public client id, scopes). Recorded in the admin log.',
  }),
  'identity.signIn': method({
    input: z.object({}).strict(),
    output: z.object({
      /** Open this in a browser tab; the sign-in completes when it redirects to the loopback listener (event identity.signIn). */
      authorizationUrl: z.string(),
      /** The desktop app opened it in the system browser already; otherwise the UI opens a tab. */
      opened: z.boolean(),
    }),
    mutates: true,
    summary:
      'Start the console sign-in (OIDC authorization code + PKCE, state, nonce; loopback redirect on 127.0.0.1, RFC 8252). Tokens go to the secret store only.',
  }),
  'identity.signOut': method({
    input: z.object({}).strict(),
    output: z.object({ signedOut: z.boolean(), revoked: z.boolean() }),
    mutates: true,
    summary: 'Sign the admin out of the console IdP: revoke the tokens where the IdP offers it, then delete them.',
  }),
};

export const identityEvents = {
  'identity.signIn': z.object({
    stage: IdentitySignInStage,
    /** Who signed in (from the verified ID token), once signed in. */
    email: z.string().optional(),
    /** Why it failed (never a token or code). */
    error: z.string().optional(),
  }),
};
