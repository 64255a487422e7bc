import {
  AUDIT_CSV_COLUMNS,
  type AuditEvent,
  type AuditExportFormat,
  type AuditFilter,
} from '../../../shared/model/audit.js';
import type { AuditStore } from './store.js';

/** A page query: the store's own, or the query port's (which may run it on a worker). */
export type PageQuery = (...args: Parameters<AuditStore['query']>) => Promise<ReturnType<AuditStore['query']>>;

/** CSV/JSONL rendering of events, and export in chunks by keyset cursor (works over IPC and HTTP alike). */

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let t = String(v);
  // Spreadsheet formula injection: a cell starting with = + - @ (or tab/CR) is prefixed with '.
  if (/^[=+\-@\t\r]/.test(t) && !/^-?\d+(\.\d+)?$/.test(t)) t = `'${t}`;
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

export function csvHeader(): string {
  return AUDIT_CSV_COLUMNS.join(',') + '\n';
}

export function csvRow(e: AuditEvent): string {
  return AUDIT_CSV_COLUMNS.map((c) => csvCell(e[c])).join(',') + '\n';
}

export function jsonlRow(e: AuditEvent): string {
  return JSON.stringify(e) + '\n';
}

export function renderEvents(events: readonly AuditEvent[], format: AuditExportFormat): string {
  let out = '';
  for (const e of events) out += format === 'csv' ? csvRow(e) : jsonlRow(e);
  return out;
}

export interface ExportChunkResult {
  chunk: string;
  nextCursor: string | null;
  rows: number;
  total: number | null;
}

/** One chunk of an export; the first (cursor null) carries the CSV header and the total. */
export async function exportChunk(
  query: PageQuery,
  filter: AuditFilter,
  format: AuditExportFormat,
  cursor: string | null,
  limit: number,
): Promise<ExportChunkResult> {
  const page = await query(filter, { cursor, limit, withTotal: cursor === null });
  const head = cursor === null && format === 'csv' ? csvHeader() : '';
  return {
    chunk: head + renderEvents(page.events, format),
    nextCursor: page.nextCursor,
    rows: page.events.length,
    total: page.total,
  };
}
