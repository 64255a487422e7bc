import type { DocNode } from './document.js';
import { childPointer } from './pointer.js';

/**
 * A reader of plain block YAML config files (Continue, Goose: nested maps and lists of quoted or
 * plain strings, booleans and integers) straight into the document tree. The `yaml` package builds tokens,
 * a CST and a Document first: on the 2,000-server home its 16 YAML files cost more CPU than its
 * 168 JSON files (issue #13).
 *
 * It accepts a strict subset of YAML and returns exactly the tree parseYaml builds from the
 * `yaml` package's Document; anything else (flow collections, anchors, aliases, tags, block or
 * multi-line scalars, floats, nulls, empty values, tabs, directives, errors, nesting over
 * `maxDepth`) returns undefined, and the caller parses the text with `yaml` as before.
 * yaml-doc.test.ts compares both on generated documents.
 */
export function readYamlDoc(text: string, maxDepth: number): DocNode | undefined {
  // Tabs, carriage returns, other control characters and Unicode line breaks: the yaml package's.
  if (hasAwkwardCharacters(text)) return undefined;
  try {
    const lines = toLines(text);
    if (!lines.length) return undefined;
    const r = new Reader(text, lines, maxDepth);
    const first = lines[0]!;
    const root = r.block(first.indent, first.indent, '', 0);
    return r.next === lines.length ? root : undefined;
  } catch (err) {
    if (err === NOT_SIMPLE) return undefined;
    throw err;
  }
}

function hasAwkwardCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f || c === 0x85 || c === 0x2028 || c === 0x2029 || c === 0xfeff)
      return true;
  }
  return false;
}

/** Thrown (never escapes readYamlDoc) where the text leaves the subset read here. */
const NOT_SIMPLE = Symbol('not simple YAML');

/** A line with content (blank and comment-only lines are dropped). */
interface Line {
  /** Offset of the line's first character in the text. */
  start: number;
  /** Offset just past the line's last character (before its line break). */
  end: number;
  indent: number;
  /** 1-based line number. */
  line: number;
}

function toLines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  let line = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let i = start;
    while (i < end && text.charCodeAt(i) === 0x20) i++;
    const c = text.charCodeAt(i);
    if (i < end && c !== 0x23 /* # */) {
      // Directives and document markers are the yaml package's.
      if (i === start && (c === 0x25 /* % */ || text.startsWith('---', i) || text.startsWith('...', i)))
        throw NOT_SIMPLE;
      out.push({ start, end, indent: i - start, line });
    }
    start = end + 1;
    line++;
  }
  return out;
}

