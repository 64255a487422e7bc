import type { Migration } from '../store/migrations.js';

/**
 * Identity capability: versions 600–699. Append only. Only who signed in (from the verified ID
 * token) and when; token values live in the secret store (key `identity:<session key>`), never here.
 */
export const IDENTITY_MIGRATIONS: readonly Migration[] = [
  {
    version: 600,
    name: 'identity providers and sessions',
    sql: `
      CREATE TABLE identity_providers (
        key TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL,
        resource TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE identity_sessions (
        key TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        email TEXT,
        name TEXT,
        groups_json TEXT,
        signed_in_at TEXT NOT NULL,
        expires_at TEXT,
        refreshed_at TEXT,
        has_refresh INTEGER NOT NULL,
        status TEXT NOT NULL,
        status_message TEXT
      );
    `,
  },
];
