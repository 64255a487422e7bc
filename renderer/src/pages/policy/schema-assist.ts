import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import type { EditorState } from '@codemirror/state';
import type { Tooltip } from '@codemirror/view';

/**
 * Schema completion and hover for the policy editor, from the JSON Schema `policy.schema` serves.
 *
 * Small on purpose: the YAML around the cursor is read by indentation only (block mappings and
 * sequences, which is what `policy.pull` writes), so completion keeps working while the document is
 * half-typed and does not parse. codemirror-json-schema does the same for YAML but pulls in a
 * markdown renderer with a WASM highlighter the app's CSP does not allow.
 */

/** A JSON Schema node, read loosely (only the keywords used here). */
export interface SchemaNode {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  $ref?: string;
  pattern?: string;
}

/** `'[]'` stands for "an item of this sequence". */
export type YamlPath = string[];
export const ITEM = '[]';

interface LineInfo {
  indent: number;
  dash: boolean;
  keyCol: number;
  key: string | null;
  /** Text after `key:` (trimmed), '' when the value is a nested block. */
  value: string;
  blank: boolean;
}

const KEY_RE = /^([A-Za-z_][\w.-]*)\s*:(?:\s|$)/;

export function lineInfo(text: string): LineInfo {
  const indent = text.length - text.trimStart().length;
  const rest = text.slice(indent);
  const blank = rest === '' || rest.startsWith('#');
  let keyCol = indent;
  let dash = false;
  let body = rest;
  if (body === '-' || body.startsWith('- ')) {
    dash = true;
    const after = body.slice(1);
    const pad = after.length - after.trimStart().length;
    keyCol = indent + 1 + pad;
    body = after.trimStart();
  }
  const m = KEY_RE.exec(body);
  const key = m?.[1] ?? null;
  const value = m ? body.slice(m[0].length).trim() : body.trim();
  return { indent, dash, keyCol, key, value, blank };
}

/**
 * The path of the mapping that holds the key at column `col` on line `lineNo` (0-based lines).
 * `dashCol` is set when that line itself starts a sequence item.
 */
export function containerPath(lines: readonly string[], lineNo: number, col: number, dashCol: number | null): YamlPath {
  const out: string[] = [];
  let c = col;
  let d = dashCol;
  for (let i = lineNo - 1; i >= 0 && c > 0; i--) {
    const li = lineInfo(lines[i] ?? '');
    if (li.blank) continue;
    if (d !== null) {
      // Inside a sequence item: find the key that holds the sequence.
      if (li.indent < d || (li.indent === d && !li.dash && li.key !== null && li.value === '')) {
        if (li.key === null) break;
        out.push(ITEM, li.key);
        c = li.keyCol;
        d = li.dash ? li.indent : null;
      }
      continue;
    }
    if (li.dash && li.keyCol === c) {
      // The first key of the item we are in.
      d = li.indent;
      continue;
    }
    if (li.indent < c) {
      if (li.key === null) break;
      out.push(li.key);
      c = li.keyCol;
      d = li.dash ? li.indent : null;
    }
  }
  return out.reverse();
}

/** Resolves `$ref` (local only) and merges `allOf`/`anyOf`/`oneOf` into one node's view. */
export function resolve(root: SchemaNode, node: SchemaNode | undefined, depth = 0): SchemaNode | undefined {
  if (!node || depth > 20) return node;
  if (node.$ref?.startsWith('#/')) {
    let cur: unknown = root;
    for (const part of node.$ref.slice(2).split('/')) {
      cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[part] : undefined;
    }
    return resolve(root, cur as SchemaNode | undefined, depth + 1);
  }
  const parts = [...(node.allOf ?? []), ...(node.anyOf ?? []), ...(node.oneOf ?? [])];
  if (parts.length === 0) return node;
  const merged: SchemaNode = { ...node, allOf: undefined, anyOf: undefined, oneOf: undefined };
  for (const p of parts) {
    const r = resolve(root, p, depth + 1);
    if (!r) continue;
    if (r.properties) merged.properties = { ...r.properties, ...merged.properties };
    if (r.items && !merged.items) merged.items = r.items;
    if (r.enum) merged.enum = [...(merged.enum ?? []), ...r.enum];
    if (r.const !== undefined) merged.enum = [...(merged.enum ?? []), r.const];
    if (r.description && !merged.description) merged.description = r.description;
    if (r.type && !merged.type) merged.type = r.type;
  }
  return merged;
}

export function schemaAt(root: SchemaNode, path: YamlPath): SchemaNode | undefined {
  let node = resolve(root, root);
  for (const seg of path) {
    if (!node) return undefined;
    node = seg === ITEM ? resolve(root, node.items) : resolve(root, node.properties?.[seg]);
  }
  return node;
}

function typeText(n: SchemaNode): string {
  if (n.enum?.length) return n.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (n.const !== undefined) return JSON.stringify(n.const);
  const t = Array.isArray(n.type) ? n.type.join(' | ') : n.type;
  if (t === 'array' && n.items) return `${typeText(n.items)}[]`;
  return t ?? 'value';
}

