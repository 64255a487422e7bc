import { z } from 'zod';
import type { CommandLine, CommandLineChange, Consent } from '../../../shared/model/live.js';

/**
 * What a consent covered, kept with it so that a later "changed since consent" can say what
 * changed. Only what the dialog showed is kept — credentials masked, secret env values absent —
 * plus a keyed hash per argument and per env variable (the parts of the consent key), so a change
 * to a hidden value is named ("API_TOKEN changed, value hidden") without storing the value.
 */
export const ConsentedEnv = z.object({
  key: z.string(),
  source: z.enum(['literal', 'reference']),
  refs: z.array(z.string()),
  /** Shown value (non-secret literals, execution-affecting values; masked ones as shown). */
  value: z.string().optional(),
  valueMasked: z.boolean().optional(),
  /** Keyed hash of the part of the consent key for this variable ('' when unknown). */
  hash: z.string(),
});
export type ConsentedEnv = z.infer<typeof ConsentedEnv>;

export const ConsentedLine = z.object({
  v: z.literal(1),
  command: z.string(),
  args: z.array(z.string()),
  /** Keyed hash per argument; empty for consents stored before hashes were kept. */
  argHashes: z.array(z.string()),
  cwd: z.string().optional(),
  env: z.array(ConsentedEnv),
  url: z.string().optional(),
});
export type ConsentedLine = z.infer<typeof ConsentedLine>;

/** Keyed hashes of the parts of a stdio command line (ResolvedCommandLine.parts). */
export interface LineParts {
  args: string[];
  env: Record<string, string>;
}

/** The record kept with a consent: what the dialog showed, and the keyed hashes of its parts. */
export function consentedLineOf(l: CommandLine, parts?: LineParts): ConsentedLine {
  return {
    v: 1,
    command: l.command,
    args: l.args,
    argHashes: parts?.args ?? [],
    ...(l.cwd ? { cwd: l.cwd } : {}),
    env: (l.env ?? l.envKeys.map((key) => ({ key, source: 'literal' as const, refs: [] }))).map((e) => ({
      key: e.key,
      source: e.source,
      refs: e.refs,
      ...('value' in e && e.value !== undefined ? { value: e.value } : {}),
      ...('valueMasked' in e && e.valueMasked ? { valueMasked: true } : {}),
      hash: parts?.env[e.key] ?? '',
    })),
    ...(l.url ? { url: l.url } : {}),
  };
}

/** A stored consent without a kept line (granted before lines were kept): what its row says. */
export function consentedLineFromRow(c: Consent): ConsentedLine {
  return {
    v: 1,
    command: c.command,
    args: c.args,
    argHashes: [],
    ...(c.cwd ? { cwd: c.cwd } : {}),
    env: c.envKeys.map((key) => ({ key, source: 'literal', refs: [], hash: '' })),
    ...(c.url ? { url: c.url } : {}),
  };
}

const quote = (a: string) => (/\s/.test(a) || a === '' ? JSON.stringify(a) : a);

/** An env variable as the dialog shows it: its value, or where it comes from; undefined when hidden. */
function envShown(e: ConsentedEnv): string | undefined {
  if (e.value !== undefined) return e.value;
  if (e.source === 'reference') return `from ${e.refs.map((r) => `$${r}`).join(', ')}`;
  return undefined;
}

/**
 * What differs between the previously consented line and the current one, part by part. A part
 * whose shown form is the same but whose keyed hash differs changed in a hidden value (a masked
 * argument, a secret env value): reported as `hidden`, never with a value.
 */
export function diffConsentedLines(before: ConsentedLine, after: ConsentedLine): CommandLineChange[] {
  const out: CommandLineChange[] = [];
  if ((before.url ?? '') !== (after.url ?? ''))
    out.push({ field: 'url', change: 'modified', before: before.url ?? '', after: after.url ?? '' });
  if (before.command !== after.command)
    out.push({ field: 'command', change: 'modified', before: before.command, after: after.command });
  const shownArgsDiffer = before.args.length !== after.args.length || before.args.some((a, i) => a !== after.args[i]);
  const hashesKnown = before.argHashes.length > 0 && after.argHashes.length > 0;
  const hiddenArgChange = !shownArgsDiffer && hashesKnown && before.argHashes.some((h, i) => h !== after.argHashes[i]);
  if (shownArgsDiffer || hiddenArgChange)
    out.push({
      field: 'args',
      change: 'modified',
      before: before.args.map(quote).join(' '),
      after: after.args.map(quote).join(' '),
      ...(hiddenArgChange ? { hidden: true } : {}),
    });
  if ((before.cwd ?? '') !== (after.cwd ?? ''))
    out.push({
      field: 'cwd',
      change: before.cwd === undefined ? 'added' : after.cwd === undefined ? 'removed' : 'modified',
      ...(before.cwd !== undefined ? { before: before.cwd } : {}),
      ...(after.cwd !== undefined ? { after: after.cwd } : {}),
    });
  const prev = new Map(before.env.map((e) => [e.key, e]));
  const next = new Map(after.env.map((e) => [e.key, e]));
  const keys = [...new Set([...prev.keys(), ...next.keys()])].sort();
  for (const key of keys) {
    const b = prev.get(key);
    const a = next.get(key);
    const bShown = b && envShown(b);
    const aShown = a && envShown(a);
    if (!b && a) {
      out.push({
        field: 'env',
        key,
        change: 'added',
        ...(aShown !== undefined ? { after: aShown } : { hidden: true }),
      });
    } else if (b && !a) {
      out.push({
        field: 'env',
        key,
        change: 'removed',
        ...(bShown !== undefined ? { before: bShown } : { hidden: true }),
      });
    } else if (b && a) {
      const hashChanged = b.hash !== '' && a.hash !== '' && b.hash !== a.hash;
      const shownChanged = bShown !== aShown && bShown !== undefined && aShown !== undefined;
      const kindChanged = b.source !== a.source;
      if (!hashChanged && !shownChanged && !kindChanged) continue;
      const visible = bShown !== undefined && aShown !== undefined && bShown !== aShown;
      out.push({
        field: 'env',
        key,
        change: 'modified',
        ...(bShown !== undefined ? { before: bShown } : {}),
        ...(aShown !== undefined ? { after: aShown } : {}),
        ...(visible ? {} : { hidden: true }),
      });
    }
  }
  return out;
}

/** One change as a line of text (the CLI's prompt). */
export function changeText(c: CommandLineChange): string {
  const what = c.field === 'env' ? `env ${c.key ?? ''}` : c.field === 'cwd' ? 'working directory' : c.field;
  if (c.change === 'added') return `${what} added${c.after !== undefined ? `: ${c.after}` : ' (value hidden)'}`;
  if (c.change === 'removed') return `${what} removed${c.before !== undefined ? ` (was ${c.before})` : ''}`;
  const from = c.before !== undefined ? c.before : '(hidden)';
  const to = c.after !== undefined ? c.after : '(hidden)';
  return c.hidden && from === to ? `${what}: a hidden value changed` : `${what}: ${from} → ${to}`;
}
