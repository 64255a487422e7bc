import { parse as parseToml, TomlError } from 'smol-toml';
import type { StringLeaf } from './types.js';
import { locateToml, type TomlLocation } from './toml-locate.js';
import { childPointer } from './pointer.js';
import { readJsonDoc } from './json-doc.js';
import { readYamlDoc } from './yaml-doc.js';

export { childPointer, escapePointer } from './pointer.js';

/**
 * One parsed config document in a format-neutral tree (JSON, JSONC, TOML and YAML all map to it),
 * with the RFC 6901 pointer, 1-based line and token offsets of every node. Client extractors walk
 * this tree, so pointers and lines are exact whatever the file format.
 */
export type DocNode =
  | (NodePos & { kind: 'object'; entries: Array<[string, DocNode]> })
  | (NodePos & { kind: 'array'; items: DocNode[] })
  | (NodePos & { kind: 'string'; value: string })
  | (NodePos & { kind: 'number' | 'boolean' | 'null' | 'other'; value: unknown });

export interface NodePos {
  pointer: string;
  line: number;
  /** Offset of the value token (quotes included) when known. */
  offset?: number;
  length?: number;
}

export type DocFormat = 'json' | 'toml' | 'yaml';

export type ParseOutcome = { ok: true; root: DocNode } | { ok: false; line: number; reason: string };

/** Offsets → 1-based lines, by binary search over line starts. */
export class Lines {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/**
 * Bounds on one document, so a small crafted file cannot exhaust the stack, the heap or the clock
 * (issue #12). A file over a limit is a parse error of that source, with the limit as its reason.
 * Real configs nest < 10 levels; every walk below is either iterative or depth-guarded by these.
 */
export const DOC_LIMITS = {
  /** Nesting of objects/arrays (TOML dotted keys and headers count one level per part). */
  depth: 64,
  /** Nodes a YAML document may produce through aliases and merges (alias-bomb guard). */
  aliasNodes: 100_000,
};

/** A document over one of DOC_LIMITS. */
export class DocLimitError extends Error {
  constructor(
    message: string,
    readonly line = 1,
  ) {
    super(message);
  }
}

export async function parseDoc(text: string, format: DocFormat): Promise<ParseOutcome> {
  try {
    // Valid JSON(C) and plain block YAML (nearly every file) in one pass; the rest through
    // jsonc-parser or the yaml package, loaded then (parse-fallback.ts), for their errors.
    if (format === 'json') {
      const root = readJsonDoc(text, DOC_LIMITS.depth);
      return root ? { ok: true, root } : (await fallback()).parseJsonSlow(text);
    }
    if (format === 'yaml') {
      const root = readYamlDoc(text, DOC_LIMITS.depth);
      return root ? { ok: true, root } : (await fallback()).parseYamlSlow(text);
    }
    return parseTomlDoc(text);
  } catch (err) {
    const tag = format.toUpperCase();
    if (err instanceof DocLimitError) return { ok: false, line: err.line, reason: `${err.message} (${tag})` };
    // A third-party parser that recursed too deep: the same limit, found the hard way.
    if (err instanceof RangeError) return { ok: false, line: 1, reason: `nested too deeply to read (${tag})` };
    throw err;
  }
}

const fallback = () => import('./parse-fallback.js');

export const tooDeep = (line: number) => new DocLimitError(`nested deeper than ${DOC_LIMITS.depth} levels`, line);

// ---------------------------------------------------------------- TOML

function parseTomlDoc(text: string): ParseOutcome {
  let value: unknown;
  try {
    value = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) {
      return { ok: false, line: err.line, reason: `${err.message.split('\n')[0] ?? 'invalid TOML'} (TOML)` };
    }
    return { ok: false, line: 1, reason: `${(err as Error).message} (TOML)` };
  }
  const lines = new Lines(text);
  let located: Map<string, TomlLocation>;
  try {
    located = locateToml(text, DOC_LIMITS.depth);
  } catch {
    located = new Map();
  }
  return { ok: true, root: fromToml(value, '', located, lines, 0) };
}

