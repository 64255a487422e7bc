import { z } from 'zod';
import {
  AdminLogAnchor,
  AuditEvent,
  AuditExportFormat,
  AuditFacetName,
  AuditFilter,
  AuditForwardStatus,
  AuditHistogram,
  AuditOrder,
  AuditPage,
  AuditScope,
  AuditScopes,
  AuditSettings,
  AuditSource,
  AuditSourceConfig,
  AuditTrashBatch,
  ChainVerification,
  FacetCount,
  IngestResult,
  RetentionPreview,
} from '../model/audit.js';
import { method } from './define.js';

export const SyncResult = z.object({
  sources: z.array(IngestResult.extend({ id: z.string(), name: z.string(), error: z.string().nullable() })),
  /**
   * Forwarding to the team timeline (an admin team store configured; else null): events sent this
   * time (`imported` of them new there), events still to send, and why the last attempt failed.
   */
  team: z
    .object({
      target: z.string(),
      sent: z.number().int(),
      imported: z.number().int(),
      pending: z.number().int(),
      error: z.string().nullable(),
    })
    .nullable()
    .optional(),
});
export type SyncResult = z.infer<typeof SyncResult>;

export const ExportChunk = z.object({
  /** Text to append to the file (CSV includes the header in the first chunk). */
  chunk: z.string(),
  /** Pass back as `cursor` for the next chunk; null when the export is complete. */
  nextCursor: z.string().nullable(),
  /** Rows in this chunk. */
  rows: z.number().int(),
  /** Rows in the whole export (first chunk only, so progress can be shown). */
  total: z.number().int().nullable(),
  /**
   * First chunk only: the admin log's anchor (count + head MAC) at export time, so an export
   * carries evidence of the log's length that a later rollback or truncation cannot change.
   */
  adminLogAnchor: AdminLogAnchor.nullable().optional(),
});
export type ExportChunk = z.infer<typeof ExportChunk>;

