import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { ServerEntry, Platform } from '../../../shared/model/discovery.js';
import type { Finding } from '../../../shared/model/finding.js';
import {
  FleetReport,
  type FleetReportFinding,
  type FleetReportResult,
  type FleetReportServer,
} from '../../../shared/model/fleet.js';
import type { DiscoveryScan } from '../discovery/types.js';
import { buildScanContext } from '../findings/context.js';
import { runnerTarget } from '../findings/rules/runner.js';
import { fingerprinter } from '../secrets/fingerprint.js';
import type { MachineIdentity } from './identity.js';
import type { TeamStore } from './store.js';

/**
 * Workstation reports: the machine's discovery and findings as one document (masked evidence, team
 * fingerprints), sent in one transaction. Idempotent: the scan row is keyed by (machine, scan time,
 * content hash), and a report whose key exists already changes nothing.
 */

/** Package and version a server runs through a package runner (npx, uvx, docker run…), if any. */
export function serverPackage(s: ServerEntry): { ecosystem?: string; package?: string; version?: string } {
  const t = runnerTarget({
    entry: s,
    raw: {
      ...(s.command !== undefined ? { command: s.command } : {}),
      ...(s.args ? { args: s.args } : {}),
      env: {},
      headers: {},
    },
    pointers: { env: {}, headers: {} },
  });
  if (!t) return {};
  return { ecosystem: t.ecosystem, package: t.name, ...(t.version ? { version: t.version } : {}) };
}

/**
 * Maps this install's fingerprints (`hs1:`, per-install key) to team fingerprints (`tf1:`, the team
 * store's key) by running the detection pass once more with both keys over the same discovery scan.
 * The values are only ever in memory, as in the scan itself.
 */
export async function teamFingerprints(
  scan: DiscoveryScan,
  localKey: Buffer,
  teamKey: Buffer,
  platform: Platform,
): Promise<Map<string, string>> {
  const local = fingerprinter(localKey);
  const team = fingerprinter(teamKey);
  const map = new Map<string, string>();
  await buildScanContext(scan, {
    platform,
    fingerprint: (value) => {
      const l = local(value);
      map.set(l, 'tf1:' + team(value).slice(4));
      return l;
    },
  });
  return map;
}

export function buildFleetReport(input: {
  identity: MachineIdentity;
  platform: string;
  scannedAt: string;
  version: string;
  servers: readonly ServerEntry[];
  findings: readonly Finding[];
  /** Local fingerprint → team fingerprint; findings whose fingerprint is not mapped carry none. */
  teamFingerprint: ReadonlyMap<string, string>;
}): FleetReport {
  const servers: FleetReportServer[] = input.servers.map((s) => ({
    serverId: s.id,
    name: s.name,
    client: s.client,
    scope: s.scope,
    transport: s.transport,
    ...(s.command !== undefined ? { command: s.command } : {}),
    ...(s.url !== undefined ? { url: s.url } : {}),
    ...serverPackage(s),
    disabled: s.disabled,
  }));
  const findings: FleetReportFinding[] = input.findings.map((f) => {
    const tf = f.fingerprint ? input.teamFingerprint.get(f.fingerprint) : undefined;
    return {
      findingId: f.id,
      ruleId: f.ruleId,
      severity: f.severity,
      status: f.status,
      title: f.title,
      client: f.client,
      server: f.server,
      ...(f.serverId ? { serverId: f.serverId } : {}),
      file: f.location.file,
      pointer: f.location.pointer,
      ...(f.evidence !== undefined ? { evidence: f.evidence } : {}),
      ...(tf ? { fingerprint: tf } : {}),
      ...(f.secretType ? { secretType: f.secretType } : {}),
      firstSeen: f.firstSeen,
    };
  });
  return FleetReport.parse({
    machine: {
      machineId: input.identity.machineId,
      hostname: input.identity.hostname,
      osUser: input.identity.osUser,
      platform: input.platform,
    },
    scannedAt: input.scannedAt,
    gatehouseVersion: input.version,
    servers,
    findings,
  });
}

