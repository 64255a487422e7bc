import type { IngestRecord } from '../store.js';
import { rejectionReason } from '../mask.js';
import { blankDraft, isoTime, normOutcome, num, obj, RecordError, s } from './common.js';

/**
 * OTLP JSON logs as the OpenTelemetry Collector file exporter writes them: one
 * `ExportLogsServiceRequest` per line, `resourceLogs[] → scopeLogs[] → logRecords[]`. Attributes
 * follow the OTel MCP semantic conventions (`mcp.method.name`, `gen_ai.tool.name`, `mcp.session.id`,
 * `jsonrpc.request.id`, `error.type`, `client.address`, `user.id`…); a few common alternatives are
 * accepted too. Outcome: an explicit outcome/decision attribute, else `error.type` or severity ≥ ERROR
 * means error, else success.
 */

/** An OTLP AnyValue → plain JS value. */
export function anyValue(v: unknown): unknown {
  const o = obj(v);
  if (!o) return undefined;
  if ('stringValue' in o) return o.stringValue;
  if ('intValue' in o) return num(o.intValue);
  if ('doubleValue' in o) return num(o.doubleValue);
  if ('boolValue' in o) return o.boolValue;
  if ('arrayValue' in o) return ((obj(o.arrayValue)?.values as unknown[] | undefined) ?? []).map(anyValue);
  if ('kvlistValue' in o) return attributes(obj(o.kvlistValue)?.values);
  if ('bytesValue' in o) return o.bytesValue;
  return undefined;
}

export function attributes(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) {
    const k = s(obj(kv)?.key);
    if (k) out[k] = anyValue(obj(kv)?.value);
  }
  return out;
}

function first(a: Record<string, unknown>, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = s(a[k]);
    if (v !== null) return v;
  }
  return null;
}

/** Nanoseconds as a decimal string or number, or the transformer's `{low, high}` form → ISO. */
function nanoTime(v: unknown): string | null {
  if (v === undefined || v === null || v === '0' || v === 0) return null;
  const lh = obj(v);
  if (lh && typeof lh.low === 'number' && typeof lh.high === 'number') {
    const ns = (BigInt(lh.high >>> 0) << 32n) | BigInt(lh.low >>> 0);
    return new Date(Number(ns / 1_000_000n)).toISOString();
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return new Date(Number(BigInt(v) / 1_000_000n)).toISOString();
  if (typeof v === 'number') return new Date(v / 1e6).toISOString();
  return null;
}

export interface OtlpLineResult {
  records: IngestRecord[];
  /** Log records inside the line that could not be mapped (index path + reason). */
  rejected: string[];
}

/** Maps one ExportLogsServiceRequest (one line of the file exporter's output). */
export function mapOtlpRequest(request: unknown, source = 'otlp'): OtlpLineResult {
  const req = obj(request);
  if (!req || !Array.isArray(req.resourceLogs))
    throw new RecordError('no "resourceLogs" (not an OTLP JSON logs request)');
  const out: OtlpLineResult = { records: [], rejected: [] };
  req.resourceLogs.forEach((rl, ri) => {
    const resourceAttrs = attributes(obj(obj(rl)?.resource)?.attributes);
    const scopeLogs = obj(rl)?.scopeLogs;
    if (!Array.isArray(scopeLogs)) return;
    scopeLogs.forEach((sl, si) => {
      const logRecords = obj(sl)?.logRecords;
      if (!Array.isArray(logRecords)) return;
      logRecords.forEach((lr, li) => {
        try {
          out.records.push(mapLogRecord(lr, resourceAttrs, source));
        } catch (err) {
          out.rejected.push(`resourceLogs[${ri}].scopeLogs[${si}].logRecords[${li}]: ${rejectionReason(err)}`);
        }
      });
    });
  });
  return out;
}

export function mapLogRecord(
  logRecord: unknown,
  resourceAttrs: Record<string, unknown>,
  source = 'otlp',
): IngestRecord {
  const lr = obj(logRecord);
  if (!lr) throw new RecordError('log record is not an object');
  const time = nanoTime(lr.timeUnixNano) ?? nanoTime(lr.observedTimeUnixNano);
  if (!time) throw new RecordError('log record has no timeUnixNano/observedTimeUnixNano');
  const a = { ...resourceAttrs, ...attributes(lr.attributes) };
  const body = anyValue(lr.body);
  const original = { resource: resourceAttrs, ...lr };
  const e = blankDraft(source, 'otlp-json', isoTime(time), original);
  e['mcp.method.name'] = first(a, 'mcp.method.name', 'mcp.methodName', 'rpc.method');
  e['gen_ai.tool.name'] = first(a, 'gen_ai.tool.name', 'mcp.tool.name', 'tool.name');
  e['gen_ai.prompt.name'] = first(a, 'gen_ai.prompt.name', 'mcp.prompt.name');
  e['mcp.resource.uri'] = first(a, 'mcp.resource.uri');
  e['mcp.session.id'] = first(a, 'mcp.session.id', 'session.id');
  e['jsonrpc.request.id'] = first(a, 'jsonrpc.request.id', 'request.id');
  e['error.type'] = first(a, 'error.type', 'exception.type');
  e['client.address'] = first(a, 'client.address', 'source.address', 'network.peer.address');
  e['user.id'] = first(a, 'user.id', 'enduser.id', 'user.email', 'user.name');
  e.client = first(a, 'mcp.client.name', 'client.name', 'gen_ai.agent.name');
  e.tenant = first(a, 'tenant.id', 'gatehouse.tenant', 'team.id', 'tenant');
  e.server = first(a, 'mcp.server.name', 'server.name', 'gateway.target', 'server.address', 'service.name');
  e.sourceRecordId = first(a, 'audit.id', 'event.id', 'log.record.uid');
  const dur = num(a['duration.ms']) ?? num(a['mcp.duration.ms']);
  const durS = num(a['mcp.server.operation.duration']) ?? num(a['mcp.client.operation.duration']);
  e.durationMs = dur ?? (durS === null ? null : durS * 1000);
  const explicit =
    normOutcome(a['gatehouse.outcome']) ??
    normOutcome(a['audit.outcome']) ??
    normOutcome(a['event.outcome']) ??
    normOutcome(a['authz.decision']) ??
    normOutcome(a['outcome']);
  const severity = num(lr.severityNumber) ?? 0;
  e.outcome = explicit ?? (e['error.type'] || severity >= 17 ? 'error' : 'success');
  e.reason =
    first(a, 'reason', 'authz.reason', 'error.message', 'exception.message') ??
    (typeof body === 'string' && e.outcome !== 'success' ? body : null);
  // Dedupe key: an explicit id, else the record's content with its resource.
  const key = e.sourceRecordId ?? JSON.stringify([resourceAttrs, lr]);
  return { event: e, key };
}
