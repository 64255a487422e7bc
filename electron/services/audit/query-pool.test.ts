import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { rng, synthetic } from '../../../bench/audit.js';
import { AdminError } from '../../../shared/api/errors.js';
import type { AuditFilter } from '../../../shared/model/audit.js';
import { startHttpServer } from '../../http/server.js';
import { createNodeContext } from '../../node/runtime.js';
import { openNodeSecretStore } from '../../node/secret-store.js';
import { createAdminHandlers } from '../admin-service.js';
import { openDatabase, type Database } from '../store/database.js';
import { AuditQueryPool, openAuditQueries } from './query-pool.js';
import { inlineAuditQueries } from './query-port.js';
import { QUERY_WORKER_ROLE, type QueryReply, type QueryWorkerData } from './query-worker.js';
import { AuditStore } from './store.js';
import { buildCliBundleHolding, buildDesktopWorkerBundle } from './test-helpers.js';

const N = 3000;
let dir: string;
let db: Database;
let store: AuditStore;

/** A closed gate (tests only): every query waits in its worker until `open()`. */
function gate() {
  const g = new Int32Array(new SharedArrayBuffer(4));
  return {
    g,
    open: () => {
      Atomics.store(g, 0, 1);
      Atomics.notify(g, 0);
    },
  };
}

function settled<T>(p: Promise<T>): { done: () => boolean; promise: Promise<unknown> } {
  let done = false;
  const promise = p.then(
    () => (done = true),
    () => (done = true),
  );
  return { done: () => done, promise };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-query-pool-'));
  db = openDatabase(join(dir, 'gatehouse.db'));
  store = new AuditStore(db);
  const r = rng(7);
  const recs = Array.from({ length: N }, (_, i) => synthetic(i, N, r));
  // A planted credential: stored masked, and read back masked through the workers too.
  const canary = synthetic(N, N + 1, r);
  canary.event.reason = 'upstream said Bearer sk-live-0123456789abcdefABCDEF0123';
  recs.push(canary);
  store.insertBatch(recs);
});

