import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { longWriteTurn, servingTurn, writeTurnsBuffer } from './write-turns.js';

/** Turns at the write lock: an admin action never runs during a long transaction, nor one beside it. */

const ticks = (n = 5) => new Promise((r) => setTimeout(r, n * 10));

describe('write turns', () => {
  it('an admin action waits for a long transaction to end, with the event loop free meanwhile', async () => {
    const turns = writeTurnsBuffer();
    const release = await longWriteTurn(turns);
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
    const long = longWriteTurn(turns).then((release) => {
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

  it('a failed admin action gives its turn back', async () => {
    const turns = writeTurnsBuffer();
    await assert.rejects(
      servingTurn(turns, async () => {
        throw new Error('refused');
      }),
      /refused/,
    );
    // At once, not when the action's hold would expire (2 s).
    const got = await Promise.race([longWriteTurn(turns), ticks(50).then(() => null)]);
    assert.ok(got, 'the long transaction got its turn');
    got();
  });
});
