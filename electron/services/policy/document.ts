import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import {
  findNodeAtLocation,
  parseTree,
  printParseErrorCode,
  type Node as JsonNode,
  type ParseError,
} from 'jsonc-parser';
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, parseDocument, stringify, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import {
  POLICY_API_VERSION,
  PolicyDocument,
  type PolicyDiagnostic,
  type PolicyFormat,
} from '../../../shared/model/policy.js';

/**
 * Policy text ⇄ PolicyDocument. Parsing never throws: every problem is a diagnostic located in the
 * text (line/column/from/to), because the editor underlines it and the CLI prints it.
 */

/** The same cap as the API's text field; checked first so huge input costs nothing. */
export const MAX_POLICY_BYTES = 2 * 1024 * 1024;
/** A policy document is ~5 levels deep; anything past this is an attack or a mistake. */
export const MAX_POLICY_DEPTH = 64;

export type PolicyPath = readonly (string | number)[];
export interface TextPosition {
  line: number;
  column: number;
  from: number;
  to: number;
}
/** `key: true` points at the property's key instead of its value (unknown field names). */
export type Locate = (path: PolicyPath, opts?: { key?: boolean }) => TextPosition | undefined;

export interface ParsedPolicy {
  document?: PolicyDocument;
  format: PolicyFormat;
  diagnostics: PolicyDiagnostic[];
  locate: Locate;
}

export interface ParseOptions {
  /** Force a format; default: JSON when the text starts with `{`, else YAML. */
  format?: PolicyFormat;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function positionAt(starts: number[], text: string, from: number, to: number): TextPosition {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= from) lo = mid;
    else hi = mid - 1;
  }
  const f = Math.max(0, Math.min(from, text.length));
  return { line: lo + 1, column: f - (starts[lo] ?? 0) + 1, from: f, to: Math.max(f, Math.min(to, text.length)) };
}

/**
 * Nesting depth of flow collections and block indentation, scanned without recursion so a
 * 10,000-level document is refused before a recursive parser sees it.
 */
function scanDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString: string | null = null;
  let lineIndent = 0;
  let atLineStart = true;
  let dashes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\' && inString === '"') i++;
      else if (c === inString) inString = null;
      continue;
    }
    if (c === '\n') {
      atLineStart = true;
      lineIndent = 0;
      dashes = 0;
      continue;
    }
    if (atLineStart) {
      if (c === ' ') {
        lineIndent++;
        continue;
      }
      if (c === '-' && text[i + 1] === ' ') {
        // `- - - x` nests sequences on one line.
        dashes++;
        max = Math.max(max, depth + Math.ceil(lineIndent / 4) + dashes);
        i++;
        continue;
      }
      atLineStart = false;
      // Block nesting, estimated at one level per four columns (a generous bound: the 2 MiB cap
      // already limits one-column indentation to ~2,000 levels, which the parser survives).
      max = Math.max(max, depth + Math.ceil(lineIndent / 4) + dashes);
    }
    // A quote opens a string only where a scalar can start (`don't` in a plain scalar is text).
    if ((c === '"' || c === "'") && /[\s:[{,-]/.test(text[i - 1] ?? ' ')) inString = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      while (i < text.length && text[i] !== '\n') i++;
      i--;
    } else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return max;
}

function diag(
  code: string,
  message: string,
  path: PolicyPath,
  pos?: TextPosition,
  severity: PolicyDiagnostic['severity'] = 'error',
): PolicyDiagnostic {
  return { severity, code, message, path: [...path], ...(pos ?? {}) };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s && s.length > 60 ? `${s.slice(0, 57)}…` : (s ?? String(v));
}

/** zod issues → diagnostics located at the offending key (unknown field) or value (wrong type). */
export function schemaDiagnostics(error: z.ZodError, raw: unknown, locate: Locate): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const p = [...path, key];
        out.push(diag('schema.unknown-field', `unknown field "${key}"${where(path)}`, p, locate(p, { key: true })));
      }
      continue;
    }
    if (path.length === 1 && path[0] === 'apiVersion') {
      const got = valueAt(raw, path);
      out.push(
        diag(
          'schema.api-version',
          `apiVersion must be ${POLICY_API_VERSION}, got ${describe(got)}`,
          path,
          locate(path) ?? locate([]),
        ),
      );
      continue;
    }
    const pos = locate(path) ?? nearest(path, locate);
    out.push(diag('schema', `${path.length ? path.join('.') : 'document'}: ${issue.message}`, path, pos));
  }
  return out;
}

function where(path: PolicyPath): string {
  return path.length ? ` in ${path.join('.')}` : '';
}

function nearest(path: PolicyPath, locate: Locate): TextPosition | undefined {
  for (let n = path.length - 1; n >= 0; n--) {
    const pos = locate(path.slice(0, n));
    if (pos) return pos;
  }
  return undefined;
}

