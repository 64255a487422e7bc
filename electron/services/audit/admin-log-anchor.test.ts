import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createNodeContext } from '../../node/runtime.js';
import { openNodeSecretStore } from '../../node/secret-store.js';
import type { ServiceContext } from '../context.js';
import type { SecretStore } from '../ports.js';
import { openDatabase, type Database } from '../store/database.js';
import {
  ADMIN_LOG_ANCHOR_NAME,
  ADMIN_LOG_KEY_NAME,
  adminLogAnchorForExport,
  checkAdminLog,
  flushAdminLog,
  openAdminLog,
} from './admin-log-anchor.js';
import { appendAdminAction, entryHash, verifyAdminLog, type AdminLogEntry } from './admin-log.js';

/**
 * The keyed admin log against the attacks of issue #12 item 7, on real store files and the real
 * Node secret store (encrypted-file fallback in a temp folder). The attacker has the database
 * file (and sqlite), not the secret store: that is the boundary keying and anchoring defend.
 */

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-anchor-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
let t = Date.UTC(2026, 10, 28, 9);
const clock = { now: () => new Date((t += 1000)) };
const ACTIONS = ['consent.grant', 'finding.suppress', 'pin.accept', 'gateway.add', 'policy.push'];

interface State {
  stateDir: string;
  dbFile: string;
  open(): ServiceContext;
}

function freshState(): State {
  const stateDir = join(dir, `state-${n++}`);
  return {
    stateDir,
    dbFile: join(stateDir, 'gatehouse.db'),
    open: () =>
      createNodeContext({
        stateDir,
        mode: 'cli',
        workstation: { home: join(stateDir, 'home'), platform: 'linux', projects: [], systemRoot: '', env: {} },
        secrets: openNodeSecretStore(stateDir, { keyring: null }),
      }),
  };
}

async function append(ctx: ServiceContext, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    appendAdminAction(ctx.db, clock, {
      action: ACTIONS[i % ACTIONS.length] ?? 'x',
      target: `target-${i}`,
      actor: 'alice',
      details: { i, server: `srv-${i % 3}` },
    });
  }
  await flushAdminLog(ctx.db);
}

/** A state folder whose log has `count` keyed, anchored entries; the app is closed afterwards. */
async function seeded(count: number): Promise<State> {
  const s = freshState();
  const ctx = s.open();
  await append(ctx, count);
  ctx.db.close();
  return s;
}

/** Verification as `audit verify` does it: a fresh process, the store's key and anchor. */
async function verify(s: State) {
  const db = openDatabase(s.dbFile);
  try {
    return await checkAdminLog(db, openNodeSecretStore(s.stateDir, { keyring: null }));
  } finally {
    db.close();
  }
}

/** The attacker: the database file and sqlite, nothing else. */
function tamper(s: State, fn: (db: Database) => void): void {
  const db = openDatabase(s.dbFile);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

interface Row {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details_json: string;
  prev_hash: string;
  hash: string;
}

function rows(db: Database): Row[] {
  return db.prepare('SELECT * FROM admin_log ORDER BY seq').all() as unknown as Row[];
}

function content(r: Row, prevHash = r.prev_hash): Omit<AdminLogEntry, 'hash'> {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: JSON.parse(r.details_json) as Record<string, unknown>,
    prevHash,
  };
}

