import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createNodeContext } from '../electron/node/runtime.js';
import { refreshInventory } from '../electron/services/discovery/refresh.js';
import { watchConfigFiles } from '../electron/services/discovery/watch.js';
import { runFindingsScan } from '../electron/services/findings/service.js';
import { nodeDirWatcher, nodeFileSystem } from '../electron/services/node-ports.js';
import type { SecretStore } from '../electron/services/ports.js';
import { DiscoveryRunRepository } from '../electron/services/store/discovery-runs.js';
import { generateSyntheticWorkstation } from './synthetic-workstation.js';

/**
 * Config watch benchmark (issue #11): the synthetic workstation (200 files / 2,000 servers) watched
 * as `gatehouse serve` watches it; each round appends a server to a Cursor mcp.json and times the
 * edit until the stored inventory (what discovery.latest answers) holds it and `store.changed`
 * tells the page to re-read it — the watch event, the debounce and discovery (the static findings
 * scan follows). Target: ≤ 2 s per edit. Also the number of
 * folder watches left after stop (cap 256) and how many folders the cap left out.
 */
export async function benchWatch(rounds = 10): Promise<Record<string, string | number>> {
  const synth = await generateSyntheticWorkstation();
  const m = new Map<string, string>();
  const secrets: SecretStore = {
    kind: 'memory',
    get: async (k) => m.get(k) ?? null,
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
  };
  const ctx = createNodeContext({
    stateDir: join(synth.root, 'state'),
    mode: 'browser',
    secrets,
    workstation: synth.ws,
  });
  const cursor = join(synth.ws.home, '.cursor', 'mcp.json');
  const original = await readFile(cursor, 'utf8').catch(() => '{"mcpServers":{}}');
  await runFindingsScan(ctx);
  const watcher = await watchConfigFiles({
    workstation: ctx.workstation,
    fs: nodeFileSystem,
    watcher: nodeDirWatcher,
    onChange: () => refreshInventory(ctx),
  });
  const has = (name: string) =>
    (new DiscoveryRunRepository(ctx.db).latest()?.result.servers ?? []).some((s) => s.name === name);
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const doc = JSON.parse(original) as { mcpServers?: Record<string, unknown> };
      const name = `bench-watch-${i}`;
      doc.mcpServers = { ...doc.mcpServers, [name]: { command: 'node', args: [`${name}.js`] } };
      // Timed to the `store.changed` (discovery) that makes the page re-read the inventory.
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`edit ${i} not seen within 30 s`)), 30_000);
        const off = ctx.events.subscribe((event, p) => {
          if (event !== 'store.changed' || !(p as { topics: string[] }).topics.includes('discovery')) return;
          const at = performance.now();
          if (!has(name)) return;
          clearTimeout(timer);
          off();
          resolve(at);
        });
      });
      const t0 = performance.now();
      await writeFile(cursor, JSON.stringify(doc));
      times.push((await seen) - t0);
      await watcher.idle();
    }
  } finally {
    watcher.stop();
    await watcher.idle();
    ctx.db.close();
  }
  const watched = watcher.watched.length;
  await rm(synth.root, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? NaN;
  const worst = times.at(-1) ?? NaN;
  return {
    'config files': synth.files.length,
    rounds,
    'folder watches after stop': `${watched} (0 expected)`,
    'folders left out by the cap': watcher.skipped,
    'edit → inventory median ms': Number(median.toFixed(0)),
    'edit → inventory max ms': Number(worst.toFixed(0)),
    'target met (≤ 2,000 ms)': worst <= 2000 ? 'yes' : 'no',
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [k, v] of Object.entries(await benchWatch())) process.stdout.write(`${k.padEnd(34)} ${v}\n`);
}
