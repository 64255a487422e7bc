import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createNodeContext } from '../../node/runtime.js';
import { createAdminHandlers } from '../admin-service.js';
import { nodeDirWatcher, nodeFileSystem } from '../node-ports.js';
import type { SecretStore } from '../ports.js';
import { runDiscovery } from './handlers.js';
import { ConfigWatcher, type DirWatcherPort } from './watch.js';

/**
 * Issue #11 part 2: the inventory follows config edits through folder watches (real files, real
 * fs.watch, real discovery and SQLite), editors that replace files by rename included; watches
 * are capped and all released on stop.
 */

function memorySecrets(): SecretStore {
  const m = new Map<string, string>();
  return {
    kind: 'memory',
    get: async (k) => m.get(k) ?? null,
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
  };
}

/** The real watcher, counting what is open (to prove every watch is released). */
function counting(inner: DirWatcherPort = nodeDirWatcher) {
  const open = new Set<string>();
  const seen: string[] = [];
  let opened = 0;
  const port: DirWatcherPort = {
    watch(dir, onEvent, onError) {
      const h = inner.watch(
        dir,
        (name) => {
          seen.push(join(dir, name ?? '?'));
          onEvent(name);
        },
        onError,
      );
      const id = `${dir}#${opened++}`;
      open.add(id);
      return {
        close: () => {
          open.delete(id);
          h.close();
        },
      };
    },
  };
  return { port, open, seen, opened: () => opened };
}

/** Polls `check` until it holds or the deadline passes (no fixed sleeps). */
async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const cursorConfig = (names: string[]) =>
  JSON.stringify({ mcpServers: Object.fromEntries(names.map((n) => [n, { command: 'node', args: [`${n}.js`] }])) });

