import type { AuditEventDraft, AuditOutcome, AuditSourceKind } from '../../../../shared/model/audit.js';

/** A record a source could not map: counted and reported, never fatal. */
export class RecordError extends Error {
  override name = 'RecordError';
}

/** A string field, or null (numbers are stringified; empty strings become null). */
export function s(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return null;
}

export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** A time value (ISO string, epoch ms / s, or nanoseconds as string) → ISO string; throws when absent. */
export function isoTime(v: unknown, what = 'time'): string {
  // Most sources write canonical ISO already (ToolHive, the OTLP mappers' output): it is its own
  // toISOString, no parse and format round trip (~1.5 µs per record).
  if (typeof v === 'string' && !Number.isNaN(canonicalIsoMillis(v))) return v;
  let ms: number | null = null;
  if (typeof v === 'string' && /^\d{16,19}$/.test(v)) ms = Number(BigInt(v) / 1_000_000n);
  else if (typeof v === 'string') ms = Date.parse(v);
  else if (typeof v === 'number') ms = v < 1e11 ? v * 1000 : v > 1e15 ? v / 1e6 : v;
  if (ms === null || !Number.isFinite(ms)) throw new RecordError(`${what} missing or not a date/time`);
  return new Date(ms).toISOString();
}

/** The value of two to four ASCII digits at `at` (-1 when one is not a digit). */
function digits(v: string, at: number, n: number): number {
  let x = 0;
  for (let i = at; i < at + n; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
}

/**
 * Epoch ms of a time written exactly as `Date.prototype.toISOString` writes it for years 1970–9999
 * (`2026-11-03T09:15:00.000Z`), else NaN: such a string is its own canonical form and parses to the
 * same value as Date.parse. Anything else (other shapes, a day past the month's end, 24:00 — which
 * Date.parse rolls over) is NaN, for the caller's full parse.
 */
export function canonicalIsoMillis(v: string): number {
  if (
    v.length !== 24 ||
    v.charCodeAt(4) !== 45 ||
    v.charCodeAt(7) !== 45 ||
    v.charCodeAt(10) !== 84 ||
    v.charCodeAt(13) !== 58 ||
    v.charCodeAt(16) !== 58 ||
    v.charCodeAt(19) !== 46 ||
    v.charCodeAt(23) !== 90
  )
    return NaN;
  const y = digits(v, 0, 4);
  const mo = digits(v, 5, 2);
  const d = digits(v, 8, 2);
  const h = digits(v, 11, 2);
  const mi = digits(v, 14, 2);
  const s = digits(v, 17, 2);
  const ms = digits(v, 20, 3);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms < 0)
    return NaN;
  // The month's last day (day 0 of the next month), only for days that may be past it.
  if (d > 28 && d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/**
 * What an unexpected value is, for a rejection reason that must not quote it (it may be a
 * credential): `a 5-character string`, `a number`, `an object`…
 */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `a ${v.length}-character string`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** Common outcome spellings → normalized outcome. */
export function normOutcome(v: unknown): AuditOutcome | null {
  if (typeof v === 'boolean') return v ? 'success' : 'error';
  const t = s(v)?.toLowerCase();
  if (!t) return null;
  if (['success', 'succeeded', 'ok', 'allow', 'allowed', 'permit', 'permitted', 'true', 'pass'].includes(t))
    return 'success';
  if (['denied', 'deny', 'forbidden', 'unauthorized', 'rejected', 'blocked', 'refused'].includes(t)) return 'denied';
  if (['error', 'failure', 'failed', 'fail', 'false', 'exception', 'timeout'].includes(t)) return 'error';
  return null;
}

/** A draft with every optional field null. */
export function blankDraft(
  source: string,
  sourceKind: AuditSourceKind,
  time: string,
  original: unknown,
): AuditEventDraft {
  return {
    time,
    source,
    sourceKind,
    sourceRecordId: null,
    tenant: null,
    'user.id': null,
    client: null,
    'client.address': null,
    'mcp.method.name': null,
    server: null,
    'gen_ai.tool.name': null,
    'gen_ai.prompt.name': null,
    'mcp.resource.uri': null,
    outcome: 'success',
    reason: null,
    'error.type': null,
    durationMs: null,
    'jsonrpc.request.id': null,
    'mcp.session.id': null,
    original,
  };
}

/** Dotted path lookup (`a.b.c`); a key that itself contains dots is tried first. */
export function getPath(o: unknown, path: string): unknown {
  const rec = obj(o);
  if (!rec) return undefined;
  if (path in rec) return rec[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  // Longest matching prefix key first, so `{"mcp.method.name": …}` and `{"mcp": {"method": …}}` both work.
  for (let i = path.lastIndexOf('.'); i > 0; i = path.lastIndexOf('.', i - 1)) {
    const head = path.slice(0, i);
    if (head in rec) return getPath(rec[head], path.slice(i + 1));
  }
  return undefined;
}
