import type { AdminEvents } from '../../../shared/api/contract.js';
import type {
  AuditSource,
  AuditSourceConfig,
  IngestResult,
  RejectedRecord,
  RetentionPreview,
} from '../../../shared/model/audit.js';
import type { ServiceContext } from '../context.js';
import type { Database } from '../store/database.js';
import type { FileSourceJob } from './file-source.js';
import { resumePosition, type FilePosition, type IngestCounts } from './ingest.js';
import { inlineFileIngest, type FileIngestPort } from './ingest-port.js';
import {
  fetchContextForgeClient,
  pullContextForge,
  type ContextForgeClient,
  type ContextForgeCursor,
} from './sources/contextforge.js';
import { syncGatehouseLog } from './sources/gatehouse.js';
import { clampForwardMarks, forwardFailed, forwardToTeam, type ForwardResult } from './forward.js';
import type { PgAuditStore } from '../fleet/audit.js';
import { maskAuditField } from './mask.js';
import { getSettings, listSources, setSourceCursor, setSourceError } from './sources-repo.js';
import { AUDIT_TRASH_DAYS, AuditStore, type TrashDetail } from './store.js';

/** Sync of configured sources and retention; shared by the handlers, the follower and the CLI. */

const DAY = 86_400_000;
const MAX_REJECTIONS = 50;
/**
 * Records per transaction of a gateway pull: stored on the serving thread (the records are already
 * in memory), so batches stay small enough (~50 ms) for the event loop to answer between them.
 */
const PULL_BATCH = 2500;
/** Least time between two progress events of one sync. */
const PROGRESS_MS = 200;

export type AuditSyncProgress = AdminEvents['audit.sync.progress'];

export type SourceSyncResult = IngestResult & { id: string; name: string; error: string | null };

/** Where a sync forwards this workstation's events: the team timeline and its forward-mark key. */
export interface ForwardTarget {
  /** The team store URL, password masked (the key of its forward mark). */
  target: string;
  /**
   * The team timeline; null when the URL is not an admin's (a reporter sends scans only, nothing
   * to forward). Throws when the store cannot be used (down): the events stay pending.
   */
  open: () => Promise<PgAuditStore | null>;
}

export interface SyncOutcome {
  sources: SourceSyncResult[];
  /** Null when no admin team store is configured; else what was forwarded (or why not). */
  team: (ForwardResult & { target: string }) | null;
}

export function tokenKey(sourceId: string): string {
  return `audit.source.${sourceId}.token`;
}

