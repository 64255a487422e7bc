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
import { refreshInventory } from '../discovery/refresh.js';
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
 * writes; checks the event loop ran and `write` waited (`waiting()` still true), then ends the
 * worker's transaction and returns what `write` resolved to.
 */
async function duringWorkerTransaction<T>(write: () => Promise<T>, waiting: () => boolean): Promise<T> {
  const turns = ctx.writeTurns;
  const file = ctx.db.location();
  assert.ok(turns && file);
  const worker = new DatabaseSync(file);
  const release = await workerTurn(turns, 99);
  worker.exec('BEGIN IMMEDIATE');
  try {
    let settled = false;
    const pending = write().finally(() => (settled = true));
    let loopTurns = 0;
    const loop = setInterval(() => loopTurns++, 10);
    await new Promise((r) => setTimeout(r, 400));
    clearInterval(loop);
    assert.ok(loopTurns >= 20, `the event loop ran while the write waited (${loopTurns} turns)`);
    assert.equal(settled, false);
    assert.ok(waiting(), 'nothing written during the worker’s transaction');
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
  it('a config change’s refresh records discovery and findings after the worker’s transaction', async () => {
    const runs = count('discovery_runs');
    const scans = count('finding_scans');
    await duringWorkerTransaction(
      () => refreshInventory(ctx),
      () => count('discovery_runs') === runs,
    );
    assert.equal(count('discovery_runs'), runs + 1);
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
