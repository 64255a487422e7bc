import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditEventDraft } from '../../../shared/model/audit.js';
import { PolicyDocument } from '../../../shared/model/policy.js';
import { AuditQueryPool } from '../audit/query-pool.js';
import { inlineAuditQueries } from '../audit/query-port.js';
import { decide } from './evaluate.js';
import { simulatePolicy } from './simulate.js';
import { randomDoc, rng } from './test-fixtures.js';
import { blankDraft } from '../audit/sources/common.js';
import { seededStore } from '../audit/test-helpers.js';

const METHODS = ['tools/call', 'prompts/get', 'resources/read', 'tools/list', 'prompts/list', 'resources/list'];

function event(i: number, r: () => number): AuditEventDraft {
  const m = Math.floor(r() * METHODS.length);
  const method = METHODS[m] as string;
  const user = r() < 0.1 ? 'stranger@y.io' : `u${Math.floor(r() * 14)}@x.io`;
  return {
    ...blankDraft('test', 'toolhive', new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(), null),
    sourceRecordId: `e${i}`,
    tenant: `t${Math.floor(r() * 4)}`,
    'user.id': r() < 0.1 ? user.toUpperCase() : user,
    client: 'cli',
    'mcp.method.name': method,
    server: `s${Math.floor(r() * 7)}`, // s6 is in no document
    'gen_ai.tool.name': method === 'tools/call' ? `tool${Math.floor(r() * 9)}` : null,
    'gen_ai.prompt.name': method === 'prompts/get' ? `p${1 + Math.floor(r() * 2)}` : null,
    'mcp.resource.uri': method === 'resources/read' ? `doc://${r() < 0.5 ? 'a' : 'b'}` : null,
    durationMs: 1,
    'jsonrpc.request.id': String(i),
  };
}

test('simulate: deciding once per request class gives what deciding every tuple gives (seeded random stores)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-policy-classes-'));
  try {
    let changed = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(seed);
      const { db, store } = seededStore(join(dir, `g${seed}.db`), 1500, (i) => event(i, r));
      const live = PolicyDocument.parse(randomDoc(r));
      const draft = PolicyDocument.parse(randomDoc(r));
      for (const [a, b] of [
        [draft, live],
        [live, draft],
        [live, live],
      ] as const) {
        const fast = await simulatePolicy(inlineAuditQueries(store), a, b);
        const slow = await simulatePolicy(inlineAuditQueries(store), a, b, {}, undefined, { classes: false });
        assert.deepEqual({ ...fast, durationMs: 0 }, { ...slow, durationMs: 0 }, `seed ${seed}`);
        changed += fast.newlyAllowed.length + fast.newlyDenied.length;
        // And both agree with the reference evaluator on tool calls.
        for (const g of [...fast.newlyAllowed, ...fast.newlyDenied]) {
          if (g.action !== 'call_tool') continue;
          const req = { user: g.user ?? '', action: g.action, server: g.server ?? '', tool: g.tool ?? '' };
          assert.equal(decide(a, req).allowed, fast.newlyAllowed.includes(g), `seed ${seed} ${JSON.stringify(g)}`);
        }
      }
      db.close();
    }
    assert.ok(changed > 50, `the random drafts change decisions (${changed} groups)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('simulate: on the audit query workers (the grouping cut in parts) it gives what one thread gives', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-policy-pool-'));
  try {
    const r = rng(99);
    const { db, store } = seededStore(join(dir, 'g.db'), 3000, (i) => event(i, r));
    const live = PolicyDocument.parse(randomDoc(r));
    const draft = PolicyDocument.parse(randomDoc(r));
    const pool = new AuditQueryPool(join(dir, 'g.db'), store, { size: 2 });
    try {
      for (const range of [{}, { since: new Date(Date.UTC(2026, 10, 1) + 900_000).toISOString() }]) {
        const inline = await simulatePolicy(inlineAuditQueries(store), draft, live, range);
        const before = pool.answeredByWorkers;
        const parallel = await simulatePolicy(pool, draft, live, range);
        // The plan and one query per part: all answered by the workers.
        assert.equal(pool.answeredByWorkers - before, 3);
        assert.deepEqual({ ...parallel, durationMs: 0 }, { ...inline, durationMs: 0 }, JSON.stringify(range));
        assert.ok(inline.newlyAllowed.length + inline.newlyDenied.length > 0, 'the draft changes decisions');
      }
    } finally {
      await pool.close();
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
