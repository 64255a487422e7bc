import { z } from 'zod';
import { ConsoleIdentity } from '../model/identity.js';
import { method } from './define.js';

export const identityMethods = {
  'identity.whoami': method({
    input: z.object({}).strict(),
    output: ConsoleIdentity,
    mutates: false,
    summary: 'The console identity provider, the signed-in admin (never a token) and the admin-log actor.',
  }),
  'identity.signOut': method({
    input: z.object({}).strict(),
    output: z.object({ signedOut: z.boolean(), revoked: z.boolean() }),
    mutates: true,
    summary: 'Sign the admin out of the console IdP: revoke the tokens where the IdP offers it, then delete them.',
  }),
};

export const identityEvents = {};
