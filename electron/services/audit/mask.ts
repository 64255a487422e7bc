import { isHighEntropySecret, MAX_MASK_VALUE, maskSecret, redactText } from '../secrets/redact.js';
import { RecordError } from './sources/common.js';

/**
 * THE masking of audit text: every string an audit record brings in (normalized fields, the
 * original record's strings, rejection reasons, source errors) goes through `maskAuditText` before
 * it is stored, indexed, aggregated, exported or printed. It is the shared `redactText` (token
 * shapes, `Bearer x`, URL credentials, secret-named `name=value` pairs) plus what audit records
 * need on top of it:
 *
 * - PEM private-key blocks (shown as their header, `-----BEGIN RSA PRIVATE KEY-----…`);
 * - high-entropy runs (random API keys with no known prefix) — except UUIDs and hex strings, which
 *   in audit records are ids, trace/span ids and hashes that must stay readable to correlate events;
 * - strings over MAX_TEXT are cut (never inside a token-like run) before masking, which bounds the
 *   work per value and avoids `maskUrl`'s recursion on URLs over 64 KiB.
 *
 * (PEM masking and a safe `redactText` on huge URLs would better live in secrets/redact.ts; they
 * are here because that folder is being changed in parallel.)
 */

/**
 * Longest string masked as it is; longer ones are cut first (normalized fields and originals are
 * capped far below). The shared masker hides values longer than MAX_MASK_VALUE whole, so cutting
 * at that length keeps a huge URL's host and parameter names readable while its secrets are masked.
 */
export const MAX_TEXT = MAX_MASK_VALUE - 64; // room for the cut marker
/** Longest normalized field stored (after masking). */
export const MAX_FIELD = 4096;

/** Characters of a token-like run (the shared masker's run class). */
const RUN_CHAR = /[A-Za-z0-9+/=_\-.~]/;
const RUN_RE = /[A-Za-z0-9+/=_\-.~]{16,}/g;
/** (mayHoldSecret tests the same by table; kept for maskRandomRuns and the property test.) */
export const HAS_RUN_RE = /[A-Za-z0-9+/=_\-.~]{16,}/;
/** Auth schemes, URL userinfo, secret-named pairs and key blocks: what a short value may hold. */
export const SHORT_HINT_RE =
  /Bearer|Basic|Token |PRIVATE KEY|:\/\/[^\s/@"]{1,256}@|(?:key|token|secret|passw|pwd|auth|sig|cookie|credential|session|jwt|dsn|pat)[A-Za-z0-9_-]{0,32}['"]?[ \t]*[=:]/i;
const SEPARATORS_RE = /[-_.:/+~=]+/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_RE = /^[0-9a-f]+$/i;
const PEM_BEGIN_RE = /-----BEGIN ([A-Z0-9 ]{0,40}?)PRIVATE KEY( BLOCK)?-----/g;
/** What may follow a PEM header when its END line is missing (base64 lines, headers, escaped newlines). */
const PEM_BODY_CHAR = /[A-Za-z0-9+/=\s\\:,.-]/;

/** RUN_CHAR as a table over ASCII (the class holds no other characters). */
const RUN_TABLE = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.~') RUN_TABLE[c.charCodeAt(0)] = 1;
/**
 * Characters one of which every SHORT_HINT_RE match holds: `:` (`://…@`, `name:`), `=` (`name=`), a
 * space (`Token `, `PRIVATE KEY`), `b`/`B` (`Bearer`, `Basic`; a case-insensitive non-unicode regex
 * folds no other character to them). A string with none cannot match it.
 */
const HINT_TABLE = new Uint8Array(128);
for (const c of ':= bB') HINT_TABLE[c.charCodeAt(0)] = 1;

/**
 * Whether maskAuditText could change `text` (when false it returns `text` as it is): the same answer
 * as `text.length >= 8 && (HAS_RUN_RE.test(text) || SHORT_HINT_RE.test(text))` (a property test
 * compares them), from one pass over the characters — a run of 16 RUN_CHARs answers yes, and the
 * hint regex runs only on a string holding one of the characters any of its matches needs. Most
 * audit strings (names, ids, times) are short and plain: two regexes each cost ~1 µs per record.
 */
export function mayHoldSecret(text: string): boolean {
  if (text.length < 8) return false;
  let run = 0;
  let hint = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (RUN_TABLE[c]) {
        if (++run >= 16) return true;
      } else run = 0;
      hint |= HINT_TABLE[c] as number;
    } else run = 0;
  }
  return hint !== 0 && SHORT_HINT_RE.test(text);
}

