import type { Migration } from '../store/migrations.js';

/** Gateways capability: versions 400–499. Append only. No column ever holds a credential. */
export const GATEWAY_MIGRATIONS: readonly Migration[] = [
  {
    version: 400,
    name: 'gateway connections and snapshots',
    sql: `
      CREATE TABLE gateway_connections (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        base_url TEXT NOT NULL,
        auth_type TEXT NOT NULL,
        username TEXT,
        ca_file TEXT,
        timeout_ms INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_test_json TEXT,
        last_sync_at TEXT,
        last_sync_error TEXT
      );
      CREATE TABLE gateway_snapshots (
        gateway_id TEXT PRIMARY KEY REFERENCES gateway_connections (id) ON DELETE CASCADE,
        fetched_at TEXT NOT NULL,
        snapshot_json TEXT NOT NULL
      );
      CREATE TABLE scope_findings_seen (
        finding_id TEXT PRIMARY KEY,
        gateway_id TEXT NOT NULL,
        first_seen TEXT NOT NULL
      );
    `,
  },
  {
    version: 401,
    name: 'gateway single sign-on settings',
    sql: `
      ALTER TABLE gateway_connections ADD COLUMN sso_issuer TEXT;
      ALTER TABLE gateway_connections ADD COLUMN sso_provider_id TEXT;
    `,
  },
  {
    version: 402,
    name: 'gateway rows mirrored from the team store',
    // The team row version this machine last read; NULL: a local-only connection (no team store).
    sql: `ALTER TABLE gateway_connections ADD COLUMN team_version TEXT;`,
  },
  {
    version: 403,
    name: 'gateway credential bound to the origin it was entered for',
    // NULL: the stored credential belongs to the row's current origin. Set (an origin, never a
    // credential) when the team store moved the row elsewhere: the credential is not sent there.
    sql: `ALTER TABLE gateway_connections ADD COLUMN credential_origin TEXT;`,
  },
];
