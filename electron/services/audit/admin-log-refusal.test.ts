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
import { adminLogEntriesAfter } from './admin-log.js';

/**
 * The desktop's secret store can fail at start-up (a locked keyring): the admin log, keyed since
 * its first entry, then cannot record. Changes are refused before they run, never applied and then
 * left unlogged; reads go on.
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
      const changes = METHOD_NAMES.filter((m) => adminMethods[m].mutates && adminMethods[m].writesStore !== false);
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
});
