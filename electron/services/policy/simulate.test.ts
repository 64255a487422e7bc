import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditEventDraft } from '../../../shared/model/audit.js';
import { PolicyDocument } from '../../../shared/model/policy.js';
import { inlineAuditQueries } from '../audit/query-port.js';
import { AuditStore } from '../audit/store.js';
import { openDatabase } from '../store/database.js';
import { decide } from './evaluate.js';
import { simulatePolicy } from './simulate.js';
import { FIXTURE_INPUT, FIXTURE_USERS, fixtureDoc } from './test-fixtures.js';
import { blankDraft } from '../audit/sources/common.js';

function event(i: number, user: string, server: string, tool: string, method = 'tools/call'): AuditEventDraft {
  return {
    ...blankDraft('test', 'toolhive', new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(), { i }),
    sourceRecordId: `e${i}`,
    tenant: 'red',
    'user.id': user,
    client: 'cli',
    'mcp.method.name': method,
    server,
    'gen_ai.tool.name': method === 'tools/call' && tool ? tool : null,
    durationMs: 1,
    'jsonrpc.request.id': String(i),
  };
}

test('simulate: grouped tuples, Cedar decisions equal the reference evaluator, changes reported', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-policy-sim-'));
  try {
    const db = openDatabase(join(dir, 'g.db'));
    const store = new AuditStore(db);
    const live = fixtureDoc();
    const cells: [string, string, string][] = [];
    for (const u of [...FIXTURE_USERS, 'stranger@y.io'])
      for (const s of live.servers) for (const t of s.tools) cells.push([u, s.name, t]);
    const records = [];
    let i = 0;
    for (let round = 0; round < 3; round++)
      for (const [u, s, t] of cells) records.push({ event: event(i, u, s, t), key: `k${i++}` });
    records.push({ event: event(i, 'ann@x.io', 'shared', '', 'tools/call'), key: `k${i++}` }); // no tool: skipped
    store.insertBatch(records);

    const same = await simulatePolicy(inlineAuditQueries(store), live, live);
    assert.equal(same.events, records.length);
    assert.equal(same.tuples, cells.length);
    assert.equal(same.skipped, 1);
    assert.equal(same.newlyDenied.length + same.newlyAllowed.length, 0);
    // Empty bounds (an unfilled range field) are no bounds.
    const unbounded = await simulatePolicy(inlineAuditQueries(store), live, live, { since: '', until: '' });
    assert.deepEqual({ ...unbounded, since: null, until: null, durationMs: 0 }, { ...same, durationMs: 0 });

    const draft = PolicyDocument.parse({
      ...FIXTURE_INPUT,
      rules: [
        ...(FIXTURE_INPUT.rules ?? []).filter((r) => r.id !== 'red-no-email'),
        { id: 'no-calc', effect: 'deny', subjects: ['*'], actions: ['call_tool'], resources: ['tool:calc'] },
      ],
    });
    const r = await simulatePolicy(inlineAuditQueries(store), draft, live);
    const expectDenied = cells.filter(
      ([u, s, t]) =>
        decide(live, { user: u, action: 'call_tool', server: s, tool: t }).allowed &&
        !decide(draft, { user: u, action: 'call_tool', server: s, tool: t }).allowed,
    );
    const expectAllowed = cells.filter(
      ([u, s, t]) =>
        !decide(live, { user: u, action: 'call_tool', server: s, tool: t }).allowed &&
        decide(draft, { user: u, action: 'call_tool', server: s, tool: t }).allowed,
    );
    const key = (g: { user: string | null; server: string | null; tool: string | null }) =>
      `${g.user} ${g.server} ${g.tool}`;
    assert.deepEqual(r.newlyDenied.map(key).sort(), expectDenied.map(([u, s, t]) => `${u} ${s} ${t}`).sort());
    assert.deepEqual(r.newlyAllowed.map(key).sort(), expectAllowed.map(([u, s, t]) => `${u} ${s} ${t}`).sort());
    assert.ok(r.newlyDenied.length > 0 && r.newlyAllowed.length > 0);
    assert.ok(r.newlyDenied.every((g) => g.count === 3 && /rule no-calc/.test(g.reason)));
    assert.ok(r.newlyAllowed.some((g) => g.user === 'ann@x.io' && g.tool === 'send_email'));
    assert.equal(r.engine, 'cedar');
    const since = await simulatePolicy(inlineAuditQueries(store), draft, live, {
      since: new Date(Date.UTC(2026, 10, 1) + cells.length * 2000).toISOString(),
    });
    assert.equal(since.events, cells.length + 1);
    db.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
