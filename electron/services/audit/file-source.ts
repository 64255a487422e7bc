import type { AuditFileFormat, JsonlMapping, RejectedRecord } from '../../../shared/model/audit.js';
import type { Database } from '../store/database.js';
import { encodeFilePosition, ingestFile, lineMapper, type FilePosition, type IngestCounts } from './ingest.js';
import { setSourceCursor } from './sources-repo.js';
import type { AuditStore } from './store.js';

/**
 * One sync of a file source (ToolHive, OTLP JSON, JSON lines): its unread lines imported, the
 * source's cursor committed with each batch. The same job runs on the serving thread (small
 * increments, the CLI, tests) or on an ingest worker thread with its own connection (ingest-port.ts).
 */

export interface FileSourceJob {
  sourceId: string;
  /** The source's name, stored as each event's `source`. */
  source: string;
  kind: AuditFileFormat;
  path: string;
  mapping?: JsonlMapping;
  /** Where the last sync stopped (resumePosition). */
  start: FilePosition;
  /** Lines per transaction (default AUDIT_INGEST_BATCH; the bench varies it). */
  batchSize?: number;
}

export type FileSourceResult = IngestCounts & FilePosition;

export interface FileSourceHooks {
  onReject?: (r: RejectedRecord) => void;
  /** After each committed batch: the position and the totals so far. */
  onProgress?: (pos: FilePosition, total: IngestCounts) => void;
  /** Every line read is stored; `indexing`: a bulk load's indexes and full-text rows follow. */
  onStored?: (indexing: boolean) => void;
  /** A turn at the write lock before each batch (write-turns.ts: an ingest worker's). */
  batchTurn?: () => Promise<() => void>;
}

export function ingestFileSource(
  db: Database,
  store: AuditStore,
  job: FileSourceJob,
  hooks: FileSourceHooks = {},
): Promise<FileSourceResult> {
  return ingestFile({
    store,
    path: job.path,
    mapper: lineMapper(job.kind, { source: job.source, mapping: job.kind === 'jsonl' ? job.mapping : undefined }),
    start: job.start,
    final: false,
    batchSize: job.batchSize,
    onReject: hooks.onReject,
    onProgress: hooks.onProgress,
    onStored: hooks.onStored,
    batchTurn: hooks.batchTurn,
    // The cursor commits in the batch's transaction, on the connection that wrote the batch.
    onCommit: (pos, c) => setSourceCursor(db, job.sourceId, encodeFilePosition(pos), c, job.kind),
  });
}
