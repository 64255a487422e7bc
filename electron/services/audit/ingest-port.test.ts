import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { toolhiveRecord } from '../../../bench/audit.js';
import type { RejectedRecord } from '../../../shared/model/audit.js';
import { rng } from '../../../test/support/rng.js';
import { AdminError } from '../../../shared/api/errors.js';
import { cliContext } from '../../../test/support/node-context.js';
import { createAdminHandlers } from '../admin-service.js';
import { openDatabase, type Database } from '../store/database.js';
import type { FileSourceJob } from './file-source.js';
import { decodeFilePosition } from './ingest.js';
import { openFileIngest } from './ingest-port.js';
import { WORKER_BATCH } from './ingest-worker.js';
import { servingTurn, workerTurn, writeTurnsBuffer } from '../store/write-turns.js';
import { AuditService, type AuditSyncProgress } from './service.js';
import type { ContextForgeClient } from './sources/contextforge.js';
import { addSource, listSources, removeSource } from './sources-repo.js';
import { AuditStore } from './store.js';
import { buildCliBundleHolding, buildDesktopWorkerBundle } from './test-helpers.js';

/**
 * Large file imports on a worker thread (ingest-port.ts): the same events, counts, rejections and
 * cursor as an import on the calling thread, with the batches written by the worker's own
 * connection; small increments stay inline; a worker that cannot start leaves the import inline.
 */