function valueOptions(n: SchemaNode): string[] {
  const vals = n.enum ?? (n.const !== undefined ? [n.const] : []);
  const out = vals.filter((v) => typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number').map(String);
  const types = Array.isArray(n.type) ? n.type : [n.type];
  if (out.length === 0 && types.includes('boolean')) out.push('true', 'false');
  return out;
}

/** Where the cursor is, in schema terms. */
export type CursorContext =
  | { kind: 'key'; path: YamlPath; from: number; typed: string; siblings: string[] }
  | { kind: 'value'; path: YamlPath; from: number; typed: string };

export function cursorContext(state: EditorState, pos: number): CursorContext | null {
  const line = state.doc.lineAt(pos);
  const before = line.text.slice(0, pos - line.from);
  const lines = state.doc.toString().split('\n');
  const lineNo = line.number - 1;
  const li = lineInfo(before);
  const dashCol = li.dash ? li.indent : null;
  if (li.key !== null) {
    // `key: val|` → a value of `key`.
    const valueStart = before.length - li.value.length;
    if (before.trimEnd().endsWith(':') && !/\s$/.test(before)) return null;
    const path = [...containerPath(lines, lineNo, li.keyCol, dashCol), li.key];
    return { kind: 'value', path, from: line.from + valueStart, typed: li.value };
  }
  const typed = before.slice(li.keyCol);
  if (/[\s:]/.test(typed)) return null;
  if (li.dash) {
    // `- val|`: either a scalar item or the first key of a mapping item.
    const seqPath = containerPath(lines, lineNo, li.indent + 1, li.indent);
    const item = seqPath;
    return { kind: 'key', path: item, from: line.from + li.keyCol, typed, siblings: [] };
  }
  const path = containerPath(lines, lineNo, li.keyCol, null);
  const siblings = siblingKeys(lines, lineNo, li.keyCol);
  return { kind: 'key', path, from: line.from + li.keyCol, typed, siblings };
}

/** Keys already present in the same block (so completion does not offer them twice). */
function siblingKeys(lines: readonly string[], lineNo: number, col: number): string[] {
  const out: string[] = [];
  for (const dir of [-1, 1]) {
    for (let i = lineNo + dir; i >= 0 && i < lines.length; i += dir) {
      const li = lineInfo(lines[i] ?? '');
      if (li.blank) continue;
      if (li.keyCol < col) break;
      if (li.keyCol === col && li.key) out.push(li.key);
      if (dir === -1 && li.dash && li.keyCol === col) break;
      if (dir === 1 && li.dash && li.indent < col) break;
    }
  }
  return out;
}

/** CodeMirror completion source over a schema (pass a getter so the schema can arrive later). */
export function schemaCompletion(getSchema: () => SchemaNode | null) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const root = getSchema();
    if (!root) return null;
    const cur = cursorContext(ctx.state, ctx.pos);
    if (!cur) return null;
    if (!ctx.explicit && cur.typed === '' && cur.kind === 'key') return null;
    if (cur.kind === 'value') {
      const node = schemaAt(root, cur.path);
      if (!node) return null;
      const options: Completion[] = valueOptions(node).map((v) => ({ label: v, type: 'enum' }));
      return options.length ? { from: cur.from, options, validFor: /^[\w.-]*$/ } : null;
    }
    const container = schemaAt(root, cur.path);
    if (!container) return null;
    // A sequence of scalars (`actions:` → `- call_tool`): offer the item values.
    const itemValues = container.properties ? [] : valueOptions(container);
    if (itemValues.length) {
      return { from: cur.from, options: itemValues.map((v) => ({ label: v, type: 'enum' })), validFor: /^[\w.-]*$/ };
    }
    const props = container.properties ?? {};
    const required = new Set(container.required ?? []);
    const options: Completion[] = Object.entries(props)
      .filter(([k]) => !cur.siblings.includes(k))
      .map(([k, raw]) => {
        const n = resolve(root, raw) ?? {};
        const nested = n.type === 'object' || n.type === 'array' || !!n.properties || !!n.items;
        return {
          label: k,
          type: 'property',
          detail: typeText(n) + (required.has(k) ? ' · required' : ''),
          info: n.description,
          apply: nested ? `${k}:` : `${k}: `,
          boost: required.has(k) ? 1 : 0,
        };
      });
    return options.length ? { from: cur.from, options, validFor: /^[\w.-]*$/ } : null;
  };
}

/** Hover text for the key under `pos`: its type, allowed values and description. */
export function schemaHover(getSchema: () => SchemaNode | null) {
  return (view: { state: EditorState }, pos: number): Tooltip | null => {
    const root = getSchema();
    if (!root) return null;
    const { state } = view;
    const line = state.doc.lineAt(pos);
    const li = lineInfo(line.text);
    if (!li.key) return null;
    const start = line.from + li.keyCol;
    const end = start + li.key.length;
    if (pos < start || pos > end) return null;
    const lines = state.doc.toString().split('\n');
    const path = [...containerPath(lines, line.number - 1, li.keyCol, li.dash ? li.indent : null), li.key];
    const node = schemaAt(root, path);
    if (!node) return null;
    return {
      pos: start,
      end,
      above: true,
      create: () => {
        const dom = document.createElement('div');
        dom.className = 'pol-hover';
        const head = document.createElement('div');
        head.className = 'pol-hover-head';
        head.textContent = `${path.filter((p) => p !== ITEM).join('.')}: ${typeText(node)}`;
        dom.appendChild(head);
        if (node.description) {
          const p = document.createElement('div');
          p.textContent = node.description;
          dom.appendChild(p);
        }
        if (node.pattern) {
          const p = document.createElement('div');
          p.className = 'pol-hover-faint';
          p.textContent = `pattern ${node.pattern}`;
          dom.appendChild(p);
        }
        return { dom };
      },
    };
  };
}
