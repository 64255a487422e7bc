import { isDeepStrictEqual } from 'node:util';
import {
  applyEdits,
  findNodeAtLocation,
  modify,
  parse as parseJsonc,
  parseTree,
  type FormattingOptions,
  type ParseError,
} from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { parseDocument, type Document } from 'yaml';
import type { DocFormat } from '../discovery/document.js';
import { locateToml } from '../discovery/toml-locate.js';
import { childPointer } from '../discovery/pointer.js';
import { editYamlSurgically, YamlEditError } from './yaml-edit.js';

/**
 * Format-preserving edits of one config document. Every edit names its target by RFC 6901 pointer
 * (the pointers discovery and findings already carry). JSON/JSONC go through jsonc-parser's
 * `modify`/`applyEdits` (comments, order and indentation kept), YAML through surgical span edits
 * of the node (yaml-edit.ts: nothing outside it is re-rendered), TOML through surgical span edits at the positions `locateToml` computes; a string that
 * replaces a string is always a token splice, in every format, so nothing else moves.
 *
 * `applyEdits` then re-parses the result and compares it with the original value with the same
 * edits applied in memory: any difference (a parser quirk, an edit landing in the wrong place) is
 * refused before anything is written.
 */
export type EditOp =
  | { op: 'set'; pointer: string; value: unknown }
  | { op: 'remove'; pointer: string }
  /** Append to the array at `pointer` (created when absent). */
  | { op: 'append'; pointer: string; value: unknown };

export class EditError extends Error {
  override name = 'EditError';
}

export function parseValue(text: string, format: DocFormat): unknown {
  if (format === 'json') {
    if (text.trim() === '') return {};
    const errors: ParseError[] = [];
    const v: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
    if (errors.length) throw new EditError('the file is not valid JSON');
    return v ?? {};
  }
  if (format === 'yaml') {
    const doc = parseDocument(text, { uniqueKeys: false });
    if (doc.errors.length) throw new EditError('the file is not valid YAML');
    return doc.toJS({ maxAliasCount: 10_000 }) ?? {};
  }
  try {
    return parseToml(text);
  } catch {
    throw new EditError('the file is not valid TOML');
  }
}