/** Recomputes the chain from `fromSeq` without the key, as the old unkeyed scheme allowed. */
function recomputeUnkeyed(db: Database, fromSeq: number, mac: (h: string) => string = (h) => h): void {
  let prev: string | null = null;
  for (const r of rows(db)) {
    if (r.seq < fromSeq) {
      prev = r.hash;
      continue;
    }
    const h = mac(entryHash(content(r, prev ?? '0'.repeat(64))));
    db.prepare('UPDATE admin_log SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev ?? '0'.repeat(64), h, r.seq);
    prev = h;
  }
}

describe('keyed admin log: normal operation', () => {
  test('appends are keyed, verify intact, and the anchor matches (also from a fresh process)', async () => {
    const s = freshState();
    const ctx = s.open();
    await append(ctx, 12);
    const live = await checkAdminLog(ctx.db, ctx.secrets);
    assert.equal(live.ok, true);
    assert.equal(live.entries, 12);
    assert.equal(live.keyed, 12);
    assert.equal(live.legacy, 0);
    assert.equal(live.anchor.status, 'matches');
    assert.equal(live.anchor.anchor?.count, 12);
    assert.equal(live.anchor.anchor?.keyedFrom, 1);
    const hashes = rows(ctx.db).map((r) => r.hash);
    assert.ok(hashes.every((h) => /^hm1:[0-9a-f]{64}$/.test(h)));
    assert.equal(live.anchor.anchor?.headHash, hashes[11]);
    // The key is 32 random bytes in the secret store, not in the database.
    const key = await ctx.secrets.get(ADMIN_LOG_KEY_NAME);
    assert.match(key ?? '', /^[0-9a-f]{64}$/);
    const dump = JSON.stringify(ctx.db.prepare('SELECT * FROM admin_log').all());
    assert.ok(!dump.includes(key ?? '-'));
    ctx.db.close();

    const again = await verify(s);
    assert.deepEqual(
      { ok: again.ok, entries: again.entries, brokenAt: again.brokenAt, status: again.anchor.status },
      { ok: true, entries: 12, brokenAt: null, status: 'matches' },
    );
    // Re-opening and appending continues the same keyed chain.
    const ctx2 = s.open();
    await append(ctx2, 3);
    ctx2.db.close();
    const r = await verify(s);
    assert.equal(r.ok, true);
    assert.equal(r.keyed, 15);
    assert.equal(r.anchor.status, 'matches');
  });

  test('an existing legacy log is verified as legacy and keying starts at the next entry', async () => {
    const s = freshState();
    const bare = openDatabase(s.dbFile); // an install from before keying
    for (let i = 0; i < 5; i++) appendAdminAction(bare, clock, { action: 'consent.grant', target: `old-${i}` });
    bare.close();
    const ctx = s.open();
    await append(ctx, 3);
    ctx.db.close();
    const r = await verify(s);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.legacy, 5);
    assert.equal(r.keyed, 3);
    assert.equal(r.anchor.anchor?.keyedFrom, 6);
    assert.equal(r.anchor.status, 'matches');
  });

  test('a crash between an append and its anchor write verifies intact, with a note', async () => {
    const s = await seeded(5);
    // The next process appends twice and dies before either anchor write lands.
    const real = openNodeSecretStore(s.stateDir, { keyring: null });
    const dying: SecretStore = {
      kind: real.kind,
      get: (k) => real.get(k),
      delete: (k) => real.delete(k),
      set: (k, v) => (k === ADMIN_LOG_ANCHOR_NAME ? Promise.reject(new Error('process died')) : real.set(k, v)),
    };
    const db = openDatabase(s.dbFile);
    await openAdminLog(db, dying, clock);
    appendAdminAction(db, clock, { action: 'gateway.add', target: 'g1' });
    appendAdminAction(db, clock, { action: 'policy.push', target: 'g1' });
    await flushAdminLog(db);
    db.close();
    const r = await verify(s);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.entries, 7);
    assert.equal(r.anchor.status, 'behind');
    assert.equal(r.anchor.unanchored, 2);
    assert.match(r.anchor.message, /2 entries after the last anchor \(5\).*chain intact/);
  });

  test('a rolled-back transaction is never anchored', async () => {
    const s = freshState();
    const ctx = s.open();
    await append(ctx, 2);
    ctx.db.exec('BEGIN IMMEDIATE');
    appendAdminAction(ctx.db, clock, { action: 'gateway.add', target: 'x' });
    ctx.db.exec('ROLLBACK');
    await flushAdminLog(ctx.db);
    const r = await checkAdminLog(ctx.db, ctx.secrets);
    ctx.db.close();
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.anchor.status, 'matches');
    assert.equal(r.anchor.anchor?.count, 2);
  });

  test('a bare database cannot append unkeyed entries to a keyed log', async () => {
    const s = await seeded(2);
    const bare = openDatabase(s.dbFile);
    assert.throws(() => appendAdminAction(bare, clock, { action: 'x', target: 'y' }), /refusing to append an unkeyed/);
    bare.close();
  });

  test('exports carry the anchor', async () => {
    const s = freshState();
    const ctx = s.open();
    await append(ctx, 4);
    const a = await adminLogAnchorForExport(ctx.db, ctx.secrets);
    const head = rows(ctx.db).at(-1)?.hash;
    ctx.db.close();
    assert.equal(a?.count, 4);
    assert.equal(a?.headHash, head);
    assert.equal(a?.keyedFrom, 1);
  });
});

