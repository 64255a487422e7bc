import { randomUUID } from 'node:crypto';
import {
  AuditSourceConfig,
  type AuditSource,
  type AuditSourceKind,
  type AuditSettings,
} from '../../../shared/model/audit.js';
import type { Database } from '../store/database.js';
import { maskAuditField } from './mask.js';

/** Configured sources (and the built-in `gatehouse` one): config, cursor and counters. */

interface SourceRow {
  id: string;
  name: string;
  kind: string;
  enabled: number;
  config_json: string | null;
  cursor: string | null;
  imported: number;
  duplicates: number;
  rejected: number;
  last_sync_at: string | null;
  last_error: string | null;
}

function rowToSource(r: SourceRow): AuditSource {
  let config: AuditSource['config'] = null;
  if (r.config_json) {
    const parsed = AuditSourceConfig.safeParse(JSON.parse(r.config_json));
    config = parsed.success ? parsed.data : null;
  }
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as AuditSourceKind,
    enabled: r.enabled === 1,
    config,
    cursor: r.cursor,
    imported: r.imported,
    duplicates: r.duplicates,
    rejected: r.rejected,
    lastSyncAt: r.last_sync_at,
    lastError: r.last_error,
  };
}

function ensureRow(db: Database, id: string, kind: AuditSourceKind, name = id): void {
  db.prepare(
    'INSERT INTO audit_sources (id, name, kind, enabled, created_at) VALUES (?, ?, ?, 1, ?) ON CONFLICT (id) DO NOTHING',
  ).run(id, name, kind, new Date().toISOString());
}

export function listSources(db: Database): AuditSource[] {
  // A read takes no write lock unless the row is really missing (an import on another connection
  // holds the lock for seconds; a no-op upsert waited for it).
  if (!db.prepare("SELECT 1 AS x FROM audit_sources WHERE id = 'gatehouse'").get())
    ensureRow(db, 'gatehouse', 'gatehouse');
  const rows = db.prepare('SELECT * FROM audit_sources ORDER BY created_at, id').all() as unknown as SourceRow[];
  return rows.map(rowToSource);
}

export function getSource(db: Database, id: string): AuditSource | null {
  const r = db.prepare('SELECT * FROM audit_sources WHERE id = ?').get(id) as SourceRow | undefined;
  return r ? rowToSource(r) : null;
}

export function addSource(db: Database, name: string, config: AuditSourceConfig): AuditSource {
  const id = randomUUID();
  db.prepare(
    'INSERT INTO audit_sources (id, name, kind, enabled, config_json, created_at) VALUES (?, ?, ?, 1, ?, ?)',
  ).run(id, name, config.kind, JSON.stringify(config), new Date().toISOString());
  return getSource(db, id) as AuditSource;
}

export function updateSource(
  db: Database,
  id: string,
  patch: { name?: string; enabled?: boolean },
): AuditSource | null {
  if (patch.name !== undefined) db.prepare('UPDATE audit_sources SET name = ? WHERE id = ?').run(patch.name, id);
  if (patch.enabled !== undefined)
    db.prepare('UPDATE audit_sources SET enabled = ? WHERE id = ?').run(patch.enabled ? 1 : 0, id);
  return getSource(db, id);
}

export function removeSource(db: Database, id: string): boolean {
  return Number(db.prepare("DELETE FROM audit_sources WHERE id = ? AND kind != 'gatehouse'").run(id).changes) > 0;
}

export function getSourceCursor(db: Database, id: string): string | null {
  const r = db.prepare('SELECT cursor FROM audit_sources WHERE id = ?').get(id) as
    { cursor: string | null } | undefined;
  return r?.cursor ?? null;
}

/**
 * Advances a source's cursor and adds to its counters. Call it inside the batch's transaction so the
 * cursor and the events it covers commit together.
 */
export function setSourceCursor(
  db: Database,
  id: string,
  cursor: string,
  add: { imported?: number; duplicates?: number; rejected?: number } = {},
  kind: AuditSourceKind = 'gatehouse',
): void {
  // Only Gatehouse's own log has a row made on first use; a configured source removed while it was
  // being synced must not come back as a nameless row: the batch rolls back instead.
  if (kind === 'gatehouse') ensureRow(db, id, kind);
  const r = db
    .prepare(
      `UPDATE audit_sources SET cursor = ?, imported = imported + ?, duplicates = duplicates + ?, rejected = rejected + ?,
       last_sync_at = ? WHERE id = ?`,
    )
    .run(cursor, add.imported ?? 0, add.duplicates ?? 0, add.rejected ?? 0, new Date().toISOString(), id);
  if (Number(r.changes) === 0) throw new SourceRemovedError(id);
}

/** The source a sync was storing for is gone (removed meanwhile): its batch is not stored. */
export class SourceRemovedError extends Error {
  override name = 'SourceRemovedError';
  constructor(readonly id: string) {
    super('the audit source was removed while it was being synced; nothing more was imported for it');
  }
}

/** Records a source's last error (masked: it may quote a record, a URL or a library message). */
export function setSourceError(db: Database, id: string, error: string | null): void {
  db.prepare('UPDATE audit_sources SET last_error = ?, last_sync_at = ? WHERE id = ?').run(
    maskAuditField(error),
    new Date().toISOString(),
    id,
  );
}

export function getSettings(db: Database): AuditSettings {
  const r = db.prepare("SELECT value_json FROM audit_settings WHERE key = 'retentionDays'").get() as
    { value_json: string } | undefined;
  const v = r ? (JSON.parse(r.value_json) as unknown) : null;
  return { retentionDays: typeof v === 'number' && v > 0 ? v : null };
}

export function setSettings(db: Database, s: AuditSettings): void {
  db.prepare(
    "INSERT INTO audit_settings (key, value_json) VALUES ('retentionDays', ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
  ).run(JSON.stringify(s.retentionDays));
}
