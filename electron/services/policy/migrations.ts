import type { Migration } from '../store/migrations.js';

/**
 * Policy capability: versions 500–599. Append only.
 * - policy_documents: content-addressed documents (sha256 of canonical JSON → the JSON).
 * - policy_versions: one row per pull/push/rollback/import of a document (several rows may share a hash).
 * - policy_bases: the gateway snapshot an editor pulled, so a push checks against what was pulled.
 * No column holds a credential: snapshots carry token metadata only.
 */
export const POLICY_MIGRATIONS: readonly Migration[] = [
  {
    version: 500,
    name: 'policy versions and pull bases',
    sql: `
      CREATE TABLE policy_documents (
        hash TEXT PRIMARY KEY,
        document_json TEXT NOT NULL
      );
      CREATE TABLE policy_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        hash TEXT NOT NULL REFERENCES policy_documents (hash),
        parent TEXT,
        author TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        gateway_id TEXT,
        gateway_name TEXT,
        origin TEXT NOT NULL,
        changes INTEGER NOT NULL
      );
      CREATE INDEX policy_versions_hash ON policy_versions (hash);
      CREATE INDEX policy_versions_gateway ON policy_versions (gateway_id, id);
      CREATE TABLE policy_bases (
        id TEXT PRIMARY KEY,
        gateway_id TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        snapshot_json TEXT NOT NULL
      );
      CREATE INDEX policy_bases_gateway ON policy_bases (gateway_id, fetched_at);
    `,
  },
];