let dir: string;
const dbs: Database[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-ingest-port-'));
});
after(() => {
  for (const db of dbs) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function fresh(name: string): { db: Database; store: AuditStore } {
  const db = openDatabase(join(dir, name, 'gatehouse.db'));
  dbs.push(db);
  return { db, store: new AuditStore(db) };
}

/** n ToolHive lines, every 50th one not JSON and every 70th one with an unknown outcome. */
function writeLog(name: string, n: number, seed = 3): string {
  const r = rng(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const rec = toolhiveRecord(i, n, r);
    if (i % 50 === 7) lines.push('{"type": "mcp_tool_call", "loggedAt": ');
    else if (i % 70 === 3) lines.push(JSON.stringify({ ...rec, outcome: 'maybe' }));
    else lines.push(JSON.stringify(rec));
  }
  const file = join(dir, `${name}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function job(path: string, sourceId: string): FileSourceJob {
  return { sourceId, source: 'thv', kind: 'toolhive', path, start: { offset: 0, line: 0 } };
}

/** A store with a ToolHive source of `lines` lines, and a port sending any sync to `workerUrl`. */
function offThread(name: string, lines: number, workerUrl?: URL) {
  const file = writeLog(name, lines);
  const { db, store } = fresh(name);
  const src = addSource(db, 'thv', { kind: 'toolhive', path: file });
  const logged: string[] = [];
  const port = openFileIngest(db, store, { minBytes: 1, workerUrl, log: (l) => logged.push(l) });
  const events = () => Number(db.prepare('SELECT COUNT(*) AS n FROM audit_events').get()?.n);
  return { file, db, src, port, logged, events, job: job(file, src.id) };
}

/** Every stored event's identifying columns, in id order (what an import must reproduce exactly). */
function stored(db: Database): unknown[] {
  return db
    .prepare(
      'SELECT CAST(uid AS TEXT) AS uid, ts, source, tenant, user_id, tool, outcome, original FROM audit_events ORDER BY id',
    )
    .all();
}

describe('file imports off the serving thread', () => {
  it('stores what an inline import stores, with the same counts, rejections and cursor', async () => {
    const file = writeLog('same', 3000);
    const results = [];
    for (const where of ['worker', 'inline'] as const) {
      const { db, store } = fresh(`same-${where}`);
      const src = addSource(db, 'thv', { kind: 'toolhive', path: file });
      const port = openFileIngest(db, store, { minBytes: where === 'worker' ? 1 : Number.MAX_SAFE_INTEGER });
      const rejected: RejectedRecord[] = [];
      const progress: number[] = [];
      const r = await port.run(job(file, src.id), {
        onReject: (x) => rejected.push(x),
        onProgress: (pos) => progress.push(pos.line),
      });
      assert.deepEqual(port.runs, where === 'worker' ? { worker: 1, inline: 0 } : { worker: 0, inline: 1 });
      const cursor = listSources(db).find((s) => s.id === src.id)?.cursor ?? null;
      results.push({ r, rejected, progress, cursor, events: stored(db), sourceRow: listSources(db)[0] });
    }
    const [worker, inline] = results;
    assert.ok(worker && inline);
    assert.equal(worker.r.imported, 3000 - 60 - 43, 'lines 7 mod 50 and 3 mod 70 rejected');
    assert.deepEqual(worker.r, inline.r);
    assert.deepEqual(worker.rejected.slice(0, 3), inline.rejected.slice(0, 3));
    assert.equal(worker.rejected.length, 50, 'rejections reported up to the cap, the rest counted');
    assert.equal(inline.rejected.length, worker.r.rejected, 'inline reports every one to the hook');
    assert.deepEqual(worker.progress, inline.progress);
    assert.deepEqual(decodeFilePosition(worker.cursor), { offset: worker.r.offset, line: 3000 });
    assert.equal(worker.cursor, inline.cursor);
    assert.equal(worker.events.length, worker.r.imported);
    assert.deepEqual(worker.events, inline.events);
  });

  it('imports a source through the service on a worker, and the next sync resumes after it', async () => {
    const file = writeLog('svc', 25_000, 9);
    const { db } = fresh('svc');
    const store = new AuditStore(db);
    // 25,000 lines are ~10 MB: over the limit; the 10 appended after (~4 KB) are under it.
    const port = openFileIngest(db, store, { minBytes: 100_000 });
    const progress: AuditSyncProgress[] = [];
    const svc = new AuditService(db, { fileIngest: port, onSyncProgress: (p) => progress.push(p) });
    const src = addSource(db, 'thv', { kind: 'toolhive', path: file });
    const [first] = await svc.sync(src.id);
    assert.equal(first?.error, null);
    assert.equal(first?.imported, db.prepare('SELECT COUNT(*) AS n FROM audit_events').get()?.n);
    assert.equal(first?.rejections.length, 50);
    assert.match(first?.rejections[0]?.where ?? '', /svc\.jsonl$/);
    assert.equal(port.runs.worker, 1);
    // Progress from the worker's batches (10,000 lines each), the last once every line is stored.
    const size = statSync(file).size;
    assert.equal(progress.at(-1)?.phase, 'done');
    progress.pop();
    assert.deepEqual(progress.at(-1), {
      id: src.id,
      source: 'thv',
      phase: 'indexing',
      bytes: size,
      totalBytes: size,
      lines: 25_000,
      imported: first?.imported,
    });
    for (let i = 1; i < progress.length; i++) assert.ok((progress[i]?.bytes ?? 0) >= (progress[i - 1]?.bytes ?? 0));
    assert.ok(progress.slice(0, -1).every((p) => p.phase === 'storing' && p.bytes <= size));
    // Ten more lines: a small increment, imported inline from the cursor the worker committed.
    const r = rng(11);
    appendFileSync(
      file,
      Array.from({ length: 10 }, (_, i) => `${JSON.stringify(toolhiveRecord(5000 + i, 6000, r))}\n`).join(''),
    );
    progress.length = 0;
    const [second] = await svc.sync(src.id);
    assert.equal(progress.length, 0, 'a sync over in a moment reports no progress');
    assert.deepEqual(
      { imported: second?.imported, duplicates: second?.duplicates, rejected: second?.rejected },
      { imported: 10, duplicates: 0, rejected: 0 },
    );
    assert.equal(port.runs.inline, 1);
    assert.equal(listSources(db).find((s) => s.id === src.id)?.imported, (first?.imported ?? 0) + 10);
    // A large append: progress counted from where that sync started.
    const before = statSync(file).size;
    appendFileSync(
      file,
      Array.from({ length: 15_000 }, (_, i) => `${JSON.stringify(toolhiveRecord(9000 + i, 30_000, r))}\n`).join(''),
    );
    const appended = statSync(file).size - before;
    const [third] = await svc.sync(src.id);
    assert.equal(third?.imported, 15_000);
    // Fewer new events than stored: no bulk load, so no index build is announced.
    assert.deepEqual(
      progress.at(-1) && [
        progress.at(-1)?.phase,
        progress.at(-1)?.lines,
        progress.at(-1)?.bytes,
        progress.at(-1)?.totalBytes,
      ],
      ['done', 15_000, appended, appended],
    );
    assert.ok(progress.every((p) => p.phase !== 'indexing'));
  });

  it('close() stops a running import at a batch boundary; the next sync resumes and stores the rest once', async () => {
    const t = offThread('close', 30_000);
    let committed: number | null = null;
    const running = t.port.run(t.job, {
      onProgress: (pos) => {
        if (committed !== null) return;
        committed = pos.line;
        void t.port.close();
      },
    });
    await assert.rejects(running, /import stopped on its worker thread/);
    await assert.rejects(t.port.run(t.job), /shutting down/, 'a closed port takes no new import');
    assert.ok(committed !== null && committed < 30_000, 'stopped part-way');
    // What stands: whole batches and the cursor after the last of them.
    const cursor = decodeFilePosition(listSources(t.db).find((s) => s.id === t.src.id)?.cursor ?? null);
    assert.ok(
      cursor.line >= (committed ?? 0) && cursor.line % WORKER_BATCH === 0 && cursor.line < 30_000,
      `cursor ${cursor.line}`,
    );
    const before = t.events();
    const reopened = openFileIngest(t.db, new AuditStore(t.db), { minBytes: 1 });
    const r = await reopened.run({ ...t.job, start: cursor });
    assert.equal(r.duplicates, 0, 'nothing stored twice');
    assert.equal(before + r.imported, 30_000 - 600 - 429, 'every valid line stored once');
    assert.equal(t.events(), before + r.imported);
  });

  it('a source removed during its sync: the batch in flight rolls back, no nameless row comes back, progress ends', async () => {
    const file = writeLog('removed', 30_000);
    const { db } = fresh('removed');
    const progress: AuditSyncProgress[] = [];
    let syncingThen = false;
    const svc = new AuditService(db, {
      fileIngest: openFileIngest(db, new AuditStore(db), { minBytes: 1 }),
      onSyncProgress: (p) => {
        progress.push(p);
        if (progress.length > 1) return;
        syncingThen = svc.isSyncing(src.id);
        // What a removal racing the sync's start would leave (the handler refuses one during it).
        removeSource(db, src.id);
      },
    });
    const src = addSource(db, 'thv', { kind: 'toolhive', path: file });
    const [r] = await svc.sync(src.id);
    assert.deepEqual([syncingThen, svc.isSyncing(src.id)], [true, false], 'syncing while it ran, not after');
    assert.match(r?.error ?? '', /removed while it was being synced/);
    assert.deepEqual(
      listSources(db).map((s) => s.kind),
      ['gatehouse'],
    );
    assert.ok(Number(db.prepare('SELECT COUNT(*) AS n FROM audit_events').get()?.n) < 30_000);
    assert.equal(progress.at(-1)?.phase, 'done', 'the progress bar is told the sync ended');
  });

  it("a worker's exit ends a turn it held, so admin actions go on", async () => {
    const turns = writeTurnsBuffer();
    const t = offThread('turns', 20_000);
    const port = openFileIngest(t.db, new AuditStore(t.db), { minBytes: 1, turns });
    let tid = 0;
    const running = port.run(t.job, {
      onProgress: () => {
        if (tid) return;
        // As a worker stopped inside a transaction leaves it: its turn taken, never given back.
        tid = port.threadIds()[0] ?? 0;
        void workerTurn(turns, tid).then(() => port.close());
      },
    });
    await assert.rejects(running, /import stopped/);
    assert.ok(tid > 0);
    const got = await Promise.race([
      servingTurn(turns, async () => 'ran'),
      new Promise((r) => setTimeout(() => r('still waiting'), 1000)),
    ]);
    assert.equal(got, 'ran');
  });

  it("reports a worker's failure as the sync's error, naming the problem", async () => {
    const t = offThread('fail', 100);
    // A JSON-lines job without its field mapping: refused where the mapper is built, on the worker.
    await assert.rejects(t.port.run({ ...t.job, kind: 'jsonl' }), /needs a field mapping/);
    assert.equal(t.events(), 0);
  });

  it('imports inline when the worker cannot start, and says so', async () => {
    const broken = join(dir, 'broken-worker.mjs');
    writeFileSync(broken, "throw new Error('bundle missing a module');\n");
    const t = offThread('nostart', 500, pathToFileURL(broken));
    const r = await t.port.run(t.job);
    assert.equal(r.imported, t.events());
    assert.ok(r.imported > 400);
    assert.deepEqual(t.port.runs, { worker: 0, inline: 1 });
    assert.match(t.logged.join('\n'), /ingest worker did not start \(bundle missing a module\)/);
  });

  for (const bundle of ['desktop', 'cli'] as const) {
    it(`runs on the ${bundle} bundle's worker (built with its build options)`, async () => {
      // The desktop starts its own worker bundle; the CLI's worker is the bundle file holding the port.
      const out =
        bundle === 'desktop'
          ? await buildDesktopWorkerBundle(join(dir, bundle))
          : await buildCliBundleHolding(join(dir, bundle), 'electron/services/audit/ingest-port.ts');
      const t = offThread(`bundle-${bundle}`, 800, pathToFileURL(out));
      const r = await t.port.run(t.job);
      assert.deepEqual(t.logged, []);
      assert.deepEqual(t.port.runs, { worker: 1, inline: 0 });
      assert.equal(r.imported, t.events());
      assert.ok(r.imported > 700);
    });
  }
});

