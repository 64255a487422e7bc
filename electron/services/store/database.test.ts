import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { appendAdminAction, entryHash, GENESIS_HASH } from '../audit/admin-log.js';
import { migrate, openDatabase } from './database.js';
import { DISCOVERY_RUNS_KEPT, DiscoveryRunRepository } from './discovery-runs.js';
import { MIGRATIONS } from './migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('migrations apply once, in order, and are recorded', () => {
  const file = join(dir, 'a.db');
  const db = openDatabase(file);
  const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
  assert.deepEqual(
    rows.map((r) => r.version),
    [...MIGRATIONS].map((m) => m.version).sort((a, b) => a - b),
  );
  assert.equal(migrate(db), 0, 'a second run applies nothing');
  db.close();
  const again = openDatabase(file);
  assert.equal(migrate(again), 0, 'reopening applies nothing');
  again.close();
});

test('a failing migration rolls back and names itself', () => {
  const db = openDatabase(':memory:');
  db.exec('DROP TABLE discovery_runs');
  db.exec('DELETE FROM schema_migrations WHERE version = 1');
  db.exec('CREATE TABLE discovery_runs (x)');
  assert.throws(() => migrate(db), /Store migration 1 \(discovery runs\) failed/);
  const v = db.prepare('SELECT COUNT(*) AS n FROM schema_migrations WHERE version = 1').get() as { n: number };
  assert.equal(v.n, 0);
  db.close();
});

test('discovery runs round-trip through the repository', () => {
  const db = openDatabase(':memory:');
  const repo = new DiscoveryRunRepository(db);
  assert.equal(repo.latest(), null);
  const result = {
    sources: [
      { client: 'cursor' as const, path: '/h/.cursor/mcp.json', scope: 'user' as const, status: 'ok' as const },
    ],
    servers: [],
  };
  repo.insert({ startedAt: '2026-01-01T00:00:00.000Z', durationMs: 3, options: {}, result });
  const second = repo.insert({ startedAt: '2026-01-02T00:00:00.000Z', durationMs: 4, options: {}, result });
  assert.equal(repo.count(), 2);
  assert.deepEqual(repo.latest(), second);
  db.close();
});

test('admin log entries chain by hash', () => {
  const db = openDatabase(':memory:');
  const clock = { now: () => new Date('2026-03-04T05:06:07.000Z') };
  const a = appendAdminAction(db, clock, { action: 'consent.grant', target: 'srv1', details: { hash: 'abc' } });
  const b = appendAdminAction(db, clock, { action: 'consent.revoke', target: 'srv1' });
  assert.equal(a.prevHash, GENESIS_HASH);
  assert.equal(b.prevHash, a.hash);
  assert.equal(b.seq, 2);
  const { hash, ...rest } = b;
  assert.equal(entryHash(rest), hash);
  db.close();
});

test(
  'the store folder and database are readable by their owner only',
  { skip: process.platform === 'win32' && 'POSIX modes' },
  () => {
    const file = join(dir, 'private', 'nested', 'g.db');
    const db = openDatabase(file);
    db.close();
    assert.equal(statSync(join(dir, 'private', 'nested')).mode & 0o077, 0);
    assert.equal(statSync(file).mode & 0o077, 0);
  },
);

test('discovery runs are pruned to the latest DISCOVERY_RUNS_KEPT', () => {
  const db = openDatabase(':memory:');
  const repo = new DiscoveryRunRepository(db);
  const result = { sources: [], servers: [] };
  let last;
  for (let i = 0; i < DISCOVERY_RUNS_KEPT + 15; i++)
    last = repo.insert({
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      durationMs: i,
      options: {},
      result,
    });
  assert.equal(repo.count(), DISCOVERY_RUNS_KEPT);
  assert.deepEqual(repo.latest(), last);
  db.close();
});

test('several processes opening a new state folder at once all succeed (no "database is locked")', async () => {
  const file = join(dir, 'concurrent', 'g.db');
  const script = `
    const { openDatabase, transaction } = await import(${JSON.stringify(new URL('./database.ts', import.meta.url).href)});
    const { appendAdminAction } = await import(${JSON.stringify(new URL('../audit/admin-log.ts', import.meta.url).href)});
    const db = openDatabase(process.argv[1]);
    for (let i = 0; i < 20; i++) transaction(db, () => appendAdminAction(db, { now: () => new Date() }, { action: 'test.write', target: String(i) }));
    db.close();
  `;
  const runs = Array.from(
    { length: 6 },
    () =>
      new Promise<{ code: number | null; stderr: string }>((done) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => done({ code, stderr }));
      }),
  );
  const results = await Promise.all(runs);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const db = openDatabase(file);
  const n = db.prepare("SELECT COUNT(*) AS n FROM admin_log WHERE action = 'test.write'").get() as { n: number };
  assert.equal(n.n, 6 * 20, 'every write of every process landed');
  db.close();
});
