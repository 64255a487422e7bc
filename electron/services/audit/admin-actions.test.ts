import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cliContext } from '../../../test/support/node-context.js';
import { createAdminHandlers } from '../admin-service.js';
import { adminLogEntriesAfter } from './admin-log.js';
import { toolhiveLine } from './test-helpers.js';

/**
 * What an admin does to the audit trail itself — adding, renaming, disabling or removing a source
 * (with its events), changing the retention period (which deletes events), restoring the trash — is
 * in the hash-chained admin log, attributed, with what it deleted or restored; a gateway token given
 * with a source never is.
 */

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-admin-actions-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('audit admin actions', () => {
  it('are logged, chained and attributed, with their counts, never a token', async () => {
    const ctx = cliContext(dir);
    try {
      const h = createAdminHandlers(ctx);
      const file = join(dir, 'thv.jsonl');
      // 40 events on 2026-11-01 and 10 on 2026-11-20.
      writeFileSync(
        file,
        [
          ...Array.from({ length: 40 }, (_, i) => toolhiveLine(i)),
          ...Array.from({ length: 10 }, (_, i) => toolhiveLine(i + 40, Date.UTC(2026, 10, 20))),
        ].join('\n') + '\n',
      );
      const src = await h['audit.sources.add']({ name: 'thv', config: { kind: 'toolhive', path: file } });
      const token = 'cf-token-7d1f3a9b2c4e6f8a0b1c2d3e';
      await h['audit.sources.add']({
        name: 'cf',
        config: { kind: 'contextforge', baseUrl: 'http://127.0.0.1:4444' },
        token,
      });
      await h['audit.sources.update']({ id: src.id, name: 'toolhive-prod' });
      await h['audit.sources.update']({ id: src.id, enabled: true });
      await h['audit.sync']({ id: src.id });
      const days = Math.ceil((Date.now() - Date.UTC(2026, 10, 10)) / 86_400_000);
      const preview = await h['audit.retention.preview']({ retentionDays: days });
      assert.equal(preview.events, 40);
      const set = await h['audit.settings.set']({ retentionDays: days, confirmDeletion: 40 });
      await h['audit.trash.restore']({ id: set.trashBatch ?? '' });
      const removed = await h['audit.sources.remove']({ id: src.id, deleteEvents: true });

      const log = adminLogEntriesAfter(ctx.db, 0).filter((e) => e.action.startsWith('audit.'));
      assert.deepEqual(
        log.map((e) => [e.action, e.target]),
        [
          ['audit.source.add', 'thv'],
          ['audit.source.add', 'cf'],
          ['audit.source.update', 'toolhive-prod'],
          ['audit.source.update', 'toolhive-prod'],
          ['audit.retention.set', 'audit'],
          ['audit.trash.restore', set.trashBatch],
          ['audit.source.remove', 'toolhive-prod'],
        ],
      );
      assert.deepEqual(log[0]?.details, { id: src.id, kind: 'toolhive', path: file, token: false });
      assert.equal(log[1]?.details.token, true);
      assert.deepEqual(log[2]?.details, { id: src.id, renamedFrom: 'thv' });
      assert.deepEqual(log[3]?.details, { id: src.id, enabled: true });
      assert.deepEqual(log[4]?.details, {
        retentionDays: days,
        previousRetentionDays: null,
        deletedEvents: 40,
        trashBatch: set.trashBatch,
      });
      assert.deepEqual(log[5]?.details, { restored: 40, duplicates: 0, retentionDays: null });
      assert.deepEqual(log[6]?.details, {
        id: src.id,
        deleteEvents: true,
        deletedEvents: removed.deletedEvents,
        trashBatch: removed.trashBatch,
      });
      assert.equal(removed.deletedEvents, 50);
      // Attributed to who was at the console (here the OS user, in CLI mode).
      assert.ok(
        log.every((e) => / \(cli\)$/.test(e.actor)),
        log.map((e) => e.actor).join(', '),
      );
      const chain = await h['audit.verify']({});
      assert.equal(chain.ok, true, JSON.stringify(chain));
      assert.ok(chain.entries >= log.length);
      const text = JSON.stringify(adminLogEntriesAfter(ctx.db, 0));
      assert.ok(!text.includes(token) && !text.includes(token.slice(3, 20)), 'the token is never in the log');
    } finally {
      ctx.db.close();
    }
  });
});
