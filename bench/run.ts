export {};

/**
 * `npm run bench`: runs every capability's benchmark and prints its figures against its target.
 * Figures are measured, never asserted: speed and memory targets live here, not in tests.
 * `npm run bench -- discovery audit` runs a subset.
 */
interface Bench {
  name: string;
  target: string;
  load: () => Promise<() => Promise<Record<string, string | number>>>;
}

const BENCHES: Bench[] = [
  {
    name: 'audit',
    target: '1M events: ingest ≤ 5 s, RSS ≤ 250 MB, page p95 ≤ 30 ms, histogram ≤ 150 ms, facets ≤ 300 ms',
    load: async () => (await import('./audit.js')).benchAudit,
  },
  {
    name: 'discovery',
    target: '≤ 300 ms warm for 200 files / 2,000 servers',
    load: async () => (await import('./discovery.js')).benchDiscovery,
  },
  {
    name: 'findings',
    target: '≤ 2 s for 200 files / 2,000 servers scanned statically',
    load: async () => (await import('./findings.js')).benchFindings,
  },
  {
    name: 'live',
    target: '≤ 1.3× ideal (sum of start-ups / 8) for 50 stdio servers',
    load: async () => (await import('./live.js')).benchLive,
  },
];

const wanted = process.argv.slice(2);
let failed = false;
for (const b of BENCHES) {
  if (wanted.length && !wanted.includes(b.name)) continue;
  process.stdout.write(`\n== ${b.name} (target ${b.target})\n`);
  try {
    const figures = await (await b.load())();
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
  } catch (err) {
    failed = true;
    process.stdout.write(`  failed: ${(err as Error).stack ?? String(err)}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