/** What may follow a scalar on its line: spaces, then a comment after a space. */
const SCALAR_END = /[ ]*(?:[ ]#[^\n]*)?(?=\n|$)/y;
/** Plain scalars read here: no indicator first, no `: ` or ` #` inside (a comment may follow). */
const PLAIN = /[A-Za-z0-9_$./][^:#\n]*?(?::[^ #:\n][^:#\n]*?)*(?=[ ]+#|[ ]*(?:\n|$))/y;
/** A plain key: a word, then `:` and a space or the end of the line. */
const PLAIN_KEY = /[A-Za-z0-9_$./][A-Za-z0-9_$./ -]*?(?=:(?: |\n|$))/y;
/** Core-schema plain scalars that are not strings (null, bool, int, float), as the yaml package resolves them. */
const NOT_STRING =
  /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const DECIMAL = /^[-+]?[0-9]+$/;

class Reader {
  /** Index of the next line to read. */
  next = 0;
  constructor(
    readonly text: string,
    readonly lines: readonly Line[],
    readonly maxDepth: number,
  ) {}

  /** A block collection whose first item starts at `col` of line `next`. */
  block(col: number, indent: number, pointer: string, depth: number): DocNode {
    if (depth >= this.maxDepth) throw NOT_SIMPLE;
    const l = this.lines[this.next]!;
    const at = l.start + col;
    if (this.isDash(at, l.end)) return this.seq(indent, at, pointer, depth);
    return this.map(indent, at, pointer, depth);
  }

  isDash(at: number, end: number): boolean {
    return this.text.charCodeAt(at) === 0x2d && (at + 1 === end || this.text.charCodeAt(at + 1) === 0x20);
  }

  /** A block sequence at `indent`; its first `-` is at `at` on line `next`. */
  seq(indent: number, at: number, pointer: string, depth: number): DocNode {
    if (depth >= this.maxDepth) throw NOT_SIMPLE;
    const t = this.text;
    const items: DocNode[] = [];
    const line = this.lines[this.next]!.line;
    let dash = at;
    for (;;) {
      const l = this.lines[this.next]!;
      // `- ` then the item on the same line (a lone `-` or `- - x` is the yaml package's).
      let i = dash + 1;
      while (i < l.end && t.charCodeAt(i) === 0x20) i++;
      if (i >= l.end || i === dash + 1 || this.isDash(i, l.end)) throw NOT_SIMPLE;
      const p = childPointer(pointer, items.length);
      if (this.keyEnd(i, l.end) !== undefined) items.push(this.map(i - l.start, i, p, depth + 1));
      else {
        items.push(this.scalar(i, l.end, p, l.line));
        this.next++;
      }
      const n = this.lines[this.next];
      if (!n || n.indent < indent) break;
      if (n.indent > indent || !this.isDash(n.start + indent, n.end)) throw NOT_SIMPLE;
      dash = n.start + indent;
    }
    return { pointer, line, kind: 'array', items };
  }

  /** A block mapping whose keys sit at column `indent`; its first key starts at `at` on line `next`. */
  map(indent: number, at: number, pointer: string, depth: number): DocNode {
    if (depth >= this.maxDepth) throw NOT_SIMPLE;
    const t = this.text;
    const entries: Array<[string, DocNode]> = [];
    const line = this.lines[this.next]!.line;
    let keyAt = at;
    for (;;) {
      const l = this.lines[this.next]!;
      const k = this.keyEnd(keyAt, l.end);
      if (k === undefined) throw NOT_SIMPLE;
      const [key, colon] = k;
      const p = childPointer(pointer, key);
      let i = colon + 1;
      while (i < l.end && t.charCodeAt(i) === 0x20) i++;
      if (i < l.end && t.charCodeAt(i) !== 0x23) {
        if (i === colon + 1) throw NOT_SIMPLE;
        entries.push([key, this.scalar(i, l.end, p, l.line)]);
        this.next++;
      } else {
        // `key:` then a nested block on the next lines: deeper, or a list at the key's own column.
        if (i < l.end && t.charCodeAt(i - 1) !== 0x20) throw NOT_SIMPLE;
        this.next++;
        const n = this.lines[this.next];
        if (!n) throw NOT_SIMPLE;
        if (n.indent > indent) entries.push([key, this.block(n.indent, n.indent, p, depth + 1)]);
        else if (n.indent === indent && this.isDash(n.start + indent, n.end))
          entries.push([key, this.seq(indent, n.start + indent, p, depth + 1)]);
        else throw NOT_SIMPLE;
      }
      const n = this.lines[this.next];
      if (!n || n.indent < indent) break;
      if (n.indent > indent) throw NOT_SIMPLE;
      // A list item at the column of a compact mapping's keys ends it: the list's next item.
      if (this.isDash(n.start + indent, n.end)) break;
      keyAt = n.start + indent;
    }
    return { pointer, line, kind: 'object', entries };
  }

  /** The key at `at` and the offset of its `:`, or undefined when the line is not `key: …`. */
  keyEnd(at: number, end: number): [string, number] | undefined {
    const t = this.text;
    const c = t.charCodeAt(at);
    if (c === 0x22 || c === 0x27) {
      const q = this.quoted(at, end);
      if (!q) return undefined;
      const [value, after] = q;
      if (t.charCodeAt(after) !== 0x3a || (after + 1 < end && t.charCodeAt(after + 1) !== 0x20)) return undefined;
      return [value, after];
    }
    PLAIN_KEY.lastIndex = at;
    const m = PLAIN_KEY.exec(t);
    if (!m || at + m[0].length > end) return undefined;
    const key = m[0];
    if (key.endsWith(' ') || NOT_STRING.test(key)) throw NOT_SIMPLE;
    return [key, at + key.length];
  }

  /** A quoted scalar at `at`: its value and the offset after its closing quote, or undefined. */
  quoted(at: number, end: number): [string, number] | undefined {
    const t = this.text;
    if (t.charCodeAt(at) === 0x27 /* ' */) {
      let i = at + 1;
      for (;;) {
        const close = t.indexOf("'", i);
        if (close < 0 || close >= end) return undefined;
        if (t.charCodeAt(close + 1) === 0x27) {
          i = close + 2;
          continue;
        }
        return [t.slice(at + 1, close).replaceAll("''", "'"), close + 1];
      }
    }
    let escaped = false;
    for (let i = at + 1; i < end; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        const raw = t.slice(at, i + 1);
        if (!escaped) return [raw.slice(1, -1), i + 1];
        // JSON's escapes mean the same in YAML; YAML's own (\x, \0, \N…) are left to the yaml package.
        try {
          return [JSON.parse(raw) as string, i + 1];
        } catch {
          throw NOT_SIMPLE;
        }
      }
      if (c === 0x5c) {
        escaped = true;
        i++;
      }
    }
    return undefined;
  }

  /** A scalar value from `at` to the end of its line (a comment may follow). */
  scalar(at: number, end: number, pointer: string, line: number): DocNode {
    const t = this.text;
    const c = t.charCodeAt(at);
    let value: string;
    let stop: number;
    if (c === 0x22 || c === 0x27) {
      const q = this.quoted(at, end);
      if (!q) throw NOT_SIMPLE;
      [value, stop] = q;
    } else {
      PLAIN.lastIndex = at;
      const m = PLAIN.exec(t);
      if (!m || !m[0] || at + m[0].length > end) throw NOT_SIMPLE;
      value = m[0];
      stop = at + value.length;
      if (NOT_STRING.test(value)) {
        // Booleans and decimal integers resolved as the yaml package's core schema does; others are its own.
        const bool = BOOL.test(value);
        if (!bool && !DECIMAL.test(value)) throw NOT_SIMPLE;
        SCALAR_END.lastIndex = stop;
        if (!SCALAR_END.exec(t) || SCALAR_END.lastIndex !== end) throw NOT_SIMPLE;
        if (bool)
          return { pointer, line, offset: at, length: stop - at, kind: 'boolean', value: c === 0x74 || c === 0x54 };
        return { pointer, line, offset: at, length: stop - at, kind: 'number', value: parseInt(value, 10) };
      }
    }
    SCALAR_END.lastIndex = stop;
    if (!SCALAR_END.exec(t) || SCALAR_END.lastIndex !== end) throw NOT_SIMPLE;
    return { pointer, line, offset: at, length: stop - at, kind: 'string', value };
  }
}
