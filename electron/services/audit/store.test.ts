import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RejectedRecord } from '../../../shared/model/audit.js';
import { EventBus } from '../events.js';
import type { ServiceContext } from '../context.js';
import type { SecretStore } from '../ports.js';
import { openDatabase, type Database } from '../store/database.js';
import { auditHandlers } from './handlers.js';
import { ingestFile, lineMapper } from './ingest.js';
import { AuditService } from './service.js';
import { addSource, getSource, setSettings } from './sources-repo.js';
import { AuditStore } from './store.js';
import { toolhiveLine } from './test-helpers.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function freshDb(name: string): Database {
  return openDatabase(join(dir, `${name}.db`));
}

async function writeLines(path: string, from: number, to: number): Promise<void> {
  let s = '';
  for (let i = from; i < to; i++) s += toolhiveLine(i) + '\n';
  await writeFile(path, s);
}

describe('ingestion', () => {
  test('is idempotent: importing the same file twice stores every event once', async () => {
    const db = freshDb('idem');
    const store = new AuditStore(db);
    const file = join(dir, 'idem.jsonl');
    await writeLines(file, 0, 5000);
    const first = await ingestFile({ store, path: file, mapper: lineMapper('toolhive'), final: true, batchSize: 700 });
    assert.deepEqual([first.imported, first.duplicates, first.rejected], [5000, 0, 0]);
    const second = await ingestFile({ store, path: file, mapper: lineMapper('toolhive'), final: true });
    assert.deepEqual([second.imported, second.duplicates, second.rejected], [0, 5000, 0]);
    assert.equal(store.count({}), 5000);
    assert.equal(store.count({ text: 'th-4321' }), 1);
    db.close();
  });

  test('bulk load: column indexes dropped during a large import into an empty store, built after; repaired on open', async () => {
    const db = freshDb('bulk');
    const store = new AuditStore(db);
    const indexes = () =>
      (
        db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'audit_events_%'").all() as {
          name: string;
        }[]
      )
        .map((r) => r.name)
        .sort();
    const all = indexes();
    assert.equal(all.length, 6);
    const file = join(dir, 'bulk.jsonl');
    await writeLines(file, 0, 3000);
    let during: string[] = [];
    let cacheDuring = 0;
    const cacheBefore = (db.prepare('PRAGMA cache_size').get() as { cache_size: number }).cache_size;
    const r = await store.bulk(100_000, async () => {
      const out = await ingestFile({ store, path: file, mapper: lineMapper('toolhive'), final: true, batchSize: 1000 });
      during = indexes();
      cacheDuring = (db.prepare('PRAGMA cache_size').get() as { cache_size: number }).cache_size;
      // Queries stay correct meanwhile (without the column indexes).
      assert.equal(store.count({ user: ['alice@example.com'] }), 600);
      return out;
    });
    assert.equal(r.imported, 3000);
    assert.deepEqual(during, ['audit_events_ts_uid']);
    assert.deepEqual(indexes(), all);
    // A smaller page cache while loading (memory), the query-sized one back after.
    assert.ok(cacheDuring < 0 && cacheDuring > cacheBefore, `${cacheDuring} vs ${cacheBefore}`);
    assert.equal((db.prepare('PRAGMA cache_size').get() as { cache_size: number }).cache_size, cacheBefore);
    // The indexes are built one per transaction with the event loop served between them: what runs
    // meanwhile sees them appear one by one (the mark gone with the last), and queries answer.
    db.exec('DELETE FROM audit_events; DELETE FROM audit_minutes; DELETE FROM audit_facet_days; DELETE FROM audit_fts');
    const seen: { indexes: number; user: boolean; marked: boolean; users: number }[] = [];
    let watching = true;
    await store.bulk(100_000, async () => {
      await ingestFile({ store, path: file, mapper: lineMapper('toolhive'), final: true, batchSize: 1000 });
      const watch = () => {
        if (!watching) return;
        seen.push({
          indexes: indexes().length,
          user: indexes().includes('audit_events_user'),
          marked: !!db.prepare("SELECT 1 FROM audit_settings WHERE key = 'bulkLoad'").get(),
          users: store.count({ user: ['alice@example.com'] }),
        });
        setImmediate(watch);
      };
      setImmediate(watch);
    });
    watching = false;
    // The first index is built before anything else runs — the user index, which the subject facet
    // is counted from — then one turn of the event loop each.
    const counts = [...new Set(seen.map((x) => x.indexes))];
    assert.deepEqual(counts, [2, 3, 4, 5, 6]);
    assert.ok(seen.every((x) => x.user));
    assert.ok(seen.every((x) => x.marked === x.indexes < 6 && x.users === 600));
    assert.deepEqual(indexes(), all);
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT id FROM audit_events WHERE user_id = 'x' ORDER BY ts DESC LIMIT 5")
      .all() as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join(' '), /audit_events_user/);
    // Not worth it (few new events): nothing dropped.
    await store.bulk(1000, async () => assert.deepEqual(indexes(), all));
    // A bulk load killed mid-way leaves indexes dropped: opening the store builds them…
    const mark = (pid: number) =>
      db
        .prepare("INSERT OR REPLACE INTO audit_settings (key, value_json) VALUES ('bulkLoad', ?)")
        .run(JSON.stringify({ pid, at: new Date().toISOString() }));
    db.exec('DROP INDEX audit_events_user; DROP INDEX audit_events_tool');
    mark(2 ** 22 + 12345); // a pid that is not running
    new AuditStore(db);
    assert.deepEqual(indexes(), all);
    assert.equal(db.prepare("SELECT 1 FROM audit_settings WHERE key = 'bulkLoad'").get(), undefined);
    // …unless another live process is still bulk loading (it builds them itself when done).
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      db.exec('DROP INDEX audit_events_user');
      mark(other.pid ?? 0);
      new AuditStore(db);
      assert.ok(!indexes().includes('audit_events_user'));
    } finally {
      other.kill();
    }
    new AuditStore(db).ensureIndexes();
    assert.deepEqual(indexes(), all);
    db.close();
  });

  test('malformed lines are counted with line and offset, and never stop the import', async () => {
    const db = freshDb('malformed');
    const store = new AuditStore(db);
    const file = join(dir, 'bad.jsonl');
    const good = toolhiveLine(1);
    await writeFile(file, `${good}\n{oops\n\n${toolhiveLine(2)}\n"just a string"\n${toolhiveLine(3)}`);
    const rejected: RejectedRecord[] = [];
    const r = await ingestFile({
      store,
      path: file,
      mapper: lineMapper('toolhive'),
      final: true,
      onReject: (x) => rejected.push(x),
    });
    assert.deepEqual([r.imported, r.rejected], [3, 2]);
    assert.deepEqual(
      rejected.map((x) => [x.line, x.offset]),
      [
        [2, good.length + 1],
        [5, good.length + 1 + 6 + 1 + toolhiveLine(2).length + 1],
      ],
    );
    assert.match(rejected[0]?.reason ?? '', /invalid JSON/);
    assert.match(rejected[1]?.reason ?? '', /not a JSON object/);
    db.close();
  });

  test('a followed file resumes from its committed offset; a partial last line waits', async () => {
    const db = freshDb('follow');
    const svc = new AuditService(db);
    const file = join(dir, 'follow.jsonl');
    await writeFile(file, toolhiveLine(0) + '\n' + toolhiveLine(1).slice(0, 40));
    const src = addSource(db, 'edge', { kind: 'toolhive', path: file });
    let [r] = (await svc.sync(src.id)).filter((x) => x.id === src.id);
    assert.equal(r?.imported, 1);
    assert.equal(getSource(db, src.id)?.cursor, `${toolhiveLine(0).length + 1}:1`);
    await appendFile(file, toolhiveLine(1).slice(40) + '\n' + toolhiveLine(2) + '\n');
    [r] = (await svc.sync(src.id)).filter((x) => x.id === src.id);
    assert.deepEqual([r?.imported, r?.duplicates, r?.rejected], [2, 0, 0]);
    // Nothing new → nothing read.
    [r] = (await svc.sync(src.id)).filter((x) => x.id === src.id);
    assert.deepEqual([r?.imported, r?.duplicates], [0, 0]);
    // Rotation (file shorter than the cursor) → read from the start; everything there is a duplicate.
    await writeFile(file, toolhiveLine(2) + '\n');
    [r] = (await svc.sync(src.id)).filter((x) => x.id === src.id);
    assert.deepEqual([r?.imported, r?.duplicates], [0, 1]);
    assert.equal(svc.store.count({}), 3);
    db.close();
  });

  test('a crash mid-batch rolls back the batch and its cursor together', async () => {
    const db = freshDb('crash');
    const store = new AuditStore(db);
    const file = join(dir, 'crash.jsonl');
    await writeLines(file, 0, 1000);
    const src = addSource(db, 'c', { kind: 'toolhive', path: file });
    let commits = 0;
    await assert.rejects(
      ingestFile({
        store,
        path: file,
        mapper: lineMapper('toolhive'),
        final: false,
        batchSize: 300,
        onCommit: (pos) => {
          if (++commits === 3) throw new Error('simulated crash inside the transaction');
          db.prepare('UPDATE audit_sources SET cursor = ? WHERE id = ?').run(`${pos.offset}:${pos.line}`, src.id);
        },
      }),
      /simulated crash/,
    );
    assert.equal(store.count({}), 600);
    assert.equal(getSource(db, src.id)?.cursor?.split(':')[1], '600');
    const svc = new AuditService(db);
    const [r] = (await svc.sync(src.id)).filter((x) => x.id === src.id);
    assert.deepEqual([r?.imported, r?.duplicates], [400, 0]);
    assert.equal(store.count({}), 1000);
    db.close();
  });
});

