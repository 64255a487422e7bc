import { z } from 'zod';

/**
 * The audit timeline's normalized event. Field names follow the OpenTelemetry semantic conventions
 * for MCP where one exists (`mcp.method.name`, `gen_ai.tool.name`, `mcp.session.id`,
 * `jsonrpc.request.id`, `error.type`, `client.address`, `user.id`…); the rest are Gatehouse's own
 * plain names (`tenant`, `client`, `server`, `outcome`, `reason`, `durationMs`).
 */

export const AuditOutcome = z.enum(['success', 'denied', 'error']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/** Kinds of source the timeline ingests (`gatehouse` is Gatehouse's own hash-chained action log). */
export const AuditSourceKind = z.enum(['contextforge', 'toolhive', 'otlp-json', 'jsonl', 'gatehouse']);
export type AuditSourceKind = z.infer<typeof AuditSourceKind>;

/** Formats a file can be imported in (CLI `--format`, file sources in Settings). */
export const AuditFileFormat = z.enum(['toolhive', 'otlp-json', 'jsonl']);
export type AuditFileFormat = z.infer<typeof AuditFileFormat>;

const str = z.string().nullable();

export const AuditEvent = z.object({
  /** Store id (opaque, stable); also the keyset cursor's tiebreaker. */
  id: z.string(),
  /** When it happened (ISO 8601, UTC, millisecond precision). */
  time: z.string(),
  /** Source name: `gatehouse`, or the configured source's name (default: its kind). */
  source: z.string(),
  sourceKind: AuditSourceKind,
  /** The gateway's id for the record (audit id, row id), when it has one. */
  sourceRecordId: str,
  /** Team / tenant the call was made in. */
  tenant: str,
  /** Subject: the end user (`user.id`) and the MCP client / agent (`client`). */
  'user.id': str,
  client: str,
  'client.address': str,
  /** The MCP method (`tools/call`, `resources/read`…) or, for admin records, the action verb. */
  'mcp.method.name': str,
  /** Target MCP server (upstream, virtual server or gateway). */
  server: str,
  'gen_ai.tool.name': str,
  'gen_ai.prompt.name': str,
  'mcp.resource.uri': str,
  outcome: AuditOutcome,
  /** Why (denial reason, error message), plain text. */
  reason: str,
  'error.type': str,
  durationMs: z.number().nullable(),
  'jsonrpc.request.id': str,
  'mcp.session.id': str,
  /** The original record, credentials masked, at most ORIGINAL_MAX_BYTES of JSON. */
  original: z.unknown(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** An event as a source produces it, before the store assigns its id. */
export type AuditEventDraft = Omit<AuditEvent, 'id'>;

export const ORIGINAL_MAX_BYTES = 8192;

/** Values to leave out, per field ("not outcome=success"); an event with no value for the field is kept. */
export const AuditExclude = z
  .object({
    tenant: z.array(z.string()).optional(),
    /** Leaves out events whose `user.id` or `client` is one of these. */
    subject: z.array(z.string()).optional(),
    user: z.array(z.string()).optional(),
    client: z.array(z.string()).optional(),
    server: z.array(z.string()).optional(),
    tool: z.array(z.string()).optional(),
    method: z.array(z.string()).optional(),
    outcome: z.array(AuditOutcome).optional(),
    source: z.array(z.string()).optional(),
  })
  .strict();
export type AuditExclude = z.infer<typeof AuditExclude>;

/** The filter every query, facet, histogram and export takes. All lists are OR within, AND across. */
export const AuditFilter = z
  .object({
    /** Inclusive lower bound (ISO). */
    since: z.string().optional(),
    /** Exclusive upper bound (ISO). */
    until: z.string().optional(),
    tenant: z.array(z.string()).optional(),
    /** Matches `user.id` or `client` exactly. */
    subject: z.array(z.string()).optional(),
    user: z.array(z.string()).optional(),
    client: z.array(z.string()).optional(),
    server: z.array(z.string()).optional(),
    tool: z.array(z.string()).optional(),
    method: z.array(z.string()).optional(),
    outcome: z.array(AuditOutcome).optional(),
    source: z.array(z.string()).optional(),
    /** Full-text search (FTS5 terms; prefix with `*`) over the searchable fields. */
    text: z.string().optional(),
    /** Values to leave out (AND with the lists above). */
    exclude: AuditExclude.optional(),
  })
  .strict();
export type AuditFilter = z.infer<typeof AuditFilter>;

/** Facets shown on the Audit page. `subject` counts `user.id`. */
export const AuditFacetName = z.enum(['tenant', 'subject', 'client', 'server', 'tool', 'method', 'outcome', 'source']);
export type AuditFacetName = z.infer<typeof AuditFacetName>;

export const FacetCount = z.object({ value: z.string().nullable(), count: z.number().int() });
export type FacetCount = z.infer<typeof FacetCount>;

/**
 * Which timeline a query reads: this workstation's own store (the default) or the team store's
 * shared timeline (PostgreSQL), available when the configured team store URL is an admin's.
 */
export const AuditScope = z.enum(['workstation', 'team']);
export type AuditScope = z.infer<typeof AuditScope>;

export const AuditScopes = z.object({
  team: z.object({
    available: z.boolean(),
    /** Why the team timeline is not available (no team store, a reporter's URL, unreachable). */
    reason: z.string().nullable(),
    /** The team store URL with its password masked. */
    display: z.string().nullable(),
  }),
});
export type AuditScopes = z.infer<typeof AuditScopes>;

/** Forwarding of this workstation's events to the team timeline (`audit.forward.status`). */
export const AuditForwardStatus = z.object({
  /** An admin's team store is configured (or one that cannot be reached now): syncs forward to it. */
  configured: z.boolean(),
  /** Why nothing is forwarded when not configured (no team store, a reporter's URL). */
  reason: z.string().nullable(),
  /** The team store URL with its password masked. */
  target: z.string().nullable(),
  /** Time of the newest local event forwarded (null: none yet). */
  forwardedThrough: z.string().nullable(),
  /** Events forwarded to this store so far. */
  forwarded: z.number().int(),
  /** Local events not yet forwarded. */
  pending: z.number().int(),
  lastAttemptAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  /** First failed attempt since the last success (null while forwarding works). */
  failingSince: z.string().nullable(),
  /** Why the last attempt failed, masked (never a password or token). */
  lastError: z.string().nullable(),
});
export type AuditForwardStatus = z.infer<typeof AuditForwardStatus>;

/** List order of a query. */
export const AuditOrder = z.enum(['newest', 'oldest']);
export type AuditOrder = z.infer<typeof AuditOrder>;

export const AuditPage = z.object({
  events: z.array(AuditEvent),
  /** Pass back as `cursor` for the next page (older when newest first); null at the end. */
  nextCursor: z.string().nullable(),
  /**
   * Pass back as `cursor` with `direction: 'prev'` for the page before this one (newer when newest
   * first); null when this page starts the list. Set on pages reached by a cursor or a jump (`at`).
   */
  prevCursor: z.string().nullable().default(null),
  /** Count of every match (only when `withTotal`). */
  total: z.number().int().nullable(),
  /**
   * With a text filter: 'catching-up' while the full-text index is still being built after a large
   * import (the page may miss events not indexed yet), else 'ready'.
   */
  search: z.enum(['ready', 'catching-up']).optional(),
});
export type AuditPage = z.infer<typeof AuditPage>;

export const HistogramBucket = z.object({
  /** Bucket start (ISO). */
  start: z.string(),
  count: z.number().int(),
  /** Of which denied / error. */
  denied: z.number().int(),
  error: z.number().int(),
});
export const AuditHistogram = z.object({
  /** Range actually covered (the filter's, or the data's when the filter is open). */
  from: z.string().nullable(),
  to: z.string().nullable(),
  bucketMs: z.number().int(),
  buckets: z.array(HistogramBucket),
  total: z.number().int(),
});
export type AuditHistogram = z.infer<typeof AuditHistogram>;

/** A field mapping for generic JSON lines: normalized field → dotted path in the record. */
export const JsonlMapping = z
  .object({
    time: z.string(),
    sourceRecordId: z.string().optional(),
    tenant: z.string().optional(),
    user: z.string().optional(),
    client: z.string().optional(),
    clientAddress: z.string().optional(),
    method: z.string().optional(),
    server: z.string().optional(),
    tool: z.string().optional(),
    prompt: z.string().optional(),
    resource: z.string().optional(),
    outcome: z.string().optional(),
    /** Raw outcome values → normalized outcome (`{"allow":"success","deny":"denied"}`); unknown → error. */
    outcomeValues: z.record(z.string(), AuditOutcome).optional(),
    reason: z.string().optional(),
    errorType: z.string().optional(),
    durationMs: z.string().optional(),
    requestId: z.string().optional(),
    sessionId: z.string().optional(),
  })
  .strict();
export type JsonlMapping = z.infer<typeof JsonlMapping>;

/** A configured source, managed in Settings. Credentials never appear here (token lives in the secret store). */
export const AuditSourceConfig = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('toolhive'), path: z.string() }),
  z.object({ kind: z.literal('otlp-json'), path: z.string() }),
  z.object({ kind: z.literal('jsonl'), path: z.string(), mapping: JsonlMapping }),
  z.object({
    kind: z.literal('contextforge'),
    baseUrl: z.string(),
    /** Secret-store key holding the bearer token. */
    tokenRef: z.string().optional(),
  }),
]);
export type AuditSourceConfig = z.infer<typeof AuditSourceConfig>;

