import type pg from 'pg';
import type {
  FleetFilter,
  FleetFindingRow,
  FleetFingerprintRow,
  FleetMachine,
  FleetServerRow,
  FleetTrendPoint,
} from '../../../shared/model/fleet.js';

/**
 * Fleet view queries (admin role). "Now" is each machine's latest scan (machines.latest_scan_id);
 * the trend carries each machine's last scan forward day by day.
 */

type Q = Pick<pg.ClientBase, 'query'>;

const DEFAULT_LIMIT = 1000;

/** Shared WHERE over `m` (machines) for the machine/server/package filters. */
function machineWhere(f: FleetFilter, params: unknown[]): string {
  const w: string[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.machine) w.push(`(m.machine_id = ${p(f.machine)} OR m.hostname = $${params.length})`);
  if (f.staleDays !== undefined) w.push(`m.last_scan_at <= now() - make_interval(secs => ${p(f.staleDays * 86400)})`);
  const sv: string[] = [];
  if (f.server) sv.push(`v.name = ${p(f.server)}`);
  if (f.package) sv.push(`v.package = ${p(f.package)}`);
  if (f.version) sv.push(`v.version = ${p(f.version)}`);
  if (sv.length)
    w.push(`EXISTS (SELECT 1 FROM scan_servers v WHERE v.scan_id = m.latest_scan_id AND ${sv.join(' AND ')})`);
  return w.length ? w.join(' AND ') : 'true';
}

export async function fleetMachines(c: Q, f: FleetFilter = {}): Promise<FleetMachine[]> {
  const params: unknown[] = [];
  const where = machineWhere(f, params);
  params.push(f.limit ?? DEFAULT_LIMIT);
  const r = await c.query(
    `SELECT m.machine_id, m.hostname, m.os_user, m.platform, m.last_scan_at, m.last_received_at,
       extract(epoch FROM (now() - m.last_scan_at)) / 86400 AS days,
       s.server_count, s.open_findings, s.open_critical, s.open_high, s.open_medium, s.open_low, s.open_info
     FROM machines m JOIN scans s ON s.scan_id = m.latest_scan_id
     WHERE ${where}
     ORDER BY m.last_scan_at, m.machine_id
     LIMIT $${params.length}`,
    params,
  );
  return r.rows.map((x) => ({
    machineId: x.machine_id,
    hostname: x.hostname,
    osUser: x.os_user,
    platform: x.platform,
    lastScanAt: (x.last_scan_at as Date).toISOString(),
    lastReceivedAt: (x.last_received_at as Date).toISOString(),
    daysSinceReport: Math.max(0, Math.floor(Number(x.days) * 10) / 10),
    serverCount: x.server_count,
    openFindings: x.open_findings,
    bySeverity: {
      critical: x.open_critical,
      high: x.open_high,
      medium: x.open_medium,
      low: x.open_low,
      info: x.open_info,
    },
  }));
}

export async function fleetServers(c: Q, f: FleetFilter = {}): Promise<FleetServerRow[]> {
  const params: unknown[] = [];
  const w: string[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.machine) w.push(`(m.machine_id = ${p(f.machine)} OR m.hostname = $${params.length})`);
  if (f.server) w.push(`v.name = ${p(f.server)}`);
  if (f.package) w.push(`v.package = ${p(f.package)}`);
  if (f.version) w.push(`v.version = ${p(f.version)}`);
  if (f.staleDays !== undefined) w.push(`m.last_scan_at <= now() - make_interval(secs => ${p(f.staleDays * 86400)})`);
  const limit = p(f.limit ?? DEFAULT_LIMIT);
  // The machine lists only when asking about one server or package (the overview stays cheap).
  const listMachines = !!(f.server || f.package || f.machine);
  if (!listMachines && f.staleDays === undefined) return serverOverview(c, f);
  // Two hash aggregates (per machine, then per server) instead of a sorted count(DISTINCT).
  const r = await c.query(
    `SELECT x.name, x.package, x.version, min(x.transport) AS transport, count(*)::int AS machine_count${
      listMachines ? ',\n       array_agg(x.machine_id ORDER BY x.machine_id) AS machines' : ''
    }
     FROM (
       SELECT v.machine_id, v.name, v.package, v.version, min(v.transport) AS transport
       FROM machines m JOIN scan_servers v ON v.scan_id = m.latest_scan_id
       WHERE ${w.length ? w.join(' AND ') : 'true'}
       GROUP BY v.machine_id, v.name, v.package, v.version
     ) x
     GROUP BY x.name, x.package, x.version
     ORDER BY machine_count DESC, x.name, x.package NULLS FIRST, x.version NULLS FIRST
     LIMIT ${limit}`,
    params,
  );
  return r.rows.map((x) => ({
    name: x.name,
    package: x.package,
    version: x.version,
    transport: x.transport,
    machineCount: x.machine_count,
    ...(listMachines ? { machines: x.machines } : {}),
  }));
}

/**
 * The unfiltered servers overview from the counts maintained at report time (migration 3): a few
 * hundred rows instead of every machine's servers. Same rows and order as the aggregate.
 */
async function serverOverview(c: Q, f: FleetFilter): Promise<FleetServerRow[]> {
  const params: unknown[] = [f.limit ?? DEFAULT_LIMIT];
  if (f.version) params.push(f.version);
  const r = await c.query(
    `SELECT name, nullif(package, '') AS package, nullif(version, '') AS version, min(transport) AS transport,
       sum(machine_count)::int AS machine_count
     FROM fleet_server_counts
     WHERE machine_count > 0${f.version ? ' AND version = $2' : ''}
     GROUP BY name, package, version
     ORDER BY machine_count DESC, name, nullif(package, '') NULLS FIRST, nullif(version, '') NULLS FIRST
     LIMIT $1`,
    params,
  );
  return r.rows.map((x) => ({
    name: x.name,
    package: x.package,
    version: x.version,
    transport: x.transport,
    machineCount: x.machine_count,
  }));
}