export function unescapeSegment(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function pointerParts(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new EditError(`not a JSON pointer: ${pointer}`);
  return pointer.slice(1).split('/').map(unescapeSegment);
}

/** Pointer parts as a path, numbers where the value holds an array. */
function typedPath(value: unknown, parts: string[]): Array<string | number> {
  const out: Array<string | number> = [];
  let cur: unknown = value;
  for (const p of parts) {
    if (Array.isArray(cur)) {
      const n = Number(p);
      out.push(n);
      cur = cur[n];
    } else {
      out.push(p);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
    }
  }
  return out;
}

function getAt(value: unknown, path: Array<string | number>): unknown {
  let cur = value;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** The edits applied to a plain value (the expectation the edited text must parse to). */
export function applyOpsToValue(value: unknown, ops: readonly EditOp[]): unknown {
  const root = structuredClone(value) as Record<string, unknown>;
  for (const op of ops) {
    const path = typedPath(root, pointerParts(op.pointer));
    if (path.length === 0) throw new EditError('cannot edit the document root');
    let parent: Record<string | number, unknown> = root;
    for (const p of path.slice(0, -1)) {
      let next = parent[p];
      // An absent or empty (`key:` / null) container is created by a set or append.
      if ((next === undefined || next === null) && op.op !== 'remove') {
        next = {};
        parent[p] = next;
      }
      if (next === null || typeof next !== 'object') throw new EditError(`no container at ${op.pointer}`);
      parent = next as Record<string | number, unknown>;
    }
    const last = path[path.length - 1]!;
    if (op.op === 'set') parent[last] = structuredClone(op.value);
    else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else {
      const arr = parent[last];
      if (arr === undefined || arr === null) parent[last] = [structuredClone(op.value)];
      else if (Array.isArray(arr)) arr.push(structuredClone(op.value));
      else throw new EditError(`${op.pointer} is not a list`);
    }
  }
  return root;
}

/** Applies the edits to the text; throws EditError when they cannot be made safely. */
export function editText(text: string, format: DocFormat, ops: readonly EditOp[]): string {
  const before = parseValue(text, format);
  let out = text;
  for (const op of ops) {
    if (format === 'json') out = editJson(out, op);
    else if (format === 'yaml') out = editYaml(out, op);
    else out = editToml(out, op);
  }
  let after: unknown;
  try {
    after = parseValue(out, format);
  } catch {
    throw new EditError('the edited file would no longer parse; nothing was written');
  }
  if (!isDeepStrictEqual(plain(after), plain(applyOpsToValue(before, ops))))
    throw new EditError('the edited file would not read back as intended; nothing was written');
  return out;
}

/** Plain objects and arrays (parsers differ in prototypes: null-prototype tables, Date subclasses). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return `date:${String(v.getTime())}:${v.toString()}`;
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]));
  return v;
}

// ------------------------------------------------------------------------------------- JSON

function formattingOf(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = /\n([ \t]+)\S/.exec(text);
  if (m?.[1]?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: m?.[1]?.length ?? 2, eol };
}

function splice(text: string, offset: number, length: number, insert: string): string {
  return text.slice(0, offset) + insert + text.slice(offset + length);
}

function editJson(text: string, op: EditOp): string {
  const value = parseValue(text, 'json');
  const path = typedPath(value, pointerParts(op.pointer));
  const inserted = insertJson(text, value, path, op);
  if (inserted !== undefined) return inserted;
  const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const node = tree ? findNodeAtLocation(tree, path) : undefined;
  const formattingOptions = formattingOf(text);
  if (op.op === 'set' && typeof op.value === 'string' && node?.type === 'string')
    return splice(text, node.offset, node.length, JSON.stringify(op.value));
  if (op.op === 'append') {
    if (!node) return applyEdits(text, modify(text, path, [op.value], { formattingOptions }));
    if (node.type !== 'array') throw new EditError(`${op.pointer} is not a list`);
    return applyEdits(text, modify(text, [...path, -1], op.value, { formattingOptions, isArrayInsertion: true }));
  }
  return applyEdits(text, modify(text, path, op.op === 'remove' ? undefined : op.value, { formattingOptions }));
}

/**
 * A new key written as text after the last property of its object. jsonc-parser's `modify` also
 * reformats the whole line it touches (the previous property, e.g. a one-line entry); this keeps
 * every other byte. Undefined when the object is empty or shares its lines (then `modify` decides).
 */
function insertJson(text: string, value: unknown, path: Array<string | number>, op: EditOp): string | undefined {
  if (op.op !== 'set' || getAt(value, path) !== undefined) return undefined;
  // The deepest existing ancestor; what is missing below it is written as one nested value.
  let at = path.length - 1;
  let add: unknown = op.value;
  while (at > 0 && getAt(value, path.slice(0, at)) === undefined) {
    add = { [String(path[at])]: add };
    at--;
  }
  const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const parent = tree && (at === 0 ? tree : findNodeAtLocation(tree, path.slice(0, at)));
  const last = parent?.type === 'object' ? parent.children?.at(-1) : undefined;
  if (!last) return undefined;
  const indent = text.slice(lineStart(text, last.offset), last.offset);
  if (!/^[ \t]*$/.test(indent)) return undefined;
  const f = formattingOf(text);
  const unit = f.insertSpaces ? ' '.repeat(f.tabSize ?? 2) : '\t';
  const prop = `${JSON.stringify(String(path[at]))}: ${JSON.stringify(add, null, unit)
    .split('\n')
    .join(f.eol + indent)}`;
  let end = last.offset + last.length;
  while (text[end] === ' ' || text[end] === '\t') end++;
  const comma = text[end] === ',' ? '' : ',';
  if (comma === '') end++;
  else end = last.offset + last.length;
  // A comment after the last property stays on its line: the new property goes on the next one.
  const rest = text.slice(end, lineEndIncl(text, end));
  if (/^[ \t]*\/\//.test(rest)) {
    const eolAt = end + rest.replace(/\r?\n$/, '').length;
    return `${text.slice(0, end)}${comma}${text.slice(end, eolAt)}${f.eol}${indent}${prop}${text.slice(eolAt)}`;
  }
  return `${text.slice(0, end)}${comma}${f.eol}${indent}${prop}${text.slice(end)}`;
}

// ------------------------------------------------------------------------------------- YAML

function editYaml(text: string, op: EditOp): string {
  const doc: Document = parseDocument(text, { uniqueKeys: false });
  const path = typedPath(doc.toJS() as unknown, pointerParts(op.pointer));
  try {
    return op.op === 'remove'
      ? editYamlSurgically(text, { op: 'remove', path })
      : editYamlSurgically(text, { op: op.op, path, value: op.value });
  } catch (err) {
    if (err instanceof YamlEditError)
      throw new EditError(`cannot edit ${op.pointer} in place (${err.message}): edit it by hand (manual)`);
    throw err;
  }
}

// ------------------------------------------------------------------------------------- TOML

const BARE = /^[A-Za-z0-9_-]+$/;

export function tomlKey(k: string): string {
  return BARE.test(k) ? k : JSON.stringify(k);
}

export function tomlValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (v && typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x)}`)
      .join(', ')} }`;
  throw new EditError('value cannot be written as TOML');
}