export const AuditSource = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  config: AuditSourceConfig.nullable(),
  kind: AuditSourceKind,
  /** Opaque position (file offset, timestamp); shown for diagnosis. */
  cursor: z.string().nullable(),
  imported: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  lastSyncAt: z.string().nullable(),
  lastError: z.string().nullable(),
});
export type AuditSource = z.infer<typeof AuditSource>;

export const RejectedRecord = z.object({
  /** File path or source name. */
  where: z.string(),
  /** 1-based line number for line formats; null for API records. */
  line: z.number().int().nullable(),
  /** Byte offset of the line's start. */
  offset: z.number().int().nullable(),
  reason: z.string(),
});
export type RejectedRecord = z.infer<typeof RejectedRecord>;

export const IngestResult = z.object({
  imported: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  /** The first rejected records (capped), with where they were. */
  rejections: z.array(RejectedRecord),
});
export type IngestResult = z.infer<typeof IngestResult>;

export const AuditSettings = z.object({
  /** Delete events older than this many days (null: keep forever). Gatehouse's own log is never deleted. */
  retentionDays: z.number().int().positive().nullable(),
});
export type AuditSettings = z.infer<typeof AuditSettings>;

/** What a retention period would delete now (nothing is deleted by asking). */
export const RetentionPreview = z.object({
  retentionDays: z.number().int().positive().nullable(),
  /** Events older than this would be deleted (null: keep forever). */
  cutoff: z.string().nullable(),
  events: z.number().int(),
  /** Oldest and newest event that would be deleted. */
  from: z.string().nullable(),
  to: z.string().nullable(),
  bySource: z.array(z.object({ source: z.string(), events: z.number().int() })),
  /** Days a deletion stays restorable from the trash. */
  trashDays: z.number().int(),
});
export type RetentionPreview = z.infer<typeof RetentionPreview>;

