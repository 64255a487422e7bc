import { z } from 'zod';
import { ClientId, Scope } from './discovery.js';
import { RuleId } from './finding.js';

/** One recorded write to a config file (masked: never a value; the backup stays in the store). */
export const ConfigChange = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  kind: z.enum(['edit', 'chmod']),
  file: z.string(),
  summary: z.string(),
  pointers: z.array(z.string()),
  /** Masked unified diff (empty for a mode change). */
  diff: z.string(),
  beforeSha256: z.string(),
  afterSha256: z.string().optional(),
  /** `pending`: the write was interrupted before it landed (the backup is kept). */
  status: z.enum(['pending', 'applied', 'undone']),
  undoneAt: z.string().optional(),
  /** What the admin must know (how the client receives a moved secret…). */
  notes: z.array(z.string()),
  /** Whether undo is possible now, and why not when it is not. */
  undoable: z.boolean(),
  undoBlocked: z.string().optional(),
  /** Changes applied together by one confirmation (bulk fix, quarantine, move) share a group id. */
  group: z.string().optional(),
});
export type ConfigChange = z.infer<typeof ConfigChange>;

/** What can be done about a finding. */
export const FixOption = z.object({
  findingId: z.string(),
  ruleId: RuleId,
  /** `manual`: no correct automatic fix; `explanation` says why and what to do. */
  kind: z.enum(['fix', 'manual']),
  strategy: z
    .enum(['reference', 'launcher', 'codex-env-vars', 'codex-header-env', 'chmod', 'pin', 'quarantine'])
    .optional(),
  title: z.string(),
  explanation: z.string(),
  /** The fix needs a value from the admin (a version to pin). */
  input: z.object({ name: z.literal('version'), label: z.string(), suggestion: z.string().optional() }).optional(),
});
export type FixOption = z.infer<typeof FixOption>;

/** One file's part of a previewed change. */
export const FilePreview = z.object({
  file: z.string(),
  kind: z.enum(['edit', 'chmod']),
  diff: z.string(),
  beforeSha256: z.string(),
  afterSha256: z.string(),
  summary: z.string(),
});
export type FilePreview = z.infer<typeof FilePreview>;

/** A computed, not yet applied change: shown to the admin, then confirmed with its token. */
export const ChangePreview = z.object({
  /** Binds the confirmation to exactly these bytes (file hashes before and after). */
  token: z.string(),
  title: z.string(),
  files: z.array(FilePreview),
  notes: z.array(z.string()),
  /** Bulk previews: findings left out, each with why (manual fix, same file twice…). */
  skipped: z
    .array(
      z.object({
        findingId: z.string(),
        reason: z.string(),
        /** `manual`: no automatic fix exists; `refused`: a fix exists but cannot be written now (read-only file…). */
        kind: z.enum(['manual', 'refused']).optional(),
      }),
    )
    .default([]),
});
export type ChangePreview = z.infer<typeof ChangePreview>;

export const CopyTarget = z.object({
  client: ClientId,
  scope: Scope.exclude(['managed']).default('user'),
  project: z.string().optional(),
});
export type CopyTarget = z.infer<typeof CopyTarget>;

/** A possible copy/move destination of one server. */
export const CopyTargetInfo = z.object({
  client: ClientId,
  scopes: z.array(Scope.exclude(['managed'])),
  /** Set when this client cannot receive the server (transport unsupported…); the UI shows it disabled. */
  refused: z.string().optional(),
});
export type CopyTargetInfo = z.infer<typeof CopyTargetInfo>;