export const auditMethods = {
  'audit.query': method({
    input: z
      .object({
        filter: AuditFilter.default({}),
        /** From the previous page's `nextCursor` (or `prevCursor` with `direction: 'prev'`). */
        cursor: z.string().nullable().optional(),
        /** Which way the cursor pages: `next` continues the order, `prev` goes back towards its start. */
        direction: z.enum(['next', 'prev']).optional(),
        /** Newest first (the default) or oldest first. */
        order: AuditOrder.optional(),
        /**
         * Jump to a time (ISO) without a cursor: the page starts at the first event at or before it
         * (newest first) or at or after it (oldest first); its `prevCursor` leads to the other side.
         */
        at: z.string().optional(),
        limit: z.number().int().min(1).max(500).default(100),
        /** Which timeline: this workstation's (default) or the team store's. */
        scope: AuditScope.optional(),
        withTotal: z.boolean().default(false),
      })
      .strict(),
    output: AuditPage,
    mutates: false,
    summary: 'One page of audit events matching a filter, newest or oldest first, from a cursor or a time (keyset).',
  }),
  'audit.event': method({
    input: z.object({ id: z.string(), scope: AuditScope.optional() }).strict(),
    output: AuditEvent.nullable(),
    mutates: false,
    summary: 'One audit event with its original record.',
  }),
  'audit.facets': method({
    input: z
      .object({
        filter: AuditFilter.default({}),
        facets: z.array(AuditFacetName).optional(),
        /** Values per facet (the most frequent). */
        limit: z.number().int().min(1).max(100).default(12),
        /** Only values containing this text (case-insensitive), e.g. to find a value beyond the top ones. */
        search: z.string().max(200).optional(),
        /** Which timeline: this workstation's (default) or the team store's. */
        scope: AuditScope.optional(),
      })
      .strict(),
    output: z.record(z.string(), z.array(FacetCount)),
    mutates: false,
    summary: 'Counts per value of each facet under the filter (each facet ignores its own selection).',
  }),
  'audit.histogram': method({
    input: z
      .object({
        filter: AuditFilter.default({}),
        buckets: z.number().int().min(4).max(400).default(80),
        scope: AuditScope.optional(),
      })
      .strict(),
    output: AuditHistogram,
    mutates: false,
    summary: 'Event counts over time; the bucket size is chosen for the range.',
  }),
  'audit.export': method({
    input: z
      .object({
        filter: AuditFilter.default({}),
        format: AuditExportFormat,
        cursor: z.string().nullable().optional(),
        limit: z.number().int().min(1).max(20_000).default(5000),
        /** Which timeline: this workstation's (default) or the team store's. */
        scope: AuditScope.optional(),
      })
      .strict(),
    output: ExportChunk,
    mutates: false,
    summary: 'The next chunk of an export of the filter to CSV or JSON lines (call until nextCursor is null).',
  }),
  'audit.scopes': method({
    input: z.object({}).strict(),
    output: AuditScopes,
    mutates: false,
    summary:
      "Which timelines can be read: this workstation's always, the team store's when an admin's URL is configured.",
  }),
  'audit.forward.status': method({
    input: z.object({}).strict(),
    output: AuditForwardStatus,
    mutates: false,
    summary:
      "Forwarding of this workstation's events to the team timeline: target (masked), pending events, last attempt, success and error.",
  }),
  'audit.sources.list': method({
    input: z.object({}).strict(),
    output: z.array(AuditSource),
    mutates: false,
    summary: 'Configured audit sources with their cursor and counters.',
  }),
  'audit.sources.add': method({
    input: z
      .object({
        name: z.string().min(1).max(100),
        config: AuditSourceConfig,
        /** ContextForge bearer token: kept in the secret store, never returned. */
        token: z.string().optional(),
      })
      .strict(),
    output: AuditSource,
    mutates: true,
    summary: 'Add an audit source (a file to follow or a gateway to pull).',
  }),
  'audit.sources.update': method({
    input: z
      .object({ id: z.string(), name: z.string().min(1).max(100).optional(), enabled: z.boolean().optional() })
      .strict(),
    output: AuditSource,
    mutates: true,
    summary: 'Rename, enable or disable an audit source.',
  }),
  'audit.sources.remove': method({
    input: z.object({ id: z.string(), deleteEvents: z.boolean().default(false) }).strict(),
    output: z.object({ removed: z.boolean(), deletedEvents: z.number().int(), trashBatch: z.string().nullable() }),
    mutates: true,
    summary: 'Remove an audit source (optionally with its events).',
  }),
  'audit.sync': method({
    input: z.object({ id: z.string().optional() }).strict(),
    output: SyncResult,
    mutates: true,
    // Its writes run in the import queue, after any import of its own; a turn would only hold that import up.
    writesStore: false,
    summary: 'Pull new records from every enabled source (or one) now.',
  }),
  'audit.settings.get': method({
    input: z.object({}).strict(),
    output: AuditSettings,
    mutates: false,
    summary: 'Audit retention settings.',
  }),
  'audit.settings.set': method({
    input: AuditSettings.extend({
      /**
       * The number of events the admin confirmed deleting (from audit.retention.preview). Required
       * when the period deletes any event; refused (conflict) when more would be deleted now.
       */
      confirmDeletion: z.number().int().min(0).optional(),
    }).strict(),
    output: AuditSettings.extend({ deletedEvents: z.number().int(), trashBatch: z.string().nullable() }),
    mutates: true,
    summary: 'Set audit retention; events past it move to the trash (restorable), only with a confirmed count.',
  }),
  'audit.retention.preview': method({
    input: AuditSettings.strict(),
    output: RetentionPreview,
    mutates: false,
    summary: 'How many events (which range, which sources) a retention period would delete now.',
  }),
  'audit.trash.list': method({
    input: z.object({}).strict(),
    output: z.array(AuditTrashBatch),
    mutates: false,
    summary: 'Deleted audit events kept in the trash, one batch per deletion, restorable until they expire.',
  }),
  'audit.trash.restore': method({
    input: z.object({ id: z.string() }).strict(),
    output: z.object({
      restored: z.number().int(),
      duplicates: z.number().int(),
      retentionDays: z.number().int().nullable(),
    }),
    mutates: true,
    summary: 'Restore a deletion from the trash (a retention change also gets its previous period back).',
  }),
  'audit.verify': method({
    input: z.object({}).strict(),
    output: ChainVerification,
    mutates: false,
    summary: "Verify the hash chain of Gatehouse's own action log.",
  }),
};

export const auditEvents = {
  /** New events were stored (sync, import, Gatehouse action). */
  'audit.ingested': z.object({ source: z.string(), imported: z.number().int() }),
  /**
   * A sync importing a file source for longer than a moment, a few times a second: bytes and lines
   * read in this sync of the unread part it started with. `indexing`: every line is stored; a large
   * import is still building its indexes (search catching up). `done`: the sync of it ended.
   */
  'audit.sync.progress': z.object({
    id: z.string(),
    source: z.string(),
    phase: z.enum(['storing', 'indexing', 'done']),
    bytes: z.number().int().nonnegative(),
    totalBytes: z.number().int().nonnegative(),
    lines: z.number().int().nonnegative(),
    imported: z.number().int().nonnegative(),
  }),
};
