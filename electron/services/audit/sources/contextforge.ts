import type { IngestRecord } from '../store.js';
import { rejectionReason } from '../mask.js';
import { blankDraft, isoTime, num, obj, RecordError, s } from './common.js';

/**
 * IBM ContextForge: pulls `GET /api/logs/audit-trails` (admin actions on tools, servers, gateways…;
 * newest first, `start_time` inclusive, offset paging, needs `audit:read`) and the tool-call records
 * it keeps in its structured logs (`POST /api/logs/search`, "Tool 'x' invoked successfully" /
 * "invocation failed"; needs `logs:read`). Incremental: the cursor is the newest timestamp seen per
 * stream; records at the boundary come back again and are dropped as duplicates by id.
 */

/** The small HTTP surface the source needs (the gateways adapter or a fetch wrapper provides it). */
export interface ContextForgeClient {
  get(path: string, query: Record<string, string>): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}

/** A fetch-based client: base URL + bearer token. */
export function fetchContextForgeClient(
  baseUrl: string,
  token: string | null,
  fetchImpl: typeof fetch = fetch,
): ContextForgeClient {
  const base = baseUrl.replace(/\/$/, '');
  const headers = { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const check = async (res: Response, path: string) => {
    if (!res.ok) throw new Error(`ContextForge ${path}: HTTP ${res.status}`);
    return (await res.json()) as unknown;
  };
  return {
    async get(path, query) {
      const q = new URLSearchParams(query).toString();
      return check(await fetchImpl(`${base}${path}${q ? `?${q}` : ''}`, { headers }), path);
    },
    async post(path, body) {
      return check(
        await fetchImpl(`${base}${path}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
        path,
      );
    },
  };
}

/** ContextForge timestamps are naive UTC datetimes (`2026-11-28T09:00:00.123456`) or ISO with offset. */
function cfTime(v: unknown): string {
  const t = s(v);
  if (t && /^\d{4}-\d\d-\d\dT[\d:.]+$/.test(t)) return isoTime(t + 'Z', 'timestamp');
  return isoTime(v, 'timestamp');
}

/** One `AuditTrailResponse` (or a full `audit_trails` row) → event. */
export function mapAuditTrail(record: unknown, source = 'contextforge'): IngestRecord {
  const r = obj(record);
  if (!r) throw new RecordError('not a JSON object');
  const id = s(r.id);
  const action = s(r.action);
  if (!id || !action) throw new RecordError('audit trail without id or action');
  const e = blankDraft(source, 'contextforge', cfTime(r.timestamp), record);
  e.sourceRecordId = `audit:${id}`;
  e['mcp.method.name'] = action;
  e['user.id'] = s(r.user_email) ?? s(r.user_id);
  e.tenant = s(r.team_id);
  e['client.address'] = s(r.client_ip);
  e['jsonrpc.request.id'] = s(r.request_id) ?? s(r.correlation_id);
  const type = s(r.resource_type);
  const name = s(r.resource_name) ?? s(r.resource_id);
  if (type === 'tool') e['gen_ai.tool.name'] = name;
  else if (type === 'prompt') e['gen_ai.prompt.name'] = name;
  else if (type === 'resource') e['mcp.resource.uri'] = name;
  else if (type === 'server' || type === 'gateway' || type === 'virtual_server') e.server = name;
  const success = r.success;
  e.outcome =
    success === false
      ? /denied|forbidden|unauthori[sz]ed/i.test(JSON.stringify(r.changes ?? ''))
        ? 'denied'
        : 'error'
      : 'success';
  const ctx = obj(r.context);
  e.reason = s(r.error_message) ?? s(ctx?.error) ?? (r.requires_review === true ? 'requires review' : null);
  return { event: e, key: e.sourceRecordId ?? '' };
}

const TOOL_MSG = /^Tool '(.+)' (invoked successfully|invocation failed)/;

/** One structured-log `LogEntry` about a tool invocation → event (null when it is another log line). */
export function mapToolLog(record: unknown, source = 'contextforge'): IngestRecord | null {
  const r = obj(record);
  if (!r) throw new RecordError('not a JSON object');
  const m = TOOL_MSG.exec(s(r.message) ?? '');
  if (!m) return null;
  const id = s(r.id);
  if (!id) throw new RecordError('log entry without id');
  const e = blankDraft(source, 'contextforge', cfTime(r.timestamp), record);
  e.sourceRecordId = `log:${id}`;
  e['mcp.method.name'] = 'tools/call';
  e['gen_ai.tool.name'] = m[1] ?? null;
  e['user.id'] = s(r.user_email) ?? s(r.user_id);
  e.durationMs = num(r.duration_ms);
  e['jsonrpc.request.id'] = s(r.correlation_id);
  const failed = m[2] === 'invocation failed' || s(r.level)?.toUpperCase() === 'ERROR';
  e.outcome = failed ? 'error' : 'success';
  const err = obj(r.error_details);
  e.reason = failed ? (s(err?.error_message) ?? s(err?.message) ?? s(r.message)) : null;
  e['error.type'] = failed ? (s(err?.error_type) ?? 'tool_error') : null;
  return { event: e, key: e.sourceRecordId ?? '' };
}

export interface ContextForgeCursor {
  audit: string | null;
  logs: string | null;
}

export interface PullResult {
  records: IngestRecord[];
  rejected: { where: string; reason: string }[];
  cursor: ContextForgeCursor;
}

const PAGE = 500;
const MAX_PAGES = 200;

/** Pulls everything at or after the cursor from both streams. */
export async function pullContextForge(
  client: ContextForgeClient,
  cursor: ContextForgeCursor,
  source = 'contextforge',
): Promise<PullResult> {
  const out: PullResult = { records: [], rejected: [], cursor: { ...cursor } };
  const newest = (a: string | null, b: string) => (a === null || b > a ? b : a);
  // Audit trails (newest first, offset paging).
  for (let page = 0; page < MAX_PAGES; page++) {
    const q: Record<string, string> = { limit: String(PAGE), offset: String(page * PAGE) };
    if (cursor.audit) q.start_time = cursor.audit;
    const rows = await client.get('/api/logs/audit-trails', q);
    if (!Array.isArray(rows)) throw new Error('ContextForge /api/logs/audit-trails: expected a list');
    for (const [i, row] of rows.entries()) {
      try {
        const rec = mapAuditTrail(row, source);
        out.records.push(rec);
        out.cursor.audit = newest(out.cursor.audit, rec.event.time);
      } catch (err) {
        out.rejected.push({ where: `audit-trails offset ${page * PAGE + i}`, reason: rejectionReason(err) });
      }
    }
    if (rows.length < PAGE) break;
  }
  // Tool-call records from the structured logs (oldest first).
  for (let page = 0; page < MAX_PAGES; page++) {
    const body: Record<string, unknown> = {
      search_text: "Tool '",
      limit: PAGE,
      offset: page * PAGE,
      sort_by: 'timestamp',
      sort_order: 'asc',
    };
    if (cursor.logs) body.start_time = cursor.logs;
    const res = obj(await client.post('/api/logs/search', body));
    const rows = res?.results;
    if (!Array.isArray(rows)) throw new Error('ContextForge /api/logs/search: expected {results}');
    for (const [i, row] of rows.entries()) {
      try {
        const rec = mapToolLog(row, source);
        if (!rec) continue;
        out.records.push(rec);
        out.cursor.logs = newest(out.cursor.logs, rec.event.time);
      } catch (err) {
        out.rejected.push({ where: `logs/search offset ${page * PAGE + i}`, reason: rejectionReason(err) });
      }
    }
    if (rows.length < PAGE) break;
  }
  return out;
}
