import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { AuditFileFormat, JsonlMapping, RejectedRecord } from '../../../shared/model/audit.js';
import { jsonErrorReason, rejectionReason } from './mask.js';
import { mapJsonl } from './sources/jsonl.js';
import { mapOtlpRequest } from './sources/otlp.js';
import { mapToolHive } from './sources/toolhive.js';
import { AUDIT_INGEST_BATCH, type AuditStore, type IngestRecord } from './store.js';

/**
 * File ingestion for the line formats (ToolHive, OTLP JSON, generic JSON lines). Lines are read from
 * a byte offset, mapped, and stored in batches; each batch is one transaction that also records the
 * position after it (`onCommit`), so a crash leaves the store at a batch boundary and the next run
 * resumes from there. The unique uid makes any re-read harmless. Malformed lines are counted and
 * reported with line number and offset; they never stop the import.
 */

export interface LineMapResult {
  records: IngestRecord[];
  /** Problems inside a line that still produced other records (OTLP requests hold many). */
  rejected: string[];
}
export type LineMapper = (value: unknown) => LineMapResult;

export function lineMapper(
  format: AuditFileFormat,
  opts: { source?: string; mapping?: JsonlMapping } = {},
): LineMapper {
  const source = opts.source ?? format;
  switch (format) {
    case 'toolhive':
      return (v) => ({ records: [mapToolHive(v, source)], rejected: [] });
    case 'otlp-json':
      return (v) => mapOtlpRequest(v, source);
    case 'jsonl': {
      const mapping = opts.mapping;
      if (!mapping) throw new Error('the jsonl format needs a field mapping');
      return (v) => ({ records: [mapJsonl(v, mapping, source)], rejected: [] });
    }
  }
}

export interface FilePosition {
  /** Byte offset of the next unread line. */
  offset: number;
  /** Number of lines before it. */
  line: number;
}

export interface IngestCounts {
  imported: number;
  duplicates: number;
  rejected: number;
}

export interface FileIngestOptions {
  store: AuditStore;
  path: string;
  mapper: LineMapper;
  start?: FilePosition;
  /** Consume a last line without a newline (one-shot import); when following, it waits. */
  final: boolean;
  batchSize?: number;
  onReject?: (r: RejectedRecord) => void;
  /** Runs inside each batch's transaction with the position after it and the batch's counts. */
  onCommit?: (pos: FilePosition, batch: IngestCounts) => void;
  /** Called after each committed batch (progress). */
  onProgress?: (pos: FilePosition, total: IngestCounts) => void;
  /** Every line read is stored; `indexing`: the bulk path's index builds follow before it returns. */
  onStored?: (indexing: boolean) => void;
  /** Waits for a turn at the write lock before each batch; resolves with its release (write-turns.ts). */
  batchTurn?: () => Promise<() => void>;
}

const CHUNK = 1 << 20;
/** A batch also ends at this many bytes of lines (OTLP lines can hold many records each). */
const MAX_BATCH_BYTES = 16 << 20;
/** A low estimate of a line's size, for deciding on a bulk load (ToolHive/OTLP lines are larger). */
const BYTES_PER_EVENT = 200;
const NL = 0x0a;
/** A longer line is rejected (streamed past, never held whole): records are capped far below. */
export const MAX_LINE_BYTES = 32 << 20;

