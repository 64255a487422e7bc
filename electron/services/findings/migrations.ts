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
  {
    version: 101,
    name: 'findings: fixed state (when a finding left the scans) and its last masked draft',
    sql: `
      -- set when a scan no longer reports the finding, cleared when it comes back
      ALTER TABLE finding_state ADD COLUMN fixed_at TEXT;
      -- the identified draft as last seen (masked evidence and keyed fingerprint only), to show it as fixed
      ALTER TABLE finding_state ADD COLUMN draft_json TEXT;
      CREATE INDEX finding_state_fixed ON finding_state (fixed_at);
    `,
  },
];
