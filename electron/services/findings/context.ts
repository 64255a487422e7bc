import type { Platform } from '../../../shared/model/discovery.js';
import type { DiscoveryScan, ParsedSource, RawServer, StringLeaf } from '../discovery/types.js';
import { CRITICAL_SECRET_TYPES, detectInSource, lintTexts, type SecretHit } from '../secrets/detect.js';
import type { Fingerprinter } from '../secrets/fingerprint.js';
import { maskEvidence } from '../secrets/mask.js';
import { secretsInConfig, type ConfigValue, type SecretSpan } from '../secrets/redact.js';
import { collate } from './collate.js';
import type { Advisory, AuthProbeResult, GitFileStatus, ScanContext, SecretField, SecretOccurrence } from './types.js';

/** Where a leaf sits in its server entry. */
interface FieldRef {
  server: RawServer;
  field: SecretField;
  fieldKey?: string;
  /** Index in args, for flag look-behind. */
  argIndex?: number;
  /**
   * Every args index split from this one string (a whole command line in `command`, or `args`
   * written as a string): each piece is checked, not only the last one the pointer was set for.
   */
  pieces?: number[];
}

/**
 * Servers of one file, by pointer: a leaf pointer → field map, and the servers by entry pointer
 * and by command pointer, so a leaf finds its server by walking up its own pointer (O(depth))
 * instead of trying every server of the file (O(servers) per leaf: 16k servers took 76 s).
 */
interface SourceServers {
  fields: Map<string, FieldRef>;
  byEntry: Map<string, RawServer>;
  byCommand: Map<string, RawServer>;
}

function indexServers(scan: DiscoveryScan): Map<string, SourceServers> {
  const out = new Map<string, SourceServers>();
  for (const s of scan.servers) {
    let entry = out.get(s.entry.source);
    if (!entry) out.set(s.entry.source, (entry = { fields: new Map(), byEntry: new Map(), byCommand: new Map() }));
    // Duplicate pointers (a YAML name defined twice): the first server keeps the pointer.
    if (!entry.byEntry.has(s.entry.pointer)) entry.byEntry.set(s.entry.pointer, s);
    if (s.pointers.command && !entry.byCommand.has(s.pointers.command)) entry.byCommand.set(s.pointers.command, s);
    const p = s.pointers;
    if (p.command) entry.fields.set(p.command, { server: s, field: 'command' });
    if (p.url) entry.fields.set(p.url, { server: s, field: 'url' });
    p.args?.forEach((ptr, i) => {
      const prev = entry.fields.get(ptr);
      const pieces = prev?.server === s && prev.field === 'args' ? (prev.pieces ?? [prev.argIndex ?? i]) : [];
      pieces.push(i);
      entry.fields.set(ptr, { server: s, field: 'args', argIndex: i, ...(pieces.length > 1 ? { pieces } : {}) });
    });
    for (const [k, ptr] of Object.entries(p.env)) entry.fields.set(ptr, { server: s, field: 'env', fieldKey: k });
    for (const [k, ptr] of Object.entries(p.headers))
      entry.fields.set(ptr, { server: s, field: 'headers', fieldKey: k });
  }
  return out;
}

/** Work counter for tests: ancestor look-ups made by fieldOf (linear in leaves × depth). */
export const fieldLookups = { count: 0 };

function fieldOf(idx: SourceServers | undefined, leaf: StringLeaf): FieldRef | undefined {
  if (!idx) return undefined;
  const direct = idx.fields.get(leaf.pointer);
  if (direct) return direct;
  // The nearest enclosing server: walk up the leaf's pointer, deepest ancestor first.
  const p = leaf.pointer;
  for (let cut = p.lastIndexOf('/'); cut >= 0; cut = p.lastIndexOf('/', cut - 1)) {
    fieldLookups.count++;
    const prefix = p.slice(0, cut);
    // opencode's command array: elements under the command pointer are the command line.
    const cmd = idx.byCommand.get(prefix);
    if (cmd) return { server: cmd, field: 'args', fieldKey: undefined };
    const s = idx.byEntry.get(prefix);
    if (s) return { server: s, field: 'other', fieldKey: leaf.key };
    if (cut === 0) break;
  }
  return undefined;
}