/** Hash of everything but the scan time (the time is the other half of the idempotency key). */
export function reportContentHash(r: FleetReport): string {
  const servers = [...r.servers].sort((a, b) => a.serverId.localeCompare(b.serverId));
  const findings = [...r.findings].sort((a, b) => a.findingId.localeCompare(b.findingId));
  return createHash('sha256')
    .update(canonicalize({ machine: r.machine, version: r.gatehouseVersion, servers, findings }) ?? '')
    .digest('hex');
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** Sends one report in one transaction; a repeat of the same scan returns `inserted: false`. */
export async function sendFleetReport(
  store: TeamStore,
  report: FleetReport,
  /** Test hook: runs inside the transaction right after the scan row (to cut the connection there). */
  hooks: { afterScanRow?: () => Promise<void> } = {},
): Promise<FleetReportResult> {
  const r = FleetReport.parse(report);
  const hash = reportContentHash(r);
  const open = r.findings.filter((f) => f.status === 'open');
  const count = (sev: string) => open.filter((f) => f.severity === sev).length;
  const m = r.machine;
  const base = { machineId: m.machineId, contentHash: hash, servers: r.servers.length, findings: r.findings.length };
  return store.transaction(async (c) => {
    const ins = await c.query<{ scan_id: string }>(
      `INSERT INTO scans (machine_id, scanned_at, content_hash, hostname, os_user, gatehouse_version, server_count,
         open_findings, open_critical, open_high, open_medium, open_low, open_info)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (machine_id, scanned_at, content_hash) DO NOTHING RETURNING scan_id`,
      [
        m.machineId,
        r.scannedAt,
        hash,
        m.hostname,
        m.osUser,
        r.gatehouseVersion,
        r.servers.length,
        open.length,
        ...SEVERITIES.map(count),
      ],
    );
    if (!ins.rows[0]) {
      const got = await c.query<{ scan_id: string }>(
        'SELECT scan_id FROM scans WHERE machine_id = $1 AND scanned_at = $2 AND content_hash = $3',
        [m.machineId, r.scannedAt, hash],
      );
      return { ...base, inserted: false, scanId: Number(got.rows[0]?.scan_id ?? 0) };
    }
    const scanId = Number(ins.rows[0].scan_id);
    await hooks.afterScanRow?.();
    if (r.servers.length) {
      const col = <K extends keyof FleetReportServer>(k: K) => r.servers.map((s) => s[k] ?? null);
      await c.query(
        `INSERT INTO scan_servers (scan_id, machine_id, server_id, name, client, scope, transport, command, url,
           ecosystem, package, version, disabled)
         SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
           $9::text[], $10::text[], $11::text[], $12::text[], $13::boolean[])`,
        [
          scanId,
          m.machineId,
          col('serverId'),
          col('name'),
          col('client'),
          col('scope'),
          col('transport'),
          col('command'),
          col('url'),
          col('ecosystem'),
          col('package'),
          col('version'),
          col('disabled'),
        ],
      );
    }
    if (r.findings.length) {
      const col = <K extends keyof FleetReportFinding>(k: K) => r.findings.map((f) => f[k] ?? null);
      await c.query(
        `INSERT INTO scan_findings (scan_id, machine_id, finding_id, rule_id, severity, status, title, client, server,
           server_id, file, pointer, evidence, fingerprint, secret_type, first_seen)
         SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
           $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::timestamptz[])`,
        [
          scanId,
          m.machineId,
          col('findingId'),
          col('ruleId'),
          col('severity'),
          col('status'),
          col('title'),
          col('client'),
          col('server'),
          col('serverId'),
          col('file'),
          col('pointer'),
          col('evidence'),
          col('fingerprint'),
          col('secretType'),
          col('firstSeen'),
        ],
      );
    }
    // Last, so the server counts (trigger on machines.latest_scan_id, migration 3) see this scan's
    // servers. The newest scan (by scan time) decides what the machine row says; an older scan arriving late
    // is kept in history without rolling the machine back.
    await c.query(
      `INSERT INTO machines (machine_id, hostname, os_user, platform, first_report, last_scan_at, latest_scan_id)
       VALUES ($1, $2, $3, $4, $5, $5, $6)
       ON CONFLICT (machine_id) DO UPDATE SET
         hostname = CASE WHEN EXCLUDED.last_scan_at >= machines.last_scan_at THEN EXCLUDED.hostname ELSE machines.hostname END,
         os_user = CASE WHEN EXCLUDED.last_scan_at >= machines.last_scan_at THEN EXCLUDED.os_user ELSE machines.os_user END,
         platform = CASE WHEN EXCLUDED.last_scan_at >= machines.last_scan_at THEN EXCLUDED.platform ELSE machines.platform END,
         latest_scan_id = CASE WHEN EXCLUDED.last_scan_at >= machines.last_scan_at THEN EXCLUDED.latest_scan_id ELSE machines.latest_scan_id END,
         first_report = LEAST(machines.first_report, EXCLUDED.first_report),
         last_scan_at = GREATEST(machines.last_scan_at, EXCLUDED.last_scan_at),
         last_received_at = now()`,
      [m.machineId, m.hostname, m.osUser, m.platform, r.scannedAt, scanId],
    );
    return { ...base, inserted: true, scanId };
  });
}
