import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  stringify,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';

/**
 * Surgical YAML edits: each edit replaces, inserts or deletes the text span of one node (found with
 * the `yaml` parser's source ranges), so every byte outside that span stays as it was: comments,
 * anchors, flow style, quoting and odd indentation of the neighbouring lines are never re-rendered
 * (the `yaml` Document API re-prints the whole file). New content is rendered in the style of its
 * surroundings: flow (JSON-like) inside flow collections, block at the sibling's indentation in
 * block ones. The caller (edit.ts) re-parses the result and compares it with the intended value.
 */
export class YamlEditError extends Error {
  override name = 'YamlEditError';
}

type Collection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;
type Op =
  | { op: 'set'; path: Array<string | number>; value: unknown }
  | { op: 'remove'; path: Array<string | number> }
  | { op: 'append'; path: Array<string | number>; value: unknown };

const splice = (text: string, at: number, len: number, insert: string) =>
  text.slice(0, at) + insert + text.slice(at + len);
const lineStart = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1;
const lineEndIncl = (text: string, at: number) => {
  const e = text.indexOf('\n', at);
  return e < 0 ? text.length : e + 1;
};
const column = (text: string, at: number) => at - lineStart(text, at);

function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** The indentation step the file uses (first indented line), 2 when none. */
function stepOf(text: string): number {
  const m = /\n( +)\S/.exec(text);
  return m ? Math.min(m[1]!.length, 8) : 2;
}

function keyText(key: string | number): string {
  return stringify(String(key), { lineWidth: 0 }).trimEnd();
}

/** A value in flow style, on one line (JSON is valid YAML flow). */
function flow(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return entries.length ? `{ ${entries.map(([k, v]) => `${keyText(k)}: ${flow(v)}`).join(', ')} }` : '{}';
}

const isCollectionValue = (v: unknown) => v !== null && typeof v === 'object';

/** A value as block lines at `indent` (each line ends with eol). */
function block(value: unknown, indent: number, step: number, eol: string): string {
  // Plain scalars where YAML allows them (quoted only where needed), like hand-written files.
  const body = stringify(value, { indent: step, lineWidth: 0 });
  return body
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l ? ' '.repeat(indent) + l : l) + eol)
    .join('');
}

/** `key: value` as lines at `indent` (scalars inline, collections as a nested block). */
function pairLines(key: string | number, value: unknown, indent: number, step: number, eol: string): string {
  const pad = ' '.repeat(indent);
  if (
    !isCollectionValue(value) ||
    (Array.isArray(value) ? value.length === 0 : Object.keys(value as object).length === 0)
  )
    return `${pad}${keyText(key)}: ${flow(value)}${eol}`;
  // A list under a key is written at the key's own indentation, like most hand-written YAML.
  const inner = Array.isArray(value) ? indent : indent + step;
  return `${pad}${keyText(key)}:${eol}${block(value, inner, step, eol)}`;
}

interface Located {
  /** The node at the path, when it exists. */
  node?: Node | null;
  /** Its pair, when its container is a map. */
  pair?: Pair<unknown, unknown>;
  /** The container that holds (or should hold) the last existing step. */
  container?: Collection;
  /** How many path parts exist. */
  depth: number;
}

function keyOf(p: Pair<unknown, unknown>): string | undefined {
  const k = p.key;
  if (isScalar(k)) return String(k.value);
  return typeof k === 'string' || typeof k === 'number' ? String(k) : undefined;
}

/** Anchors that some alias refers to: a node under one is shared, editing it would edit every alias. */
function aliasedAnchors(doc: Document): Set<string> {
  const out = new Set<string>();
  visit(doc, {
    Alias(_, a) {
      out.add(a.source);
    },
  });
  return out;
}

