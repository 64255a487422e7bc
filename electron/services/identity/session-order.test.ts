import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cliContext } from '../../../test/support/node-context.js';
import { createAdminHandlers } from '../admin-service.js';
import { adminLogEntriesAfter } from '../audit/admin-log.js';
import type { SecretStore } from '../ports.js';
import { accessToken, CONSOLE_KEY, getSession, saveSignIn, tokenKey } from './sessions.js';
import { inSessionOrder } from './session-order.js';

/**
 * A session's store steps run in the order they were asked for (session-order.ts): a sign-out
 * asked for while a sign-in is still being stored (its token write or its write turn pending) runs
 * after it, and ends that session. Before, it ran in between: it found nothing to end, and the
 * sign-in then stood (or, with the row written after the tokens were deleted, stood without tokens).
 */

const root = mkdtempSync(join(tmpdir(), 'gatehouse-session-order-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('session order', () => {
  it('a sign-out asked for while a sign-in is being stored ends that session', async () => {
    // The sign-in's token write waits (a slow keyring; in a serving process, a write turn).
    const { ctx, secrets, open } = gatedCtx();
    try {
      const order: string[] = [];
      const signingIn = saveSignIn(ctx, CONSOLE_KEY, {
        tokens: { accessToken: 'alice-access-token' },
        identity: { issuer: 'https://idp.example.test', subject: 'alice', email: 'alice@example.test' },
      }).then(() => order.push('signed in'));
      const handlers = createAdminHandlers(ctx);
      const signingOut = handlers['identity.signOut']({}).then((r) => {
        order.push('signed out');
        return r;
      });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(order, [], 'the sign-out waits for the sign-in being stored');
      open();
      const out = await signingOut;
      await signingIn;
      assert.deepEqual(order, ['signed in', 'signed out']);
      assert.equal(out.signedOut, true);
      // Signed out: no session row, no tokens.
      assert.equal(await getSession(ctx, CONSOLE_KEY), null);
      assert.equal(await secrets.get(tokenKey(CONSOLE_KEY)), null);
      // The log names the admin whose session ended, not who acted before the sign-in landed.
      const logout = adminLogEntriesAfter(ctx.db, 0).findLast((e) => e.action === 'identity.logout');
      assert.match(logout?.actor ?? '', /alice@example\.test \(https:\/\/idp\.example\.test#alice\)/);
    } finally {
      ctx.db.close();
    }
  });

  it('a token asked for while a sign-in is being stored is that sign-in’s', async () => {
    const { ctx, open } = gatedCtx();
    try {
      const signingIn = saveSignIn(ctx, CONSOLE_KEY, {
        tokens: { accessToken: 'fresh-token' },
        identity: { issuer: 'https://idp.example.test', subject: 'alice' },
      });
      const token = accessToken(ctx, CONSOLE_KEY, 'gatehouse login');
      open();
      await signingIn;
      assert.equal(await token, 'fresh-token');
    } finally {
      ctx.db.close();
    }
  });

  it('a failed step leaves the order usable; a step’s own nested steps run at once', async () => {
    const { ctx } = gatedCtx();
    try {
      await assert.rejects(
        inSessionOrder(ctx.db, 'k', async () => {
          throw new Error('refused');
        }),
        /refused/,
      );
      assert.equal(await inSessionOrder(ctx.db, 'k', async () => 'next'), 'next');
      // Nested for the same key (the SDK saving a refreshed token inside the refresh step): no wait.
      const nested = await inSessionOrder(ctx.db, 'k', () => inSessionOrder(ctx.db, 'k', async () => 'inner'));
      assert.equal(nested, 'inner');
      // Work a step left running is not part of it once it ends: it waits its turn like any other.
      const order: string[] = [];
      let later!: Promise<void>;
      let release!: () => void;
      const blocker = new Promise<void>((r) => (release = r));
      await inSessionOrder(ctx.db, 'k', async () => {
        later = (async () => {
          await new Promise((r) => setTimeout(r, 10));
          await inSessionOrder(ctx.db, 'k', async () => void order.push('left-over'));
        })();
      });
      const next = inSessionOrder(ctx.db, 'k', async () => {
        await blocker;
        order.push('next');
      });
      await new Promise((r) => setTimeout(r, 30));
      release();
      await Promise.all([later, next]);
      assert.deepEqual(order, ['next', 'left-over']);
    } finally {
      ctx.db.close();
    }
  });

  it('store steps of different sessions do not wait for each other', async () => {
    const { ctx, open } = gatedCtx((k) => k === tokenKey(CONSOLE_KEY));
    try {
      const held = saveSignIn(ctx, CONSOLE_KEY, {
        tokens: { accessToken: 'a' },
        identity: { issuer: 'https://idp.example.test', subject: 'alice' },
      });
      const other = await saveSignIn(ctx, 'gateway:one', {
        tokens: { accessToken: 'b' },
        identity: { issuer: 'https://idp.example.test', subject: 'bob' },
      });
      assert.equal(other.subject, 'bob');
      open();
      assert.equal((await held).subject, 'alice');
    } finally {
      ctx.db.close();
    }
  });
});

/**
 * A context whose secret writes of the keys `held` picks (default: all) wait until `open()`: a sign-in
 * still being stored. `secrets` is the store underneath.
 */
function gatedCtx(held: (key: string) => boolean = () => true) {
  const ctx = cliContext(mkdtempSync(join(root, 'ctx-')));
  const secrets = ctx.secrets;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const gated: SecretStore = {
    kind: secrets.kind,
    get: (k) => secrets.get(k),
    set: async (k, v) => {
      if (held(k)) await gate;
      return secrets.set(k, v);
    },
    delete: (k) => secrets.delete(k),
  };
  ctx.secrets = gated;
  return { ctx, secrets, open };
}
