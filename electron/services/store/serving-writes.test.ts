import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { cliContext } from '../../../test/support/node-context.js';
import { adminMethods } from '../../../shared/api/contract.js';
import { createAdminHandlers } from '../admin-service.js';
import type { ServiceContext } from '../context.js';
import { runDiscovery } from '../discovery/handlers.js';
import { runFindingsScan } from '../findings/scan.js';
import { CONSOLE_KEY, getSession, saveSignIn } from '../identity/sessions.js';
import { workerTurn, writeTurnsBuffer } from './write-turns.js';

/**
 * Serving-thread writes outside an admin action's turn, while an audit import holds the write lock
 * on its worker thread: a config change's refresh (discovery, then the static findings) and a
 * sign-in completed long after its action began. They wait for their turn without holding the event
 * loop (issue #13 item 2), and land once the import's transaction ends. Without a turn each would
 * wait inside SQLite (busy_timeout 5 s), and every timer and request with it.
 */

let root: string;
let ctx: ServiceContext;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-serving-writes-'));
  mkdirSync(join(root, 'home'), { recursive: true });
  writeFileSync(
    join(root, 'home', '.claude.json'),
    JSON.stringify({
      mcpServers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem'] } },
    }),
  );
  ctx = cliContext(root);
  ctx.writeTurns = writeTurnsBuffer();
});
after(() => {
  ctx.db.close();
  rmSync(root, { recursive: true, force: true });
});

const count = (table: string) => (ctx.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/**
 * Starts `write` while a "worker" (its own connection, in a write transaction, holding its turn)
 * writes; waits until `write` waits for its turn (the event loop running meanwhile: a write that
 * took no turn would hold it inside SQLite, then fail with SQLITE_BUSY), checks nothing was written
 * (`unchanged()`), then ends the worker's transaction and returns what `write` resolved to.
 */
async function duringWorkerTransaction<T>(write: () => Promise<T>, unchanged: () => boolean): Promise<T> {
  const turns = ctx.writeTurns;
  const file = ctx.db.location();
  assert.ok(turns && file);
  const worker = new DatabaseSync(file);
  const release = await workerTurn(turns, 99);
  worker.exec('BEGIN IMMEDIATE');
  try {
    let settled = false;
    const pending = write().finally(() => (settled = true));
    pending.catch(() => undefined);
    let loopTurns = 0;
    const started = performance.now();
    // [1] (WAITING) counts serving-thread writers waiting for, or in, their turn.
    while (Atomics.load(turns, 1) === 0 && !settled && performance.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 5));
      loopTurns++;
    }
    assert.ok(Atomics.load(turns, 1) > 0, 'the write waits for its turn');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, `still waiting after ${loopTurns} turns of the event loop`);
    assert.ok(unchanged(), 'nothing written during the worker’s transaction');
    worker.exec('COMMIT');
    release();
    return await pending;
  } finally {
    if (worker.isTransaction) worker.exec('ROLLBACK');
    release();
    worker.close();
  }
}

describe('serving-thread writes during an import', () => {
  it('a config change’s discovery run is recorded after the worker’s transaction', async () => {
    const runs = count('discovery_runs');
    await duringWorkerTransaction(
      () => runDiscovery(ctx),
      () => count('discovery_runs') === runs,
    );
    assert.equal(count('discovery_runs'), runs + 1);
  });

  it('its findings scan is recorded after the worker’s transaction', async () => {
    const { scan } = await runDiscovery(ctx);
    const scans = count('finding_scans');
    await duringWorkerTransaction(
      () => runFindingsScan(ctx, { scan }),
      () => count('finding_scans') === scans,
    );
    assert.equal(count('finding_scans'), scans + 1);
  });

  it('a completed sign-in stores its session after the worker’s transaction', async () => {
    const session = await duringWorkerTransaction(
      () =>
        saveSignIn(ctx, CONSOLE_KEY, {
          tokens: { accessToken: 'console-token' },
          identity: { issuer: 'https://idp.example.test', subject: 'alice', email: 'alice@example.test' },
        }),
      () => count('identity_sessions') === 0,
    );
    assert.equal(session.email, 'alice@example.test');
    assert.equal((await getSession(ctx, CONSOLE_KEY))?.subject, 'alice');
  });
  it('admin actions that write wait for the turn; reads and calls that write nothing here do not', async () => {
    const turns = ctx.writeTurns!;
    const handlers = createAdminHandlers(ctx);
    const release = await workerTurn(turns, 99);
    try {
      let ran = false;
      const run = handlers['audit.settings.set']({ retentionDays: null }).finally(() => (ran = true));
      const quick = <T>(p: Promise<T>) =>
        Promise.race([p.then(() => 'answered'), new Promise((r) => setTimeout(() => r('held up'), 200))]);
      assert.equal(await quick(handlers['app.info']({})), 'answered');
      // Mutating, but declared writesStore: false in the contract.
      assert.equal(adminMethods['live.cancel'].mutates, true);
      assert.equal(await quick(handlers['live.cancel']({})), 'answered');
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(ran, false, 'audit.settings.set waits while the worker holds its turn');
      release();
      await run;
    } finally {
      release();
    }
  });
});