const SEVERITY_RANK = `CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`;

/** Open findings of each machine's latest scan. */
export async function fleetFindings(c: Q, f: FleetFilter = {}): Promise<FleetFindingRow[]> {
  const params: unknown[] = [];
  const w = [`f.status = 'open'`, machineWhere(f, params)];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.ruleId) w.push(`f.rule_id = ${p(f.ruleId)}`);
  if (f.severity) w.push(`f.severity = ${p(f.severity)}`);
  if (f.fingerprint) w.push(`f.fingerprint = ${p(f.fingerprint)}`);
  const limit = p(f.limit ?? DEFAULT_LIMIT);
  const r = await c.query(
    `SELECT f.machine_id, m.hostname, f.rule_id, f.severity, f.status, f.title, f.client, f.server, f.file,
       f.pointer, f.evidence, f.fingerprint
     FROM machines m JOIN scan_findings f ON f.scan_id = m.latest_scan_id
     WHERE ${w.join(' AND ')}
     ORDER BY ${SEVERITY_RANK}, m.hostname, f.machine_id, f.rule_id, f.file, f.pointer
     LIMIT ${limit}`,
    params,
  );
  return r.rows.map((x) => ({
    machineId: x.machine_id,
    hostname: x.hostname,
    ruleId: x.rule_id,
    severity: x.severity,
    status: x.status,
    title: x.title,
    client: x.client,
    server: x.server,
    file: x.file,
    pointer: x.pointer,
    evidence: x.evidence,
    fingerprint: x.fingerprint,
  }));
}

/**
 * Team fingerprints present on at least `minMachines` machines (default 2), most spread first.
 * Reads the (fingerprint, machine) projection of the latest scans maintained at report time
 * (migration 101): one row per machine and fingerprint in key order, so no sort and no
 * count(DISTINCT); machine filters join the machines it names.
 */
export async function fleetSharedFingerprints(
  c: Q,
  f: FleetFilter & { minMachines?: number } = {},
): Promise<FleetFingerprintRow[]> {
  const { minMachines = 2, ...rest } = f;
  const params: unknown[] = [];
  const where = machineWhere(rest, params);
  params.push(minMachines, f.limit ?? DEFAULT_LIMIT);
  const r = await c.query(
    `SELECT x.fingerprint, min(x.secret_type) AS secret_type, min(x.evidence) AS evidence,
       count(*)::int AS machine_count, sum(x.finding_count)::int AS finding_count,
       array_agg(x.machine_id ORDER BY x.machine_id) AS machines
     FROM fleet_fingerprint_machines x${where === 'true' ? '' : ' JOIN machines m ON m.machine_id = x.machine_id'}
     WHERE ${where}
     GROUP BY x.fingerprint
     HAVING count(*) >= $${params.length - 1}
     ORDER BY machine_count DESC, x.fingerprint
     LIMIT $${params.length}`,
    params,
  );
  return r.rows.map((x) => ({
    fingerprint: x.fingerprint,
    secretType: x.secret_type,
    evidence: x.evidence,
    machineCount: x.machine_count,
    findingCount: x.finding_count,
    machines: x.machines,
  }));
}

/**
 * Open findings per UTC day over the last `days` days (default 30): for each day, the sum over
 * machines of the open findings of their last scan up to the end of that day.
 */
export async function fleetTrend(c: Q, f: FleetFilter = {}): Promise<FleetTrendPoint[]> {
  const params: unknown[] = [];
  const where = machineWhere({ ...f, staleDays: undefined }, params);
  params.push(f.days ?? 30);
  // Each scan is "current" for its machine from its scan time until the machine's next scan; a day
  // counts the scans current at the end of that day. One pass over the scans (window function) and
  // a small range join, instead of one index probe per machine and day.
  const r = await c.query(
    `WITH days AS (
       SELECT d::date AS day, ((d::date + 1)::timestamp AT TIME ZONE 'UTC') AS day_end FROM generate_series(
         (now() AT TIME ZONE 'UTC')::date - ($${params.length}::int - 1), (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d
     ), spans AS (
       SELECT s.open_findings, s.scanned_at,
         lead(s.scanned_at) OVER (PARTITION BY s.machine_id ORDER BY s.scanned_at) AS next_at
       FROM scans s WHERE s.machine_id IN (SELECT m.machine_id FROM machines m WHERE ${where})
     )
     SELECT to_char(days.day, 'YYYY-MM-DD') AS day, coalesce(sum(spans.open_findings), 0)::int AS open_findings,
       count(spans.open_findings)::int AS machines
     FROM days LEFT JOIN spans ON spans.scanned_at < days.day_end AND (spans.next_at IS NULL OR spans.next_at >= days.day_end)
     GROUP BY days.day ORDER BY days.day`,
    params,
  );
  return r.rows.map((x) => ({ day: x.day, openFindings: x.open_findings, machines: x.machines }));
}

/** CSV (RFC 4180) of rows of flat objects; arrays are joined with spaces. */
export function toCsv(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  const cell = (v: unknown): string => {
    const s =
      v === null || v === undefined
        ? ''
        : Array.isArray(v)
          ? v.join(' ')
          : typeof v === 'object'
            ? JSON.stringify(v)
            : String(v as string | number | boolean);
    // Neutralise spreadsheet formulas as well as quoting.
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
