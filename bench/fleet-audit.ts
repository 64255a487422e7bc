import type { AuditFilter } from '../shared/model/audit.js';
import { PgAuditStore, PG_AUDIT_CHUNK } from '../electron/services/fleet/audit.js';
import { grantAdmin, migrateTeamStore, openTeamStore } from '../electron/services/fleet/store.js';
import { startPostgres } from '../test/support/postgres.js';
import { rng, synthetic } from './audit.js';

/**
 * Audit at team scale on a real local PostgreSQL: N (default 1,000,000; FLEET_AUDIT_N) of the audit
 * benchmark's synthetic events (30 days, 8 tenants, 2,000 users…) ingested as an admin role in
 * committed chunks (COPY FROM STDIN into a staging table, then INSERT … SELECT … ON CONFLICT DO
 * NOTHING with the rollups; two chunks in flight) into monthly partitions, peak RSS sampled, then
 * the local timeline's query targets: filtered first page p95 ≤ 30 ms, facets (8) p95 ≤ 300 ms,
 * histogram over the full range p95 ≤ 150 ms — same filters as bench/audit.ts. Facets and histogram
 * under one tenant (a scan, no rollup) are reported without a target.
 */
const DAY = 86_400_000;
const BASE = Date.UTC(2026, 9, 1);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const ms = (x: number) => `${x.toFixed(1)} ms`;

export async function benchFleetAudit(
  n = Number(process.env.FLEET_AUDIT_N ?? 1_000_000),
): Promise<Record<string, string | number>> {
  const cluster = await startPostgres();
  if ('skip' in cluster) throw new Error(cluster.skip);
  try {
    const url = await cluster.createDatabase('audit_bench');
    const owner = openTeamStore(url, { max: 1 });
    await migrateTeamStore(owner);
    const c0 = await cluster.connect('audit_bench');
    await c0.query(`CREATE ROLE bench_audit LOGIN PASSWORD 'bench-pw'`);
    await c0.end();
    await grantAdmin(owner, 'bench_audit');
    const admin = openTeamStore(cluster.url('audit_bench', 'bench_audit', 'bench-pw'), { max: 1 });
    const store = new PgAuditStore(admin);
    const r = rng(42);
    const gen = function* () {
      for (let i = 0; i < n; i++) yield synthetic(i, n, r);
    };
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    const t0 = performance.now();
    const res = await store.ingest(gen()).finally(() => clearInterval(sampler));
    const ingestMs = performance.now() - t0;
    if (res.imported !== n) throw new Error(`imported ${res.imported} of ${n}`);
    await owner.withClient((c) => c.query('VACUUM ANALYZE audit_events'));
    const size = await owner.withClient((c) =>
      c.query<{ s: string }>(
        `SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS s FROM pg_inherits WHERE inhparent = 'audit_events'::regclass`,
      ),
    );
    const filters: AuditFilter[] = [
      { tenant: ['team-3'] },
      { subject: ['user17@corp.example'] },
      { outcome: ['denied'] },
      { server: ['server-7'], outcome: ['error'] },
      { tool: ['tool_42'] },
      {
        since: new Date(BASE + 10 * DAY).toISOString(),
        until: new Date(BASE + 12 * DAY).toISOString(),
        tenant: ['team-1'],
      },
      { text: 'timeout' },
      {},
    ];
    const pageTimes: number[] = [];
    const perFilter = new Map<string, number[]>();
    for (let round = 0; round < 5; round++)
      for (const f of filters) {
        const a = performance.now();
        await store.query(f, { limit: 100 });
        const took = performance.now() - a;
        pageTimes.push(took);
        const k = JSON.stringify(f);
        perFilter.set(k, [...(perFilter.get(k) ?? []), took]);
      }
    const facetTimes: number[] = [];
    const histTimes: number[] = [];
    for (let k = 0; k < 5; k++) {
      let a = performance.now();
      await store.facets({});
      facetTimes.push(performance.now() - a);
      a = performance.now();
      const h = await store.histogram({}, 120);
      histTimes.push(performance.now() - a);
      if (h.total !== n) throw new Error(`histogram total ${h.total} ≠ ${n}`);
    }
    const tenantFacets: number[] = [];
    const tenantHist: number[] = [];
    for (let k = 0; k < 3; k++) {
      let a = performance.now();
      await store.facets({ tenant: ['team-3'] });
      tenantFacets.push(performance.now() - a);
      a = performance.now();
      await store.histogram({ tenant: ['team-3'] }, 120);
      tenantHist.push(performance.now() - a);
    }
    const slowest = [...perFilter].map(([k, v]) => [k, pct(v, 50)] as const).sort((a, b) => b[1] - a[1])[0]!;
    const partitions = (await store.partitions()).length;
    await Promise.all([admin.close(), owner.close()]);
    return {
      events: `${n.toLocaleString('en')} in ${res.chunks} COPY chunks of ${PG_AUDIT_CHUNK.toLocaleString('en')} (2 in flight), ${partitions} monthly partitions`,
      'ingest total': `${(ingestMs / 1000).toFixed(1)} s (${Math.round(n / (ingestMs / 1000)).toLocaleString('en')} events/s)`,
      'ingest peak RSS': `${Math.round(peakRss / 1e6)} MB`,
      'stored size (heap + indexes)': size.rows[0]!.s,
      'filtered first page p50': ms(pct(pageTimes, 50)),
      'filtered first page p95 (≤ 30 ms)': ms(pct(pageTimes, 95)),
      'slowest filter (median of 5)': `${slowest[0]} ${ms(slowest[1])}`,
      'facets, 8 facets, p95 (≤ 300 ms)': ms(pct(facetTimes, 95)),
      'histogram full range p95 (≤ 150 ms)': ms(pct(histTimes, 95)),
      'one tenant: facets / histogram median (no target)': `${ms(pct(tenantFacets, 50))} / ${ms(pct(tenantHist, 50))}`,
    };
  } finally {
    await cluster.stop();
  }
}
