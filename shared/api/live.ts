import { z } from 'zod';
import {
  CommandLine,
  Consent,
  DefinitionKind,
  LiveScanSummary,
  LiveServerState,
  LiveStatus,
  Pin,
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