function valueAt(raw: unknown, path: PolicyPath): unknown {
  let cur = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export function parsePolicyText(text: string, opts: ParseOptions = {}): ParsedPolicy {
  const format: PolicyFormat = opts.format ?? (/^\s*\{/.test(text) ? 'json' : 'yaml');
  const none: Locate = () => undefined;
  if (text.length > MAX_POLICY_BYTES || Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    const mib = (Buffer.byteLength(text, 'utf8') / 1024 / 1024).toFixed(1);
    return {
      format,
      locate: none,
      diagnostics: [
        diag(
          'parse.too-large',
          `policy document is ${mib} MiB; the limit is 2 MiB (split it or remove unused entries)`,
          [],
          { line: 1, column: 1, from: 0, to: 0 },
        ),
      ],
    };
  }
  const starts = lineStarts(text);
  const depth = scanDepth(text);
  if (depth > MAX_POLICY_DEPTH) {
    return {
      format,
      locate: none,
      diagnostics: [
        diag('parse.too-deep', `policy document nests ${depth} levels deep; the limit is ${MAX_POLICY_DEPTH}`, [], {
          line: 1,
          column: 1,
          from: 0,
          to: 0,
        }),
      ],
    };
  }
  const parsed = format === 'json' ? parseJson(text, starts) : parseYaml(text, starts);
  const diagnostics = parsed.diagnostics;
  if (diagnostics.some((d) => d.severity === 'error')) return { format, locate: parsed.locate, diagnostics };
  const result = PolicyDocument.safeParse(parsed.raw);
  if (!result.success) {
    diagnostics.push(...schemaDiagnostics(result.error, parsed.raw, parsed.locate));
    return { format, locate: parsed.locate, diagnostics };
  }
  return { document: result.data, format, locate: parsed.locate, diagnostics };
}

interface RawParse {
  raw: unknown;
  diagnostics: PolicyDiagnostic[];
  locate: Locate;
}

function parseYaml(text: string, starts: number[]): RawParse {
  const diagnostics: PolicyDiagnostic[] = [];
  const pos = (from: number, to: number) => positionAt(starts, text, from, to);
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, merge: false });
  } catch (err) {
    return {
      raw: undefined,
      locate: () => undefined,
      diagnostics: [diag('parse', `YAML could not be read: ${(err as Error).message}`, [], pos(0, 0))],
    };
  }
  for (const e of doc.errors) {
    const [a, b] = e.pos;
    const dup = e.code === 'DUPLICATE_KEY';
    diagnostics.push(
      diag(
        dup ? 'parse.duplicate-key' : 'parse',
        dup ? `duplicate key: ${e.message.split('\n')[0]}` : (e.message.split('\n')[0] ?? e.message),
        [],
        pos(a, b),
      ),
    );
  }
  const locate: Locate = (path, o) => {
    let node: unknown = doc.contents;
    let keyNode: unknown;
    for (const p of path) {
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === p);
        if (!pair) return undefined;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof p === 'number') node = node.items[p];
      else return undefined;
    }
    const target = o?.key && keyNode ? keyNode : (node ?? keyNode);
    if (!isNode(target)) return undefined;
    const r = (target as YamlNode).range;
    return r ? pos(r[0], r[1]) : undefined;
  };
  if (diagnostics.length) return { raw: undefined, diagnostics, locate };
  // Anchors and aliases have no use in a policy and are how "billion laughs" documents grow: refuse.
  let alias: YamlNode | undefined;
  const stack: unknown[] = [doc.contents];
  while (stack.length && !alias) {
    const n = stack.pop();
    if (isAlias(n)) alias = n;
    else if (isMap(n) || isSeq(n)) {
      for (const it of n.items) {
        if (isPair(it)) stack.push(it.key, it.value);
        else stack.push(it);
      }
    } else if (isNode(n) && (n as YamlNode & { anchor?: string }).anchor) alias = n;
  }
  if (alias) {
    const r = alias.range;
    diagnostics.push(
      diag(
        'parse.alias',
        'YAML anchors and aliases (&name / *name) are not allowed in a policy document; write the values out',
        [],
        r ? pos(r[0], r[1]) : pos(0, 0),
      ),
    );
    return { raw: undefined, diagnostics, locate };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 0 });
  } catch (err) {
    diagnostics.push(diag('parse', `YAML could not be read: ${(err as Error).message}`, [], pos(0, 0)));
  }
  return { raw, diagnostics, locate };
}