/** One deletion kept in the trash (restorable until `expiresAt`). */
export const AuditTrashBatch = z.object({
  id: z.string(),
  reason: z.enum(['retention', 'source-removed']),
  /** Retention: the period before and after the change; source removal: the source's name. */
  detail: z.object({
    previousRetentionDays: z.number().int().nullable().optional(),
    retentionDays: z.number().int().nullable().optional(),
    source: z.string().optional(),
  }),
  deletedAt: z.string(),
  expiresAt: z.string(),
  events: z.number().int(),
  from: z.string().nullable(),
  to: z.string().nullable(),
});
export type AuditTrashBatch = z.infer<typeof AuditTrashBatch>;

/**
 * The admin log's head as recorded outside the database (secret store, exports): entry count, MAC
 * of the last entry, the seq from which every entry is keyed, and when it was written.
 */
export const AdminLogAnchor = z.object({
  count: z.number().int(),
  headHash: z.string(),
  keyedFrom: z.number().int(),
  at: z.string(),
});
export type AdminLogAnchor = z.infer<typeof AdminLogAnchor>;

export const ChainVerification = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  /** The first broken link: the entry's seq and what is wrong. */
  brokenAt: z.object({ seq: z.number().int(), problem: z.string() }).nullable(),
  /** Verified entries with the keyed MAC (HMAC) / with the legacy unkeyed SHA-256. */
  keyed: z.number().int().optional(),
  legacy: z.number().int().optional(),
  /** The database's head against the anchor in the secret store. */
  anchor: z
    .object({
      status: z.enum([
        'matches',
        'behind',
        'truncated',
        'head-differs',
        'missing',
        'unreadable',
        'none',
        'not-checked',
      ]),
      anchor: AdminLogAnchor.nullable(),
      /** Entries after the anchored count (a crash between an append and its anchor write). */
      unanchored: z.number().int(),
      message: z.string(),
    })
    .optional(),
});
export type ChainVerification = z.infer<typeof ChainVerification>;

/** The columns CSV exports carry, in order. */
export const AUDIT_CSV_COLUMNS = [
  'time',
  'source',
  'tenant',
  'user.id',
  'client',
  'client.address',
  'mcp.method.name',
  'server',
  'gen_ai.tool.name',
  'gen_ai.prompt.name',
  'mcp.resource.uri',
  'outcome',
  'reason',
  'error.type',
  'durationMs',
  'jsonrpc.request.id',
  'mcp.session.id',
  'sourceRecordId',
] as const satisfies readonly (keyof AuditEvent)[];

export const AuditExportFormat = z.enum(['csv', 'jsonl']);
export type AuditExportFormat = z.infer<typeof AuditExportFormat>;
