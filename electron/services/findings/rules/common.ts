import type { RuleId, Severity } from '../../../../shared/model/finding.js';
import type { RawServer } from '../../discovery/types.js';
import { secretRemediation } from '../remediation.js';
import { ruleMeta } from '../rule-meta.js';
import type { FindingDraft, SecretOccurrence } from '../types.js';

/** One word of a server's command line with the pointer of the value it came from. */
export interface Word {
  value: string;
  pointer: string;
  /** Index in raw.args, or -1 for the command itself. */
  index: number;
}

/** The executable's base name, lower-cased, without .exe/.cmd/.bat. */
export function exeName(command: string): string {
  const base = command.split(/[\\/]/).pop() ?? command;
  return base.toLowerCase().replace(/\.(exe|cmd|bat|ps1)$/, '');
}

/**
 * A server's command line as words: the command then its args. A command written as a whole
 * command line (spaces, no args) is split on whitespace; its words then all point at the command.
 */
export function commandWords(s: RawServer): Word[] {
  const cmd = s.raw.command;
  if (!cmd) return [];
  const cmdPtr = s.pointers.command ?? s.entry.pointer;
  const args = s.raw.args ?? [];
  const words: Word[] = [];
  if (args.length === 0 && /\s/.test(cmd.trim())) {
    for (const w of cmd.trim().split(/\s+/)) words.push({ value: w, pointer: cmdPtr, index: -1 });
    return words;
  }
  words.push({ value: cmd, pointer: cmdPtr, index: -1 });
  args.forEach((a, i) => words.push({ value: a, pointer: s.pointers.args?.[i] ?? cmdPtr, index: i }));
  return words;
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  const order: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
  return order.indexOf(a) >= order.indexOf(b) ? a : b;
}

/** Base draft for a server-level finding at a pointer. */
export function serverDraft(
  ruleId: RuleId,
  s: RawServer,
  pointer: string,
  line: number | undefined,
  fields: { message: string; severity?: Severity; evidence?: string; remediation?: string; fingerprint?: string },
): FindingDraft {
  const meta = ruleMeta(ruleId);
  return {
    ruleId,
    severity: fields.severity ?? meta.severity,
    title: meta.title,
    message: fields.message,
    client: s.entry.client,
    server: s.entry.name,
    serverId: s.entry.id,
    location: { file: s.entry.source, pointer, ...(line ? { line } : {}) },
    ...(fields.evidence !== undefined ? { evidence: fields.evidence } : {}),
    ...(fields.fingerprint !== undefined ? { fingerprint: fields.fingerprint } : {}),
    ...(fields.remediation !== undefined ? { remediation: fields.remediation } : {}),
  };
}

/** Human words for where a credential sits. */
export function placeOf(o: SecretOccurrence): string {
  switch (o.field) {
    case 'env':
      return `environment variable ${o.fieldKey ?? o.leaf.key}`;
    case 'headers':
      return `header ${o.fieldKey ?? o.leaf.key}`;
    case 'args':
      return o.fieldKey ? `argument ${o.fieldKey}` : 'a command-line argument';
    case 'url':
      return 'the server URL';
    case 'command':
      return 'the command';
    default:
      return `field "${o.leaf.key}"`;
  }
}

/** A secret finding for one occurrence (rule-specific message and severity supplied by the rule). */
export function secretDraft(ruleId: RuleId, o: SecretOccurrence, message: string, severity: Severity): FindingDraft {
  const s = o.server;
  const meta = ruleMeta(ruleId);
  return {
    ruleId,
    severity,
    title: meta.title,
    message,
    client: o.source.source.client,
    server: s?.entry.name ?? '',
    ...(s ? { serverId: s.entry.id } : {}),
    location: { file: o.source.source.path, pointer: o.leaf.pointer, line: o.leaf.line },
    evidence: o.evidence,
    fingerprint: o.fingerprint,
    secretType: o.secretType,
    remediation: secretRemediation({
      client: o.source.source.client,
      field: o.field,
      ...(o.fieldKey !== undefined ? { fieldKey: o.fieldKey } : {}),
      secretType: o.secretType,
      inUrl: o.inUrl,
    }),
  };
}

/** Which secret rule owns an occurrence: exactly one of in-args, in-url, project-file, literal. */
export function primarySecretRule(o: SecretOccurrence): RuleId {
  if (o.field === 'args' || o.field === 'command') return 'secret.in-args';
  if (o.inUrl) return 'secret.in-url';
  if (o.source.source.scope === 'project') return 'secret.project-file';
  return 'secret.literal';
}

export function describeSecret(o: SecretOccurrence): string {
  return `${o.secretType} (${o.evidence})`;
}
