import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { homeContext } from '../../../test/support/node-context.js';
import type { ServiceContext } from '../context.js';
import { DiscoveryRunRepository } from '../store/discovery-runs.js';
import { runDiscovery } from './handlers.js';

/** Concurrent discovery requests share runs; none is answered by a run that began before it. */

let root = '';
let ctx: ServiceContext;
let cursorFile = '';

const servers = (n: number) =>
  JSON.stringify({
    mcpServers: Object.fromEntries(
      Array.from({ length: n }, (_, i) => [`s${i}`, { url: `https://e${i}.example.com/mcp` }]),
    ),
  });

describe('runDiscovery coalescing', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-coalesce-'));
    const home = join(root, 'home');
    await mkdir(join(home, '.cursor'), { recursive: true });
    cursorFile = join(home, '.cursor', 'mcp.json');
    await writeFile(cursorFile, servers(1));
    ctx = homeContext(root, home);
  });
  after(async () => {
    ctx.db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('forty concurrent requests cost two runs, and the requests made during a run see the edit made before them', async () => {
    const runs = new DiscoveryRunRepository(ctx.db);
    const before = runs.count();
    const first = runDiscovery(ctx);
    // Edited after the first run began: the requests below must be answered by a later run.
    await writeFile(cursorFile, servers(3));
    const rest = Array.from({ length: 39 }, () => runDiscovery(ctx));
    const [a, ...others] = await Promise.all([first, ...rest]);
    assert.equal(runs.count() - before, 2, 'one run plus one shared queued run');
    const ids = new Set(others.map((o) => o.run.id));
    assert.equal(ids.size, 1, 'every request made during the first run shares the queued one');
    assert.notEqual(a!.run.id, others[0]!.run.id);
    assert.equal(others[0]!.run.result.servers.length, 3, 'the queued run saw the edit');
  });

  it('a request after the runs settle starts a fresh run', async () => {
    const runs = new DiscoveryRunRepository(ctx.db);
    const before = runs.count();
    await writeFile(cursorFile, servers(2));
    const { run } = await runDiscovery(ctx);
    assert.equal(runs.count() - before, 1);
    assert.equal(run.result.servers.length, 2);
  });

  it('a failed run does not wedge the queue: its joiners still get the next run', async () => {
    const realEmit = ctx.events.emit.bind(ctx.events);
    let failOnce = true;
    ctx.events.emit = ((...args: Parameters<typeof realEmit>) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('injected failure');
      }
      return realEmit(...args);
    }) as typeof ctx.events.emit;
    try {
      const [first, second] = await Promise.allSettled([runDiscovery(ctx), runDiscovery(ctx)]);
      assert.equal(first.status, 'rejected');
      assert.equal(second.status, 'fulfilled');
      assert.equal(second.value.run.result.servers.length, 2);
      const third = await runDiscovery(ctx);
      assert.ok(third.run.id > second.value.run.id, 'and the queue keeps working');
    } finally {
      ctx.events.emit = realEmit;
    }
  });
});
