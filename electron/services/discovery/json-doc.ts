import type { DocNode } from './document.js';
import { childPointer } from './pointer.js';

/**
 * A one-pass reader of valid JSON(C) config files straight into the document tree, with lines
 * counted as it goes. jsonc-parser builds its own tree first (parent links, token offsets of every
 * key and colon) that discovery then copied, with a binary search per node for its line: on the
 * 2,000-server home that was ~20% of the CPU after start-up, and most of its garbage (issue #13).
 *
 * It accepts a strict subset of what jsonc-parser accepts (JSON plus comments and trailing commas,
 * ASCII whitespace only) and returns exactly the tree parseJson built from jsonc-parser's; anything
 * else (an error, exotic whitespace, more than `maxDepth` nested objects/arrays) returns undefined, and the caller
 * parses the text with jsonc-parser, which finds the error, its line and its wording as before.
 * document.test.ts compares both on generated documents.
 */
export function readJsonDoc(text: string, maxDepth: number): DocNode | undefined {
  const r = new Reader(text, maxDepth);
  try {
    r.skip();
    if (r.pos >= text.length) return { kind: 'null', value: null, pointer: '', line: 1 };
    const root = r.value('', 0);
    r.skip();
    return r.pos === text.length ? root : undefined;
  } catch (err) {
    if (err === NOT_SIMPLE) return undefined;
    throw err;
  }
}

/** Thrown (never escapes readJsonDoc) where the text leaves the subset read here. */
const NOT_SIMPLE = Symbol('not simple JSON');

class Reader {
  pos = 0;
  /** 1-based line of `pos`. */
  line = 1;
  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  /** Skips ASCII whitespace and comments. */
  skip(): void {
    const t = this.text;
    const n = t.length;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d) this.pos++;
      else if (c === 0x0a) {
        this.pos++;
        this.line++;
      } else if (c === 0x2f /* / */) {
        const d = t.charCodeAt(this.pos + 1);
        if (d === 0x2f) {
          // A line comment ends before its line break (\r or \n, as jsonc-parser reads it).
          let i = this.pos + 2;
          while (i < n && t.charCodeAt(i) !== 0x0a && t.charCodeAt(i) !== 0x0d) i++;
          this.pos = i;
        } else if (d === 0x2a /* * */) {
          const end = t.indexOf('*/', this.pos + 2);
          if (end < 0) throw NOT_SIMPLE;
          for (let i = t.indexOf('\n', this.pos + 2); i >= 0 && i < end; i = t.indexOf('\n', i + 1)) this.line++;
          this.pos = end + 2;
        } else throw NOT_SIMPLE;
      } else return;
    }
  }

  /** The value at `pos`, inside `depth` objects/arrays. */
  value(pointer: string, depth: number): DocNode {
    const t = this.text;
    const offset = this.pos;
    const line = this.line;
    const c = t.charCodeAt(offset);
    // Nesting over the limit is an error (jsonDepthOver's): left to the slow path to report.
    if ((c === 0x7b || c === 0x5b) && depth >= this.maxDepth) throw NOT_SIMPLE;
    if (c === 0x7b /* { */) {
      this.pos++;
      const entries: Array<[string, DocNode]> = [];
      this.skip();
      while (t.charCodeAt(this.pos) !== 0x7d /* } */) {
        if (t.charCodeAt(this.pos) !== 0x22) throw NOT_SIMPLE;
        const key = this.string();
        this.skip();
        if (t.charCodeAt(this.pos) !== 0x3a /* : */) throw NOT_SIMPLE;
        this.pos++;
        this.skip();
        entries.push([key, this.value(childPointer(pointer, key), depth + 1)]);
        this.skip();
        const sep = t.charCodeAt(this.pos);
        if (sep === 0x2c /* , */) {
          this.pos++;
          this.skip();
        } else if (sep !== 0x7d) throw NOT_SIMPLE;
      }
      this.pos++;
      return { pointer, line, offset, length: this.pos - offset, kind: 'object', entries };
    }
    if (c === 0x5b /* [ */) {
      this.pos++;
      const items: DocNode[] = [];
      this.skip();
      while (t.charCodeAt(this.pos) !== 0x5d /* ] */) {
        items.push(this.value(childPointer(pointer, items.length), depth + 1));
        this.skip();
        const sep = t.charCodeAt(this.pos);
        if (sep === 0x2c) {
          this.pos++;
          this.skip();
        } else if (sep !== 0x5d) throw NOT_SIMPLE;
      }
      this.pos++;
      return { pointer, line, offset, length: this.pos - offset, kind: 'array', items };
    }
    if (c === 0x22 /* " */) {
      const value = this.string();
      return { pointer, line, offset, length: this.pos - offset, kind: 'string', value };
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = offset;
      const m = NUMBER.exec(t);
      if (!m) throw NOT_SIMPLE;
      this.pos = offset + m[0].length;
      return { pointer, line, offset, length: m[0].length, kind: 'number', value: Number(m[0]) };
    }
    for (const [word, kind, value] of LITERALS) {
      if (t.startsWith(word, offset) && !isWordChar(t.charCodeAt(offset + word.length))) {
        this.pos = offset + word.length;
        return { pointer, line, offset, length: word.length, kind, value };
      }
    }
    throw NOT_SIMPLE;
  }

  /** A string token at `pos` (its opening quote), unescaped as JSON does; `pos` moves past it. */
  string(): string {
    const t = this.text;
    const start = this.pos + 1;
    let escaped = false;
    for (let i = start; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        // Escapes (\n, \", \u…) are JSON's, which JSON.parse reads exactly; a bad one is an error there.
        if (!escaped) return t.slice(start, i);
        try {
          return JSON.parse(t.slice(start - 1, i + 1)) as string;
        } catch {
          throw NOT_SIMPLE;
        }
      }
      if (c === 0x5c /* \ */) {
        escaped = true;
        i++;
      } else if (c < 0x20) throw NOT_SIMPLE;
    }
    throw NOT_SIMPLE;
  }
}

/** JSON's number grammar (jsonc-parser's scanner reads the same; anything longer is its error). */
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

const LITERALS: ReadonlyArray<readonly ['true' | 'false' | 'null', 'boolean' | 'null', boolean | null]> = [
  ['true', 'boolean', true],
  ['false', 'boolean', false],
  ['null', 'null', null],
];

/** Characters that would make `true`/`false`/`null` part of a longer (invalid) word. */
function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24;
}
