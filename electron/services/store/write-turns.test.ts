import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endWorkerTurns, servingTurn, servingWrite, workerTurn, writeTurnsBuffer } from './write-turns.js';

/** Turns at the write lock: an admin action never runs during a long transaction, nor one beside it. */

/** A worker thread's id (any id ≥ 1). */
const OWNER = 7;
const ticks = (n = 5) => new Promise((r) => setTimeout(r, n * 10));

describe('write turns', () => {
  it('an admin action waits for a long transaction to end, with the event loop free meanwhile', async () => {
    const turns = writeTurnsBuffer();
    const release = await workerTurn(turns, OWNER);
    let ran = false;
    const action = servingTurn(turns, async () => {
      ran = true;
      return 'done';
    });
    let loopTurns = 0;
    const timer = setInterval(() => loopTurns++, 5);
    await ticks(8);
    assert.equal(ran, false, 'not during the long transaction');
    assert.ok(loopTurns >= 3, 'the event loop answered meanwhile');
    release();
    assert.equal(await action, 'done');
    clearInterval(timer);
  });

  it('a long transaction waits for a running admin action, then starts', async () => {
    const turns = writeTurnsBuffer();
    let finish: () => void = () => undefined;
    const action = servingTurn(turns, () => new Promise<void>((r) => (finish = r)));
    let started = false;
    const long = workerTurn(turns, OWNER).then((release) => {
      started = true;
      return release;
    });
    await ticks(5);
    assert.equal(started, false, 'not while the action runs');
    finish();
    await action;
    const release = await long;
    assert.equal(started, true);
    release();
    // And the next action is not held up.
    assert.equal(await servingTurn(turns, async () => 42), 42);
  });

  it("a worker's turn is its own: another's end does not end it", async () => {
    const turns = writeTurnsBuffer();
    const release = await workerTurn(turns, OWNER);
    endWorkerTurns(turns, OWNER + 1);
    let ran = false;
    const action = servingTurn(turns, async () => (ran = true));
    await ticks(5);
    assert.equal(ran, false);
    release();
    await action;
    assert.equal(ran, true);
  });

  it('a failed admin action gives its turn back', async () => {
    const turns = writeTurnsBuffer();
    await assert.rejects(
      servingTurn(turns, async () => {
        throw new Error('refused');
      }),
      /refused/,
    );
    // At once, not when the action's hold would expire (2 s).
    const got = await Promise.race([workerTurn(turns, OWNER), ticks(50).then(() => null)]);
    assert.ok(got, 'the long transaction got its turn');
    got();
  });
  it('a write outside an admin action waits for the turn too, and only the write holds it', async () => {
    const turns = writeTurnsBuffer();
    const release = await workerTurn(turns, OWNER);
    let wrote = false;
    const write = servingWrite(turns, () => (wrote = true));
    let loopTurns = 0;
    const loop = setInterval(() => loopTurns++, 5);
    await ticks(5);
    clearInterval(loop);
    assert.equal(wrote, false, 'not while the worker holds its transaction');
    assert.ok(loopTurns >= 3, `the event loop ran meanwhile (${loopTurns})`);
    release();
    assert.equal(await write, true);
    // Its turn ended with the write: the worker's next transaction starts at once.
    const next = await Promise.race([workerTurn(turns, OWNER), ticks(50).then(() => null)]);
    assert.ok(next);
    next();
    // Without turns (CLI, tests) it simply writes.
    assert.equal(await servingWrite(undefined, () => 5), 5);
  });

  it('a serving write still waiting after the hold time keeps the worker from its next transaction', async () => {
    const turns = writeTurnsBuffer();
    const release = await workerTurn(turns, OWNER);
    let wrote = false;
    const write = servingWrite(turns, () => (wrote = true));
    // Longer than the 2 s an action counts as running: the wait itself must not expire.
    await new Promise((r) => setTimeout(r, 2300));
    release();
    const next = workerTurn(turns, OWNER);
    assert.equal(await Promise.race([write, ticks(20).then(() => 'still waiting')]), true);
    assert.equal(wrote, true);
    (await next)();
  });
});
