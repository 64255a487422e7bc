import { createInterface } from 'node:readline';
import type { RejectedRecord } from '../../../shared/model/audit.js';
import type { PgAuditStore } from '../fleet/audit.js';
import { MAX_LINE_BYTES, openRegularFile, type IngestCounts, type LineMapper, type LineMapResult } from './ingest.js';
import { jsonErrorReason, rejectionReason } from './mask.js';
import type { IngestRecord } from './store.js';

/**
 * Bulk import of audit files straight into the team timeline (`gatehouse audit import --team`):
 * the same line formats and mappers as the local import, records sent in batches of `batch` (each
 * committed in the store's own chunks). Re-importing a file stores nothing twice (the team store
 * dedupes on (uid, ts)); a file that fails half-way can simply be imported again.
 */
export async function importFileToTeam(
  audit: PgAuditStore,
  path: string,
  mapper: LineMapper,
  opts: { batch?: number; onReject?: (r: RejectedRecord) => void } = {},
): Promise<IngestCounts> {
  const size = opts.batch ?? 5000;
  const total: IngestCounts = { imported: 0, duplicates: 0, rejected: 0 };
  const reject = (line: number, reason: string) => {
    total.rejected++;
    opts.onReject?.({ where: path, line, offset: null, reason });
  };
  let batch: IngestRecord[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const r = await audit.ingest(batch);
    total.imported += r.imported;
    total.duplicates += r.duplicates;
    batch = [];
  };
  const fh = await openRegularFile(path);
  try {
    const lines = createInterface({ input: fh.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
    let n = 0;
    for await (const raw of lines) {
      n++;
      const text = raw.trim();
      if (!text) continue;
      // Reasons name what is wrong, never the line's content (it may hold a credential).
      if (text.length > MAX_LINE_BYTES) {
        reject(n, `line longer than ${MAX_LINE_BYTES >> 20} MiB; skipped`);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        reject(n, jsonErrorReason(err));
        continue;
      }
      let mapped: LineMapResult;
      try {
        mapped = mapper(value);
      } catch (err) {
        reject(n, rejectionReason(err));
        continue;
      }
      for (const rec of mapped.records) {
        if (Number.isNaN(Date.parse(rec.event.time))) reject(n, 'invalid time');
        else batch.push(rec);
      }
      for (const why of mapped.rejected) reject(n, why);
      if (batch.length >= size) await flush();
    }
    await flush();
  } finally {
    await fh.close();
  }
  return total;
}