export class AuditService {
  readonly store: AuditStore;
  private readonly fileIngest: FileIngestPort;
  /** Sources being synced now (a removal waits for the end of its sync). */
  private readonly syncing = new Set<string>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    readonly db: Database,
    private readonly opts: {
      secrets?: ServiceContext['secrets'];
      /** Builds the ContextForge client (tests inject one; default: fetch). */
      contextForgeClient?: (
        config: Extract<AuditSourceConfig, { kind: 'contextforge' }>,
        token: string | null,
      ) => ContextForgeClient;
      now?: () => Date;
      /** The team timeline to forward to after each sync (null: no team store configured). */
      forwardTo?: () => Promise<ForwardTarget | null>;
      /** Where file sources are imported (default: inline on `db`; a serving process: ingest-port.ts). */
      fileIngest?: FileIngestPort;
      /** How far a file source's sync is (at most every PROGRESS_MS, and when every line is stored). */
      onSyncProgress?: (p: AuditSyncProgress) => void;
    } = {},
  ) {
    this.store = new AuditStore(db);
    this.fileIngest = opts.fileIngest ?? inlineFileIngest(db, this.store);
  }

  /** Brings Gatehouse's own actions into the timeline (cheap when up to date). */
  catchUpGatehouse(): number {
    return syncGatehouseLog(this.db, this.store);
  }

  /** Pulls every enabled source (or one), one sync at a time per process. */
  async sync(onlyId?: string): Promise<SourceSyncResult[]> {
    return (await this.syncAndForward(onlyId)).sources;
  }

  /**
   * Pulls the sources, then forwards what is new locally to the team timeline (when an admin team
   * store is configured), in the same queue: two syncs never forward the same events at once.
   */
  syncAndForward(onlyId?: string): Promise<SyncOutcome> {
    const run = this.running.then(async () => ({ sources: await this.syncNow(onlyId), team: await this.forward() }));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async forward(): Promise<SyncOutcome['team']> {
    const to = await this.opts.forwardTo?.();
    if (!to) return null;
    const now = this.opts.now ?? (() => new Date());
    let audit: PgAuditStore | null;
    try {
      audit = await to.open();
    } catch (err) {
      // Configured but unusable (down, refused): nothing is sent, the mark stays, the next sync retries.
      const error = maskAuditField(err instanceof Error ? err.message : String(err));
      return { ...forwardFailed(this.db, to.target, error, now()), target: to.target };
    }
    if (!audit) return null;
    try {
      return { ...(await forwardToTeam(this.db, this.store, audit, to.target, now)), target: to.target };
    } catch (err) {
      // A local read failing never fails the sync it follows; the mark did not move.
      const error = maskAuditField(err instanceof Error ? err.message : String(err));
      return { sent: 0, imported: 0, pending: 0, error, target: to.target };
    }
  }

  private async syncNow(onlyId?: string): Promise<SourceSyncResult[]> {
    const results: SourceSyncResult[] = [];
    const g = this.catchUpGatehouse();
    for (const src of listSources(this.db)) {
      if (onlyId !== undefined && src.id !== onlyId) continue;
      if (src.kind === 'gatehouse') {
        results.push({
          id: src.id,
          name: src.name,
          imported: g,
          duplicates: 0,
          rejected: 0,
          rejections: [],
          error: null,
        });
        continue;
      }
      if (!src.enabled || !src.config) continue;
      results.push(await this.syncSource(src));
    }
    this.applyRetention();
    return results;
  }

  /** Whether source `id` is being synced now. */
  isSyncing(id: string): boolean {
    return this.syncing.has(id);
  }

  private async syncSource(src: AuditSource): Promise<SourceSyncResult> {
    this.syncing.add(src.id);
    try {
      return await this.syncSourceNow(src);
    } finally {
      this.syncing.delete(src.id);
    }
  }

  private async syncSourceNow(src: AuditSource): Promise<SourceSyncResult> {
    const result: SourceSyncResult = {
      id: src.id,
      name: src.name,
      imported: 0,
      duplicates: 0,
      rejected: 0,
      rejections: [],
      error: null,
    };
    const config = src.config;
    if (!config) return result;
    const addRejection = (r: RejectedRecord) => {
      if (result.rejections.length < MAX_REJECTIONS) result.rejections.push(r);
    };
    try {
      if (config.kind === 'contextforge') {
        const token = config.tokenRef && this.opts.secrets ? await this.opts.secrets.get(config.tokenRef) : null;
        const client = (this.opts.contextForgeClient ?? ((c, t) => fetchContextForgeClient(c.baseUrl, t)))(
          config,
          token,
        );
        const cursor = parseCfCursor(src.cursor);
        const pulled = await pullContextForge(client, cursor, src.name);
        for (const r of pulled.rejected)
          addRejection({ where: `${src.name}: ${r.where}`, line: null, offset: null, reason: r.reason });
        const batches: (typeof pulled.records)[] = [];
        for (let i = 0; i < pulled.records.length; i += PULL_BATCH)
          batches.push(pulled.records.slice(i, i + PULL_BATCH));
        if (!batches.length) batches.push([]);
        for (const [i, slice] of batches.entries()) {
          // The serving thread answers between two batches (they are stored here, not on a worker).
          if (i > 0) await new Promise((r) => setImmediate(r));
          const last = i === batches.length - 1;
          // The new cursor commits with the last batch; a crash before it only means re-pulling (deduped).
          let bad = 0;
          const r = this.store.insertBatch(
            slice,
            (c) =>
              setSourceCursor(
                this.db,
                src.id,
                last ? JSON.stringify(pulled.cursor) : JSON.stringify(cursor),
                { ...c, rejected: bad + (last ? pulled.rejected.length : 0) },
                'contextforge',
              ),
            (rec, reason) => {
              bad++;
              addRejection({
                where: `${src.name}: ${maskAuditField(rec.key) ?? ''}`,
                line: null,
                offset: null,
                reason,
              });
            },
          );
          result.imported += r.imported;
          result.duplicates += r.duplicates;
          result.rejected += r.rejected;
        }
        result.rejected += pulled.rejected.length;
      } else {
        const { start, size } = await resumePosition(config.path, src.cursor);
        const job: FileSourceJob = {
          sourceId: src.id,
          source: src.name,
          kind: config.kind,
          path: config.path,
          mapping: config.kind === 'jsonl' ? config.mapping : undefined,
          start,
        };
        const progress = this.progressReporter(src, start, size);
        const r = await this.fileIngest
          .run(job, { onReject: addRejection, onProgress: progress?.batch, onStored: progress?.stored })
          .finally(() => progress?.done());
        Object.assign(result, { imported: r.imported, duplicates: r.duplicates, rejected: r.rejected });
      }
      const lastRejection = result.rejections[0];
      setSourceError(
        this.db,
        src.id,
        lastRejection
          ? `${result.rejected} rejected; first: ${lastRejection.where}${lastRejection.line ? `:${lastRejection.line}` : ''}: ${lastRejection.reason}`
          : null,
      );
    } catch (err) {
      result.error = maskAuditField(err instanceof Error ? err.message : String(err));
      setSourceError(this.db, src.id, result.error);
    }
    return result;
  }

  /**
   * A file sync's progress hooks. Nothing is reported for a sync shorter than PROGRESS_MS (a
   * follower's increments); a longer one reports at most every PROGRESS_MS while storing, once every
   * line is stored when a bulk load's index builds follow (`indexing`), and when it ends (`done`,
   * also after a failure).
   */
  private progressReporter(
    src: AuditSource,
    start: FilePosition,
    size: number,
  ):
    | { batch: (pos: FilePosition, total: IngestCounts) => void; stored: (indexing: boolean) => void; done: () => void }
    | undefined {
    const emit = this.opts.onSyncProgress;
    if (!emit) return undefined;
    let last = performance.now();
    let shown = false;
    let latest: AuditSyncProgress = {
      id: src.id,
      source: src.name,
      phase: 'storing',
      bytes: 0,
      totalBytes: Math.max(0, size - start.offset),
      lines: 0,
      imported: 0,
    };
    const show = (p: AuditSyncProgress, force: boolean) => {
      const now = performance.now();
      if (!force && now - last < PROGRESS_MS) return;
      last = now;
      shown = true;
      emit(p);
    };
    return {
      batch: (pos, total) => {
        // (A log that grew since the sync started is read on; its bar stays full meanwhile.)
        latest = {
          ...latest,
          bytes: Math.max(0, Math.min(size, pos.offset) - start.offset),
          lines: pos.line - start.line,
          imported: total.imported,
        };
        show(latest, false);
      },
      stored: (indexing) => {
        if (indexing) show({ ...latest, phase: 'indexing' }, shown);
      },
      done: () => {
        if (shown) emit({ ...latest, phase: 'done' });
      },
    };
  }

  /** The retention cutoff for `retentionDays` now (null: keep forever). */
  retentionCutoff(retentionDays: number | null): number | null {
    if (!retentionDays) return null;
    return (this.opts.now ?? (() => new Date()))().getTime() - retentionDays * DAY;
  }

  /** What a retention period would delete now; deletes nothing. */
  previewRetention(retentionDays: number | null): RetentionPreview {
    const cutoff = this.retentionCutoff(retentionDays);
    const p = cutoff === null ? { events: 0, from: null, to: null, bySource: [] } : this.store.previewOlderThan(cutoff);
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      retentionDays,
      cutoff: iso(cutoff),
      events: p.events,
      from: iso(p.from),
      to: iso(p.to),
      bySource: p.bySource,
      trashDays: AUDIT_TRASH_DAYS,
    };
  }

  /**
   * Moves events past the retention period to the trash (restorable for AUDIT_TRASH_DAYS) and purges
   * trash older than that. Returns how many events were moved and the trash batch.
   */
  applyRetention(detail: TrashDetail = {}): { events: number; batch: string | null } {
    const now = (this.opts.now ?? (() => new Date()))().getTime();
    this.store.purgeTrash(now - AUDIT_TRASH_DAYS * DAY);
    const { retentionDays } = getSettings(this.db);
    const cutoff = this.retentionCutoff(retentionDays);
    if (cutoff === null) return { events: 0, batch: null };
    const deleted = this.store.deleteOlderThan(cutoff, { retentionDays, ...detail });
    if (deleted.events) clampForwardMarks(this.db);
    return deleted;
  }
}

function parseCfCursor(c: string | null): ContextForgeCursor {
  try {
    const v = JSON.parse(c ?? '') as Partial<ContextForgeCursor>;
    return { audit: typeof v.audit === 'string' ? v.audit : null, logs: typeof v.logs === 'string' ? v.logs : null };
  } catch {
    return { audit: null, logs: null };
  }
}
