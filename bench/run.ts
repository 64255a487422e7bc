import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench`: runs every capability's benchmark and prints its figures against its target.
 * Figures are measured, never asserted: speed and memory targets live here, not in tests.
 * `npm run bench -- discovery audit` runs a subset. Each benchmark runs in a process of its own,
 * so its peak RSS is its own and not the high-water mark of the ones before it.
 */
interface Bench {
  name: string;
  target: string;
  load: () => Promise<() => Promise<Record<string, string | number>>>;
}

const BENCHES: Bench[] = [
  {
    name: 'cli',
    target: 'gatehouse discover / scan as whole processes: ≤ 0.2× Snyk agent-scan inspect, peak RSS ≤ 83 MB',
    load: async () => (await import('./cli.js')).benchCli,
  },
  {
    name: 'sse',
    target: 'serve with 100 SSE clients that never read + 40 discoveries (3,600 files): server RSS ≤ 300 MB',
    load: async () => (await import('./sse.js')).benchSse,
  },
  {
    name: 'audit',
    target: '1M events: ingest ≤ 5 s, RSS ≤ 250 MB, page p95 ≤ 30 ms, histogram ≤ 150 ms, facets ≤ 300 ms',
    load: async () => (await import('./audit.js')).benchAudit,
  },
  {
    name: 'audit-load',
    target:
      'serve over 1M audit events, 4 clients on audit.facets: app.info p99 ≤ 20 ms; audit queries ≤ 2× single-user targets',
    load: async () => (await import('./audit-load.js')).benchAuditLoad,
  },
  {
    name: 'discovery',
    target: '≤ 300 ms warm for 200 files / 2,000 servers',
    load: async () => (await import('./discovery.js')).benchDiscovery,
  },
  {
    name: 'watch',
    target: 'config edit → inventory updated ≤ 2 s (folder watches, 200 files / 2,000 servers)',
    load: async () => (await import('./watch.js')).benchWatch,
  },
  {
    name: 'findings',
    target: '≤ 2 s for 200 files / 2,000 servers scanned statically',
    load: async () => (await import('./findings.js')).benchFindings,
  },
  {
    name: 'config-write',
    target: 'bulk fix of ~200 literals in ~50 files: preview ≤ 2 s, all-or-nothing apply ≤ 3 s (and group undo)',
    load: async () => (await import('./config-write.js')).benchConfigWrite,
  },
  {
    name: 'policy',
    target: 'simulate 1M audit events ≤ 3 s; validate 200 teams / 2,000 servers / 20,000 tools ≤ 1 s',
    load: async () => (await import('./policy.js')).benchPolicy,
  },
  {
    name: 'parsing-attacks',
    target: 'issue #12 shapes: each finishes in < 5 s, sibling kept; 16k servers scanned in a few seconds',
    load: async () => async () => (await import('./parsing-attacks.js')).benchParsingAttacks(),
  },
  {
    name: 'live',
    target: '≤ 1.3× ideal (sum of start-ups / 8) for 50 stdio servers',
    load: async () => (await import('./live.js')).benchLive,
  },
  {
    name: 'policy-push',
    target: 'a ~50-change push to a local ContextForge (figures only: time and HTTP requests)',
    load: async () => (await import('./policy-push.js')).benchPolicyPush,
  },
  {
    name: 'ui',
    target: 'every page in Chromium, navigation → data visible, first visit after the app has loaded ≤ 150 ms',
    load: async () => (await import('./ui.js')).benchUi,
  },
  {
    name: 'fleet',
    target: '1,000 workstations × 50 servers reported to PostgreSQL: total, per-report p95; Fleet queries p95 ≤ 100 ms',
    load: async () => (await import('./fleet.js')).benchFleet,
  },
  {
    name: 'fleet-audit',
    target:
      '1,000,000 audit events into PostgreSQL (COPY chunks via a staging table, RSS bounded); page p95 ≤ 30 ms, facets ≤ 300 ms, histogram ≤ 150 ms',
    load: async () => (await import('./fleet-audit.js')).benchFleetAudit,
  },
];

const CHILD_FLAG = '--only';

async function runOne(b: Bench): Promise<boolean> {
  try {
    const figures = await (await b.load())();
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
    return true;
  } catch (err) {
    process.stdout.write(`  failed: ${(err as Error).stack ?? String(err)}\n`);
    return false;
  }
}

const args = process.argv.slice(2);
if (args[0] === CHILD_FLAG) {
  const b = BENCHES.find((x) => x.name === args[1]);
  process.exitCode = b && (await runOne(b)) ? 0 : 1;
} else {
  let failed = false;
  for (const b of BENCHES) {
    // `policy` also runs `policy-push`: a name selects itself and its `name-…` variants.
    if (args.length && !args.some((a) => b.name === a || b.name.startsWith(`${a}-`))) continue;
    process.stdout.write(`\n== ${b.name} (target ${b.target})\n`);
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), CHILD_FLAG, b.name],
      {
        stdio: 'inherit',
      },
    );
    if (child.status !== 0) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}