describe('keyed admin log: each attack is detected', () => {
  test('editing an entry and recomputing the chain (unkeyed, or with a keyed-looking prefix)', async () => {
    for (const [label, mac, from] of [
      ['legacy hashes from the edit on', (h: string) => h, 4],
      ['legacy hashes for the whole chain', (h: string) => h, 1],
      ['SHA-256 dressed as a keyed MAC', (h: string) => `hm1:${h}`, 4],
    ] as const) {
      const s = await seeded(10);
      tamper(s, (db) => {
        db.prepare("UPDATE admin_log SET actor = 'mallory' WHERE seq = 4").run();
        recomputeUnkeyed(db, from, mac);
      });
      const r = await verify(s);
      assert.equal(r.ok, false, label);
      assert.equal(r.brokenAt?.seq, from, label);
      assert.match(r.brokenAt?.problem ?? '', /downgraded|keyed MAC/, label);
    }
  });

  test('deleting an entry and renumbering the rest', async () => {
    const s = await seeded(10);
    tamper(s, (db) => {
      const two = rows(db)[1]?.hash ?? '';
      db.prepare('DELETE FROM admin_log WHERE seq = 3').run();
      for (let seq = 4; seq <= 10; seq++) db.prepare('UPDATE admin_log SET seq = ? WHERE seq = ?').run(seq - 1, seq);
      db.prepare('UPDATE admin_log SET prev_hash = ? WHERE seq = 3').run(two);
    });
    const r = await verify(s);
    assert.equal(r.ok, false);
    assert.equal(r.brokenAt?.seq, 3);
    assert.match(r.brokenAt?.problem ?? '', /keyed MAC/);
    assert.equal(r.anchor.status, 'truncated');
  });

  test('appending a forged entry with a valid-looking SHA-256', async () => {
    for (const dress of [(h: string) => h, (h: string) => `hm1:${h}`]) {
      const s = await seeded(6);
      tamper(s, (db) => {
        const last = rows(db).at(-1);
        const forged = {
          seq: 7,
          at: new Date().toISOString(),
          actor: 'admin',
          action: 'consent.grant',
          target: 'exfil-server',
          details: {},
          prevHash: last?.hash ?? '',
        };
        db.prepare(
          'INSERT INTO admin_log (seq, at, actor, action, target, details_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(
          7,
          forged.at,
          forged.actor,
          forged.action,
          forged.target,
          '{}',
          forged.prevHash,
          dress(entryHash(forged)),
        );
      });
      const r = await verify(s);
      assert.equal(r.ok, false);
      assert.equal(r.brokenAt?.seq, 7);
      assert.equal(r.entries, 6);
    }
  });

  test('deleting everything', async () => {
    const s = await seeded(8);
    tamper(s, (db) => db.prepare('DELETE FROM admin_log').run());
    const r = await verify(s);
    assert.equal(r.ok, false);
    assert.equal(r.entries, 0);
    assert.equal(r.brokenAt, null);
    assert.equal(r.anchor.status, 'truncated');
    assert.match(r.anchor.message, /anchor records 8 entries, the database has 0/);
  });

  test('truncating the tail', async () => {
    const s = await seeded(10);
    tamper(s, (db) => db.prepare('DELETE FROM admin_log WHERE seq > 7').run());
    const r = await verify(s);
    assert.equal(r.ok, false);
    assert.equal(r.entries, 7);
    assert.equal(r.brokenAt, null);
    assert.equal(r.anchor.status, 'truncated');
    assert.match(r.anchor.message, /tail truncated: the anchor records 10 entries, the database has 7/);
  });

  test('downgrading a keyed entry to legacy', async () => {
    // The last entry (no later link to break), and a log's only entry (no keyed entry before it).
    for (const count of [5, 1]) {
      const s = await seeded(count);
      tamper(s, (db) => {
        const last = rows(db).at(-1);
        if (last) db.prepare('UPDATE admin_log SET hash = ? WHERE seq = ?').run(entryHash(content(last)), last.seq);
      });
      const r = await verify(s);
      assert.equal(r.ok, false, `count ${count}`);
      assert.equal(r.brokenAt?.seq, count);
      assert.match(r.brokenAt?.problem ?? '', /unkeyed \(legacy\) entry .*downgraded/);
    }
  });

  test('replacing the database with an older copy (rollback), also when the app keeps appending', async () => {
    const s = freshState();
    const ctx = s.open();
    await append(ctx, 5);
    const snapshot = join(s.stateDir, 'old-copy.db');
    ctx.db.exec(`VACUUM INTO '${snapshot.replace(/'/g, "''")}'`);
    await append(ctx, 5);
    ctx.db.close();
    for (const f of [s.dbFile, `${s.dbFile}-wal`, `${s.dbFile}-shm`]) await rm(f, { force: true });
    await copyFile(snapshot, s.dbFile);

    let r = await verify(s);
    assert.equal(r.ok, false);
    assert.equal(r.entries, 5);
    assert.equal(r.anchor.status, 'truncated');
    assert.match(r.anchor.message, /anchor records 10 entries, the database has 5/);

    // The app opens the restored copy and appends as many entries again: the anchor is not
    // advanced over a database that does not extend it, so the rollback stays visible.
    const ctx2 = s.open();
    await append(ctx2, 5);
    ctx2.db.close();
    r = await verify(s);
    assert.equal(r.ok, false);
    assert.equal(r.brokenAt, null);
    assert.equal(r.anchor.status, 'head-differs');
    assert.equal(r.anchor.anchor?.count, 10);
  });

  test('without the anchor (a bare chain check) the tail attacks are invisible, which is why it exists', async () => {
    const s = await seeded(4);
    tamper(s, (db) => db.prepare('DELETE FROM admin_log').run());
    const db = openDatabase(s.dbFile);
    const r = verifyAdminLog(db);
    db.close();
    assert.equal(r.ok, true);
    assert.equal(r.anchor.status, 'not-checked');
  });
});
