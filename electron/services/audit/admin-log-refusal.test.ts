import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { adminMethods, METHOD_NAMES } from '../../../shared/api/contract.js';
import { cliContext } from '../../../test/support/node-context.js';
import { createNodeContext } from '../../node/runtime.js';
import { createAdminHandlers } from '../admin-service.js';
import type { SecretStore } from '../ports.js';
import { openNodeSecretStore } from '../../node/secret-store.js';
import { adminLogEntriesAfter, adminLogRefusal } from './admin-log.js';
import { checkAdminLog, retryAdminLogKey } from './admin-log-anchor.js';

/**
 * The desktop's secret store can fail at start-up (a locked keyring): the admin log, keyed since
 * its first entry, then cannot record. Admin actions are refused before they run, never applied and
 * then left unlogged, until the key loads (tried again at each: unlocking is enough); reads and
 * rescans, which record no entry, go on.
 */

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-log-refusal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An async-only store whose every call fails, as an unavailable OS keyring does. */
const lockedKeyring: SecretStore = {
  kind: 'locked keyring (test)',
  get: async () => {
    throw new Error('the keyring is locked');
  },
  set: async () => {
    throw new Error('the keyring is locked');
  },
  delete: async () => {
    throw new Error('the keyring is locked');
  },
};

/** A state folder whose admin log a first session keyed (its key in the file store), with its entry count. */
async function keyedLog(name: string): Promise<{ sub: string; entries: number }> {
  const sub = mkdtempSync(join(dir, `${name}-`));
  const first = cliContext(sub);
  try {
    await createAdminHandlers(first)['audit.settings.set']({ retentionDays: 90 });
    return { sub, entries: adminLogEntriesAfter(first.db, 0).length };
  } finally {
    first.db.close();
  }
}

