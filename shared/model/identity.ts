import { z } from 'zod';

/** A configured identity provider (non-secret settings; a public native client, no secret). */
export const IdentityProvider = z.object({
  issuer: z.string().url(),
  clientId: z.string().min(1),
  scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile', 'offline_access']),
  /** RFC 8707 resource indicator (a gateway's API audience). */
  resource: z.string().optional(),
});
export type IdentityProvider = z.infer<typeof IdentityProvider>;

/**
 * A sign-in as the UI and CLI see it: who (from the verified ID token) and its state. Never a token.
 * `sign-in-again`: the refresh failed or the session ended; the user must sign in again.
 */
export const IdentitySession = z.object({
  key: z.string(),
  issuer: z.string(),
  subject: z.string(),
  email: z.string().optional(),
  name: z.string().optional(),
  groups: z.array(z.string()).optional(),
  signedInAt: z.string(),
  expiresAt: z.string().optional(),
  refreshedAt: z.string().optional(),
  canRefresh: z.boolean(),
  status: z.enum(['active', 'sign-in-again']),
  statusMessage: z.string().optional(),
  /** Masked (prefix…last4) access token, for recognising it; never the value. */
  credentialHint: z.string().optional(),
});
export type IdentitySession = z.infer<typeof IdentitySession>;

/** Who is acting in the console: the signed-in admin, or the OS account without an IdP. */
export const ConsoleIdentity = z.object({
  provider: IdentityProvider.nullable(),
  session: IdentitySession.nullable(),
  /** The actor recorded in the admin log for this surface. */
  actor: z.string(),
});
export type ConsoleIdentity = z.infer<typeof ConsoleIdentity>;
