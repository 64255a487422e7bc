import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from '../store/database.js';
import { appendAdminAction, verifyAdminLog } from './admin-log.js';
import { syncGatehouseLog } from './sources/gatehouse.js';
import { AuditStore } from './store.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-chain-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
function seeded(count: number): Database {
  const db = openDatabase(join(dir, `chain-${n++}.db`));
  let t = Date.UTC(2026, 10, 28, 9);
  const clock = { now: () => new Date((t += 1000)) };
  const actions = ['consent.grant', 'finding.suppress', 'pin.accept', 'gateway.add', 'policy.push'];
  for (let i = 0; i < count; i++) {
    appendAdminAction(db, clock, {
      action: actions[i % actions.length] ?? 'x',
      target: `target-${i}`,
      actor: 'alice',
      details: { i, server: `srv-${i % 3}` },
    });
  }
  return db;
}

// A bare Database (no secret store bound) writes the legacy unkeyed chain; the keyed chain and
// its anchor are tested in admin-log-anchor.test.ts.
describe('admin log hash chain (legacy, unkeyed)', () => {
  test('an intact chain verifies', () => {
    const db = seeded(12);
    const r = verifyAdminLog(db);
    assert.deepEqual(
      { ok: r.ok, entries: r.entries, brokenAt: r.brokenAt, keyed: r.keyed, legacy: r.legacy },
      { ok: true, entries: 12, brokenAt: null, keyed: 0, legacy: 12 },
    );
    db.close();
  });

  test('an edited entry is caught at that entry', () => {
    const db = seeded(10);
    db.prepare('UPDATE admin_log SET details_json = ? WHERE seq = 6').run(JSON.stringify({ i: 5, server: 'evil' }));
    const r = verifyAdminLog(db);
    assert.equal(r.ok, false);
    assert.equal(r.brokenAt?.seq, 6);
    assert.match(r.brokenAt?.problem ?? '', /altered/);
    assert.equal(r.entries, 5);
    db.close();
  });

  test('an edit that recomputes its own hash breaks the next link', () => {
    const db = seeded(10);
    db.prepare("UPDATE admin_log SET actor = 'mallory' WHERE seq = 4").run();
    // Forge entry 4's hash too: then entry 5's prev_hash no longer matches.
    const row = db
      .prepare('SELECT seq, at, actor, action, target, details_json, prev_hash FROM admin_log WHERE seq = 4')
      .get() as {
      seq: number;
      at: string;
      actor: string;
      action: string;
      target: string;
      details_json: string;
      prev_hash: string;
    };
    return import('./admin-log.js').then(({ entryHash }) => {
      const h = entryHash({
        seq: row.seq,
        at: row.at,
        actor: row.actor,
        action: row.action,
        target: row.target,
        details: JSON.parse(row.details_json) as Record<string, unknown>,
        prevHash: row.prev_hash,
      });
      db.prepare('UPDATE admin_log SET hash = ? WHERE seq = 4').run(h);
      const r = verifyAdminLog(db);
      assert.equal(r.brokenAt?.seq, 5);
      assert.match(r.brokenAt?.problem ?? '', /prev_hash/);
      db.close();
    });
  });

  test('a deleted entry is named', () => {
    const db = seeded(8);
    db.prepare('DELETE FROM admin_log WHERE seq = 3').run();
    const r = verifyAdminLog(db);
    assert.equal(r.brokenAt?.seq, 3);
    assert.match(r.brokenAt?.problem ?? '', /missing/);
    db.close();
  });

  test('Gatehouse actions appear in the timeline as source gatehouse, once', () => {
    const db = seeded(7);
    const store = new AuditStore(db);
    assert.equal(syncGatehouseLog(db, store), 7);
    assert.equal(syncGatehouseLog(db, store), 0);
    appendAdminAction(db, { now: () => new Date() }, { action: 'consent.grant', target: 'memory' });
    assert.equal(syncGatehouseLog(db, store), 1);
    assert.equal(store.count({ source: ['gatehouse'] }), 8);
    const page = store.query({ source: ['gatehouse'], method: ['gateway.add'] }, { limit: 10 });
    assert.equal(page.events.length, 1);
    assert.equal(page.events[0]?.['user.id'], 'alice');
    assert.equal(page.events[0]?.server, 'srv-0');
    db.close();
  });
});
