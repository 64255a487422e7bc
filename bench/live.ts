import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { rawServer } from '../test/fixtures/mcp-servers/servers.js';
import { systemClock } from '../electron/services/ports.js';
import { openDatabase } from '../electron/services/store/database.js';
import { runLiveScan } from '../electron/services/live/scan.js';
import type { RawServer } from '../electron/services/discovery/types.js';

const LEAN_TS = join(import.meta.dirname, '..', 'test', 'fixtures', 'mcp-servers', 'lean-server.ts');

/** The lean fixture compiled once to JS, so 50 spawns do not each pay for type stripping. */
function compileLean(): string {
  const js = transformSync(readFileSync(LEAN_TS, 'utf8'), { loader: 'ts', format: 'esm', target: 'node22' }).code;
  const file = join(mkdtempSync(join(tmpdir(), 'gh-bench-live-')), 'lean-server.mjs');
  writeFileSync(file, js);
  return file;
}
const SERVERS = 50;
const CONCURRENCY = 8;
const SAMPLE = 6;

/** Deterministic start-ups in 150–300 ms (a small LCG, so every run benchmarks the same set). */
function startups(n: number): number[] {
  let x = 12345;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 150 + (x % 151);
  });
}

function serversOf(lean: string, delays: number[]): RawServer[] {
  return delays.map((ms, i) =>
    rawServer({
      name: `bench-${i}`,
      command: process.execPath,
      args: ['--v8-pool-size=0', lean, '--startup-ms', String(ms)],
    }),
  );
}

/**
 * 50 stdio servers (lean fixture, simulated 150–300 ms start-up each) enumerated with concurrency 8.
 * Sequential time is extrapolated from a real sequential sample: each server's time is its
 * configured start-up plus the mean measured overhead (process spawn, Node boot, initialize and
 * the list calls) of the sample. Ideal = sequential / 8.
 */
export async function benchLive(): Promise<Record<string, string | number>> {
  const delays = startups(SERVERS);
  const lean = compileLean();
  const servers = (d: number[]) => serversOf(lean, d);
  const deps = { db: openDatabase(':memory:'), clock: systemClock };
  try {
    // Warm-up (module caches, first spawn).
    await runLiveScan(deps, { servers: servers([150]), env: process.env, consent: 'run' });

    const sample = delays.slice(0, SAMPLE);
    const seq = await runLiveScan(deps, { servers: servers(sample), env: process.env, consent: 'run', concurrency: 1 });
    const overheads = seq.servers.map((s, i) => s.snapshot.durationMs - sample[i]!);
    const overhead = overheads.reduce((a, b) => a + b, 0) / overheads.length;
    const sequential = delays.reduce((a, b) => a + b + overhead, 0);
    const ideal = sequential / CONCURRENCY;

    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const run = await runLiveScan(deps, {
      servers: servers(delays),
      env: process.env,
      consent: 'run',
      concurrency: CONCURRENCY,
    });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const ok = run.servers.filter((s) => s.snapshot.status === 'ok').length;
    const inRunSum = run.servers.reduce((a, s) => a + s.snapshot.durationMs, 0);
    return {
      servers: SERVERS,
      concurrency: CONCURRENCY,
      'enumerated ok': ok,
      'configured start-ups (sum)': `${delays.reduce((a, b) => a + b, 0)} ms`,
      'measured overhead per server': `${overhead.toFixed(0)} ms (mean of a real sequential sample of ${SAMPLE})`,
      'sequential (extrapolated)': `${sequential.toFixed(0)} ms`,
      'ideal (sequential / 8)': `${ideal.toFixed(0)} ms`,
      'wall time': `${wall.toFixed(0)} ms`,
      'wall / ideal': `${(wall / ideal).toFixed(2)}× (target ≤ 1.3×)`,
      'gatehouse CPU during the run': `${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`,
      'load average (1 min) at the end': (await import('node:os')).loadavg()[0]!.toFixed(2),
      'in-run per-server sum / 8': `${(inRunSum / CONCURRENCY).toFixed(0)} ms (durations under contention)`,
      'wall / in-run ideal (pool packing)': `${(wall / (inRunSum / CONCURRENCY)).toFixed(2)}×`,
    };
  } finally {
    deps.db.close();
  }
}
