import { parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { parse as parseToml, TomlError } from 'smol-toml';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node as YamlNode,
} from 'yaml';
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

export function parseDoc(text: string, format: DocFormat): ParseOutcome {
  try {
    if (format === 'json') return parseJson(text);
    if (format === 'yaml') return parseYaml(text);
    return parseTomlDoc(text);
  } catch (err) {
    const tag = format.toUpperCase();
    if (err instanceof DocLimitError) return { ok: false, line: err.line, reason: `${err.message} (${tag})` };
    // A third-party parser that recursed too deep: the same limit, found the hard way.
    if (err instanceof RangeError) return { ok: false, line: 1, reason: `nested too deeply to read (${tag})` };
    throw err;
  }
}

const tooDeep = (line: number) => new DocLimitError(`nested deeper than ${DOC_LIMITS.depth} levels`, line);

/**
 * Deepest `{`/`[` nesting of a JSON(C) text (strings and comments skipped), and where it first
 * went over the limit: checked before jsonc-parser, whose recursive descent overflows the stack
 * at a few thousand levels.
 */
function jsonDepthOver(text: string, limit: number): number | undefined {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22 || d === 0x0a) break;
      }
    } else if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) {
      const e = text.indexOf('\n', i);
      i = e < 0 ? n : e;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 1;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

// ---------------------------------------------------------------- JSON / JSONC

const JSON_REASONS: Record<string, string> = {
  InvalidSymbol: 'invalid symbol',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: 'colon expected',
  CommaExpected: 'comma expected',
  CloseBraceExpected: 'closing brace expected',
  CloseBracketExpected: 'closing bracket expected',
  EndOfFileExpected: 'unexpected content after the end of the document',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character',
};

function parseJson(text: string): ParseOutcome {
  // Valid files (nearly all) in one pass; the rest through jsonc-parser, for its errors.
  const fast = readJsonDoc(text, DOC_LIMITS.depth);
  if (fast) return { ok: true, root: fast };
  return parseJsonSlow(text);
}

/** jsonc-parser's tree converted: the reference readJsonDoc matches, and the wording of errors. */
export function parseJsonSlow(text: string): ParseOutcome {
  const lines = new Lines(text);
  const over = jsonDepthOver(text, DOC_LIMITS.depth);
  if (over !== undefined) throw tooDeep(lines.lineOf(over));
  const errors: ParseError[] = [];
  // Comments and trailing commas are accepted everywhere (Zed, VS Code and opencode write them;
  // the stricter clients' files are still worth inventorying).
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  const first = errors[0];
  if (first) {
    const code = printParseErrorCode(first.error);
    return { ok: false, line: lines.lineOf(first.offset), reason: `${JSON_REASONS[code] ?? code} (JSON)` };
  }
  if (!tree) return { ok: true, root: { kind: 'null', value: null, pointer: '', line: 1 } };
  return { ok: true, root: fromJson(tree, '', lines, 0) };
}

function fromJson(node: JsonNode, pointer: string, lines: Lines, depth: number): DocNode {
  // Each node built in one object literal (no position object spread into it: half the allocations).
  const line = lines.lineOf(node.offset);
  const { offset, length } = node;
  if (depth > DOC_LIMITS.depth) throw tooDeep(line);
  switch (node.type) {
    case 'object': {
      const entries: Array<[string, DocNode]> = [];
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (!k || !v || typeof k.value !== 'string') continue;
        entries.push([k.value, fromJson(v, childPointer(pointer, k.value), lines, depth + 1)]);
      }
      return { pointer, line, offset, length, kind: 'object', entries };
    }
    case 'array': {
      const items: DocNode[] = [];
      const children = node.children ?? [];
      for (let i = 0; i < children.length; i++)
        items.push(fromJson(children[i]!, childPointer(pointer, i), lines, depth + 1));
      return { pointer, line, offset, length, kind: 'array', items };
    }
    case 'string':
      return { pointer, line, offset, length, kind: 'string', value: String(node.value) };
    case 'number':
      return { pointer, line, offset, length, kind: 'number', value: node.value };
    case 'boolean':
      return { pointer, line, offset, length, kind: 'boolean', value: node.value };
    default:
      return { pointer, line, offset, length, kind: 'null', value: null };
  }
}

// ---------------------------------------------------------------- YAML

function parseYaml(text: string): ParseOutcome {
  // Plain block files (nearly all) in one pass; the rest through the yaml package.
  const fast = readYamlDoc(text, DOC_LIMITS.depth);
  if (fast) return { ok: true, root: fast };
  return parseYamlSlow(text);
}

