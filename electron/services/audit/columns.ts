import type { AuditFacetName, AuditFilter } from '../../../shared/model/audit.js';

/**
 * The audit timeline's column names and histogram steps, shared by the local store (SQLite) and the
 * team store's timeline (PostgreSQL): both have the same columns, so one filter means the same thing.
 */

/** Facet → column. */
export const FACET_COLUMN: Record<AuditFacetName, string> = {
  tenant: 'tenant',
  subject: 'user_id',
  client: 'client',
  server: 'server',
  tool: 'tool',
  method: 'method',
  outcome: 'outcome',
  source: 'source',
};

/** Filter list fields → column (subject is special: user or client). */
export const LIST_COLUMN = {
  tenant: 'tenant',
  user: 'user_id',
  client: 'client',
  server: 'server',
  tool: 'tool',
  method: 'method',
  outcome: 'outcome',
  source: 'source',
} as const;

/** Which filter field a facet's selection lives in (ignored when counting that facet). */
export const FACET_FILTER_FIELD: Record<AuditFacetName, keyof AuditFilter> = {
  tenant: 'tenant',
  subject: 'user',
  client: 'client',
  server: 'server',
  tool: 'tool',
  method: 'method',
  outcome: 'outcome',
  source: 'source',
};

/** Histogram bucket sizes ("nice" steps), ms. */
export const BUCKET_STEPS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000, 2_592_000_000,
];

/** The event columns both timelines store under the same names (the drivers differ on id, ts and enums). */
export interface AuditEventColumns {
  source: string;
  source_record_id: string | null;
  tenant: string | null;
  user_id: string | null;
  client: string | null;
  client_address: string | null;
  method: string | null;
  server: string | null;
  tool: string | null;
  prompt: string | null;
  resource_uri: string | null;
  reason: string | null;
  error_type: string | null;
  duration_ms: number | null;
  request_id: string | null;
  session_id: string | null;
  original: string | null;
}
