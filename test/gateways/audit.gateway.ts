/**
 * Audit timeline against a live ContextForge: its audit trail (admin actions the seeder performed)
 * and tool-call records (structured logs persisted to its database) pulled through the audit
 * source, incrementally. Skips with a reason when ContextForge is not installed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { auditHandlers } from '../../electron/services/audit/handlers.js';
import { gatewaySkipReason, MemorySecretStore, startSeededGateway, testContext, type LiveGateway } from './support.js';

const skip = gatewaySkipReason();

describe('audit source: ContextForge (live)', { skip, timeout: 600_000 }, () => {
  let gw: LiveGateway;
  let adminToken: string;

  before(async () => {
    // Persist structured logs so the tool-call records are queryable through /api/logs/search.
    // (INFO level: the "Tool 'x' invoked successfully" records are INFO.)
    process.env.STRUCTURED_LOGGING_DATABASE_ENABLED = 'true';
    process.env.CONTEXTFORGE_LOG_LEVEL = 'INFO';
    gw = await startSeededGateway();
    adminToken = (JSON.parse(readFileSync(gw.stateFile, 'utf8')) as { adminToken: string }).adminToken;
    // One tool call through the gateway, so there is a tool-call record.
    const tools = (await (
      await fetch(`${gw.baseUrl}/tools?limit=200`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).json()) as { name: string }[] | { items?: { name: string }[] };
    const list = Array.isArray(tools) ? tools : (tools.items ?? []);
    const echo = list.find((t) => /echo$/.test(t.name));
    if (echo) {
      await fetch(`${gw.baseUrl}/rpc`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: echo.name, arguments: { message: 'hi' } },
        }),
      });
    }
  });
  after(async () => {
    await gw?.stop();
  });

  test('pulls audit trails incrementally; the token stays in the secret store; a second sync adds nothing', async () => {
    const secrets = new MemorySecretStore();
    const ctx = testContext(secrets);
    const h = auditHandlers(ctx, { follow: false });
    const src = await h['audit.sources.add']({
      name: 'cf',
      config: { kind: 'contextforge', baseUrl: gw.baseUrl },
      token: adminToken,
    });
    assert.ok(!JSON.stringify(src).includes(adminToken), 'the token is never returned');
    const first = (await h['audit.sync']({ id: src.id })).sources.find((s) => s.id === src.id);
    assert.equal(first?.error, null, first?.error ?? '');
    assert.ok((first?.imported ?? 0) > 0, 'the seeder left audit trail entries');
    const page = await h['audit.query']({ filter: { source: ['cf'] }, limit: 500, withTotal: true });
    assert.equal(page.total, first?.imported);
    assert.ok(page.events.every((e) => e.sourceKind === 'contextforge' && e['mcp.method.name']));
    assert.ok(page.events.some((e) => e['user.id'] === 'admin@example.com'));
    const second = (await h['audit.sync']({ id: src.id })).sources.find((s) => s.id === src.id);
    assert.equal(second?.imported, 0);
    const stored = ctx.db.prepare('SELECT config_json, cursor FROM audit_sources WHERE id = ?').get(src.id) as {
      config_json: string;
      cursor: string;
    };
    assert.ok(!stored.config_json.includes(adminToken));
    assert.match(stored.cursor, /"audit":"20/);
    const toolCalls = await h['audit.query']({
      filter: { source: ['cf'], method: ['tools/call'] },
      limit: 10,
      withTotal: true,
    });
    assert.ok((toolCalls.total ?? 0) >= 1, 'the echo call is in the timeline');
    const call = toolCalls.events.find((e) => e['gen_ai.tool.name'] === 'everything-echo');
    assert.equal(call?.outcome, 'success');
    assert.equal(call?.['user.id'], 'admin@example.com');
    assert.ok((call?.durationMs ?? 0) > 0);
    ctx.db.close();
  });
});
