import { GATEWAY_MIGRATIONS } from '../gateways/migrations.js';
import { AUDIT_MIGRATIONS } from '../audit/migrations.js';
import { LIVE_MIGRATIONS } from '../live/migrations.js';
import { FINDINGS_MIGRATIONS } from '../findings/migrations.js';
import { POLICY_MIGRATIONS } from '../policy/migrations.js';
import { IDENTITY_MIGRATIONS } from '../identity/migrations.js';
import { CONFIG_WRITE_MIGRATIONS } from '../config-write/migrations.js';

/**
 * Numbered schema migrations. Append only: never edit a migration that has shipped; add a new one.
 * Each capability owns a range of versions and its own list, merged here:
 * 1–99 foundation, 100–199 findings, 200–299 live inventory, 300–399 audit, 400–499 gateways,
 * 500–599 policy, 600–699 identity, 700–799 config writes. Versions are applied by membership, so
 * ranges never block each other.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FOUNDATION: readonly Migration[] = [
  {
    version: 1,
    name: 'discovery runs',
    sql: `
      CREATE TABLE discovery_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        options_json TEXT NOT NULL,
        source_count INTEGER NOT NULL,
        server_count INTEGER NOT NULL,
        result_json TEXT NOT NULL
      );
      CREATE INDEX discovery_runs_started ON discovery_runs (started_at);
    `,
  },
  {
    version: 2,
    name: 'admin action log (hash-chained)',
    sql: `
      CREATE TABLE admin_log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        details_json TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
    `,
  },
];

export const MIGRATIONS: readonly Migration[] = [
  ...FOUNDATION,
  ...AUDIT_MIGRATIONS,
  ...GATEWAY_MIGRATIONS,
  ...LIVE_MIGRATIONS,
  ...FINDINGS_MIGRATIONS,
  ...POLICY_MIGRATIONS,
  ...IDENTITY_MIGRATIONS,
  ...CONFIG_WRITE_MIGRATIONS,
];
