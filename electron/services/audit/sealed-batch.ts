import type { LineMapper, LineMapResult } from './line-mapper.js';
import { jsonErrorReason, rejectionReason } from './mask.js';
import { sealRecord, type SealedRow } from './store.js';

/**
 * A batch of log lines parsed, mapped and sealed (masked, serialized, hashed: sealRecord) into the
 * rows the store inserts, packed into ONE string so that a seal worker hands a batch to the writing
 * thread as a single memcpy (a structured clone of per-record objects cost the writer ~2.6 µs per
 * record, about what sealing on a worker saved). The writer unpacks it with one split.
 *
 * Packing: every value followed by SEP; null is NULL; a string holding SEP or starting with NULL or
 * ESC is ESC + its JSON (rare: masked log text with control characters); uid is hex, numbers are
 * their shortest round-trip text.
 */
export interface SealedBatch {
  /** The rows, packed (packRow after packRow). */
  packed: string;
  /** Records that cannot be stored, in line order: the line's index in the batch and why. */
  rejects: { index: number; reason: string }[];
}

const SEP = '\u0000';
const NULL = '\u0001';
const ESC = '\u0002';
const COLS = 21;
const UID = 0;
const TS = 1;
const DURATION = 17;

function packValue(v: string | number | bigint | null): string {
  if (v === null) return NULL;
  if (typeof v === 'string') {
    const c = v.charCodeAt(0);
    return c === 1 || c === 2 || v.includes(SEP) ? ESC + JSON.stringify(v) : v;
  }
  if (typeof v === 'bigint') return v.toString(16);
  return Object.is(v, -0) ? '-0' : String(v);
}

/** One row → its packed text (see the module comment). */
export function packRow(row: SealedRow): string {
  if (row.length !== COLS) throw new Error(`a sealed row has ${COLS} values, not ${row.length}`);
  let out = '';
  for (const v of row) out += packValue(v) + SEP;
  return out;
}

/** Rows → one string. */
export function packRows(rows: Iterable<SealedRow>): string {
  let out = '';
  for (const row of rows) out += packRow(row);
  return out;
}

/**
 * The rows of packed rows, in order. Unpacked one row at a time, so each row's strings die young
 * (a split of the whole batch kept all of them alive until its last row was written).
 */
export function* unpackRows(packed: string): Generator<SealedRow> {
  let at = 0;
  while (at < packed.length) {
    const row = new Array<string | number | bigint | null>(COLS);
    for (let k = 0; k < COLS; k++) {
      const end = packed.indexOf(SEP, at);
      if (end < 0) throw new Error('a packed batch ends inside a row');
      const v = packed.slice(at, end);
      at = end + 1;
      row[k] = v === NULL ? null : v.charCodeAt(0) === 2 ? (JSON.parse(v.slice(1)) as string) : v;
    }
    row[UID] = BigInt(`0x${row[UID] as string}`);
    row[TS] = Number(row[TS]);
    if (row[DURATION] !== null) row[DURATION] = Number(row[DURATION]);
    yield row as SealedRow;
  }
}

/**
 * A batch's lines from their bytes joined by newlines, each decoded and trimmed on its own exactly as
 * the file import decodes a line (not as slices of one decoded batch, which JSON.parse reads slower).
 */
export function splitLines(bytes: Uint8Array): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    lines.push(buf.toString('utf8', start, nl < 0 ? buf.length : nl).trim());
    if (nl < 0) return lines;
    start = nl + 1;
  }
}

/**
 * Lines (one JSON value each; empty ones skipped) → a sealed batch, with the same rejections, in the
 * same order, as the file import's inline path: invalid JSON, a line the mapper refuses, each record
 * that cannot be sealed, then the problems the mapper reported inside the line. Reasons name what is
 * wrong, never the line's content.
 */
export function sealLines(lines: readonly string[], mapper: LineMapper): SealedBatch {
  const rejects: SealedBatch['rejects'] = [];
  let packed = '';
  lines.forEach((text, index) => {
    if (!text) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      rejects.push({ index, reason: jsonErrorReason(err) });
      return;
    }
    let r: LineMapResult;
    try {
      r = mapper(value);
    } catch (err) {
      rejects.push({ index, reason: rejectionReason(err) });
      return;
    }
    for (const record of r.records) {
      try {
        packed += packRow(sealRecord(record));
      } catch (err) {
        rejects.push({ index, reason: rejectionReason(err) });
      }
    }
    for (const why of r.rejected) rejects.push({ index, reason: why });
  });
  return { packed, rejects };
}
