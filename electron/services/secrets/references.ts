/**
 * The environment-reference grammar of MCP client configs, in one place: `${VAR}`,
 * `${VAR:-default}`, `${env:VAR}`, `${input:id}` (and other `${…}` editor variables), `$VAR`,
 * `{env:VAR}` (opencode) and `%VAR%` (Windows). A reference is an indirection, not a literal
 * credential, so detection skips it and masking keeps it readable.
 *
 * Every pattern here is linear: disjoint alternatives, no nested or overlapping quantifiers.
 */

export type ReferenceSyntax =
  | 'env-colon'
  | 'input'
  | 'dollar-brace-default'
  | 'dollar-brace'
  | 'editor-variable'
  | 'brace-env'
  | 'bare-dollar'
  | 'percent'
  | 'continue-secret';

export interface Reference {
  /** The reference text as written, e.g. `${env:API_KEY}`. */
  raw: string;
  /** Offset of `raw` in the parsed value. */
  start: number;
  end: number;
  syntax: ReferenceSyntax;
  /** Variable name (or input id / editor variable). */
  name: string;
  /** The literal after `:-` in `${VAR:-default}`. */
  default?: string;
}

/** Bounded so that a scan over `${a${a${a…` (no closing brace) stays linear. */
const NAME = '[A-Za-z_][A-Za-z0-9_]{0,255}';

const REFERENCE_RE = new RegExp(
  [
    `\\$\\{env:(${NAME})\\}`, // 1: ${env:VAR}
    `\\$\\{input:([^}\\s]{1,256})\\}`, // 2: ${input:id}
    `\\$\\{(${NAME}):-([^}]{0,1024})\\}`, // 3,4: ${VAR:-default}
    `\\$\\{(${NAME})\\}`, // 5: ${VAR}
    `\\$\\{([^}\\s]{1,256})\\}`, // 6: ${workspaceFolder}, ${config:x}, …
    `\\{env:(${NAME})\\}`, // 7: {env:VAR}
    `\\$(${NAME})`, // 8: $VAR
    `%(${NAME})%`, // 9: %VAR%
    `\\$\\{\\{ ?secrets\\.(${NAME}) ?\\}\\}`, // 10: \${{ secrets.X }} (Continue)
  ].join('|'),
  'g',
);

/** All references inside a value, left to right. */
export function parseReferences(value: string): Reference[] {
  const out: Reference[] = [];
  // Every syntax starts with `$`, `{` or `%`: most values (package names, flags, paths) have none,
  // and the masker asks this of every value several times (issue #13: scan time).
  if (!value.includes('$') && !value.includes('{') && !value.includes('%')) return out;
  for (const m of value.matchAll(REFERENCE_RE)) {
    const start = m.index;
    const raw = m[0];
    const base = { raw, start, end: start + raw.length };
    if (m[1] !== undefined) out.push({ ...base, syntax: 'env-colon', name: m[1] });
    else if (m[2] !== undefined) out.push({ ...base, syntax: 'input', name: m[2] });
    else if (m[3] !== undefined) out.push({ ...base, syntax: 'dollar-brace-default', name: m[3], default: m[4] ?? '' });
    else if (m[5] !== undefined) out.push({ ...base, syntax: 'dollar-brace', name: m[5] });
    else if (m[6] !== undefined) out.push({ ...base, syntax: 'editor-variable', name: m[6] });
    else if (m[7] !== undefined) out.push({ ...base, syntax: 'brace-env', name: m[7] });
    else if (m[8] !== undefined) out.push({ ...base, syntax: 'bare-dollar', name: m[8] });
    else if (m[9] !== undefined) out.push({ ...base, syntax: 'percent', name: m[9] });
    else if (m[10] !== undefined) out.push({ ...base, syntax: 'continue-secret', name: m[10] });
  }
  return out;
}

/** The single reference a whole value consists of (surrounding whitespace ignored), if any. */
export function wholeReference(value: string): Reference | undefined {
  const v = value.trim();
  if (v.length < 2 || v.length > 512) return undefined;
  const refs = parseReferences(v);
  const only = refs.length === 1 ? refs[0] : undefined;
  return only && only.start === 0 && only.end === v.length ? only : undefined;
}

/**
 * Whether a value is an indirection rather than a literal: exactly one reference, optionally after
 * an auth scheme (`Bearer ${TOKEN}`). `${VAR:-default}` counts only when the default is empty or
 * itself a reference: a literal default is used as the value and may be the credential.
 */
export function isReference(value: string): boolean {
  let v = value.trim();
  const scheme = /^(?:Bearer|Basic|Token)\s+(\S+)$/i.exec(v);
  if (scheme) v = scheme[1] ?? '';
  const ref = wholeReference(v);
  if (!ref) return false;
  if (ref.syntax === 'dollar-brace-default') {
    const d = ref.default ?? '';
    return d === '' || wholeReference(d) !== undefined;
  }
  return true;
}

/**
 * Whether a reference appears anywhere inside the value (a template, not a literal). Inside a larger
 * string, `$name` / `%name%` count only as UPPER_SNAKE names of 3+ chars: `P@ss$word1` is a literal.
 */
export function containsReference(value: string): boolean {
  return parseReferences(value).some(
    (r) => (r.syntax !== 'bare-dollar' && r.syntax !== 'percent') || /^[A-Z_][A-Z0-9_]{2,}$/.test(r.name),
  );
}

/** Obvious placeholders (`your-token-here`, `<API_KEY>`, `xxxx`, `changeme`) are not credentials. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  return (
    /^<[^>]*>$/.test(v) ||
    /^\[[^\]]*\]$/.test(v) ||
    /^(?:x+|\*+|\.+|0+)$/i.test(v) ||
    /(?:^|[-_ ])(?:your|my|insert|replace|placeholder|changeme|example|dummy)(?:[-_ ]|$)/i.test(v) ||
    /^(?:changeme|todo|tbd|none|null|test|secret|password|token)$/i.test(v)
  );
}
