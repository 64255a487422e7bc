import type { Migration } from '../store/migrations.js';

/**
 * Audit timeline schema (versions 300–399). Events carry a 63-bit `uid` (SHA-256 of the source's
 * record id, or of the record's content) under a unique index (with ts and outcome since 304): the
 * same event ingested twice is stored once. `audit_fts` is a contentless FTS5 index over the searchable fields (rowid = event id).
 */
export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    version: 300,
    name: 'audit timeline: events, full-text index, sources, settings',
    sql: `
      CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY,
        uid INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        source TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        source_record_id TEXT,
        tenant TEXT,
        user_id TEXT,
        client TEXT,
        client_address TEXT,
        method TEXT,
        server TEXT,
        tool TEXT,
        prompt TEXT,
        resource_uri TEXT,
        outcome TEXT NOT NULL,
        reason TEXT,
        error_type TEXT,
        duration_ms REAL,
        request_id TEXT,
        session_id TEXT,
        original TEXT
      );
      CREATE UNIQUE INDEX audit_events_uid ON audit_events (uid);
      CREATE INDEX audit_events_ts ON audit_events (ts, outcome);
      CREATE INDEX audit_events_tenant ON audit_events (tenant, ts);
      CREATE INDEX audit_events_user ON audit_events (user_id, ts);
      CREATE INDEX audit_events_client ON audit_events (client, ts);
      CREATE INDEX audit_events_server ON audit_events (server, ts);
      CREATE INDEX audit_events_tool ON audit_events (tool, ts);
      CREATE INDEX audit_events_method ON audit_events (method, ts);
      CREATE INDEX audit_events_outcome ON audit_events (outcome, ts);
      CREATE VIRTUAL TABLE audit_fts USING fts5 (body, content = '', contentless_delete = 1);
      CREATE TABLE audit_sources (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        config_json TEXT,
        cursor TEXT,
        imported INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        last_sync_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL
      );
      CREATE TABLE audit_settings (key TEXT PRIMARY KEY, value_json TEXT NOT NULL);
    `,
  },
  {
    version: 301,
    name: 'audit timeline: rollups for histogram (per minute) and facets (per day)',
    sql: `
      CREATE TABLE audit_minutes (
        minute INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (minute, outcome)
      ) WITHOUT ROWID;
      CREATE TABLE audit_facet_days (
        dim TEXT NOT NULL,
        day INTEGER NOT NULL,
        value TEXT NOT NULL,
        outcome TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (dim, day, value, outcome)
      ) WITHOUT ROWID;
      INSERT INTO audit_minutes (minute, outcome, n)
        SELECT ts / 60000, outcome, COUNT(*) FROM audit_events WHERE true GROUP BY 1, 2;
${['tenant', 'client', 'server', 'tool', 'method', 'source']
  .map(
    (c) => `      INSERT INTO audit_facet_days (dim, day, value, outcome, n)
        SELECT '${c}', ts / 86400000, COALESCE(${c}, ''), outcome, COUNT(*) FROM audit_events WHERE true GROUP BY 2, 3, 4;`,
  )
  .join('\n')}
    `,
  },
  {
    version: 302,
    name: 'audit timeline: leaner write path (rollups answer method/outcome facets; FTS5 detail=none)',
    sql: `
      DROP INDEX audit_events_method;
      DROP INDEX audit_events_outcome;
      DROP TABLE audit_fts;
      CREATE VIRTUAL TABLE audit_fts USING fts5 (body, content = '', contentless_delete = 1, detail = none);
      INSERT INTO audit_fts (rowid, body)
        SELECT id, concat_ws(' ', tenant, user_id, client, method, server, tool, prompt, resource_uri, reason, error_type,
          session_id, source_record_id) FROM audit_events WHERE true;
    `,
  },
  {
    version: 303,
    name: 'audit timeline: outcome in the per-column indexes (filters on column + outcome stay in the index)',
    sql: `
      DROP INDEX audit_events_tenant;
      DROP INDEX audit_events_user;
      DROP INDEX audit_events_client;
      DROP INDEX audit_events_server;
      DROP INDEX audit_events_tool;
      CREATE INDEX audit_events_tenant ON audit_events (tenant, ts, outcome);
      CREATE INDEX audit_events_user ON audit_events (user_id, ts, outcome);
      CREATE INDEX audit_events_client ON audit_events (client, ts, outcome);
      CREATE INDEX audit_events_server ON audit_events (server, ts, outcome);
      CREATE INDEX audit_events_tool ON audit_events (tool, ts, outcome);
    `,
  },
  {
    version: 304,
    name: 'audit timeline: dedupe on (ts, outcome, uid), merged with the time index (localized index writes)',
    // A unique index on the random uid alone is written all over on every batch (at 1M events each
    // 10k-event commit rewrote nearly all of its leaf pages). Keyed by time first, a batch touches
    // only the leaves of its time range, and the same index serves time order and outcome filters.
    // The same event (same source kind + key, hence the same time and outcome) still maps to one row.
    sql: `
      DROP INDEX audit_events_uid;
      DROP INDEX audit_events_ts;
      CREATE UNIQUE INDEX audit_events_ts_uid ON audit_events (ts, outcome, uid);
    `,
  },
  {
    version: 305,
    name: 'audit timeline: trash for deleted events (retention, source removal) so a deletion can be restored',
    // Deleted events are moved here, grouped in one batch per deletion, and purged after
    // AUDIT_TRASH_DAYS. No per-column indexes: the trash is only read by batch.
    sql: `
      CREATE TABLE audit_trash_batches (
        id INTEGER PRIMARY KEY,
        reason TEXT NOT NULL,
        detail_json TEXT NOT NULL,
        deleted_at INTEGER NOT NULL,
        events INTEGER NOT NULL,
        first_ts INTEGER,
        last_ts INTEGER
      );
      CREATE TABLE audit_trash (
        batch INTEGER NOT NULL,
        id INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        source TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        source_record_id TEXT,
        tenant TEXT,
        user_id TEXT,
        client TEXT,
        client_address TEXT,
        method TEXT,
        server TEXT,
        tool TEXT,
        prompt TEXT,
        resource_uri TEXT,
        outcome TEXT NOT NULL,
        reason TEXT,
        error_type TEXT,
        duration_ms REAL,
        request_id TEXT,
        session_id TEXT,
        original TEXT
      );
      CREATE INDEX audit_trash_batch ON audit_trash (batch);
    `,
  },
  {
    version: 306,
    name: 'audit timeline: forward cursor per team store (events sent to the team timeline)',
    // One row per team store (its URL, password masked): the highest local event id sent and
    // committed there. A forward that fails leaves it where it was, so the events are sent again
    // (the team store dedupes them on (uid, ts)).
    sql: `
      CREATE TABLE audit_team_forward (
        target TEXT PRIMARY KEY,
        after_id INTEGER NOT NULL DEFAULT 0,
        forwarded INTEGER NOT NULL DEFAULT 0,
        last_at TEXT,
        last_error TEXT
      );
    `,
  },
  {
    version: 307,
    name: 'audit timeline: forward status per team store (last success, failing since)',
    // `last_at` is the last attempt; these say when one last went through and since when every
    // attempt failed (null while it works), for the forwarding status chip.
    sql: `
      ALTER TABLE audit_team_forward ADD COLUMN last_success_at TEXT;
      ALTER TABLE audit_team_forward ADD COLUMN failing_since TEXT;
    `,
  },
  {
    version: 308,
    name: 'audit timeline: per-hour rollup (histograms over days from a few hundred rows)',
    // A histogram over a month (6-hour buckets) summed ~130,000 minute rows (~45 ms at 1M events);
    // whole hours now come from this table, the partial hours at either edge from the minutes.
    sql: `
      CREATE TABLE audit_hours (
        hour INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (hour, outcome)
      ) WITHOUT ROWID;
      INSERT INTO audit_hours (hour, outcome, n)
        SELECT minute / 60, outcome, SUM(n) FROM audit_minutes WHERE true GROUP BY 1, 2;
    `,
  },
];