function fromToml(
  value: unknown,
  pointer: string,
  located: Map<string, TomlLocation>,
  lines: Lines,
  depth: number,
): DocNode {
  const loc = located.get(pointer);
  const pos: NodePos = { pointer, line: loc ? lines.lineOf(loc.offset) : 0 };
  if (depth > DOC_LIMITS.depth) throw tooDeep(pos.line || 1);
  if (loc && loc.length !== undefined) {
    pos.offset = loc.offset;
    pos.length = loc.length;
  }
  let node: DocNode;
  if (Array.isArray(value)) {
    node = {
      ...pos,
      kind: 'array',
      items: value.map((v, i) => fromToml(v, childPointer(pointer, i), located, lines, depth + 1)),
    };
  } else if (value instanceof Date || (value !== null && typeof value === 'object' && !isPlainObject(value))) {
    node = { ...pos, kind: 'other', value };
  } else if (value !== null && typeof value === 'object') {
    node = {
      ...pos,
      kind: 'object',
      entries: Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        fromToml(v, childPointer(pointer, k), located, lines, depth + 1),
      ]),
    };
  } else if (typeof value === 'string') node = { ...pos, kind: 'string', value };
  else if (typeof value === 'number' || typeof value === 'bigint') node = { ...pos, kind: 'number', value };
  else if (typeof value === 'boolean') node = { ...pos, kind: 'boolean', value };
  else node = { ...pos, kind: 'null', value: null };
  // Implicit tables (dotted keys) have no token of their own: use their first child's line.
  if (node.line === 0) node.line = firstLine(node) ?? 1;
  return node;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function firstLine(n: DocNode): number | undefined {
  const kids = n.kind === 'object' ? n.entries.map((e) => e[1]) : n.kind === 'array' ? n.items : [];
  let min: number | undefined;
  for (const k of kids) if (k.line > 0 && (min === undefined || k.line < min)) min = k.line;
  return min;
}

// ---------------------------------------------------------------- helpers

/** Every string leaf of a document, in document order (an explicit stack: no recursion). */
export function collectLeaves(root: DocNode): StringLeaf[] {
  const out: StringLeaf[] = [];
  const stack: Array<[DocNode, string]> = [[root, '']];
  while (stack.length) {
    const [n, key] = stack.pop()!;
    if (n.kind === 'object')
      for (let i = n.entries.length - 1; i >= 0; i--) stack.push([n.entries[i]![1], n.entries[i]![0]]);
    else if (n.kind === 'array') for (let i = n.items.length - 1; i >= 0; i--) stack.push([n.items[i]!, String(i)]);
    else if (n.kind === 'string') {
      const leaf: StringLeaf = { pointer: n.pointer, key, value: n.value, line: n.line };
      if (n.offset !== undefined && n.length !== undefined) {
        leaf.offset = n.offset;
        leaf.length = n.length;
      }
      out.push(leaf);
    }
  }
  return out;
}

export function get(n: DocNode | undefined, key: string): DocNode | undefined {
  if (!n || n.kind !== 'object') return undefined;
  // Last one wins, as in JSON.parse.
  for (let i = n.entries.length - 1; i >= 0; i--) {
    const e = n.entries[i];
    if (e && e[0] === key) return e[1];
  }
  return undefined;
}

export function str(n: DocNode | undefined): string | undefined {
  return n?.kind === 'string' ? n.value : undefined;
}

/** Object entries with duplicate keys collapsed (last wins, keeping the order of first sight). */
export function entriesOf(n: DocNode): Array<[string, DocNode]> {
  if (n.kind !== 'object') return [];
  const m = new Map<string, DocNode>();
  for (const [k, v] of n.entries) m.set(k, v);
  return [...m.entries()];
}