/** The keys of a `[a."b c".d]` header (quotes removed). */
function headerKeys(line: string): string[] | undefined {
  const m = /^\s*\[(?!\[)(.*)\]\s*(?:#.*)?$/.exec(line);
  if (!m) return undefined;
  const keys: string[] = [];
  const s = m[1]!;
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i]!;
      const end = s.indexOf(q, i + 1);
      if (end < 0) return undefined;
      const raw = s.slice(i, end + 1);
      keys.push(q === '"' ? (JSON.parse(raw) as string) : raw.slice(1, -1));
      i = end + 1;
    } else {
      const st = i;
      while (i < s.length && /[A-Za-z0-9_-]/.test(s[i]!)) i++;
      keys.push(s.slice(st, i));
    }
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === '.') i++;
    else if (i < s.length) return undefined;
  }
  return keys;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}
function lineEndIncl(text: string, offset: number): number {
  const e = text.indexOf('\n', offset);
  return e < 0 ? text.length : e + 1;
}

/** End offset of the TOML value starting at `offset` (strings, arrays and inline tables balanced). */
function tomlValueEnd(text: string, offset: number): number {
  let depth = 0;
  let i = offset;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      i += q.length;
      while (i < text.length && !text.startsWith(q, i)) i += c === '"' && text[i] === '\\' ? 2 : 1;
      i += q.length;
      if (depth === 0) return i;
      continue;
    }
    if (c === '#' && depth > 0) {
      i = lineEndIncl(text, i);
      continue;
    }
    if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && /[\n,#}]/.test(c)) return i;
    i++;
  }
  return i;
}

/** The header line of the table at `parts`, when it has its own `[a.b]` header. */
function ownHeader(text: string, parts: string[]): { start: number; end: number } | undefined {
  const loc = locateToml(text).get(parts.reduce<string>((p, s) => childPointer(p, s), ''));
  if (!loc) return undefined;
  const start = lineStart(text, loc.offset);
  const end = lineEndIncl(text, loc.offset);
  const keys = headerKeys(text.slice(start, end).replace(/\r?\n$/, ''));
  return keys && isDeepStrictEqual(keys, parts) ? { start, end } : undefined;
}

