import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { discover, toDiscoveryResult } from '../electron/services/discovery/discover.js';
import { nodeFileSystem } from '../electron/services/node-ports.js';
import { generateSyntheticWorkstation } from './synthetic-workstation.js';

/**
 * Discovery benchmark: a synthetic workstation of 200 config files / 2,000 servers (all shapes,
 * a few hundred planted credentials), discovered several times; reports the warm median wall time
 * and the peak RSS. Target: ≤ 300 ms warm.
 */
export async function benchDiscovery(runs = 7): Promise<Record<string, string | number>> {
  const synth = await generateSyntheticWorkstation();
  try {
    // Warm-up: module JIT and the OS file cache.
    const first = await discover(synth.ws, nodeFileSystem);
    const check = toDiscoveryResult(first);
    const failed = check.sources.filter((s) => s.status !== 'ok');
    if (failed.length)
      throw new Error(`synthetic workstation: ${failed.length} source(s) not ok: ${JSON.stringify(failed[0])}`);
    if (check.servers.length !== synth.servers)
      throw new Error(`expected ${synth.servers} servers, found ${check.servers.length}`);
    const json = JSON.stringify(check);
    const leaked = synth.planted.filter((p) => json.includes(p.value)).length;

    const times: number[] = [];
    let leaves = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const scan = await discover(synth.ws, nodeFileSystem);
      toDiscoveryResult(scan);
      times.push(performance.now() - t0);
      leaves = scan.sources.reduce((n, s) => n + s.leaves.length, 0);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? NaN;
    return {
      'config files': synth.files.length,
      servers: check.servers.length,
      'string leaves': leaves,
      'planted credentials': synth.planted.length,
      'credentials leaked in output': leaked,
      runs,
      'median wall ms (warm)': Number(median.toFixed(1)),
      'min / max wall ms': `${times[0]?.toFixed(1)} / ${times.at(-1)?.toFixed(1)}`,
      'peak RSS MB': Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
      'target met (≤ 300 ms)': median <= 300 ? 'yes' : 'no',
    };
  } finally {
    await rm(synth.root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchDiscovery();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(38)} ${v}\n`);
}
