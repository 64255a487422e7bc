import { hash } from 'node:crypto';
import { ORIGINAL_MAX_BYTES } from '../../../shared/model/audit.js';
import { maskSecret } from '../discovery/mask.js';

/**
 * Credential masking and size-capping of original records before they are stored, plus the
 * dedupe key hash. Masked: values under credential-named keys (authorization, token, key, secret,
 * password, cookie…), and token-shaped substrings anywhere (JWTs, `Bearer x`, well-known prefixes).
 */

const SECRET_KEY_RE =
  /(?:^|[-_.])(?:authorization|auth|token|access[-_]?token|refresh[-_]?token|id[-_]?token|api[-_]?key|apikey|key|secret|client[-_]?secret|password|passwd|pwd|cookie|set[-_]?cookie|credentials?|private[-_]?key|signature|bearer)(?:$|[-_.])/i;
/** Keys that end in "key"/"token" but name something that is not a secret. */
const NOT_SECRET_KEYS = new Set(['key', 'token_type', 'tokens', 'key_id', 'keyid', 'resource_key', 'tokentype']);

const TOKEN_RE = new RegExp(
  [
    '(?:Bearer|Basic)\\s+[A-Za-z0-9._~+/=-]{8,}',
    'eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{4,}',
    'github_pat_[A-Za-z0-9_]{20,}',
    'gh[pousr]_[A-Za-z0-9]{20,}',
    'sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}',
    'sk_(?:live|test)_[A-Za-z0-9]{16,}',
    'glpat-[A-Za-z0-9_-]{16,}',
    'xox[abprs]-[A-Za-z0-9-]{10,}',
    '(?:AKIA|ASIA)[A-Z0-9]{16}',
    'AIza[A-Za-z0-9_-]{30,}',
    'hf_[A-Za-z0-9]{20,}',
    'npm_[A-Za-z0-9]{30,}',
  ].join('|'),
  'g',
);

const keyCache = new Map<string, boolean>();

function isSecretKey(key: string): boolean {
  let v = keyCache.get(key);
  if (v === undefined) {
    // camelCase → dotted, so `apiKey`, `accessToken`, `clientSecret` match too.
    v = !NOT_SECRET_KEYS.has(key.toLowerCase()) && SECRET_KEY_RE.test(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2'));
    if (keyCache.size < 10_000) keyCache.set(key, v);
  }
  return v;
}

/** Cheap pre-check: only strings containing one of the token prefixes go through TOKEN_RE. */
const TOKEN_HINT = /Bearer|Basic|eyJ|gh[pousr]_|github_pat_|sk[-_]|glpat-|xox|xapp|AKIA|ASIA|AIza|hf_|npm_/;

function maskToken(m: string): string {
  const scheme = /^(Bearer|Basic)(\s+)(.*)$/s.exec(m);
  if (scheme) return `${scheme[1]}${scheme[2]}${maskSecret(scheme[3] ?? '')}`;
  return maskSecret(m);
}

/** Mask token-shaped substrings of a free-text value. */
export function maskText(text: string): string {
  if (text.length < 12 || !TOKEN_HINT.test(text)) return text;
  return text.replace(TOKEN_RE, maskToken);
}

function maskSecretValue(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return v;
  if (typeof v === 'string') {
    const scheme = /^(Bearer|Basic|token)(\s+)(.*)$/is.exec(v);
    if (scheme) return `${scheme[1]}${scheme[2]}${maskSecret(scheme[3] ?? '')}`;
    return maskSecret(v);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return '****';
  return '****';
}

/** A deep copy of `value` with credentials masked. */
export function maskRecord(value: unknown, depth = 0): unknown {
  if (depth > 32) return '[too deep]';
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) return value.map((v) => maskRecord(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // OTLP attribute lists are [{key, value}]: mask by the attribute's key.
    const rec = value as Record<string, unknown>;
    const attrKey = typeof rec.key === 'string' && 'value' in rec && Object.keys(rec).length === 2 ? rec.key : null;
    for (const [k, v] of Object.entries(rec)) {
      if (attrKey !== null && k === 'value' && isSecretKey(attrKey)) out[k] = maskOtlpValue(v);
      else if (isSecretKey(k) && (typeof v !== 'object' || v === null)) out[k] = maskSecretValue(v);
      else if (isSecretKey(k) && k.toLowerCase() !== 'headers') out[k] = maskObjectLeaves(v);
      else out[k] = maskRecord(v, depth + 1);
    }
    return out;
  }
  return value;
}

function maskOtlpValue(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      out[k] = typeof x === 'object' ? maskObjectLeaves(x) : maskSecretValue(x);
    return out;
  }
  return maskSecretValue(v);
}

function maskObjectLeaves(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskObjectLeaves);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = maskObjectLeaves(x);
    return out;
  }
  return maskSecretValue(v);
}

/**
 * The same masking as maskRecord, applied while serializing (no deep copy of the record).
 * `this` is the object holding `key`.
 */
function maskingReplacer(this: unknown, key: string, v: unknown): unknown {
  if (key === '' || Array.isArray(this)) return typeof v === 'string' ? maskText(v) : v;
  const holder = this as Record<string, unknown>;
  if (
    key === 'value' &&
    typeof holder.key === 'string' &&
    Object.keys(holder).length === 2 &&
    isSecretKey(holder.key)
  ) {
    return maskOtlpValue(v);
  }
  if (isSecretKey(key)) {
    if (typeof v !== 'object' || v === null) return maskSecretValue(v);
    if (key.toLowerCase() !== 'headers') return maskObjectLeaves(v);
  }
  return typeof v === 'string' ? maskText(v) : v;
}

/**
 * Whether masking could change the plain serialization: some key is credential-named, an OTLP
 * `{key, value}` pair is present, or (checked on the JSON text) some string holds a token hint (hint
 * characters are never escaped by JSON.stringify, so a hint in a value is a hint in the text).
 * False positives only cost the slower masking pass.
 */
function hasMaskableKey(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > 32) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (hasMaskableKey(v, depth + 1)) return true;
    return false;
  }
  const rec = value as Record<string, unknown>;
  if (typeof rec.toJSON === 'function') return true;
  for (const k of Object.keys(rec)) {
    if (k === 'key' || isSecretKey(k)) return true;
    if (hasMaskableKey(rec[k], depth + 1)) return true;
  }
  return false;
}

/** The masked original as stored: JSON text of at most ORIGINAL_MAX_BYTES (else a truncated preview). */
export function storedOriginal(value: unknown): string {
  // Most records hold nothing to mask: serialize plainly, and mask only when that could matter.
  const plain = JSON.stringify(value) ?? 'null';
  const json =
    TOKEN_HINT.test(plain) || hasMaskableKey(value, 0) ? (JSON.stringify(value, maskingReplacer) ?? 'null') : plain;
  if (json.length <= ORIGINAL_MAX_BYTES) return json;
  const preview = json.slice(0, ORIGINAL_MAX_BYTES - 200);
  return JSON.stringify({ _truncated: true, size: json.length, preview });
}

/** The 63-bit dedupe id of a record: SHA-256 of its source kind and key (record id or content). */
export function dedupeUid(kind: string, key: string): bigint {
  // One-shot hash of the same bytes as before (kind, NUL, key): ~2× faster than createHash().update().
  return BigInt(`0x${hash('sha256', `${kind}\0${key}`, 'hex').slice(0, 16)}`) & 0x7fffffffffffffffn;
}
