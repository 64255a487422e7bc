import { parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
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
import {
  DOC_LIMITS,
  DocLimitError,
  Lines,
  tooDeep,
  type DocNode,
  type NodePos,
  type ParseOutcome,
} from './document.js';
import { childPointer } from './pointer.js';

/**
 * The JSON(C) and YAML parsers of files the one-pass readers (json-doc.ts, yaml-doc.ts) decline:
 * invalid files (for the wording and line of their error) and YAML beyond plain block style. Kept
 * in their own module, loaded on first use, so a scan of ordinary files never loads jsonc-parser
 * or the yaml package (~4 ms and a few MB per CLI run, issue #13). Also the reference the readers'
 * tests compare against.
 */

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