function walk(doc: Document, path: Array<string | number>, shared = aliasedAnchors(doc)): Located {
  let node: unknown = doc.contents;
  let out: Located = { node: node as Node | null, depth: 0 };
  for (let i = 0; i <= path.length; i++) {
    const anchor = (node as { anchor?: string } | null)?.anchor;
    if (anchor && shared.has(anchor))
      throw new YamlEditError(`the value is shared through the anchor &${anchor} (aliases elsewhere would change too)`);
    if (i === path.length) break;
    const part = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyOf(p) === String(part));
      if (!pair) return { ...out, container: node };
      out = { node: pair.value as Node | null, pair, container: node, depth: i + 1 };
      node = pair.value;
    } else if (isSeq(node)) {
      const n = Number(part);
      if (!Number.isInteger(n) || n < 0 || n >= node.items.length) return { ...out, container: node };
      out = { node: node.items[n] as Node | null, container: node, depth: i + 1 };
      node = node.items[n];
    } else return out;
  }
  return out;
}

/** A `key:` with nothing after it (a null scalar without source text). */
function isEmptyNull(n: unknown): boolean {
  if (!isScalar(n) || n.value !== null || !n.range) return false;
  return n.range[0] === n.range[1];
}

function rangeOf(n: unknown): [number, number, number] {
  const r = (n as { range?: [number, number, number] } | null)?.range;
  if (!r) throw new YamlEditError('a node without a source position');
  return r;
}

/** The offset just after `node` and its same-line comment (at a line start for block content). */
const endOf = (node: unknown): number => rangeOf(node)[2];

/** Offset of the `-` that introduces a block sequence item. */
function dashOf(text: string, itemStart: number): number {
  let i = itemStart - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  if (text[i] !== '-') throw new YamlEditError('cannot find the list item marker');
  return i;
}

/** Inserts `key: value` into an existing map. */
function insertPair(text: string, map: YAMLMap<unknown, unknown>, key: string | number, value: unknown): string {
  const eol = eolOf(text);
  const [start, valueEnd] = rangeOf(map);
  if (map.flow) {
    const close = text.lastIndexOf('}', valueEnd);
    if (close < start) throw new YamlEditError('cannot find the end of a flow map');
    const entry = `${keyText(key)}: ${flow(value)}`;
    if (map.items.length === 0) return splice(text, start, close + 1 - start, `{ ${entry} }`);
    const lastEnd = rangeOf(map.items[map.items.length - 1]!.value ?? map.items[map.items.length - 1]!.key)[1];
    return splice(text, lastEnd, 0, `, ${entry}`);
  }
  if (map.items.length === 0) throw new YamlEditError('an empty block map');
  const indent = column(text, rangeOf(map.items[0]!.key)[0]);
  const last = map.items[map.items.length - 1]!;
  let at = endOf(last.value ?? last.key);
  let pre = '';
  if (at > 0 && text[at - 1] !== '\n') {
    // The last pair ends the file without a line break.
    at = lineEndIncl(text, at);
    if (text[at - 1] !== '\n') pre = eol;
  }
  return splice(text, at, 0, pre + pairLines(key, value, indent, localStep(text, map, indent), eol));
}

/** The indentation step used inside `map` (a nested block map of one of its entries), else the file's. */
function localStep(text: string, map: YAMLMap<unknown, unknown>, indent: number): number {
  for (const p of map.items) {
    const v = p.value;
    if (isMap(v) && !v.flow && v.items[0]) {
      const d = column(text, rangeOf(v.items[0].key)[0]) - indent;
      if (d > 0) return d;
    }
  }
  return stepOf(text);
}