export async function ingestFile(o: FileIngestOptions): Promise<IngestCounts & FilePosition> {
  const batchSize = o.batchSize ?? AUDIT_INGEST_BATCH;
  const total: IngestCounts = { imported: 0, duplicates: 0, rejected: 0 };
  let pos: FilePosition = { ...(o.start ?? { offset: 0, line: 0 }) };
  // A batch is kept as the lines' bytes (one buffer, reused from batch to batch; lines separated by
  // newlines) with each line's start, number and offset, and decoded and mapped lazily while
  // insertBatch consumes it: no per-line string or object lives for the whole batch (10k of them
  // were promoted to the old generation on every batch and kept the heap ~100 MB larger), and the
  // parsed records die young.
  let bytes = Buffer.allocUnsafeSlow(1 << 20);
  let batchBytes = 0;
  let starts: number[] = [];
  let lineNos: number[] = [];
  let offsets: number[] = [];
  let batchRejected = 0;

  const reject = (line: number, offset: number, reason: string) => {
    batchRejected++;
    o.onReject?.({ where: o.path, line, offset, reason });
  };

  /** The line whose records insertBatch is consuming (records are mapped lazily, line by line). */
  let current = { line: 0, offset: 0 };

  // Reasons name what is wrong, never the line's content (it may be a credential, or a file that is
  // not an audit log at all).
  function* mapped(): Generator<IngestRecord> {
    for (let i = 0; i < starts.length; i++) {
      const line = lineNos[i] as number;
      const offset = offsets[i] as number;
      const end = i + 1 < starts.length ? (starts[i + 1] as number) - 1 : batchBytes;
      const text = bytes.toString('utf8', starts[i], end).trim();
      if (!text) continue;
      current = { line, offset };
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        reject(line, offset, jsonErrorReason(err));
        continue;
      }
      let r: LineMapResult;
      try {
        r = o.mapper(value);
      } catch (err) {
        reject(line, offset, rejectionReason(err));
        continue;
      }
      yield* r.records;
      for (const why of r.rejected) reject(line, offset, why);
    }
  }

  const commit = (after: FilePosition) => {
    // Lines rejected before mapping (over-long) still commit, so the cursor moves past them.
    if (!starts.length && !batchRejected) return;
    const r = o.store.insertBatch(
      mapped(),
      (c) => o.onCommit?.(after, { ...c, rejected: batchRejected }),
      (_record, reason) => reject(current.line, current.offset, reason),
    );
    total.imported += r.imported;
    total.duplicates += r.duplicates;
    total.rejected += batchRejected;
    batchRejected = 0;
    resetBatch();
    o.onProgress?.(after, total);
  };

  function resetBatch(): void {
    // A batch grown by huge lines gives its memory back.
    if (bytes.length > 2 * MAX_BATCH_BYTES) bytes = Buffer.allocUnsafeSlow(1 << 20);
    batchBytes = 0;
    starts = [];
    lineNos = [];
    offsets = [];
  }
  const handleLine = (buf: Buffer, lineNo: number, offset: number) => {
    const at = starts.length ? batchBytes + 1 : 0;
    if (at + buf.length > bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(bytes.length * 2, at + buf.length));
      bytes.copy(grown, 0, 0, batchBytes);
      bytes = grown;
    }
    if (at) bytes[batchBytes] = NL;
    buf.copy(bytes, at);
    batchBytes = at + buf.length;
    starts.push(at);
    lineNos.push(lineNo);
    offsets.push(offset);
  };

  const fh = await openRegularFile(o.path);
  try {
    // A large unread remainder (estimated at BYTES_PER_EVENT) may go through the store's bulk path.
    const expected = Math.floor(Math.max(0, (await fh.stat()).size - pos.offset) / BYTES_PER_EVENT);
    await o.store.bulk(expected, async () => {
      await readAll(fh);
      o.onStored?.(o.store.bulkLoading);
    });
  } finally {
    await fh.close();
  }
  return { ...total, ...pos };

  async function readAll(fh: FileHandle): Promise<void> {
    // The unfinished line is kept as a list of chunks and joined only when its newline arrives: a
    // file without newlines was re-concatenated and re-scanned on every chunk (quadratic), and a
    // line over MAX_LINE_BYTES is streamed past and rejected, never held whole.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let skipped = 0;
    let readAt = pos.offset;
    const buf = Buffer.allocUnsafe(CHUNK);
    const tooLong = `line longer than ${MAX_LINE_BYTES >> 20} MiB; skipped`;
    /** Ends a line; true when the batch is full (then committed before the next line). */
    const endLine = (tail: Buffer): boolean => {
      const lineOffset = pos.offset;
      if (skipped) {
        reject(pos.line + 1, lineOffset, tooLong);
        pos = { offset: lineOffset + skipped + pendingBytes + tail.length + 1, line: pos.line + 1 };
      } else {
        const text = pending.length ? Buffer.concat([...pending, tail]) : tail;
        handleLine(text, pos.line + 1, lineOffset);
        pos = { offset: lineOffset + text.length + 1, line: pos.line + 1 };
      }
      pending = [];
      pendingBytes = 0;
      skipped = 0;
      return starts.length >= batchSize || batchBytes >= MAX_BATCH_BYTES;
    };
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, readAt);
      if (bytesRead === 0) break;
      readAt += bytesRead;
      const data = buf.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        const nl = data.indexOf(NL, start);
        if (nl < 0) break;
        // (handleLine copies the line into the batch before the next read reuses `buf`.)
        const full = endLine(data.subarray(start, nl));
        start = nl + 1;
        if (full) await commitInTurn(pos);
      }
      if (start < data.length) {
        if (skipped) skipped += data.length - start;
        else {
          pending.push(Buffer.from(data.subarray(start)));
          pendingBytes += data.length - start;
          if (pendingBytes > MAX_LINE_BYTES) {
            skipped = pendingBytes;
            pending = [];
            pendingBytes = 0;
          }
        }
      }
    }
    if (o.final && (skipped || pendingBytes)) {
      const lineOffset = pos.offset;
      if (skipped) reject(pos.line + 1, lineOffset, tooLong);
      else handleLine(Buffer.concat(pending), pos.line + 1, lineOffset);
      pos = { offset: lineOffset + skipped + pendingBytes, line: pos.line + 1 };
    }
    // Following: an unfinished line is read again from its start once it has an end.
    await commitInTurn(pos);
  }

  async function commitInTurn(after: FilePosition): Promise<void> {
    const release = await o.batchTurn?.();
    try {
      commit(after);
    } finally {
      release?.();
    }
  }
}

/** A path that is not a regular file (a directory, device, FIFO, socket): never read as a log. */
export class NotRegularFileError extends Error {
  override name = 'NotRegularFileError';
  readonly code = 'ENOTREG';
  constructor(readonly path: string) {
    super(`${path} is not a regular file`);
  }
}

/**
 * Opens a log for reading only if it is a regular file (following symlinks). Non-blocking, so a FIFO
 * is refused instead of waiting for a writer; the check is on the opened descriptor (no race).
 */
export async function openRegularFile(path: string): Promise<FileHandle> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await fh.stat()).isFile()) throw new NotRegularFileError(path);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}

export function encodeFilePosition(p: FilePosition): string {
  return `${p.offset}:${p.line}`;
}

export function decodeFilePosition(cursor: string | null): FilePosition {
  const m = /^(\d+):(\d+)$/.exec(cursor ?? '');
  return m ? { offset: Number(m[1]), line: Number(m[2]) } : { offset: 0, line: 0 };
}

/**
 * Where to resume a followed file: the stored position, or the start when the file shrank (rotated);
 * with the file's size now (what a sync's progress counts against).
 */
export async function resumePosition(
  path: string,
  cursor: string | null,
): Promise<{ start: FilePosition; size: number }> {
  const pos = decodeFilePosition(cursor);
  const { size } = await stat(path);
  return { start: size < pos.offset ? { offset: 0, line: 0 } : pos, size };
}
