import type { Database } from '../../store/database.js';
import { adminLogEntriesAfter, type AdminLogEntry } from '../admin-log.js';
import type { AuditStore, IngestRecord } from '../store.js';
import { blankDraft } from './common.js';
import { getSourceCursor, setSourceCursor } from '../sources-repo.js';

/**
 * Gatehouse's own actions: the hash-chained admin_log, copied into the timeline as source
 * `gatehouse` (the chain itself stays in admin_log and is what `audit verify` checks).
 */
export const GATEHOUSE_SOURCE_ID = 'gatehouse';

export function mapAdminEntry(e: AdminLogEntry): IngestRecord {
  const d = blankDraft('gatehouse', 'gatehouse', e.at, { ...e });
  d.sourceRecordId = `${e.seq}:${e.hash}`;
  d['user.id'] = e.actor;
  d.client = 'gatehouse';
  d['mcp.method.name'] = e.action;
  const details = e.details;
  const str = (k: string) => (typeof details[k] === 'string' ? (details[k] as string) : null);
  d.server = str('server') ?? (/^(gateway|consent|pin|server)\./.test(e.action) ? e.target : null);
  d['gen_ai.tool.name'] = str('tool');
  d.tenant = str('tenant') ?? str('team');
  d.reason = str('reason') ?? e.target;
  d.outcome = e.action.endsWith('.deny') || e.action.endsWith('.denied') ? 'denied' : 'success';
  return { event: d, key: d.sourceRecordId ?? '' };
}

/** Copies admin_log entries newer than the stored cursor into the timeline. Cheap when up to date. */
export function syncGatehouseLog(db: Database, store: AuditStore): number {
  let imported = 0;
  for (;;) {
    const after = Number(getSourceCursor(db, GATEHOUSE_SOURCE_ID) ?? '0');
    const entries = adminLogEntriesAfter(db, after, 2000);
    if (!entries.length) return imported;
    const last = entries[entries.length - 1];
    const r = store.insertBatch(entries.map(mapAdminEntry), () =>
      setSourceCursor(db, GATEHOUSE_SOURCE_ID, String(last?.seq ?? after), { imported: entries.length }),
    );
    imported += r.imported;
  }
}