/** The yaml package's Document converted: the reference readYamlDoc matches, and its errors. */
export function parseYamlSlow(text: string): ParseOutcome {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  const lines = new Lines(text);
  const err = doc.errors[0];
  if (err)
    return {
      ok: false,
      line: lines.lineOf(err.pos[0]),
      reason: `${err.message.split('\n')[0] ?? 'invalid YAML'} (YAML)`,
    };
  if (!doc.contents) return { ok: true, root: { kind: 'null', value: null, pointer: '', line: 1 } };
  const walk: YamlWalk = { lines, targets: aliasTargets(doc), aliasNodes: 0 };
  const root = fromYaml(doc.contents as YamlNode, '', walk, 0, 0);
  return { ok: true, root };
}

/**
 * Every alias's target in one pass: the last node anchored with its name before it, in document
 * order (the YAML rule, as `Alias.resolve` does, but that walks the whole document per alias:
 * quadratic, 35 s for 5,000 merge keys).
 */
function aliasTargets(doc: Document): Map<Alias, YamlNode> {
  const latest = new Map<string, YamlNode>();
  const out = new Map<Alias, YamlNode>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = latest.get(node.source);
        if (target) out.set(node, target);
      } else if (node.anchor) latest.set(node.anchor, node);
    },
  });
  return out;
}

interface YamlWalk {
  lines: Lines;
  targets: Map<Alias, YamlNode>;
  /** Nodes produced so far through aliases (bounded by DOC_LIMITS.aliasNodes). */
  aliasNodes: number;
}

/**
 * `depth` is the nesting of the produced tree (an alias does not reset it, so a self-referencing
 * anchor stops at the depth limit); `viaAlias` counts the aliases being expanded above this node:
 * every node produced under one is charged to the alias budget, which bounds a "billion laughs".
 */
function fromYaml(
  node: YamlNode | null | undefined,
  pointer: string,
  w: YamlWalk,
  depth: number,
  viaAlias: number,
): DocNode {
  if (node && isAlias(node)) {
    const target = w.targets.get(node);
    // Values reached through an alias keep the position of the anchored value: that is where
    // the literal is written (and where a secret scanner finds it).
    return fromYaml(target, pointer, w, depth, viaAlias + 1);
  }
  const start = node?.range?.[0];
  const pos: NodePos = { pointer, line: start !== undefined ? w.lines.lineOf(start) : 1 };
  if (depth > DOC_LIMITS.depth) throw tooDeep(pos.line);
  if (viaAlias > 0 && ++w.aliasNodes > DOC_LIMITS.aliasNodes)
    throw new DocLimitError(`aliases expand to more than ${DOC_LIMITS.aliasNodes} values`, pos.line);
  if (!node) return { ...pos, kind: 'null', value: null };
  if (isMap(node)) {
    const entries: Array<[string, DocNode]> = [];
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const keyNode = item.key as YamlNode | null;
      const key = keyNode && isScalar(keyNode) ? String(keyNode.value) : keyString(keyNode);
      entries.push([key, fromYaml(item.value as YamlNode | null, childPointer(pointer, key), w, depth + 1, viaAlias)]);
    }
    return { ...pos, kind: 'object', entries };
  }
  if (isSeq(node)) {
    const items: DocNode[] = [];
    node.items.forEach((c, i) => items.push(fromYaml(c as YamlNode, childPointer(pointer, i), w, depth + 1, viaAlias)));
    return { ...pos, kind: 'array', items };
  }
  if (isScalar(node)) {
    const range = node.range;
    const tok = range ? { offset: range[0], length: range[1] - range[0] } : {};
    const v = node.value;
    if (typeof v === 'string') return { ...pos, ...tok, kind: 'string', value: v };
    if (typeof v === 'number' || typeof v === 'bigint') return { ...pos, ...tok, kind: 'number', value: v };
    if (typeof v === 'boolean') return { ...pos, ...tok, kind: 'boolean', value: v };
    if (v === null || v === undefined) return { ...pos, ...tok, kind: 'null', value: null };
    return { ...pos, ...tok, kind: 'other', value: v };
  }
  return { ...pos, kind: 'other', value: null };
}

/** A complex key (`? [a, b]`) named by its source text, bounded: never stringified whole. */
function keyString(keyNode: YamlNode | null): string {
  if (!keyNode) return '';
  if (isAlias(keyNode)) return `*${keyNode.source}`;
  return `(${isMap(keyNode) ? 'map' : isSeq(keyNode) ? 'list' : 'complex'} key)`;
}

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