after(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit query pool', () => {
  it('returns exactly what inline returns, for every query function', async () => {
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 2 });
    const inline = inlineAuditQueries(store);
    try {
      const filters: AuditFilter[] = [
        {},
        { tenant: ['team-3'] },
        { outcome: ['denied'] },
        { server: ['server-7'], outcome: ['error'] },
        { text: 'timeout' },
        { text: 'Bearer' },
        { subject: ['client-3'] },
        { since: '2026-10-05T00:00:00Z', until: '2026-10-20T00:00:00Z', tool: ['tool_4', 'tool_5'] },
      ];
      for (const f of filters) {
        const a = await pool.run('query', f, { limit: 50, withTotal: true });
        assert.deepEqual(a, await inline.run('query', f, { limit: 50, withTotal: true }), JSON.stringify(f));
        if (a.nextCursor) {
          const next = { cursor: a.nextCursor, limit: 50 };
          assert.deepEqual(await pool.run('query', f, next), await inline.run('query', f, next));
        }
        assert.deepEqual(await pool.run('count', f), await inline.run('count', f));
        assert.deepEqual(await pool.run('facets', f), await inline.run('facets', f));
        assert.deepEqual(
          await pool.run('facets', f, ['tool', 'subject'], 3),
          await inline.run('facets', f, ['tool', 'subject'], 3),
        );
        assert.deepEqual(await pool.run('histogram', f, 40), await inline.run('histogram', f, 40));
      }
      const first = (await inline.run('query', {}, { limit: 1 })).events[0];
      assert.ok(first);
      assert.deepEqual(await pool.run('get', first.id), first);
      assert.equal(await pool.run('get', '999999999'), null);
      // The canary is found by its non-secret words and comes back masked.
      const hit = await pool.run('query', { text: 'upstream said' }, { limit: 5 });
      assert.equal(hit.events.length, 1);
      assert.doesNotMatch(JSON.stringify(hit), /0123456789abcdefABCDEF/);
      // Errors keep their kind and message.
      await assert.rejects(pool.run('count', { since: 'yesterday' }), (e: unknown) => {
        assert.ok(e instanceof AdminError);
        assert.equal(e.code, 'bad-request');
        assert.match(e.message, /since: not a date\/time/);
        return true;
      });
    } finally {
      await pool.close();
    }
  });

  it('answers a histogram or count of a time range from the rollups on the serving thread, without starting a worker', async () => {
    // Its own store: the rollups are tampered with below.
    const sub = mkdtempSync(join(tmpdir(), 'gatehouse-rollup-inline-'));
    const own = openDatabase(join(sub, 'g.db'));
    const ownStore = new AuditStore(own);
    const r = rng(5);
    ownStore.insertBatch(Array.from({ length: 2000 }, (_, i) => synthetic(i, 2000, r)));
    const pool = new AuditQueryPool(join(sub, 'g.db'), ownStore, { size: 2 });
    try {
      // What the Overview asks on every start, and what the Audit page's totals ask.
      const rolled = [
        ['histogram', { since: '2026-10-10T00:00:00Z' }, 14],
        ['histogram', {}, 80],
        ['histogram', { since: '2026-10-02T00:00:00Z', until: '2026-10-20T00:00:00Z', outcome: ['denied'] }, 40],
        ['count', {}],
        ['count', { exclude: { outcome: ['success'] } }],
      ] as const;
      const direct = rolled.map(([name, ...args]) => (ownStore[name] as (...a: unknown[]) => unknown)(...args));
      for (const [i, [name, ...args]] of rolled.entries()) {
        assert.ok(ownStore.answersFromRollups(name, args), `${name} ${JSON.stringify(args)}`);
        assert.deepEqual(await pool.run(name as 'count', ...(args as [AuditFilter])), direct[i]);
      }
      assert.equal(pool.answeredInline, rolled.length);
      assert.deepEqual(pool.threadIds, [], 'no worker started');
      // Proof that they read the rollups, not the events: inflated rollups change every answer.
      own.exec('UPDATE audit_minutes SET n = n + 1000; UPDATE audit_hours SET n = n + 1000');
      for (const [i, [name, ...args]] of rolled.entries())
        assert.notDeepEqual(await pool.run(name as 'count', ...(args as [AuditFilter])), direct[i], name);
      // Anything that reads events still goes to a worker.
      for (const [name, ...args] of [
        ['histogram', { tenant: ['team-1'] }, 40],
        ['histogram', { since: '2026-10-10T00:00:00Z', until: '2026-10-10T00:30:00Z' }, 80],
        ['count', { since: '2026-10-10T00:00:00Z' }],
        ['facets', {}],
      ] as const)
        assert.equal(ownStore.answersFromRollups(name, args), false, `${name} ${JSON.stringify(args)}`);
      await pool.run('histogram', { tenant: ['team-1'] }, 40);
      assert.equal(pool.threadIds.length > 0, true, 'a worker started for a tenant histogram');
    } finally {
      await pool.close();
      own.close();
      rmSync(sub, { recursive: true, force: true });
    }
  });

  it("runs on the desktop's separate worker bundle (CJS, as scripts/build-main.mjs builds it)", async () => {
    // The desktop's main bundle requires electron, which a worker thread cannot load: its pool
    // starts this standalone bundle of worker-entry.ts instead (scripts/build-main.mjs's options).
    const out = await buildDesktopWorkerBundle(dir);
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 1, workerUrl: pathToFileURL(out) });
    try {
      assert.deepEqual(await pool.run('facets', { outcome: ['denied'] }), store.facets({ outcome: ['denied'] }));
      assert.equal(pool.answeredByWorkers, 1);
    } finally {
      await pool.close();
    }
  });

  it('starts workers on demand and stops them when idle (no memory for a server nobody queries)', async () => {
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 2, idleMs: 200 });
    try {
      assert.deepEqual(pool.threadIds, [], 'no worker before the first query');
      // The first query finds no worker ready: a count is answered here while one starts.
      assert.equal(await pool.run('count', { source: ['bench'] }), store.count({ source: ['bench'] }));
      assert.equal(pool.answeredInline, 1);
      assert.equal(pool.threadIds.length, 1, 'one worker starting for what follows');
      // A histogram of a tenant reads events: it waits for that worker.
      assert.deepEqual(await pool.run('histogram', { source: ['bench'] }, 20), store.histogram({}, 20));
      assert.equal(pool.answeredByWorkers, 1);
      // Two at once: a second worker starts for the one waiting.
      const both = await Promise.all([
        pool.run('count', { source: ['bench'], outcome: ['denied'] }),
        pool.run('histogram', { source: ['bench'] }, 30),
      ]);
      assert.deepEqual(both, [store.count({ outcome: ['denied'] }), store.histogram({}, 30)]);
      // (a third, the quick lane, may start while both are busy)
      assert.ok(pool.threadIds.length >= 1 && pool.threadIds.length <= 3);
      for (let i = 0; i < 100 && pool.threadIds.length; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(pool.threadIds, [], 'idle workers stopped');
      // The next query is answered here again, and starts one again, on the same database.
      assert.equal(await pool.run('count', { source: ['bench'] }), store.count({ source: ['bench'] }));
      assert.equal(pool.answeredInline, 2);
      assert.equal(pool.threadIds.length, 1);
      assert.deepEqual(await pool.run('histogram', { source: ['bench'] }, 20), store.histogram({}, 20));
      assert.equal(pool.answeredByWorkers, 4);
    } finally {
      await pool.close();
    }
  });

  it('answers inline when its workers cannot start (and says so once)', async () => {
    const logged: string[] = [];
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, {
      size: 2,
      workerUrl: pathToFileURL(join(dir, 'no-such-worker.cjs')),
      log: (l) => logged.push(l),
    });
    try {
      // A histogram of a source needs a worker: none starts, so after a few tries the pool runs inline.
      assert.deepEqual(await pool.run('histogram', { source: ['bench'] }, 20), store.histogram({}, 20));
      assert.equal(
        await pool.run('count', { source: ['bench'], outcome: ['error'] }),
        store.count({ source: ['bench'], outcome: ['error'] }),
      );
      assert.equal(await pool.run('count', { source: ['bench'] }), store.count({ source: ['bench'] }));
      assert.equal(pool.answeredByWorkers, 0);
      assert.equal(logged.length, 1);
      assert.match(logged[0] ?? '', /now run on the main thread/);
    } finally {
      await pool.close();
    }
  });

  it(
    'Linux: its threads run at a lower priority (nice) than the serving thread',
    { skip: process.platform !== 'linux' },
    async () => {
      const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      const threadsAt = (nice: number) =>
        readdirSync('/proc/self/task').filter((t) => {
          try {
            return niceOf(readFileSync(`/proc/self/task/${t}/stat`, 'utf8')) === nice;
          } catch {
            return false; // a thread that just ended
          }
        }).length;
      const mainNice = niceOf(readFileSync('/proc/thread-self/stat', 'utf8'));
      const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 2, nice: mainNice + 7 });
      try {
        assert.equal(threadsAt(mainNice + 7), 0);
        await pool.whenReady();
        assert.equal(await pool.run('count', { source: ['bench'] }), store.count({ source: ['bench'] }));
        assert.equal(threadsAt(mainNice + 7), 2, 'both workers lowered');
        assert.equal(niceOf(readFileSync('/proc/thread-self/stat', 'utf8')), mainNice, 'the serving thread unchanged');
      } finally {
        await pool.close();
      }
    },
  );

  it('an identical query waiting in the queue shares its answer; a running one or another query does not', async () => {
    const { g, open } = gate();
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 1, gate: g });
    try {
      await pool.whenReady();
      const f = { tenant: ['team-4'] };
      const running = pool.run('facets', f); // started: a later identical query must not take its answer
      const a = pool.run('facets', f);
      const b = pool.run('facets', f);
      const c = pool.run('facets', f, undefined, 3);
      const d = pool.run('facets', { tenant: ['team-5'] });
      assert.equal(pool.sharedAnswers, 1, 'only b joined a (c and d differ, running had started)');
      open();
      const [r0, ra, rb, rc, rd] = await Promise.all([running, a, b, c, d]);
      assert.deepEqual(ra, store.facets(f));
      assert.deepEqual(rb, ra);
      assert.notEqual(rb, ra, 'each caller gets its own copy');
      assert.deepEqual(r0, ra);
      assert.deepEqual(rc, store.facets(f, undefined, 3));
      assert.deepEqual(rd, store.facets({ tenant: ['team-5'] }));
      assert.equal(pool.answeredByWorkers, 4);
    } finally {
      await pool.close();
    }
  });

  it('quick lane: a page is answered while the general workers are busy; a query learned to be cheap joins it', async () => {
    const { g, open } = gate();
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 1, gate: g });
    try {
      await pool.whenReady();
      const f: AuditFilter = { tenant: ['team-3'] };
      // The free general worker takes the first query (and the gate holds it there).
      const slow = pool.run('facets', f);
      const held = settled(slow);
      assert.equal(pool.threadIds.length, 2, 'the general worker is busy: the quick lane starts');
      // A page is assumed quick: the quick lane starts for it and answers while the facets wait.
      const page = await pool.run('query', f, { limit: 20 });
      assert.deepEqual(page, store.query(f, { limit: 20 }));
      assert.equal(held.done(), false, 'the facets still wait in the general worker');
      const quick = pool.quickThreadId;
      assert.ok(quick !== undefined && !pool.busyThreadIds.includes(quick));
      assert.notEqual(quick, pool.busyThreadIds[0]);
      // A slow query never goes to the quick lane, however long it waits (no index bounds a source).
      const slow2 = settled(pool.run('histogram', { source: ['bench'] }, 20));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(slow2.done(), false);
      open();
      assert.deepEqual(await slow, store.facets(f));
      // These facets cost a few ms on this store: from now on they are quick, and are answered by
      // the quick lane even while the general worker is held again.
      await slow2.promise;
      Atomics.store(g, 0, 0);
      // (facets no index bounds: deferred from wherever they start to the general worker, held there)
      const blocker = settled(pool.run('facets', { source: ['bench'] }));
      const generalHeld = () => pool.busyThreadIds.some((t) => t !== pool.quickThreadId);
      for (let i = 0; i < 200 && !generalHeld(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(generalHeld());
      assert.deepEqual(await pool.run('facets', f), store.facets(f));
      assert.equal(blocker.done(), false);
      open();
    } finally {
      await pool.close();
    }
  });

  it('quick lane: facets not run before go there when they read few events, else wait for a general worker', async () => {
    const { g, open } = gate();
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 1, gate: g });
    try {
      await pool.whenReady();
      const held = settled(pool.run('histogram', { tenant: ['team-1'], outcome: ['error'] }, 7));
      for (let i = 0; i < 100 && !pool.busyThreadIds.length; i++) await new Promise((r) => setTimeout(r, 10));
      // A tenant's events (~1/8 of the store, under the budget): answered while the general worker is held.
      const narrow: AuditFilter = { tenant: ['team-6'], server: ['server-3'] };
      assert.deepEqual(await pool.run('facets', narrow), store.facets(narrow));
      // Subject counts over every success: no index bounds them, so they wait for the general worker.
      const broad = pool.run('facets', { outcome: ['success'] });
      const waiting = settled(broad);
      assert.deepEqual(await pool.run('histogram', narrow, 9), store.histogram(narrow, 9));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(waiting.done(), false, 'deferred to the general lane');
      assert.equal(held.done(), false);
      open();
      assert.deepEqual(await broad, store.facets({ outcome: ['success'] }));
    } finally {
      await pool.close();
    }
  });

  it('sees rows committed on the main connection after it started', async () => {
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 2 });
    try {
      const before = await pool.run('count', { source: ['bench'] });
      const extra = synthetic(N + 5, N + 6, rng(99));
      extra.key = 'late-arrival';
      store.insertBatch([extra]);
      assert.equal(await pool.run('count', { source: ['bench'] }), before + 1);
    } finally {
      await pool.close();
    }
  });

  it('survives a worker that dies mid-query: the query runs again on a fresh worker', async () => {
    const { g, open } = gate();
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 2, gate: g });
    try {
      await pool.whenReady();
      const threads = pool.threadIds;
      const p = pool.run('facets', { tenant: ['team-1'] });
      const [busy] = pool.busyThreadIds;
      assert.ok(busy !== undefined);
      // Kill the thread running it while the query waits in it.
      await pool.workerByThreadId(busy)?.terminate();
      open();
      assert.deepEqual(await p, store.facets({ tenant: ['team-1'] }));
      assert.notDeepEqual(pool.threadIds, threads);
      assert.equal(pool.threadIds.length, 2);
      assert.deepEqual(await pool.run('count', { source: ['bench'] }), store.count({ source: ['bench'] }));
    } finally {
      await pool.close();
    }
  });

  it('stops a query past its time limit, replaces its worker and keeps answering', async () => {
    const { g, open } = gate();
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 2, gate: g, timeoutMs: 150 });
    try {
      await pool.whenReady();
      const threads = pool.threadIds;
      await assert.rejects(pool.run('histogram', { source: ['bench'] }), (e: unknown) => {
        assert.ok(e instanceof AdminError);
        assert.equal(e.code, 'unavailable');
        assert.match(e.message, /audit histogram took longer than/);
        return true;
      });
      assert.notEqual(pool.threadIds[0], threads[0]);
      open();
      assert.deepEqual(await pool.run('histogram', { source: ['bench'] }), store.histogram({ source: ['bench'] }));
    } finally {
      await pool.close();
    }
  });

  it('refuses queries beyond its queue bound instead of piling them up', async () => {
    const { g, open } = gate();
    const pool = new AuditQueryPool(join(dir, 'gatehouse.db'), store, { size: 1, maxQueued: 1, gate: g });
    try {
      await pool.whenReady();
      const running = pool.run('count', { source: ['bench'] });
      const queued = pool.run('count', { source: ['bench'], outcome: ['denied'] });
      await assert.rejects(pool.run('count', { source: ['bench'] }), /too many audit queries waiting/);
      open();
      assert.equal(await running, store.count({ source: ['bench'] }));
      assert.equal(await queued, store.count({ outcome: ['denied'] }));
    } finally {
      await pool.close();
    }
  });

  it('runs inline for an in-memory store (workers would see another database)', async () => {
    const mem = openDatabase(':memory:');
    const s = new AuditStore(mem);
    const q = openAuditQueries(mem, s);
    assert.ok(!(q instanceof AuditQueryPool));
    assert.equal(await q.run('count', {}), 0);
    mem.close();
  });

  it('serve: app.info answers while an audit query is still running on a worker', async () => {
    const stateDir = join(dir, 'serve-state');
    const ctx = createNodeContext({
      stateDir,
      mode: 'browser',
      workstation: { home: join(dir, 'home'), platform: 'linux', projects: [], systemRoot: join(dir, 'none'), env: {} },
      secrets: openNodeSecretStore(stateDir, { keyring: null }),
    });
    const served = new AuditStore(ctx.db);
    served.insertBatch(Array.from({ length: 200 }, (_, i) => synthetic(i, 200, rng(3))));
    const { g, open } = gate();
    // As `gatehouse serve` wires it (serve.ts), with a closed gate standing in for a slow query.
    ctx.auditQueries = openAuditQueries(ctx.db, served, { gate: g });
    assert.ok(ctx.auditQueries instanceof AuditQueryPool);
    const server = await startHttpServer({ handlers: createAdminHandlers(ctx), events: ctx.events });
    const call = (method: string, body: unknown) =>
      fetch(`${server.url.split('?')[0]?.replace(/\/$/, '')}/api/invoke/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      const facets = call('audit.facets', { filter: { tenant: ['team-2'] } });
      const slow = settled(facets);
      const info = await call('app.info', {});
      assert.equal(info.status, 200);
      assert.equal(((await info.json()) as { name: string }).name, 'gatehouse');
      // app.info was answered while the facets query still waits in its worker.
      assert.equal(slow.done(), false);
      open();
      const res = await facets;
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), served.facets({ tenant: ['team-2'] }));
    } finally {
      await server.close();
      await ctx.auditQueries.close();
      ctx.db.close();
    }
  });

  it('the bundled CLI: a worker on the file holding the pool answers queries', async () => {
    // The pool spawns its own module's file. In the bundle that file is the bundle (or the chunk
    // holding the pool), where modules are initialized lazily: the worker must still start.
    const file = await buildCliBundleHolding(join(dir, 'bundle'), 'electron/services/audit/query-pool.ts');
    const data: QueryWorkerData = { role: QUERY_WORKER_ROLE, file: join(dir, 'gatehouse.db') };
    const w = new Worker(pathToFileURL(file), {
      workerData: data,
      execArgv: [],
    });
    try {
      const replies: QueryReply[] = [];
      const next = () =>
        new Promise<QueryReply>((resolve, reject) => {
          const r = replies.shift();
          if (r) return resolve(r);
          w.once('message', resolve);
          w.once('exit', (code) => reject(new Error(`the worker exited (${code}) without answering`)));
        });
      assert.deepEqual(await next(), { ready: true });
      w.postMessage({ id: 1, name: 'count', args: [{ outcome: ['denied'] }] });
      const { cpuMs, ...reply } = (await next()) as QueryReply & { cpuMs?: number };
      assert.deepEqual(reply, { id: 1, ok: true, result: store.count({ outcome: ['denied'] }) });
      assert.ok(cpuMs === undefined || cpuMs >= 0, 'the CPU time the query took, for scheduling');
    } finally {
      await w.terminate();
    }
  });
});