/** The name a value sits under inside an argument list (`--token X`, `--token=X`, `NAME=X`, `-H "Name: X"`). */
function argKeyAndValue(args: readonly string[], i: number): { key?: string; value: string } {
  const arg = args[i] ?? '';
  const flagEq = /^-{1,2}([A-Za-z0-9][A-Za-z0-9_.-]*)=(.*)$/s.exec(arg);
  if (flagEq) return { key: flagEq[1], value: flagEq[2] ?? '' };
  const assign = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/s.exec(arg);
  if (assign) return { key: assign[1], value: assign[2] ?? '' };
  const prev = i > 0 ? (args[i - 1] ?? '') : '';
  if (/^(?:-H|--header)$/.test(prev) || /^[A-Za-z0-9-]+\s*:\s*\S/.test(arg)) {
    const header = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/s.exec(arg);
    if (header) return { key: header[1], value: header[2] ?? '' };
  }
  const flag = /^-{1,2}([A-Za-z][A-Za-z0-9_.-]*)$/.exec(prev);
  if (flag && !arg.startsWith('-')) return { key: flag[1], value: arg };
  return { value: arg };
}

interface Candidate {
  leaf: StringLeaf;
  ref: FieldRef;
  secretType: string;
  value: string;
  fieldKey?: string;
}

/** The configured value a leaf holds, placed the way the displays mask it. */
function configValue(leaf: StringLeaf, ref: FieldRef, key: string): ConfigValue {
  switch (ref.field) {
    case 'args':
      return ref.argIndex !== undefined
        ? { field: 'args', args: ref.server.raw.args ?? [], index: ref.argIndex }
        : { field: 'args', args: [leaf.value], index: 0 };
    case 'command':
    case 'url':
      return { field: ref.field, value: leaf.value };
    case 'env':
    case 'headers':
      return { field: ref.field, name: key, value: leaf.value };
    default:
      return { field: 'other', name: key, value: leaf.value };
  }
}

/** One ref per args piece a split string produced (else the ref itself). */
function piecesOf(ref: FieldRef): FieldRef[] {
  return ref.pieces ? ref.pieces.map((i) => ({ server: ref.server, field: ref.field, argIndex: i })) : [ref];
}

/** The piece of a split string that holds `value` (a provider hit), for its flag look-behind. */
function pieceHolding(ref: FieldRef, value: string): FieldRef {
  const args = ref.server.raw.args ?? [];
  const i = ref.pieces?.find((p) => (args[p] ?? '').includes(value));
  return i === undefined ? ref : { server: ref.server, field: ref.field, argIndex: i };
}

/**
 * What discovery's masking of this same value hid (RawServer.hidden), when the leaf is the value it
 * masked: an argument by index, or the command or URL as written. Else undefined (mask it here).
 */
function hiddenBy(leaf: StringLeaf, ref: FieldRef): readonly string[] | undefined {
  const { raw, hidden } = ref.server;
  if (!hidden) return undefined;
  switch (ref.field) {
    case 'args':
      return ref.argIndex !== undefined ? hidden.args?.[ref.argIndex] : undefined;
    case 'command':
      return leaf.value === raw.command ? hidden.command : undefined;
    case 'url':
      return leaf.value === raw.url ? hidden.url : undefined;
    default:
      return undefined;
  }
}

/**
 * The masker's decision for the leaves of one file that the provider rules did not cover: every
 * credential a display masks (`secretsInConfig`) is a finding, so masking and detection agree.
 */
/**
 * The masker's decision on named values (env, headers, other members) by field, name and value,
 * for one scan: a home repeats them (the same variables and headers in every client's config), and
 * the decision depends on nothing else. Held only while the scan context is built.
 */
type SpanMemo = Map<string, readonly SecretSpan[]>;

function spansOf(c: ConfigValue, hidden: readonly string[] | undefined, memo: SpanMemo): readonly SecretSpan[] {
  if (hidden !== undefined || !('name' in c)) return secretsInConfig(c, hidden);
  const key = JSON.stringify([c.field, c.name, c.value]);
  let spans = memo.get(key);
  if (!spans) memo.set(key, (spans = secretsInConfig(c)));
  return spans;
}