describe('config watch: the inventory follows edits without polling', () => {
  test('edit, editor-style replace by rename, a folder created later; irrelevant files ignored; released on stop', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-watch-'));
    after(() => rm(root, { recursive: true, force: true }));
    const home = join(root, 'home');
    await mkdir(join(home, '.cursor'), { recursive: true });
    const cursor = join(home, '.cursor', 'mcp.json');
    await writeFile(cursor, cursorConfig(['alpha']));
    const ctx = createNodeContext({
      stateDir: join(root, 'state'),
      mode: 'browser',
      secrets: memorySecrets(),
      workstation: { home, platform: 'linux', projects: [], systemRoot: join(root, 'sys'), env: {} },
    });
    const h = createAdminHandlers(ctx);
    const changed: string[][] = [];
    ctx.events.subscribe((event, p) => {
      if (event === 'store.changed') changed.push((p as { topics: string[] }).topics);
    });
    let runs = 0;
    const w = counting();
    const watcher = new ConfigWatcher({
      workstation: ctx.workstation,
      fs: nodeFileSystem,
      watcher: w.port,
      debounceMs: 50,
      onChange: async () => {
        runs++;
        await runDiscovery(ctx);
      },
    });
    try {
      await runDiscovery(ctx);
      await watcher.start();
      assert.ok(watcher.watched.includes(join(home, '.cursor')), watcher.watched.join('\n'));
      assert.ok(!watcher.watched.includes(join(root, 'sys')), 'a missing system root is not climbed past');
      const names = async () => ((await h['discovery.latest']({}))?.result.servers ?? []).map((s) => s.name).sort();
      assert.deepEqual(await names(), ['alpha']);

      // An in-place edit.
      await writeFile(cursor, cursorConfig(['alpha', 'beta']));
      await until('beta in the inventory', async () => (await names()).includes('beta') || undefined);
      assert.ok(
        changed.some((t) => t.includes('discovery')),
        'store.changed tells the UI (SSE)',
      );

      // An editor saving by rename (temp file, then rename over the original: a new inode).
      const tmp = join(home, '.cursor', '.mcp.json.swp');
      await writeFile(tmp, cursorConfig(['gamma']));
      await rename(tmp, cursor);
      await until('gamma replaced the servers', async () => {
        const n = await names();
        return n.length === 1 && n[0] === 'gamma' ? n : undefined;
      });
      await watcher.idle();

      // A file nobody reads changes in a watched folder: no re-discovery.
      const before = runs;
      await writeFile(join(home, '.bash_history'), 'ls\n');
      await writeFile(join(home, '.cursor', 'argv.json'), '{}');
      // Wait until the OS delivered both events to the watcher (else the check proves nothing).
      await until('the events arrived', () =>
        w.seen.includes(join(home, '.bash_history')) && w.seen.includes(join(home, '.cursor', 'argv.json'))
          ? true
          : undefined,
      );
      await watcher.idle();
      assert.equal(runs, before, 'irrelevant entries do not re-discover');

      // A client installed later: its folder appears, then its config; both are picked up.
      await mkdir(join(home, '.codeium', 'windsurf'), { recursive: true });
      await until('the new folder is watched', () =>
        watcher.watched.includes(join(home, '.codeium', 'windsurf')) ? true : undefined,
      );
      await writeFile(join(home, '.codeium', 'windsurf', 'mcp_config.json'), cursorConfig(['delta']));
      await until('delta in the inventory', async () => (await names()).includes('delta') || undefined);
      await watcher.idle();
      assert.ok(w.open.size > 0 && w.open.size === watcher.watched.length);
    } finally {
      watcher.stop();
      await watcher.idle();
      ctx.db.close();
    }
    assert.equal(w.open.size, 0, 'every watch is closed on stop');
    assert.deepEqual(watcher.watched, []);
    assert.ok(w.opened() > 1);
  });

  test('the number of watches is capped, folders of found files first', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-watch-cap-'));
    after(() => rm(root, { recursive: true, force: true }));
    const home = join(root, 'home');
    const projects = Array.from({ length: 12 }, (_, i) => join(root, `p${i}`));
    for (const p of projects) await mkdir(join(p, '.cursor'), { recursive: true });
    await mkdir(join(home, '.cursor'), { recursive: true });
    await writeFile(join(home, '.cursor', 'mcp.json'), cursorConfig(['mine']));
    const w = counting();
    const watcher = new ConfigWatcher({
      workstation: { home, platform: 'linux', projects, systemRoot: join(root, 'sys'), env: {} },
      fs: nodeFileSystem,
      watcher: w.port,
      maxWatchers: 5,
      onChange: async () => undefined,
    });
    await watcher.start();
    try {
      assert.equal(watcher.watched.length, 5);
      assert.ok(watcher.skipped > 0);
      assert.ok(watcher.watched.includes(join(home, '.cursor')), 'the folder of a found file is kept');
      assert.equal(w.open.size, 5);
    } finally {
      watcher.stop();
    }
    assert.equal(w.open.size, 0);
  });

  test('a watch that fails is dropped and the folders are looked at again', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-watch-err-'));
    after(() => rm(root, { recursive: true, force: true }));
    const home = join(root, 'home');
    await mkdir(join(home, '.cursor'), { recursive: true });
    const fail = new Map<string, (e: Error) => void>();
    const w = counting({
      watch(dir, _onEvent, onError) {
        fail.set(dir, onError);
        return { close: () => undefined };
      },
    });
    let runs = 0;
    const errors: Error[] = [];
    const watcher = new ConfigWatcher({
      workstation: { home, platform: 'linux', projects: [], systemRoot: join(root, 'sys'), env: {} },
      fs: nodeFileSystem,
      watcher: w.port,
      debounceMs: 10,
      onChange: async () => void runs++,
      onError: (e) => errors.push(e),
    });
    await watcher.start();
    const dir = join(home, '.cursor');
    assert.ok(watcher.watched.includes(dir));
    await rm(dir, { recursive: true });
    fail.get(dir)!(new Error('folder removed'));
    await until('re-discovered after the failure', () => (runs > 0 ? true : undefined));
    await watcher.idle();
    assert.ok(!watcher.watched.includes(dir), 'the removed folder is no longer watched');
    assert.ok(watcher.watched.includes(home), 'its parent is, for the folder to come back');
    assert.equal(errors[0]?.message, 'folder removed');
    watcher.stop();
    assert.equal(w.open.size, 0);
  });
});