function parseJson(text: string, starts: number[]): RawParse {
  const pos = (from: number, to: number) => positionAt(starts, text, from, to);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  const diagnostics: PolicyDiagnostic[] = errors.map((e) =>
    diag('parse', `JSON: ${printParseErrorCode(e.error)}`, [], pos(e.offset, e.offset + e.length)),
  );
  const locate: Locate = (path, o) => {
    if (!root) return undefined;
    const node = path.length ? findNodeAtLocation(root, [...path]) : root;
    if (!node) return undefined;
    const target = o?.key && node.parent?.type === 'property' ? node.parent.children?.[0] : node;
    return target ? pos(target.offset, target.offset + target.length) : undefined;
  };
  // JSON.parse keeps the last of duplicate keys silently; a policy must not.
  const stack: JsonNode[] = root ? [root] : [];
  while (stack.length) {
    const n = stack.pop() as JsonNode;
    if (n.type === 'object') {
      const seen = new Set<string>();
      for (const prop of n.children ?? []) {
        const k = prop.children?.[0];
        if (k && typeof k.value === 'string') {
          if (seen.has(k.value))
            diagnostics.push(
              diag('parse.duplicate-key', `duplicate key "${k.value}"`, [], pos(k.offset, k.offset + k.length)),
            );
          seen.add(k.value);
        }
        const v = prop.children?.[1];
        if (v) stack.push(v);
      }
    } else if (n.type === 'array') stack.push(...(n.children ?? []));
  }
  let raw: unknown;
  if (!diagnostics.length) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      diagnostics.push(diag('parse', `JSON: ${(err as Error).message}`, [], pos(0, 0)));
    }
  }
  return { raw, diagnostics, locate };
}

const byName = <T extends { name: string }>(a: T, b: T) => cmp(a.name, b.name);
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
const sortedUnique = (xs: readonly string[]) => [...new Set(xs)].sort(cmp);

/**
 * Defaults applied, order-free lists sorted and de-duplicated. Rules keep their order (it is how
 * authors group them and how "shadowed by an earlier rule" is reported); only the hash sorts them.
 */
export function normalizePolicy(doc: PolicyDocument): PolicyDocument {
  const d = PolicyDocument.parse(doc);
  return {
    ...d,
    teams: d.teams.map((t) => ({ ...t, members: [...t.members].sort((a, b) => cmp(a.email, b.email)) })).sort(byName),
    roles: d.roles.map((r) => ({ ...r, permissions: sortedUnique(r.permissions) })).sort(byName),
    assignments: [...d.assignments].sort(
      (a, b) => cmp(a.user, b.user) || cmp(a.role, b.role) || cmp(a.team ?? '', b.team ?? ''),
    ),
    servers: d.servers.map((s) => ({ ...s, tools: sortedUnique(s.tools) })).sort(byName),
    tools: [...d.tools].sort(byName),
    rules: d.rules.map((r) => ({
      ...r,
      subjects: sortedUnique(r.subjects),
      actions: [...new Set(r.actions)].sort(cmp) as PolicyDocument['rules'][number]['actions'],
      resources: sortedUnique(r.resources),
    })),
  };
}

/** Key order for output: what a reviewer reads first comes first. */
function ordered(doc: PolicyDocument): Record<string, unknown> {
  const pick = <T extends object>(o: T, keys: (keyof T)[]) => {
    const out: Record<string, unknown> = {};
    for (const k of keys) if (o[k] !== undefined) out[k as string] = o[k];
    return out;
  };
  const out: Record<string, unknown> = { apiVersion: doc.apiVersion, kind: doc.kind };
  if (doc.metadata && Object.keys(doc.metadata).length) out.metadata = pick(doc.metadata, ['name', 'description']);
  if (doc.gateway) out.gateway = doc.gateway;
  out.teams = doc.teams.map((t) => ({
    ...pick(t, ['name', 'visibility', 'description']),
    members: t.members.map((m) => pick(m, ['email', 'role'])),
  }));
  out.roles = doc.roles.map((r) => pick(r, ['name', 'scope', 'description', 'permissions']));
  out.assignments = doc.assignments.map((a) => pick(a, ['user', 'role', 'team', 'expires']));
  out.servers = doc.servers.map((s) => pick(s, ['name', 'team', 'visibility', 'enabled', 'description', 'tools']));
  out.tools = doc.tools.map((t) => pick(t, ['name', 'visibility', 'enabled']));
  out.rules = doc.rules.map((r) => pick(r, ['id', 'effect', 'description', 'subjects', 'actions', 'resources']));
  out.guardrails = pick(doc.guardrails, [
    'noPublicWriteTools',
    'tokenMaxDays',
    'noSharedUpstreamCredentials',
    'assignmentMaxDays',
  ]);
  return out;
}

/** Stable text: the same document always prints the same bytes, so pulls diff cleanly in git. */
export function formatPolicy(doc: PolicyDocument, format: PolicyFormat): string {
  const o = ordered(normalizePolicy(doc));
  if (format === 'json') return `${JSON.stringify(o, null, 2)}\n`;
  return stringify(o, { indent: 2, lineWidth: 0, aliasDuplicateObjects: false, sortMapEntries: false });
}

/** Content address: sha256 of RFC 8785 canonical JSON of the normalized document (rules sorted by id). */
export function policyHash(doc: PolicyDocument): string {
  const n = normalizePolicy(doc);
  const forHash = { ...n, rules: [...n.rules].sort((a, b) => cmp(a.id, b.id)) };
  const json = canonicalize(forHash);
  if (json === undefined) throw new Error('policy document cannot be canonicalized');
  return createHash('sha256').update(json).digest('hex');
}

/** JSON Schema of what a document may contain (input side: defaults are optional). */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PolicyDocument, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