describe('queries', () => {
  let db: Database;
  let store: AuditStore;
  const N = 3000;
  before(async () => {
    db = freshDb('queries');
    store = new AuditStore(db);
    const file = join(dir, 'q.jsonl');
    await writeLines(file, 0, N);
    await ingestFile({ store, path: file, mapper: lineMapper('toolhive'), final: true });
  });
  after(() => db.close());

  const expected = (pred: (i: number) => boolean) => Array.from({ length: N }, (_, i) => i).filter(pred).length;

  test('filters by subject, tool, outcome and time with exact counts', () => {
    assert.equal(
      store.count({ subject: ['alice@example.com'] }),
      expected((i) => i % 5 === 0),
    );
    assert.equal(
      store.count({ subject: ['cursor'] }),
      expected((i) => i % 4 === 1),
    );
    assert.equal(
      store.count({ tool: ['read_file'] }),
      expected((i) => i % 6 === 1),
    );
    assert.equal(
      store.count({ outcome: ['denied'] }),
      expected((i) => i % 10 === 3),
    );
    assert.equal(
      store.count({ outcome: ['error'] }),
      expected((i) => i % 25 === 7 && i % 10 !== 3),
    );
    const base = Date.UTC(2026, 10, 1);
    assert.equal(
      store.count({ since: new Date(base + 100_000).toISOString(), until: new Date(base + 200_000).toISOString() }),
      100,
    );
    assert.equal(
      store.count({ subject: ['bob@example.com'], outcome: ['denied'], server: ['filesystem'] }),
      expected((i) => i % 5 === 1 && i % 10 === 3 && i % 4 === 1),
    );
  });

  test('keyset pages walk every match once, newest first', () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    let prev = Infinity;
    let pages = 0;
    do {
      const page = store.query({ outcome: ['success'] }, { cursor, limit: 250, withTotal: pages === 0 });
      if (pages === 0) assert.equal(page.total, store.count({ outcome: ['success'] }));
      for (const e of page.events) {
        assert.ok(!seen.has(e.id));
        seen.add(e.id);
        const t = Date.parse(e.time);
        assert.ok(t <= prev);
        prev = t;
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(seen.size, store.count({ outcome: ['success'] }));
  });

  test('facets count under the filter, each ignoring its own selection', () => {
    const f = store.facets({ tool: ['read_file'] }, ['tool', 'subject', 'outcome']);
    assert.equal(f.tool?.length, 6);
    assert.equal(
      f.tool?.find((x) => x.value === 'write_file')?.count,
      expected((i) => i % 6 === 2),
    );
    const subjTotal = (f.subject ?? []).reduce((a, b) => a + b.count, 0);
    assert.equal(
      subjTotal,
      expected((i) => i % 6 === 1),
    );
  });

  test('single-pass facet counting equals one query per facet', () => {
    for (const f of [
      { tool: ['read_file'] },
      { subject: ['bob@example.com'], outcome: ['denied' as const] },
      { text: 'github' },
    ]) {
      const together = store.facets(f);
      for (const name of Object.keys(together) as (keyof typeof together)[]) {
        assert.deepEqual(together[name], store.facets(f, [name as never])[name], `${JSON.stringify(f)} ${name}`);
      }
    }
  });

  test('histogram buckets fit the range and add up to the total', () => {
    const h = store.histogram({}, 60);
    assert.ok(h.buckets.length <= 60 && h.buckets.length >= 20, `${h.buckets.length} buckets`);
    assert.equal(h.total, N);
    assert.equal(
      h.buckets.reduce((a, b) => a + b.denied, 0),
      store.count({ outcome: ['denied'] }),
    );
    const base = Date.UTC(2026, 10, 1);
    const z = store.histogram(
      { since: new Date(base).toISOString(), until: new Date(base + 60_000).toISOString() },
      60,
    );
    assert.equal(z.bucketMs, 1000);
    assert.equal(z.total, 60);
  });

  test('rollup answers (open filter) equal raw scans; histogram edges inside minutes are exact', () => {
    const raw = { since: '2000-01-01T00:00:00.000Z' };
    assert.deepEqual(store.facets({}), store.facets(raw));
    assert.deepEqual(store.facets({ outcome: ['denied'] }), store.facets({ ...raw, outcome: ['denied'] }));
    assert.equal(store.count({}), N);
    assert.equal(store.count({ outcome: ['error'] }), store.count({ ...raw, outcome: ['error'] }));
    const base = Date.UTC(2026, 10, 1);
    const since = base + 12_345;
    const until = base + 2_000_500;
    const h = store.histogram({ since: new Date(since).toISOString(), until: new Date(until).toISOString() }, 30);
    assert.equal(h.bucketMs % 60_000, 0, 'takes the rollup path');
    for (const b of h.buckets) {
      const lo = Math.max(since, Date.parse(b.start));
      const hi = Math.min(until, Date.parse(b.start) + h.bucketMs);
      const f = { since: new Date(lo).toISOString(), until: new Date(hi).toISOString() };
      assert.equal(
        b.count,
        store.count({
          ...f,
          tool: ['create_issue', 'read_file', 'write_file', 'post_message', 'query', 'list_issues'],
        }),
        b.start,
      );
      assert.equal(b.denied, store.count({ ...f, outcome: ['denied'] }));
    }
  });

  test('full-text search finds terms and prefixes; FTS syntax in input is harmless', () => {
    assert.equal(
      store.count({ text: 'post_message' }),
      expected((i) => i % 6 === 3),
    );
    assert.equal(
      store.count({ text: 'carol' }),
      expected((i) => i % 5 === 2),
    );
    assert.equal(
      store.count({ text: 'carol denied' }),
      expected((i) => i % 5 === 2 && i % 10 === 3),
    );
    assert.equal(store.count({ text: '" OR * NEAR(' }), 0);
  });
});

describe('retention and handlers', () => {
  test('retention deletes old events (not Gatehouse’s own) and their index entries', async () => {
    const db = freshDb('retention');
    const file = join(dir, 'ret.jsonl');
    await writeLines(file, 0, 100);
    const svc = new AuditService(db, { now: () => new Date(Date.UTC(2026, 10, 1) + 50_000 + 86_400_000) });
    await ingestFile({ store: svc.store, path: file, mapper: lineMapper('toolhive'), final: true });
    setSettings(db, { retentionDays: 1 });
    assert.equal(svc.applyRetention().events, 50);
    assert.equal(svc.store.count({}), 50);
    assert.equal(svc.store.count({ text: 'th-10' }), 0);
    assert.equal(svc.store.count({ text: 'th-60' }), 1);
    // The rollups lost the deleted events too.
    assert.deepEqual(svc.store.facets({}), svc.store.facets({ since: '2000-01-01T00:00:00.000Z' }));
    assert.equal(svc.store.histogram({}).total, 50);
    db.close();
  });

  test('retention asks first, moves events to the trash, and a restore brings them back with the old period', async () => {
    const db = freshDb('retention-trash');
    const secrets: SecretStore = { kind: 'memory', get: async () => null, set: async () => {}, delete: async () => {} };
    const ctx = {
      db,
      events: new EventBus(),
      clock: { now: () => new Date() },
      secrets,
      mode: 'cli',
    } as unknown as ServiceContext;
    const h = auditHandlers(ctx, { follow: false });
    const file = join(dir, 'trash.jsonl');
    await writeLines(file, 0, 100);
    const store = new AuditStore(db);
    await ingestFile({ store, path: file, mapper: lineMapper('toolhive'), final: true });
    const before = { facets: store.facets({}), histogram: store.histogram({}).total };
    // The fixture's events are in 2026-11; 1 day from now deletes all of them.
    const preview = await h['audit.retention.preview']({ retentionDays: 1 });
    assert.equal(preview.events, 100);
    assert.ok(preview.from && preview.to && preview.from <= preview.to);
    assert.equal(store.count({}), 100, 'a preview deletes nothing');
    // Without the confirmed count, nothing is deleted.
    await assert.rejects(h['audit.settings.set']({ retentionDays: 1 }), /preview and confirm/);
    await assert.rejects(h['audit.settings.set']({ retentionDays: 1, confirmDeletion: 10 }), /confirm again/);
    assert.equal(store.count({}), 100);
    assert.equal((await h['audit.settings.get']({})).retentionDays, null);
    const set = await h['audit.settings.set']({ retentionDays: 1, confirmDeletion: 100 });
    assert.equal(set.deletedEvents, 100);
    assert.equal(store.count({}), 0);
    assert.equal(store.count({ text: 'th-10' }), 0);
    const trash = await h['audit.trash.list']({});
    assert.equal(trash.length, 1);
    assert.equal(trash[0]?.events, 100);
    assert.deepEqual(trash[0]?.detail, { retentionDays: 1, previousRetentionDays: null });
    const r = await h['audit.trash.restore']({ id: set.trashBatch ?? '' });
    assert.deepEqual(r, { restored: 100, duplicates: 0, retentionDays: null });
    assert.equal(store.count({}), 100);
    assert.equal(store.count({ text: 'th-10' }), 1, 'search index restored');
    assert.deepEqual(store.facets({}), before.facets, 'rollups restored');
    assert.equal(store.histogram({}).total, before.histogram);
    assert.deepEqual(await h['audit.trash.list']({}), []);
    await assert.rejects(h['audit.trash.restore']({ id: set.trashBatch ?? '' }), /no deletion/);
    // A period that deletes nothing needs no confirmation.
    assert.equal((await h['audit.settings.set']({ retentionDays: 100_000 })).deletedEvents, 0);
    db.close();
  });

  test('handlers: a page never exceeds the limit; export streams the whole filter in chunks', async () => {
    const db = freshDb('handlers');
    const secrets: SecretStore = { kind: 'memory', get: async () => null, set: async () => {}, delete: async () => {} };
    const ctx = {
      db,
      events: new EventBus(),
      clock: { now: () => new Date() },
      secrets,
      mode: 'cli',
    } as unknown as ServiceContext;
    const h = auditHandlers(ctx, { follow: false });
    const file = join(dir, 'h.jsonl');
    await writeLines(file, 0, 1234);
    await ingestFile({ store: new AuditStore(db), path: file, mapper: lineMapper('toolhive'), final: true });
    const page = await h['audit.query']({ filter: {}, limit: 100, withTotal: true });
    assert.equal(page.events.length, 100);
    assert.equal(page.total, 1234);
    let cursor: string | null = null;
    let csv = '';
    let first = true;
    let total: number | null = null;
    do {
      const c = await h['audit.export']({ filter: { outcome: ['success'] }, format: 'csv', cursor, limit: 200 });
      if (first) total = c.total;
      first = false;
      csv += c.chunk;
      cursor = c.nextCursor;
    } while (cursor);
    const lines = csv.trim().split('\n');
    assert.equal(lines.length - 1, total);
    assert.match(lines[0] ?? '', /^time,source,tenant,user\.id/);
    db.close();
  });
});

test('free-text fields are masked before they are stored, indexed or exported', () => {
  const db = freshDb('mask-fields');
  const store = new AuditStore(db);
  const token = 'ghp_' + 'Q7w3E9r1T5y8U2i6O4p0A3s7D1f5G9h2J6k4';
  const draft = {
    time: '2026-11-01T00:00:00.000Z',
    source: 'test',
    sourceKind: 'jsonl' as const,
    sourceRecordId: 'r1',
    tenant: 'red',
    'user.id': 'alice@example.com',
    client: 'cursor',
    'client.address': '127.0.0.1',
    'mcp.method.name': 'resources/read',
    server: `https://mcp.example.test/sse?token=${token}`,
    'gen_ai.tool.name': null,
    'gen_ai.prompt.name': null,
    'mcp.resource.uri': `https://files.example.test/a.txt?access_token=${token}`,
    outcome: 'error' as const,
    reason: `upstream said 401 for Authorization: Bearer ${token}`,
    'error.type': `auth failed with ${token}`,
    durationMs: 5,
    'jsonrpc.request.id': '1',
    'mcp.session.id': 's1',
    original: {},
  };
  store.insertBatch([{ event: draft, key: 'r1' }]);
  const page = store.query({}, { limit: 10 });
  assert.equal(page.events.length, 1);
  assert.ok(!JSON.stringify(page.events).includes(token), 'a credential reached a stored field');
  assert.equal(
    store.count({ text: 'Q7w3E9r1T5y8U2i6O4p0A3s7D1f5G9h2J6k4' }),
    0,
    'the full-text index holds the credential',
  );
  assert.ok(page.events[0]?.reason?.includes('Bearer'), 'the rest of the reason stays readable');
  db.close();
});