function setAt(text: string, doc: Document, path: Array<string | number>, value: unknown): string {
  const eol = eolOf(text);
  const loc = walk(doc, path);
  if (loc.depth === path.length) {
    const node = loc.node;
    if (node === null || node === undefined || isEmptyNull(node)) {
      // `key:` with no value: the value goes after the colon, a collection as a block below the key.
      if (!loc.pair) throw new YamlEditError('no value to replace');
      const k = rangeOf(loc.pair.key);
      const colon = text.indexOf(':', k[1]);
      if (!isCollectionValue(value)) return splice(text, colon + 1, 0, ` ${flow(value)}`);
      const at = lineEndIncl(text, colon);
      const keyIndent = column(text, k[0]);
      const inner = Array.isArray(value) ? keyIndent : keyIndent + stepOf(text);
      return splice(text, at, 0, (text[at - 1] === '\n' ? '' : eol) + block(value, inner, stepOf(text), eol));
    }
    const [s, e, end] = rangeOf(node);
    const isBlock = (isMap(node) || isSeq(node)) && !node.flow;
    if (!isBlock) {
      if (isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED'))
        return splice(text, s, end - s, `${flow(value)}${eol}`);
      return splice(text, s, e - s, flow(value));
    }
    // A block collection: replaced by the same kind of block at its indentation.
    const first = (node as Collection).items[0];
    const firstAt = first ? rangeOf(isPair(first) ? first.key : first)[0] : s;
    const indent = column(text, isSeq(node) ? dashOf(text, firstAt) : firstAt);
    const from = lineStart(text, isSeq(node) ? dashOf(text, firstAt) : firstAt);
    if (!isCollectionValue(value)) {
      // A collection replaced by a scalar: the scalar goes on the key line.
      if (!loc.pair) throw new YamlEditError('cannot replace a list item collection by a scalar');
      const colon = text.indexOf(':', rangeOf(loc.pair.key)[1]);
      return splice(text, colon + 1, end - colon - 1, ` ${flow(value)}${eol}`);
    }
    return splice(text, from, end - from, block(value, indent, stepOf(text), eol));
  }
  // Missing: insert the first missing key into the deepest existing map, with the rest nested.
  const container = walk(doc, path.slice(0, loc.depth)).node;
  let nested: unknown = value;
  for (let i = path.length - 1; i > loc.depth; i--) nested = { [String(path[i])]: nested };
  if (container === null || container === undefined || isEmptyNull(container)) {
    if (loc.depth === 0) {
      // An empty document: nothing around it to keep but comments.
      const pre = text === '' || text.endsWith('\n') ? '' : eol;
      return text + pre + block({ [String(path[0])]: nested }, 0, stepOf(text), eol);
    }
    return setAt(text, doc, path.slice(0, loc.depth), { [String(path[loc.depth])]: nested });
  }
  if (!isMap(container)) throw new YamlEditError('the place to add to is not a map');
  return insertPair(text, container, path[loc.depth]!, nested);
}

function removeAt(text: string, doc: Document, path: Array<string | number>): string {
  const loc = walk(doc, path);
  if (loc.depth !== path.length) return text;
  const c = loc.container;
  if (!c) throw new YamlEditError('cannot remove the document root');
  if (isMap(c)) {
    const pair = loc.pair!;
    const idx = c.items.indexOf(pair);
    const k = rangeOf(pair.key);
    const vEnd = pair.value ? rangeOf(pair.value) : k;
    if (c.flow) {
      const next = c.items[idx + 1];
      if (next) return splice(text, k[0], rangeOf(next.key)[0] - k[0], '');
      const prev = c.items[idx - 1];
      const from = prev ? rangeOf(prev.value ?? prev.key)[1] : k[0];
      return splice(text, from, vEnd[1] - from, '');
    }
    const ls = lineStart(text, k[0]);
    if (text.slice(ls, k[0]).trim() !== '') {
      // The first key of a list item (`- key: v`): the next key moves up behind the dash.
      const next = c.items[idx + 1];
      if (!next) throw new YamlEditError('removing the only key of a list item');
      return splice(text, k[0], rangeOf(next.key)[0] - k[0], '');
    }
    const end = vEnd[2] > 0 && text[vEnd[2] - 1] === '\n' ? vEnd[2] : lineEndIncl(text, vEnd[2]);
    return emptied(text, doc, path, c.items.length === 1, '{}', ls, end);
  }
  const seq = c;
  const n = Number(path[path.length - 1]);
  const item = seq.items[n];
  const r = rangeOf(item);
  if (seq.flow) {
    const next = seq.items[n + 1];
    if (next) return splice(text, r[0], rangeOf(next)[0] - r[0], '');
    const prev = seq.items[n - 1];
    const from = prev ? rangeOf(prev)[1] : r[0];
    return splice(text, from, r[1] - from, '');
  }
  const dash = dashOf(text, r[0]);
  const ls = lineStart(text, dash);
  if (text.slice(ls, dash).trim() !== '') throw new YamlEditError('a list item that shares its line');
  const end = text[r[2] - 1] === '\n' ? r[2] : lineEndIncl(text, r[2]);
  return emptied(text, doc, path, seq.items.length === 1, '[]', ls, end);
}

/**
 * Deletes the lines [from, to) of a block entry; when it was the only entry of a collection under a
 * key, that key gets an explicit empty `{}`/`[]` (an empty block would read back as null).
 */
function emptied(
  text: string,
  doc: Document,
  path: Array<string | number>,
  last: boolean,
  empty: string,
  from: number,
  to: number,
): string {
  const out = splice(text, from, to - from, '');
  if (!last) return out;
  const parent = walk(doc, path.slice(0, -1));
  if (!parent.pair) throw new YamlEditError('removing the only entry of a top-level collection');
  const colon = text.indexOf(':', rangeOf(parent.pair.key)[1]);
  if (colon < 0 || colon >= from) throw new YamlEditError('cannot find the key of the emptied collection');
  return splice(out, colon + 1, 0, ` ${empty}`);
}

function appendAt(text: string, doc: Document, path: Array<string | number>, value: unknown): string {
  const loc = walk(doc, path);
  if (loc.depth !== path.length || loc.node === null || loc.node === undefined || isEmptyNull(loc.node))
    return setAt(text, doc, path, [value]);
  const seq = loc.node;
  if (!isSeq(seq)) throw new YamlEditError('not a list');
  const eol = eolOf(text);
  if (seq.flow || seq.items.length === 0) {
    const [s, e] = rangeOf(seq);
    const close = text.lastIndexOf(']', e);
    if (close < s) throw new YamlEditError('cannot find the end of a flow list');
    if (seq.items.length === 0) return splice(text, close, 0, flow(value));
    return splice(text, rangeOf(seq.items[seq.items.length - 1])[1], 0, `, ${flow(value)}`);
  }
  const firstDash = dashOf(text, rangeOf(seq.items[0])[0]);
  const indent = column(text, firstDash);
  // Where the first item's content starts relative to its dash (`- a` → 2, `-   a` → 4).
  const gap = rangeOf(seq.items[0])[0] - firstDash;
  const step = stepOf(text);
  const lines = block(value, indent + gap, step, eol);
  const item = ' '.repeat(indent) + '-' + ' '.repeat(gap - 1) + lines.slice(indent + gap);
  let at = rangeOf(seq.items[seq.items.length - 1])[2];
  let pre = '';
  if (text[at - 1] !== '\n') {
    at = lineEndIncl(text, at);
    if (text[at - 1] !== '\n') pre = eol;
  }
  return splice(text, at, 0, pre + item);
}

/** Applies one edit to YAML text, touching only the span of the node it changes. */
export function editYamlSurgically(text: string, op: Op): string {
  const doc = parseDocument(text, { uniqueKeys: false, keepSourceTokens: false });
  if (doc.errors.length) throw new YamlEditError('the file is not valid YAML');
  if (op.op === 'remove') return removeAt(text, doc, op.path);
  if (op.op === 'append') return appendAt(text, doc, op.path, op.value);
  return setAt(text, doc, op.path, op.value);
}