function genericHits(
  leaves: readonly StringLeaf[],
  idx: SourceServers | undefined,
  covered: readonly Candidate[],
  memo: SpanMemo,
): Candidate[] {
  const out: Candidate[] = [];
  // Candidates per leaf: the overlap check looks at this leaf's hits only (it used to spread every
  // hit of the file for every leaf: quadratic in the credentials of a file).
  const byLeaf = new Map<StringLeaf, Candidate[]>();
  for (const c of covered) {
    const list = byLeaf.get(c.leaf);
    if (list) list.push(c);
    else byLeaf.set(c.leaf, [c]);
  }
  for (const leaf of leaves) {
    const found = fieldOf(idx, leaf);
    if (!found) continue;
    let mine = byLeaf.get(leaf);
    for (const ref of piecesOf(found)) {
      const spans = spansOf(configValue(leaf, ref, ref.fieldKey ?? leaf.key), hiddenBy(leaf, ref), memo);
      // Most values hold no credential: the flag look-behind only for those that do.
      if (spans.length === 0) continue;
      const fieldKey =
        ref.field === 'args' && ref.argIndex !== undefined
          ? argKeyAndValue(ref.server.raw.args ?? [], ref.argIndex).key
          : ref.fieldKey;
      for (const span of spans) {
        if (mine?.some((c) => c.value.includes(span.value) || span.value.includes(c.value))) continue;
        const c: Candidate = { leaf, ref, secretType: span.type, value: span.value, fieldKey };
        out.push(c);
        if (!mine) byLeaf.set(leaf, (mine = []));
        mine.push(c);
      }
    }
  }
  return out;
}

export interface BuildContextOptions {
  fingerprint: Fingerprinter;
  platform: Platform;
  /** Git state of project-scope files holding credentials (paths in, statuses out). */
  gitStatus?: (files: string[]) => Promise<ReadonlyMap<string, GitFileStatus>>;
  probes?: ReadonlyMap<string, AuthProbeResult>;
  advisories?: readonly Advisory[];
}

/** Detection pass: one secretlint run per file, then the masker's decision; builds what rules read. */
export async function buildScanContext(scan: DiscoveryScan, opts: BuildContextOptions): Promise<ScanContext> {
  const servers = indexServers(scan);
  const secrets: SecretOccurrence[] = [];
  const scanned = scan.sources.filter(
    (src) =>
      servers.has(src.source.path) && src.text !== undefined && src.source.status === 'ok' && src.leaves.length > 0,
  );
  // One secretlint pass over all files (same messages as one per file, far cheaper).
  const linted = await lintTexts(scanned.map((src) => ({ path: src.source.path, text: src.text ?? '' })));
  const lintedBy = new Map(scanned.map((src, i) => [src, linted[i]]));
  const spanMemo: SpanMemo = new Map();
  for (const src of scan.sources) {
    const idx = servers.get(src.source.path);
    if (!idx || src.text === undefined || src.source.status !== 'ok') continue;
    const hits: SecretHit[] = await detectInSource(src, (leaf) => fieldOf(idx, leaf) !== undefined, lintedBy.get(src));
    const provider: Candidate[] = [];
    for (const h of hits) {
      const found = fieldOf(idx, h.leaf);
      if (!found) continue;
      const ref = pieceHolding(found, h.value);
      let fieldKey = ref.fieldKey;
      if (ref.field === 'args' && ref.argIndex !== undefined)
        fieldKey = argKeyAndValue(ref.server.raw.args ?? [], ref.argIndex).key;
      provider.push({ leaf: h.leaf, ref, secretType: h.secretType, value: h.value, fieldKey });
    }
    const all = [...provider, ...genericHits(src.leaves, idx, provider, spanMemo)];
    all.sort((a, b) => a.leaf.line - b.leaf.line || collate(a.leaf.pointer, b.leaf.pointer));
    for (const c of all) secrets.push(occurrence(src, c, opts.fingerprint));
  }
  const projectFiles = [
    ...new Set(secrets.filter((s) => s.source.source.scope === 'project').map((s) => s.source.source.path)),
  ];
  const git =
    projectFiles.length && opts.gitStatus ? await opts.gitStatus(projectFiles) : new Map<string, GitFileStatus>();
  return {
    scan,
    platform: opts.platform,
    secrets,
    git,
    ...(opts.probes ? { probes: opts.probes } : {}),
    advisories: opts.advisories ?? [],
  };
}

function isUrl(v: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(v.trim());
}

function occurrence(src: ParsedSource, c: Candidate, fp: Fingerprinter): SecretOccurrence {
  const inUrl = c.ref.field === 'url' || (isUrl(c.leaf.value) && c.leaf.value.trim() !== c.value);
  return {
    source: src,
    leaf: c.leaf,
    server: c.ref.server,
    field: c.ref.field,
    ...(c.fieldKey !== undefined ? { fieldKey: c.fieldKey } : {}),
    inUrl,
    secretType: c.secretType,
    evidence: maskEvidence(c.value, c.secretType),
    fingerprint: fp(c.value),
    critical: CRITICAL_SECRET_TYPES.has(c.secretType),
  };
}
