import { z } from 'zod';
import {
  CommandLine,
  Consent,
  DefinitionKind,
  LiveScanSummary,
  LiveServerState,
  LiveStatus,
  Pin,
  SignInStage,
  PinChange,
  ServerSnapshot,
  SnapshotRef,
} from '../model/live.js';
import { method } from './define.js';

const ServerIdInput = z.object({ serverId: z.string().min(1) }).strict();

export const liveMethods = {
  'live.scan': method({
    input: z
      .object({
        /** Only these servers (default: every configured server). */
        serverIds: z.array(z.string()).optional(),
        /** Also list each server under its owning client's name and compare (bait-and-switch check). */
        baitCheck: z.boolean().optional(),
      })
      .strict(),
    output: LiveScanSummary,
    mutates: true,
    summary:
      'Connect to configured servers (stdio ones only with consent), enumerate, pin, store snapshots and live findings.',
  }),
  'live.cancel': method({
    input: z.object({ serverId: z.string().optional() }).strict(),
    output: z.object({ cancelled: z.number().int() }),
    mutates: true,
    // Aborts connections: never waits for an import's turn.
    writesStore: false,
    summary: 'Cancel one running server connection, or all of them.',
  }),
  'live.states': method({
    input: z.object({}).strict(),
    output: z.array(LiveServerState),
    mutates: false,
    summary: 'Live state of every configured server: needs consent, connecting, ok with counts, error, auth mode.',
  }),
  'live.commandLine': method({
    input: ServerIdInput,
    output: CommandLine,
    mutates: false,
    summary:
      'For the consent dialog: exactly what a stdio server would run, or the URL a remote server is reached at; the consent key (bound to the server identity) and whether it is consented.',
  }),
  'live.consents': method({
    input: z.object({}).strict(),
    output: z.array(Consent),
    mutates: false,
    summary: 'Stored consents: stdio command lines, project remote servers, trusted project folders, legacy ones.',
  }),
  'live.grantConsent': method({
    input: z.object({ serverId: z.string().min(1), hash: z.string().length(64) }).strict(),
    output: Consent,
    mutates: true,
    summary:
      'Consent to start a stdio server or contact a project remote server; the hash must match its current consent key (what the admin saw).',
  }),
  'live.grantConsents': method({
    input: z
      .object({
        /** Each server with the consent key the admin was shown (one dialog, several servers). */
        items: z
          .array(z.object({ serverId: z.string().min(1), hash: z.string().length(64) }).strict())
          .min(1)
          .max(500),
      })
      .strict(),
    output: z.object({ consents: z.array(Consent) }),
    mutates: true,
    summary:
      'Consent to several servers at once: every key must still match what was shown, else nothing is granted (conflict naming the servers); one admin-log entry per server.',
  }),
  'live.trustProject': method({
    input: z.object({ serverId: z.string().min(1), projectDir: z.string().min(1) }).strict(),
    output: Consent,
    mutates: true,
    summary:
      'Trust a project folder (from one of its servers): its remote servers may be contacted. Stdio servers still need their own consent. Revocable; recorded in the admin log.',
  }),
  'live.revokeConsent': method({
    input: z.object({ hash: z.string().min(1) }).strict(),
    output: z.object({ revoked: z.boolean() }),
    mutates: true,
    summary: 'Revoke a stored consent.',
  }),
  'live.snapshot': method({
    input: z.object({ serverId: z.string().min(1), snapshotId: z.number().int().optional() }).strict(),
    output: ServerSnapshot.nullable(),
    mutates: false,
    summary: 'A stored snapshot of a server (the latest enumerated one by default).',
  }),
  'live.history': method({
    input: ServerIdInput,
    output: z.array(SnapshotRef),
    mutates: false,
    summary: 'Every stored snapshot of a server, newest first.',
  }),
  'live.diff': method({
    input: z.object({ serverId: z.string().min(1), from: z.number().int(), to: z.number().int() }).strict(),
    output: z.object({ from: ServerSnapshot, to: ServerSnapshot }),
    mutates: false,
    summary: 'Two snapshots of one server, for a side-by-side diff.',
  }),
  'live.pins': method({
    input: ServerIdInput,
    output: z.object({ pins: z.array(Pin), changes: z.array(PinChange) }),
    mutates: false,
    summary: "A server's pinned definitions and its pending (unaccepted) changes.",
  }),
  'live.signIn': method({
    input: z
      .object({
        serverId: z.string().min(1),
        /** A client id registered in advance with the authorization server (default: dynamic registration). */
        clientId: z.string().min(1).max(500).optional(),
      })
      .strict(),
    output: z.object({
      /** Open this in the browser; the sign-in completes when it redirects back (event live.signIn). */
      authorizationUrl: z.string(),
      /** The loopback redirect (127.0.0.1, random port) the authorization server returns to. */
      redirectUri: z.string(),
      /** The desktop app opened it in the system browser already (the page need not open a tab). */
      opened: z.boolean().optional(),
    }),
    mutates: true,
    summary:
      'Start signing in to an OAuth-protected remote MCP server (MCP authorization spec: RFC 9728, RFC 8414, RFC 7591, PKCE, RFC 8707); tokens go to the secret store only, then the server is enumerated and pinned.',
  }),
  'live.signOut': method({
    input: ServerIdInput,
    output: z.object({ signedOut: z.boolean(), revoked: z.boolean() }),
    mutates: true,
    summary: 'Sign out of an OAuth-protected remote server: revoke its tokens where offered (RFC 7009), delete them.',
  }),
  'live.acceptChanges': method({
    input: z
      .object({
        serverId: z.string().min(1),
        reason: z.string().trim().min(1, 'A reason is required.').max(2000),
        items: z.array(z.object({ kind: DefinitionKind, name: z.string() })).optional(),
      })
      .strict(),
    output: z.object({ accepted: z.number().int() }),
    mutates: true,
    summary: 'Accept pending definition changes (re-pin) with a reason; recorded in the admin log.',
  }),
};

export const liveEvents = {
  'live.signIn': z.object({
    serverId: z.string(),
    stage: SignInStage,
    /** Why it failed (no token, no code). */
    error: z.string().optional(),
  }),
  'live.progress': z.object({
    scanId: z.number().int(),
    serverId: z.string(),
    name: z.string(),
    status: LiveStatus,
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    error: z.string().optional(),
  }),
};