/** `text` cut to about `max` chars, never inside a token-like run (a half token would escape masking). */
export function safeCut(text: string, max: number, marker = '…[cut]'): string {
  if (text.length <= max) return text;
  // Back off to the start of a run cut through; a run longer than any token (4096, the masker's
  // own limit) is cut where it is.
  let end = max;
  while (end > max - 4096 && end > 0 && RUN_CHAR.test(text[end - 1] ?? '') && RUN_CHAR.test(text[end] ?? '')) end--;
  if (end === max - 4096) end = max;
  return text.slice(0, end) + marker;
}

/** PEM private-key blocks → their header and an ellipsis (linear: each END is searched for once). */
export function maskPemBlocks(text: string): string {
  if (!text.includes('PRIVATE KEY')) return text;
  let out = '';
  let at = 0;
  let noEnd = false;
  PEM_BEGIN_RE.lastIndex = 0;
  for (let m = PEM_BEGIN_RE.exec(text); m; m = PEM_BEGIN_RE.exec(text)) {
    const header = m[0];
    out += text.slice(at, m.index) + header + '…';
    let stop = m.index + header.length;
    const end = noEnd ? -1 : text.indexOf('-----END', stop);
    if (end < 0) {
      noEnd = true;
      while (stop < text.length && PEM_BODY_CHAR.test(text[stop] ?? '')) stop++;
    } else {
      const close = text.indexOf('-----', end + 8);
      stop = close < 0 ? text.length : close + 5;
    }
    at = stop;
    PEM_BEGIN_RE.lastIndex = stop;
  }
  return out + text.slice(at);
}

/** High-entropy runs (no known prefix) → masked; UUIDs and hex (ids, trace ids, hashes) stay. */
function maskRandomRuns(text: string): string {
  if (!HAS_RUN_RE.test(text)) return text;
  return text.replace(RUN_RE, (run) => {
    if (UUID_RE.test(run) || HEX_RE.test(run)) return run;
    if (isHighEntropySecret(run)) return maskSecret(run);
    // The shared check spares runs that start with `/` (paths) or split into letter words at
    // separators (slugs), which random base64 also does now and then (`/f90qB…`, `…81564//tzgDca…`):
    // such a run is masked when it is random without its leading `/`, or has a random 16+ char
    // segment. Paths and slugs are neither (their segments are words).
    const lead = /^[/.~]+/.exec(run)?.[0].length ?? 0;
    if (lead && isHighEntropySecret(run.slice(lead))) return maskSecret(run);
    for (const seg of run.split(SEPARATORS_RE))
      if (seg.length >= 16 && seg.length < run.length && isHighEntropySecret(seg)) return maskSecret(run);
    return run;
  });
}

/** Mask every credential in a piece of audit text (see the module comment). Idempotent. */
export function maskAuditText(text: string): string {
  const t = safeCut(text, MAX_TEXT);
  if (!mayHoldSecret(t)) return t;
  return maskRandomRuns(redactText(maskPemBlocks(t), undefined, { entropy: false }));
}

/** A normalized field as stored: masked, then capped at MAX_FIELD. */
export function maskAuditField(v: string | null): string | null {
  if (v === null) return null;
  return safeCut(maskAuditText(v), MAX_FIELD);
}

/**
 * The reason a record was rejected, as shown (stderr, `lastError`, rejections): a RecordError's own
 * message (built by the sources from field names, never from values) masked once more; anything
 * else only by its kind, since a library's message may quote the input.
 */
export function rejectionReason(err: unknown): string {
  if (err instanceof RecordError) return maskAuditText(err.message);
  if (err instanceof RangeError) return 'record too large or too deeply nested';
  return `could not read the record (${err instanceof Error ? err.name : typeof err})`;
}

/** A JSON.parse failure described without quoting the line (V8 messages quote its start). */
export function jsonErrorReason(err: unknown): string {
  if (err instanceof RangeError) return 'invalid JSON: nested too deeply';
  const msg = err instanceof Error ? err.message : '';
  const pos = /at position (\d+)/.exec(msg);
  if (pos) return `invalid JSON at column ${Number(pos[1]) + 1}`;
  if (/end of JSON input/i.test(msg)) return 'invalid JSON: the line ends before the value does';
  return 'invalid JSON';
}
