import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditEventDraft } from '../../../shared/model/audit.js';
import { openDatabase } from '../store/database.js';
import { compareSqlText, mergeReplayTuples, replayPlan, replayTuples } from './replay.js';
import { AuditStore } from './store.js';
import { rng } from '../../../test/support/rng.js';
import { blankDraft } from './sources/common.js';
import { seededStore } from './test-helpers.js';

const METHODS = ['tools/call', 'prompts/get', 'resources/read', 'tools/list', 'prompts/list', 'resources/list'];
const BASE = Date.UTC(2026, 10, 1);
/** Rows as plain objects (SQLite's have a null prototype, merged ones not). */
const plain = (xs: readonly object[]) => xs.map((x) => ({ ...x }));

/** Strings whose order differs between UTF-16 units and SQLite's bytes, prefixes of each other, empty. */
const TRICKY = ['', 'a', 'ab', 'a\u{1F600}', 'a\uE000', 'a\uFFFD', '\u{10000}', '\uD7FF', 'Z', 'z', 'é', 'e\u0301'];

function event(i: number, r: () => number): AuditEventDraft {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
  const method = r() < 0.05 ? 'initialize' : pick(METHODS);
  return {
    ...blankDraft('test', 'toolhive', new Date(BASE + Math.floor(r() * 10 * 86_400_000)).toISOString(), null),
    sourceRecordId: `e${i}`,
    tenant: r() < 0.2 ? null : pick(TRICKY),
    'user.id': r() < 0.05 ? null : `u${pick(TRICKY)}${Math.floor(r() * 3)}`,
    client: 'cli',
    'mcp.method.name': method,
    server: r() < 0.03 ? null : pick(['s1', 's2', `s${pick(TRICKY)}`]),
    // Sometimes missing where the method names one (not replayable), sometimes present where it does not.
    'gen_ai.tool.name': r() < 0.1 ? null : pick(['t', `t${pick(TRICKY)}`]),
    'gen_ai.prompt.name': r() < 0.5 ? null : pick(['p', `p${pick(TRICKY)}`]),
    'mcp.resource.uri': r() < 0.5 ? null : pick(['doc://a', `doc://${pick(TRICKY)}`]),
    durationMs: 1,
    'jsonrpc.request.id': String(i),
  };
}

test('replay: compareSqlText orders as SQLite does (BINARY collation, NULL first)', () => {
  const db = openDatabase(':memory:');
  try {
    const r = rng(3);
    const values: (string | null)[] = [null, ...TRICKY];
    for (let i = 0; i < 300; i++)
      values.push(
        Array.from({ length: 1 + Math.floor(r() * 3) }, () => TRICKY[Math.floor(r() * TRICKY.length)]).join(''),
      );
    db.exec('CREATE TABLE v (x TEXT)');
    const ins = db.prepare('INSERT INTO v (x) VALUES (?)');
    for (const v of values) ins.run(v);
    const bySqlite = (db.prepare('SELECT x FROM v ORDER BY x').all() as { x: string | null }[]).map((row) => row.x);
    assert.deepEqual([...values].sort(compareSqlText), bySqlite);
    // The case that needs it: JavaScript's own order puts U+E000 after a surrogate pair.
    assert.deepEqual(['\uE000', '\u{10000}'].sort(), ['\u{10000}', '\uE000']);
    assert.ok(compareSqlText('\uE000', '\u{10000}') < 0);
  } finally {
    db.close();
  }
});

test('replay: the parts of a plan, merged, equal one grouping of the range (seeded stores, any number of parts)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-replay-'));
  try {
    for (let seed = 1; seed <= 6; seed++) {
      const r = rng(seed);
      const { db } = seededStore(join(dir, `g${seed}.db`), 2000, (i) => event(i, r));
      const day = (d: number) => BASE + d * 86_400_000;
      const ranges = [
        {},
        { since: day(3) },
        { until: day(6) },
        { since: day(2), until: day(2.5) },
        { since: day(9), until: day(1) },
      ];
      for (const range of ranges) {
        const whole = replayPlan(db, range, 1);
        assert.equal(whole.slices.length, 1);
        const one = replayTuples(db, whole.slices[0]!, METHODS);
        const counted = (
          db
            .prepare(`SELECT COUNT(*) AS n FROM audit_events WHERE ts >= ? AND ts < ?`)
            .get(range.since ?? 0, range.until ?? Number.MAX_SAFE_INTEGER) as { n: number }
        ).n;
        assert.equal(whole.events, counted, `seed ${seed} ${JSON.stringify(range)}: events`);
        for (const of of [2, 3, 5]) {
          const plan = replayPlan(db, range, of);
          assert.equal(plan.events, whole.events);
          assert.equal(plan.slices.length, of);
          const parts = plan.slices.map((s) => replayTuples(db, s, METHODS));
          assert.deepEqual(
            plain(mergeReplayTuples(parts)),
            plain(one),
            `seed ${seed} ${JSON.stringify(range)} in ${of} parts`,
          );
        }
        if (!Object.keys(range).length) {
          assert.ok(one.length > 100, `seed ${seed}: many tuples (${one.length})`);
          assert.ok(
            one.some((t) => t.tenant === null) && one.some((t) => t.n > 1),
            'tuples without a tenant and tuples of several events are both covered',
          );
        }
      }
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('replay: events stored after the plan was made are in none of its slices', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-replay-'));
  try {
    const r = rng(11);
    const { db, store } = seededStore(join(dir, 'g.db'), 500, (i) => event(i, r));
    for (const range of [{}, { since: BASE }]) {
      const plan = replayPlan(db, range, 2);
      const before = mergeReplayTuples(plan.slices.map((s) => replayTuples(db, s, METHODS)));
      store.insertBatch(
        Array.from({ length: 300 }, (_, i) => ({ event: event(i, r), key: `later${i}-${plan.events}` })),
      );
      const after = mergeReplayTuples(plan.slices.map((s) => replayTuples(db, s, METHODS)));
      assert.deepEqual(plain(after), plain(before), JSON.stringify(range));
    }
    db.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('replay: an empty store plans no slices', () => {
  const db = openDatabase(':memory:');
  try {
    new AuditStore(db);
    assert.deepEqual(replayPlan(db, {}, 2), { events: 0, slices: [] });
    assert.deepEqual(replayPlan(db, { since: BASE }, 2), { events: 0, slices: [] });
  } finally {
    db.close();
  }
});