describe('a gateway pull', () => {
  it('stores its records in small transactions with the event loop served between them, the cursor last', async () => {
    const { db } = fresh('pull');
    const N = 6000;
    const trails = Array.from({ length: N }, (_, i) => ({
      id: `t${i}`,
      action: 'tools/call',
      timestamp: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
      user_email: `u${i % 7}@corp.example`,
      resource_type: 'tool',
      resource_name: `tool_${i % 13}`,
      success: true,
    }));
    // ContextForge's two streams, paged as it pages them (newest audit trails first).
    const client: ContextForgeClient = {
      get: async (_path, q) => [...trails].reverse().slice(Number(q.offset), Number(q.offset) + Number(q.limit)),
      post: async () => ({ results: [] }),
    };
    const svc = new AuditService(db, { contextForgeClient: () => client });
    const src = addSource(db, 'cf', { kind: 'contextforge', baseUrl: 'http://127.0.0.1:4444' });
    // What another request would see between two batches: events stored so far, and the cursor.
    const seen: [number, string | null][] = [];
    let sampling = true;
    const sample = () => {
      seen.push([
        Number(db.prepare('SELECT COUNT(*) AS n FROM audit_events').get()?.n),
        listSources(db).find((s) => s.id === src.id)?.cursor ?? null,
      ]);
      if (sampling) setImmediate(sample);
    };
    setImmediate(sample);
    const [r] = await svc.sync(src.id);
    sampling = false;
    await new Promise((r) => setImmediate(r));
    assert.equal(r?.error, null);
    assert.equal(r?.imported, N);
    const between = seen.filter(([n]) => n > 0 && n < N);
    assert.deepEqual(
      [...new Set(between.map(([n]) => n))],
      [2500, 5000],
      'answered between the transactions of 2,500 records',
    );
    assert.ok(
      between.every(([, cursor]) => cursor === null || !cursor.includes(trails.at(-1)?.timestamp.slice(0, 19) ?? '-')),
      'the new cursor commits with the last batch only',
    );
    assert.match(listSources(db).find((s) => s.id === src.id)?.cursor ?? '', /2026-11-01T01:39:59/);
  });
});

