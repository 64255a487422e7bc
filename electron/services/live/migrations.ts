import type { Migration } from '../store/migrations.js';

/** Live inventory tables (versions 200–299): consents, scans, snapshots, pins and pin changes. */
export const LIVE_MIGRATIONS: readonly Migration[] = [
  {
    version: 200,
    name: 'live inventory: consents, scans, snapshots, pins, changes',
    sql: `
      CREATE TABLE live_consents (
        hash TEXT PRIMARY KEY,
        server_id TEXT NOT NULL,
        client TEXT NOT NULL,
        server_name TEXT NOT NULL,
        command TEXT NOT NULL,
        args_json TEXT NOT NULL,
        env_keys_json TEXT NOT NULL,
        cwd TEXT,
        granted_at TEXT NOT NULL
      );
      CREATE TABLE live_scans (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        duration_ms REAL NOT NULL DEFAULT 0,
        servers INTEGER NOT NULL DEFAULT 0,
        ok INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        needs_consent INTEGER NOT NULL DEFAULT 0,
        cancelled INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE live_snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scan_id INTEGER NOT NULL REFERENCES live_scans(id),
        server_id TEXT NOT NULL,
        identity TEXT NOT NULL,
        at TEXT NOT NULL,
        status TEXT NOT NULL,
        auth_mode TEXT,
        tool_count INTEGER NOT NULL,
        prompt_count INTEGER NOT NULL,
        resource_count INTEGER NOT NULL,
        error TEXT,
        snapshot_json TEXT NOT NULL
      );
      CREATE INDEX live_snapshots_server ON live_snapshots (server_id, id);
      CREATE TABLE live_pins (
        identity TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        hash TEXT NOT NULL,
        definition_json TEXT NOT NULL,
        pinned_at TEXT NOT NULL,
        reason TEXT,
        PRIMARY KEY (identity, kind, name)
      );
      CREATE TABLE live_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        identity TEXT NOT NULL,
        server_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        change TEXT NOT NULL,
        before_hash TEXT,
        after_hash TEXT,
        before_json TEXT,
        after_json TEXT,
        detected_at TEXT NOT NULL,
        accepted_at TEXT,
        reason TEXT
      );
      CREATE INDEX live_changes_pending ON live_changes (identity, accepted_at);
    `,
  },
  {
    version: 201,
    name: 'live consents bound to the server identity; project remote servers and project trust',
    // Consents so far were keyed by the command-line hash alone, which another project's server
    // with the same command line could replay. They are kept (listed, revocable) as `legacy` and
    // match nothing: each such server says why it asks again.
    sql: `
      ALTER TABLE live_consents ADD COLUMN kind TEXT NOT NULL DEFAULT 'stdio';
      ALTER TABLE live_consents ADD COLUMN source TEXT;
      ALTER TABLE live_consents ADD COLUMN url TEXT;
      ALTER TABLE live_consents ADD COLUMN project_dir TEXT;
      UPDATE live_consents SET kind = 'legacy';
      CREATE INDEX live_consents_server ON live_consents (server_id);
    `,
  },
  {
    version: 202,
    name: 'OAuth sign-in sessions of remote MCP servers (no token: tokens live in the secret store)',
    sql: `
      CREATE TABLE live_oauth_sessions (
        key TEXT PRIMARY KEY,
        server_id TEXT NOT NULL,
        issuer TEXT NOT NULL,
        expires_at TEXT,
        refreshable INTEGER NOT NULL DEFAULT 0,
        signed_in_at TEXT NOT NULL,
        refreshed_at TEXT,
        expired INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX live_oauth_sessions_server ON live_oauth_sessions (server_id);
    `,
  },
  {
    version: 203,
    name: 'live consents keep what they covered (masked, keyed part hashes) to show what changed',
    // JSON of consent-diff.ts ConsentedLine: what the dialog showed (credentials masked, secret env
    // values absent) and a keyed hash per argument and env variable. NULL for earlier consents.
    sql: `ALTER TABLE live_consents ADD COLUMN line_json TEXT;`,
  },
];
