import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase } from '../store/database.js';
import type { IdentifiedDraft } from './engine.js';
import { LIVE_RULE_IDS } from './scan.js';
import { FindingsRepository } from './store.js';

function draft(i: number, ruleId: string, extra: Partial<IdentifiedDraft> = {}): IdentifiedDraft {
  return {
    id: `f_${i}`,
    ruleId: ruleId as IdentifiedDraft['ruleId'],
    severity: 'high',
    title: `t${i}`,
    // Escapes, non-ASCII and astral characters, quotes and a line break survive the round trip.
    message: `Tool "x${i}" says \\ "hi"\n\u00e9\u2026\ud834\udd1e \u0000 </script>`,
    client: 'cursor',
    server: `s${i}`,
    serverId: `srv_${i}`,
    location: { file: `/h/.cursor/mcp.json`, pointer: `/mcpServers/s${i}`, line: i * 7 },
    ...extra,
  };
}

describe('FindingsRepository.latestScanDrafts', () => {
  it('returns exactly the latest scan’s drafts of the given rules, in stored order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-store-'));
    const db = openDatabase(join(dir, 'gatehouse.db'));
    try {
      const repo = new FindingsRepository(db);
      assert.deepEqual(repo.latestScanDrafts(LIVE_RULE_IDS), [], 'no scan yet');
      const rules = ['secret.literal', 'tool.poisoning', 'runner.unpinned', 'auth.none', 'server.unreachable'];
      const older = Array.from({ length: 5 }, (_, i) => draft(i, rules[i % rules.length]!));
      repo.insertScan({ startedAt: '2026-01-01T00:00:00Z', durationMs: 1, live: true, drafts: older });
      const drafts = Array.from({ length: 40 }, (_, i) =>
        draft(
          100 + i,
          rules[i % rules.length]!,
          i % 3 ? {} : { evidence: 'ghp_…oCLr', fingerprint: 'hs1:0f', serverId: undefined },
        ),
      );
      repo.insertScan({ startedAt: '2026-01-02T00:00:00Z', durationMs: 2.5, live: true, drafts });
      const viaJs = repo.latestScan()!.drafts.filter((d) => LIVE_RULE_IDS.has(d.ruleId));
      const got = repo.latestScanDrafts(LIVE_RULE_IDS);
      assert.ok(got.length > 10 && got.length < drafts.length);
      assert.deepEqual(got, viaJs);
      // A scan without them (one message quoting a live rule's JSON): none.
      const quoting = draft(200, 'secret.literal', { message: '{"ruleId":"tool.poisoning"}' });
      repo.insertScan({ startedAt: '2026-01-03T00:00:00Z', durationMs: 1, live: false, drafts: [quoting] });
      assert.deepEqual(repo.latestScanDrafts(LIVE_RULE_IDS), []);
      // A row kept from before drafts were stored (never marked fixed) is not in the latest scan either.
      db.prepare(
        "INSERT INTO finding_state (id, rule_id, first_seen, last_seen) VALUES ('f_old', 'tool.poisoning', 'x', 'x')",
      ).run();
      assert.deepEqual(repo.latestScanDrafts(LIVE_RULE_IDS), []);
      // The next scan with live drafts is read back whole.
      repo.insertScan({ startedAt: '2026-01-04T00:00:00Z', durationMs: 1, live: true, drafts: older });
      assert.deepEqual(
        repo.latestScanDrafts(LIVE_RULE_IDS),
        older.filter((d) => LIVE_RULE_IDS.has(d.ruleId)),
      );
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stores a scan’s findings as exactly JSON.stringify of its drafts (empty, unique and repeated ids)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-store-'));
    const db = openDatabase(join(dir, 'gatehouse.db'));
    try {
      const repo = new FindingsRepository(db);
      const unique = Array.from({ length: 30 }, (_, i) => draft(i, i % 2 ? 'secret.literal' : 'tool.poisoning'));
      const repeated = [...unique.slice(0, 5), { ...unique[2]!, message: 'again' }];
      // Hundreds of drafts whose ids are in no sorted order (neither the table's nor the text's):
      // the stored array keeps the drafts' order (a seeded shuffle).
      const many = Array.from({ length: 600 }, (_, i) => draft(i, 'secret.literal'));
      let seed = 7;
      for (let i = many.length - 1; i > 0; i--) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const j = seed % (i + 1);
        [many[i], many[j]] = [many[j]!, many[i]!];
      }
      for (const drafts of [[], unique, repeated, unique.slice(3, 9).reverse(), many, [...many].reverse()]) {
        const { id } = repo.insertScan({ startedAt: '2026-01-03T00:00:00Z', durationMs: 3, live: false, drafts });
        const row = db.prepare('SELECT findings_json FROM finding_scans WHERE id = ?').get(id) as {
          findings_json: string;
        };
        assert.equal(row.findings_json, JSON.stringify(drafts));
      }
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
