import { childPointer } from './pointer.js';

/**
 * smol-toml gives values but no positions, so this scanner walks the (already validated) TOML text
 * and records where each value sits, keyed by the same RFC 6901 pointer the document tree uses.
 * Strings get the offset and length of their token (quotes included); tables, arrays and other
 * values get the offset of their header or first character.
 */
export interface TomlLocation {
  offset: number;
  length?: number;
}

const BARE_KEY = /[A-Za-z0-9_-]/;

/** `maxDepth` bounds key parts and value nesting (deeper documents throw: no positions). */
export function locateToml(text: string, maxDepth = 64): Map<string, TomlLocation> {
  const out = new Map<string, TomlLocation>();
  const aotCounters = new Map<string, number>();
  let i = 0;
  let table: string[] = [];

  const ptr = (segs: string[]) => segs.reduce((p, s) => childPointer(p, s), '');

  const skipInline = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const skipAll = () => {
    for (;;) {
      while (i < text.length && /[ \t\r\n]/.test(text[i] ?? '')) i++;
      if (text[i] === '#') {
        while (i < text.length && text[i] !== '\n') i++;
        continue;
      }
      return;
    }
  };
  const skipLine = () => {
    while (i < text.length && text[i] !== '\n') i++;
  };

  const readString = (): { value: string; start: number; end: number } => {
    const start = i;
    if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      const q = text.slice(i, i + 3);
      i += 3;
      for (;;) {
        const j = text.indexOf(q, i);
        if (j < 0) throw new Error('unterminated string');
        if (q === '"""') {
          let bs = 0;
          for (let k = j - 1; k >= i && text[k] === '\\'; k--) bs++;
          if (bs % 2 === 1) {
            i = j + 1;
            continue;
          }
        }
        i = j + 3;
        // Up to two extra quotes belong to the content (`""""` / `"""""`).
        while (text[i] === q[0] && i - j < 5) i++;
        return { value: '', start, end: i };
      }
    }
    const q = text[i];
    i++;
    let value = '';
    while (i < text.length && text[i] !== q) {
      if (q === '"' && text[i] === '\\') {
        const c = text[i + 1];
        const map: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          b: '\b',
          f: '\f',
          '"': '"',
          '\\': '\\',
          e: '\x1b',
        };
        if (c === 'u' || c === 'U') {
          const n = c === 'u' ? 4 : 8;
          value += String.fromCodePoint(parseInt(text.slice(i + 2, i + 2 + n), 16));
          i += 2 + n;
          continue;
        }
        if (c === 'x') {
          value += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        value += map[c ?? ''] ?? c ?? '';
        i += 2;
        continue;
      }
      value += text[i];
      i++;
    }
    i++;
    return { value, start, end: i };
  };

  const readKey = (): string[] => {
    const segs: string[] = [];
    for (;;) {
      skipInline();
      const c = text[i];
      if (c === '"' || c === "'") segs.push(readString().value);
      else {
        const s = i;
        while (i < text.length && BARE_KEY.test(text[i] ?? '')) i++;
        if (i === s) throw new Error(`bad key at ${i}`);
        segs.push(text.slice(s, i));
      }
      skipInline();
      if (segs.length > maxDepth) throw new Error(`key deeper than ${maxDepth} parts`);
      if (text[i] === '.') {
        i++;
        continue;
      }
      return segs;
    }
  };

  const readValue = (path: string[]) => {
    if (path.length > maxDepth) throw new Error(`nested deeper than ${maxDepth} levels`);
    const p = ptr(path);
    const c = text[i];
    if (c === '"' || c === "'") {
      const s = readString();
      out.set(p, { offset: s.start, length: s.end - s.start });
      return;
    }
    if (c === '[') {
      out.set(p, { offset: i });
      i++;
      let idx = 0;
      for (;;) {
        skipAll();
        if (text[i] === ']') {
          i++;
          return;
        }
        readValue([...path, String(idx++)]);
        skipAll();
        if (text[i] === ',') i++;
      }
    }
    if (c === '{') {
      out.set(p, { offset: i });
      i++;
      for (;;) {
        skipAll();
        if (text[i] === '}') {
          i++;
          return;
        }
        const key = readKey();
        skipInline();
        if (text[i] !== '=') throw new Error(`= expected at ${i}`);
        i++;
        skipInline();
        markImplicit(path, key);
        readValue([...path, ...key]);
        skipAll();
        if (text[i] === ',') i++;
      }
    }
    const s = i;
    while (i < text.length && !/[,\]}\n#]/.test(text[i] ?? '')) i++;
    let e = i;
    while (e > s && /[ \t\r]/.test(text[e - 1] ?? '')) e--;
    out.set(p, { offset: s, length: e - s });
  };

  // Dotted keys create tables: give them the position of the key where they first appear.
  const markImplicit = (base: string[], key: string[]) => {
    for (let k = 1; k < key.length; k++) {
      const p = ptr([...base, ...key.slice(0, k)]);
      if (!out.has(p)) out.set(p, { offset: i });
    }
  };

  /** Resolve a header's keys to a concrete path (array-of-tables prefixes get their current index). */
  const resolveHeader = (keys: string[], isArray: boolean): string[] => {
    const path: string[] = [];
    keys.forEach((k, n) => {
      path.push(k);
      const key = JSON.stringify(path);
      const last = n === keys.length - 1;
      if (last && isArray) {
        const idx = (aotCounters.get(key) ?? -1) + 1;
        aotCounters.set(key, idx);
        path.push(String(idx));
      } else if (aotCounters.has(key)) {
        path.push(String(aotCounters.get(key)));
      }
    });
    return path;
  };

  while (i < text.length) {
    skipAll();
    if (i >= text.length) break;
    const start = i;
    if (text.startsWith('[[', i)) {
      i += 2;
      const keys = readKey();
      table = resolveHeader(keys, true);
      if (!out.has(ptr(table))) out.set(ptr(table), { offset: start });
      i = text.indexOf(']]', i) + 2;
      skipLine();
      continue;
    }
    if (text[i] === '[') {
      i++;
      const keys = readKey();
      table = resolveHeader(keys, false);
      for (let k = 1; k <= table.length; k++) {
        const p = ptr(table.slice(0, k));
        if (!out.has(p) || k === table.length) out.set(p, { offset: start });
      }
      i = text.indexOf(']', i) + 1;
      skipLine();
      continue;
    }
    const key = readKey();
    skipInline();
    if (text[i] !== '=') throw new Error(`= expected at ${i}`);
    i++;
    skipInline();
    markImplicit(table, key);
    readValue([...table, ...key]);
    skipInline();
    if (text[i] === '#') skipLine();
  }
  return out;
}
