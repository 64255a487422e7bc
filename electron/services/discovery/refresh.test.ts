import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { cliContext } from '../../../test/support/node-context.js';
import type { ServiceContext } from '../context.js';
import { workerTurn, writeTurnsBuffer } from '../store/write-turns.js';
import { refreshInventory } from './refresh.js';

/**
 * A config change's refresh (discovery, then the static findings) while an audit import holds the
 * write lock on its worker thread: its writes wait for their turn without holding the event loop
 * (issue #13 item 2), and land once the import's transaction ends.
 */

let root: string;
let ctx: ServiceContext;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-refresh-'));
  mkdirSync(join(root, 'home'), { recursive: true });
  writeFileSync(
    join(root, 'home', '.claude.json'),
    JSON.stringify({
      mcpServers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem'] } },
    }),
  );
  ctx = cliContext(root);
});
after(() => {
  ctx.db.close();
  rmSync(root, { recursive: true, force: true });
});

const count = (table: string) => (ctx.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('inventory refresh during an import', () => {
  it('waits for the worker’s transaction with the event loop free, then records discovery and findings', async () => {
    const turns = writeTurnsBuffer();
    ctx.writeTurns = turns;
    const file = ctx.db.location();
    assert.ok(file);
    // The "worker": its own connection in a write transaction, holding its turn.
    const worker = new DatabaseSync(file);
    const release = await workerTurn(turns, 99);
    worker.exec('BEGIN IMMEDIATE');
    const runs = count('discovery_runs');
    const scans = count('finding_scans');
    let settled = false;
    const refresh = refreshInventory(ctx).finally(() => (settled = true));
    let loopTurns = 0;
    const loop = setInterval(() => loopTurns++, 10);
    await new Promise((r) => setTimeout(r, 400));
    clearInterval(loop);
    // Without a turn the discovery write would wait inside SQLite (busy_timeout 5 s), and every
    // timer with it.
    assert.ok(loopTurns >= 20, `the event loop ran while the refresh waited (${loopTurns} turns)`);
    assert.equal(settled, false);
    assert.equal(count('discovery_runs'), runs);
    worker.exec('COMMIT');
    release();
    await refresh;
    assert.equal(count('discovery_runs'), runs + 1);
    assert.equal(count('finding_scans'), scans + 1);
    worker.close();
  });
});
