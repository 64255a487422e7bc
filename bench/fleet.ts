import type { FleetReport } from '../shared/model/fleet.js';
import {
  fleetFindings,
  fleetMachines,
  fleetServers,
  fleetSharedFingerprints,
  fleetTrend,
} from '../electron/services/fleet/queries.js';
import { sendFleetReport } from '../electron/services/fleet/report.js';
import { migrateTeamStore, openTeamStore } from '../electron/services/fleet/store.js';
import { startPostgres } from '../test/support/postgres.js';

/**
 * Issue #14 fleet benchmark on a real local PostgreSQL cluster: 1,000 workstations × 50 servers
 * report (each report one transaction, through a reporter login role under row-level security,
 * 8 at a time), then the Fleet view's queries run as an admin role: p95 of each (target ≤ 100 ms).
 */
const MACHINES = 1000;
const SERVERS = 50;
const CONCURRENCY = 8;
const QUERY_RUNS = 20;

/** One synthetic workstation's report: 50 servers, 10 findings (5 with a shared team fingerprint). */
export function fleetBenchReport(i: number, scannedAt: string): FleetReport {
  const machineId = `bench-${i}`;
  return {
    machine: { machineId, hostname: `host-${i}`, osUser: 'dev', platform: 'linux' },
    scannedAt,
    gatehouseVersion: '0.1.0',
    servers: Array.from({ length: SERVERS }, (_, k) => ({
      serverId: `${machineId}-${k}`,
      name: `server-${k}`,
      client: k % 2 ? 'cursor' : 'claude-code',
      scope: 'user',
      transport: 'stdio',
      command: 'npx',
      ecosystem: 'npm',
      package: `@org/mcp-${k}`,
      version: `1.${(i + k) % 5}.0`,
      disabled: false,
    })),
    findings: Array.from({ length: 10 }, (_, k) => ({
      findingId: `f-${machineId}-${k}`,
      ruleId: k % 2 ? 'secret.literal' : 'runner.unpinned',
      severity: ['critical', 'high', 'medium', 'low'][k % 4]!,
      status: 'open',
      title: 'finding',
      client: 'cursor',
      server: `server-${k}`,
      file: '/home/dev/.cursor/mcp.json',
      pointer: `/mcpServers/server-${k}/env/TOKEN`,
      evidence: 'ghp_…abcd',
      ...(k % 2 ? { fingerprint: 'tf1:' + ((i % 50) * 10 + k).toString(16).padStart(32, '0') } : {}),
    })),
  };
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
}

export async function benchFleet(): Promise<Record<string, string | number>> {
  const cluster = await startPostgres();
  if ('skip' in cluster) throw new Error(cluster.skip);
  try {
    const url = await cluster.createDatabase('fleet_bench');
    const owner = openTeamStore(url, { max: 2 });
    await migrateTeamStore(owner);
    const c0 = await cluster.connect('fleet_bench');
    await c0.query(`CREATE ROLE bench_reporter LOGIN PASSWORD 'bench-pw'`);
    await c0.query(`CREATE ROLE bench_admin LOGIN PASSWORD 'bench-pw'`);
    await c0.query(`GRANT gatehouse_reporter TO bench_reporter`);
    await c0.query(`GRANT gatehouse_admin TO bench_admin`);
    await c0.query(
      `INSERT INTO machine_reporters (machine_id, role_name) SELECT 'bench-' || g, 'bench_reporter' FROM generate_series(0, $1 - 1) g`,
      [MACHINES],
    );
    await c0.end();
    const reporter = openTeamStore(cluster.url('fleet_bench', 'bench_reporter', 'bench-pw'), { max: CONCURRENCY });
    const admin = openTeamStore(cluster.url('fleet_bench', 'bench_admin', 'bench-pw'), { max: 1 });
    const times: number[] = [];
    const scannedAt = new Date().toISOString();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < MACHINES) {
          const i = next++;
          const t = performance.now();
          await sendFleetReport(reporter, fleetBenchReport(i, scannedAt));
          times.push(performance.now() - t);
        }
      }),
    );
    const total = performance.now() - t0;
    await owner.withClient((c) => c.query('ANALYZE'));
    const queries: [string, () => Promise<unknown>][] = [
      ['machines', () => admin.withClient((c) => fleetMachines(c))],
      ['machines stale ≥ 7 days', () => admin.withClient((c) => fleetMachines(c, { staleDays: 7 }))],
      ['servers', () => admin.withClient((c) => fleetServers(c))],
      [
        'machines running package P@V',
        () => admin.withClient((c) => fleetMachines(c, { package: '@org/mcp-7', version: '1.2.0' })),
      ],
      ['findings (first 1,000)', () => admin.withClient((c) => fleetFindings(c))],
      ['shared credentials', () => admin.withClient((c) => fleetSharedFingerprints(c))],
      ['trend 30 days', () => admin.withClient((c) => fleetTrend(c, { days: 30 }))],
    ];
    const figures: Record<string, string | number> = {
      reports: `${MACHINES} × ${SERVERS} servers, 10 findings each, ${CONCURRENCY} concurrent`,
      'report total': `${(total / 1000).toFixed(2)} s`,
      'report p95': `${p95(times).toFixed(1)} ms`,
    };
    for (const [name, q] of queries) {
      await q();
      const ts: number[] = [];
      for (let k = 0; k < QUERY_RUNS; k++) {
        const t = performance.now();
        await q();
        ts.push(performance.now() - t);
      }
      figures[`query p95: ${name}`] = `${p95(ts).toFixed(1)} ms`;
    }
    await Promise.all([reporter.close(), admin.close(), owner.close()]);
    return figures;
  } finally {
    await cluster.stop();
  }
}