function editToml(text: string, op: EditOp): string {
  const parts = pointerParts(op.pointer);
  const value = parseValue(text, 'toml');
  const path = typedPath(value, parts);
  const current = getAt(value, path);
  const locs = locateToml(text);
  const loc = locs.get(op.pointer);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';

  if (op.op === 'append') {
    if (current === undefined) return editToml(text, { op: 'set', pointer: op.pointer, value: [op.value] });
    if (!Array.isArray(current) || !loc) throw new EditError(`${op.pointer} is not a list`);
    const end = tomlValueEnd(text, loc.offset) - 1; // the closing ]
    let k = end - 1;
    while (k > loc.offset && /\s/.test(text[k]!)) k--;
    const empty = k === loc.offset;
    const comma = empty || text[k] === ',' ? '' : ', ';
    return splice(text, k + 1, 0, `${comma}${tomlValue(op.value)}`);
  }

  if (op.op === 'set' && current !== undefined && loc?.length !== undefined && typeof op.value !== 'object')
    return splice(text, loc.offset, loc.length, tomlValue(op.value));

  if (op.op === 'remove' || (op.op === 'set' && current !== undefined)) {
    if (current === undefined) return text;
    if (!loc) throw new EditError(`cannot locate ${op.pointer} in the TOML file`);
    const header = ownHeader(text, parts);
    let out: string;
    if (header) {
      // A table with its own header: drop it and the contiguous sub-tables below it.
      let end = header.end;
      for (;;) {
        const next = /^[ \t]*\[/m.exec(text.slice(end));
        if (!next) {
          end = text.length;
          break;
        }
        const at = end + next.index;
        const keys = headerKeys(text.slice(at, lineEndIncl(text, at)).replace(/\r?\n$/, ''));
        const sub = keys && keys.length > parts.length && isDeepStrictEqual(keys.slice(0, parts.length), parts);
        if (!sub) {
          end = at;
          break;
        }
        end = lineEndIncl(text, at);
      }
      out = text.slice(0, header.start) + text.slice(end);
      // The last sub-table of an implicit parent ([mcp_servers.x] alone): keep the parent, now empty.
      const parent = parts.slice(0, -1);
      if (parent.length && getAt(parseValue(out, 'toml'), typedPath(value, parent)) === undefined)
        out = `${text.slice(0, header.start)}[${parent.map(tomlKey).join('.')}]${eol}${text.slice(end)}`;
    } else {
      const vEnd = tomlValueEnd(text, loc.offset);
      // The key starts after the previous line break, `{` or `,` (key/value line or inline table).
      let ks = loc.offset - 1;
      while (ks >= 0 && text[ks] !== '\n' && text[ks] !== '{' && text[ks] !== ',') ks--;
      ks++;
      const lineKey = ks === lineStart(text, loc.offset) && (ks === 0 || text[ks - 1] === '\n');
      if (lineKey && !/[{,]/.test(text.slice(ks, loc.offset))) {
        const rest = text.slice(vEnd, lineEndIncl(text, vEnd));
        if (!/^[ \t]*(#.*)?\r?\n?$/.test(rest)) throw new EditError(`unexpected text after ${op.pointer}`);
        out = text.slice(0, ks) + text.slice(lineEndIncl(text, vEnd));
      } else {
        // Inside an inline table: remove `key = value` and one neighbouring comma.
        let e = vEnd;
        while (text[e] === ' ' || text[e] === '\t') e++;
        if (text[e] === ',') {
          e++;
          while (text[e] === ' ' || text[e] === '\t') e++;
          out = text.slice(0, ks).replace(/[ \t]*$/, ' ') + text.slice(e);
        } else {
          const s = ks - 1;
          if (text[s] === ',') out = text.slice(0, s) + text.slice(vEnd);
          else out = text.slice(0, ks) + text.slice(vEnd).replace(/^[ \t]*/, ' ');
        }
      }
    }
    if (op.op === 'remove') return out;
    return editToml(out, op);
  }

  // A new key.
  const parentParts = parts.slice(0, -1);
  const key = parts[parts.length - 1]!;
  if (op.value && typeof op.value === 'object' && !Array.isArray(op.value)) {
    // A new table: appended as its own section at the end of the file.
    const body = Object.entries(op.value as Record<string, unknown>)
      .map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}${eol}`)
      .join('');
    const sep = text === '' || text.endsWith('\n') ? '' : eol;
    return `${text}${sep}${text.trim() ? eol : ''}[${parts.map(tomlKey).join('.')}]${eol}${body}`;
  }
  if (parentParts.length === 0) {
    // A top-level key must come before the first table header.
    const first = /^[ \t]*\[/m.exec(text);
    const at = first ? first.index : text.length;
    const sep = at > 0 && text[at - 1] !== '\n' ? eol : '';
    return splice(text, at, 0, `${sep}${tomlKey(key)} = ${tomlValue(op.value)}${eol}`);
  }
  const header = ownHeader(text, parentParts);
  if (header) return splice(text, header.end, 0, `${tomlKey(key)} = ${tomlValue(op.value)}${eol}`);
  if (getAt(value, typedPath(value, parentParts)) === undefined) {
    const sep = text === '' || text.endsWith('\n') ? '' : eol;
    return `${text}${sep}${eol}[${parentParts.map(tomlKey).join('.')}]${eol}${tomlKey(key)} = ${tomlValue(op.value)}${eol}`;
  }
  throw new EditError(
    `the TOML table ${parentParts.join('.')} is written inline or with dotted keys; edit it by hand (manual)`,
  );
}