describe('removing a source while it is synced', () => {
  it('is refused as a conflict, naming the source; once the sync is done it is removed', async () => {
    const root = join(dir, 'handlers');
    const ctx = cliContext(root);
    dbs.push(ctx.db);
    ctx.auditIngest = openFileIngest(ctx.db, new AuditStore(ctx.db), { minBytes: 1 });
    const h = createAdminHandlers(ctx);
    const src = await h['audit.sources.add']({
      name: 'big',
      config: { kind: 'toolhive', path: writeLog('handlers', 30_000) },
    });
    let refused: unknown = null;
    const off = ctx.events.subscribe((event) => {
      if (event !== 'audit.sync.progress' || refused) return;
      refused = h['audit.sources.remove']({ id: src.id, deleteEvents: true }).then(
        () => 'removed',
        (err: unknown) => err,
      );
    });
    const out = await h['audit.sync']({ id: src.id });
    off();
    const err = await refused;
    assert.ok(err instanceof AdminError, String(err));
    assert.equal(err.code, 'conflict');
    assert.match(err.message, /audit source big is being synced/);
    assert.equal(out.sources[0]?.error, null);
    assert.equal(out.sources[0]?.imported, 30_000 - 600 - 429);
    const removed = await h['audit.sources.remove']({ id: src.id, deleteEvents: true });
    assert.deepEqual([removed.removed, removed.deletedEvents], [true, 30_000 - 600 - 429]);
  });
});
