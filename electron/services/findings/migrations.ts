import type { Migration } from '../store/migrations.js';

/** Findings' schema (versions 100–199). Append only. */
export const FINDINGS_MIGRATIONS: readonly Migration[] = [
  {
    version: 100,
    name: 'findings: scans, first-seen state, suppressions',
    sql: `
      CREATE TABLE finding_scans (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        live INTEGER NOT NULL DEFAULT 0,
        finding_count INTEGER NOT NULL,
        -- identified drafts: masked evidence and keyed fingerprints only, never a value
        findings_json TEXT NOT NULL
      );
      CREATE TABLE finding_state (
        id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
      );
      CREATE TABLE finding_suppressions (
        id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        file TEXT NOT NULL,
        pointer TEXT NOT NULL,
        fingerprint TEXT,
        reason TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        actor TEXT NOT NULL
      );
    `,
  },
];
