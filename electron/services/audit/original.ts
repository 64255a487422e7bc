import { hash } from 'node:crypto';
import { ORIGINAL_MAX_BYTES } from '../../../shared/model/audit.js';
import { isSecretName, maskSecret } from '../secrets/redact.js';
import { MAX_TEXT, maskAuditText, mayHoldSecret } from './mask.js';

/**
 * Credential masking and size-capping of original records before they are stored, plus the
 * dedupe key hash. Masked: values under credential-named keys (authorization, token, key, secret,
 * password, cookie…; the shared camelCase-aware `isSecretName`), and in strings what
 * `maskAuditText` masks (token shapes, `Bearer x`, URL credentials, `name=value` pairs, PEM key
 * blocks, random-looking runs other than UUIDs and hex ids/hashes).
 */

/** Keys that end in "key"/"token" but name something that is not a secret (OTLP `{key, value}`). */
const NOT_SECRET_KEYS = new Set(['key', 'token_type', 'tokens', 'key_id', 'keyid', 'resource_key', 'tokentype']);

const keyCache = new Map<string, boolean>();

function isSecretKey(key: string): boolean {
  let v = keyCache.get(key);
  if (v === undefined) {
    v = !NOT_SECRET_KEYS.has(key.toLowerCase()) && isSecretName(key);
    if (keyCache.size < 10_000) keyCache.set(key, v);
  }
  return v;
}

/** Mask credentials in a free-text value (the audit masker: see mask.ts). */
export function maskText(text: string): string {
  return maskAuditText(text);
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
 * `{key, value}` pair is present, or some string (value, array element or the root) is one maskText
 * could change (the same test it makes). False positives only cost the slower masking pass.
 */
function needsMasking(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return mayHoldSecret(value) || value.length > MAX_TEXT;
  if (value === null || typeof value !== 'object') return false;
  if (depth > 32) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (needsMasking(v, depth + 1)) return true;
    return false;
  }
  const rec = value as Record<string, unknown>;
  if (typeof rec.toJSON === 'function') return true;
  for (const k of Object.keys(rec)) {
    if (k === 'key' || isSecretKey(k)) return true;
    if (needsMasking(rec[k], depth + 1)) return true;
  }
  return false;
}

/** Whether `value` nests objects/arrays more than `max` levels (stops at the first such path). */
function deeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max < 0) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value as Record<string, unknown>))
    if (v !== null && typeof v === 'object' && deeperThan(v, max - 1)) return true;
  return false;
}

/** The masked original as stored: JSON text of at most ORIGINAL_MAX_BYTES (else a truncated preview). */
export function storedOriginal(value: unknown): string {
  // Most records hold nothing to mask: serialize plainly, and mask only when that could matter.
  // A record nested deeper than maskRecord walks is stored pruned (masked, `[too deep]` below).
  // needsMasking answers true for any object nested deeper than 32 levels (the depth deeperThan
  // tests), so only a record it flags needs the depth walk: the common record is walked once.
  const json = !needsMasking(value, 0)
    ? (JSON.stringify(value) ?? 'null')
    : deeperThan(value, 32)
      ? (JSON.stringify(maskRecord(value)) ?? 'null')
      : (JSON.stringify(value, maskingReplacer) ?? 'null');
  if (json.length <= ORIGINAL_MAX_BYTES) return json;
  const preview = json.slice(0, ORIGINAL_MAX_BYTES - 200);
  return JSON.stringify({ _truncated: true, size: json.length, preview });
}

/** The 63-bit dedupe id of a record: SHA-256 of its source kind and key (record id or content). */
export function dedupeUid(kind: string, key: string): bigint {
  // One-shot hash of the same bytes as before (kind, NUL, key): ~2× faster than createHash().update().
  return BigInt(`0x${hash('sha256', `${kind}\0${key}`, 'hex').slice(0, 16)}`) & 0x7fffffffffffffffn;
}