describe('an admin log that cannot record', () => {
  it('refuses every change up front and keeps answering reads', async () => {
    // A first session keys the log (its key in the file store) and records a change.
    const first = cliContext(dir);
    await createAdminHandlers(first)['audit.settings.set']({ retentionDays: 90 });
    const entries = adminLogEntriesAfter(first.db, 0).length;
    assert.ok(entries >= 1);
    first.db.close();

    // The next start cannot load the key: the store is async-only and locked, so nothing is bound.
    const ctx = createNodeContext({ stateDir: dir, mode: 'desktop', secrets: lockedKeyring });
    try {
      const h = createAdminHandlers(ctx);
      await assert.rejects(h['audit.settings.set']({ retentionDays: 30 }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'unavailable');
        assert.match(err.message, /admin log is keyed but its key was not loaded.*refuses changes until it can record/);
        return true;
      });
      // Not applied, and nothing appended.
      assert.equal((await h['audit.settings.get']({})).retentionDays, 90);
      assert.equal(adminLogEntriesAfter(ctx.db, 0).length, entries);
      // Every other change too: refused before it looks at its input.
      const changes = METHOD_NAMES.filter((m) => {
        const spec = adminMethods[m];
        return (spec.recordsAction ?? spec.writesStore ?? spec.mutates) === true;
      });
      assert.ok(changes.length > 30);
      for (const name of changes) {
        const call = h[name] as (input: unknown) => Promise<unknown>;
        await assert.rejects(call({}), (err: Error & { code?: string }) => err.code === 'unavailable', name);
      }
      assert.equal(adminLogEntriesAfter(ctx.db, 0).length, entries);
      // Reads answer.
      assert.equal((await h['app.info']({})).name, 'gatehouse');
    } finally {
      ctx.db.close();
    }
  });
  it('lets a rescan run, since it records no entry', async () => {
    const { sub, entries } = await keyedLog('rescan');
    const ctx = createNodeContext({
      stateDir: sub,
      mode: 'desktop',
      secrets: lockedKeyring,
      workstation: { home: join(sub, 'home'), platform: 'linux', projects: [], systemRoot: join(sub, 'none'), env: {} },
    });
    try {
      const h = createAdminHandlers(ctx);
      const noEntry = METHOD_NAMES.filter((m) => adminMethods[m].recordsAction === false);
      assert.deepEqual(noEntry, ['discovery.run']);
      const run = await h['discovery.run']({});
      assert.equal((await h['discovery.latest']({}))?.startedAt, run.startedAt);
      assert.equal(adminLogEntriesAfter(ctx.db, 0).length, entries);
      // An admin action is still refused; so is a findings scan (its finding ids need the
      // fingerprint key from the same secret store: they would not be stable).
      await assert.rejects(h['audit.settings.set']({ retentionDays: 30 }), /try again/);
      await assert.rejects(h['findings.scan']({}), /try again/);
    } finally {
      ctx.db.close();
    }
  });

  it('records again once the keyring is unlocked, without a restart', async () => {
    const { sub, entries } = await keyedLog('unlock');
    // The same secrets as the first session, behind an async-only keyring that is locked at start.
    const files = openNodeSecretStore(sub, { keyring: null });
    let locked = true;
    const calls = { get: 0 };
    const gate = async () => {
      if (locked) throw new Error('the keyring is locked');
    };
    const keyring: SecretStore = {
      kind: 'keyring (test)',
      get: async (k) => {
        calls.get++;
        await gate();
        return files.get(k);
      },
      set: async (k, v) => {
        await gate();
        return files.set(k, v);
      },
      delete: async (k) => {
        await gate();
        return files.delete(k);
      },
    };
    const ctx = createNodeContext({ stateDir: sub, mode: 'desktop', secrets: keyring });
    try {
      const h = createAdminHandlers(ctx);
      // Locked: each action tries the key again, once, and is refused.
      const before = calls.get;
      await assert.rejects(h['audit.settings.set']({ retentionDays: 30 }), /try again/);
      assert.equal(calls.get, before + 1);
      assert.equal((await h['audit.settings.get']({})).retentionDays, 90);
      // Unlocked: the next action loads the key, takes effect and is recorded keyed, in one chain.
      locked = false;
      await h['audit.settings.set']({ retentionDays: 30 });
      assert.equal((await h['audit.settings.get']({})).retentionDays, 30);
      const log = adminLogEntriesAfter(ctx.db, 0);
      assert.equal(log.length, entries + 1);
      assert.equal(log.at(-1)?.action, 'audit.retention.set');
      const check = await checkAdminLog(ctx.db, keyring);
      assert.equal(check.ok, true, JSON.stringify(check.brokenAt));
      assert.equal(check.keyed, entries + 1);
      // Bound now: no further key loads.
      const loads = calls.get;
      await h['audit.settings.set']({ retentionDays: 60 });
      assert.equal(calls.get, loads);
    } finally {
      ctx.db.close();
    }
  });
  it('never replaces a key missing from the secret store when it tries again', async () => {
    const { sub } = await keyedLog('missing');
    // The key entry is gone from the store (reset, or a copy restored from before it existed).
    const files = openNodeSecretStore(sub, { keyring: null });
    await files.delete('audit.admin-log-key');
    const keyring: SecretStore = {
      kind: 'keyring (test)',
      get: (k) => files.get(k),
      set: (k, v) => files.set(k, v),
      delete: (k) => files.delete(k),
    };
    const ctx = createNodeContext({ stateDir: sub, mode: 'desktop', secrets: keyring });
    try {
      const h = createAdminHandlers(ctx);
      await assert.rejects(h['audit.settings.set']({ retentionDays: 30 }), /try again/);
      assert.equal((await h['audit.settings.get']({})).retentionDays, 90);
      assert.equal(await files.get('audit.admin-log-key'), null, 'no new key written');
    } finally {
      ctx.db.close();
    }
  });

  it('waits a bounded time for a secret store that does not answer', async () => {
    const { sub } = await keyedLog('hung');
    const hung: SecretStore = {
      kind: 'hung keyring (test)',
      get: () => new Promise(() => undefined),
      set: () => new Promise(() => undefined),
      delete: () => new Promise(() => undefined),
    };
    const ctx = createNodeContext({ stateDir: sub, mode: 'desktop', secrets: hung });
    try {
      const t0 = performance.now();
      await retryAdminLogKey(ctx.db, hung, ctx.clock, 100);
      assert.ok(performance.now() - t0 < 2_000);
      assert.ok(adminLogRefusal(ctx.db), 'still unbound: refused');
    } finally {
      ctx.db.close();
    }
  });
});
