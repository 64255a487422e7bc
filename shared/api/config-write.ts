import { z } from 'zod';
import { RuleId } from '../model/finding.js';
import { ChangePreview, ConfigChange, CopyTarget, CopyTargetInfo, FixOption } from '../model/config-write.js';
import { method } from './define.js';

const Strategy = z.enum(['reference', 'launcher', 'codex-env-vars', 'codex-header-env', 'chmod', 'pin', 'quarantine']);

export const ChangeRequest = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('fix'),
      findingId: z.string().min(1),
      strategy: Strategy.optional(),
      input: z
        .object({ version: z.string().max(200).optional() })
        .strict()
        .optional(),
    })
    .strict(),
  /** Bulk: every open finding of one rule (or the listed ones) fixed in one combined preview. */
  z
    .object({
      kind: z.literal('fix-rule'),
      ruleId: RuleId,
      findingIds: z.array(z.string().min(1)).max(10_000).optional(),
      strategy: Strategy.optional(),
      /** runner.unpinned: one version for every finding of the set (refused when they pin different packages). */
      input: z
        .object({ version: z.string().max(200).optional() })
        .strict()
        .optional(),
    })
    .strict(),
  z.object({ kind: z.literal('quarantine'), serverId: z.string().min(1) }).strict(),
  z
    .object({ kind: z.literal('copy'), serverId: z.string().min(1), to: CopyTarget, move: z.boolean().optional() })
    .strict(),
]);

export const configWriteMethods = {
  'config.fixOptions': method({
    input: z.object({ findingId: z.string().min(1) }).strict(),
    output: z.array(FixOption),
    mutates: false,
    summary: 'What can be done about a finding: automatic fixes, or why it is manual.',
  }),
  'config.preview': method({
    input: ChangeRequest,
    output: ChangePreview,
    mutates: false,
    summary: 'Compute a fix, quarantine or copy and its masked diff; nothing is written.',
  }),
  'config.apply': method({
    input: z.object({ token: z.string().min(1).max(100_000) }).strict(),
    output: z.array(ConfigChange),
    mutates: true,
    summary: 'Apply exactly a previewed change (refused if any file changed since the preview).',
  }),
  'config.copyTargets': method({
    input: z.object({ serverId: z.string().min(1) }).strict(),
    output: z.array(CopyTargetInfo),
    mutates: false,
    summary: 'The clients and scopes a server can be copied or moved to, with why a target is refused.',
  }),
  'config.changes': method({
    input: z.object({}).strict(),
    output: z.array(ConfigChange),
    mutates: false,
    summary: 'Every recorded config write, newest first, with whether it can be undone.',
  }),
  'config.undo': method({
    input: z.object({ id: z.string().min(1).optional(), group: z.string().min(1).optional() }).strict(),
    output: z.array(ConfigChange),
    mutates: true,
    summary:
      'Restore the file of a recorded change (or every file of a change group, all or none) byte for byte, if it has not moved on since.',
  }),
};

export const configWriteEvents = {};
