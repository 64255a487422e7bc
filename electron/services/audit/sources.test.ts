import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AuditEvent } from '../../../shared/model/audit.js';
import { maskRecord, storedOriginal } from './original.js';
import { mapAuditTrail, mapToolLog, pullContextForge, type ContextForgeClient } from './sources/contextforge.js';
import { RecordError } from './sources/common.js';
import { mapJsonl } from './sources/jsonl.js';
import { mapOtlpRequest } from './sources/otlp.js';
import { mapToolHive } from './sources/toolhive.js';
import { otlpPayload } from './test-helpers.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'audit');

describe('ToolHive source', () => {
  test('maps the documented event shape and the full MCP shape', async () => {
    const lines = (await readFile(join(FIXTURES, 'toolhive-audit.jsonl'), 'utf8')).trim().split('\n');
    const events = lines.map((l) => mapToolHive(JSON.parse(l)).event);
    const call = events[1];
    assert.ok(call);
    assert.equal(call.time, '2026-11-20T09:00:05.120Z');
    assert.equal(call['mcp.method.name'], 'tools/call');
    assert.equal(call['gen_ai.tool.name'], 'create_issue');
    assert.equal(call['user.id'], 'alice@example.com');
    assert.equal(call.client, 'claude-code');
    assert.equal(call['client.address'], '192.0.2.1');
    assert.equal(call.server, 'github');
    assert.equal(call.durationMs, 341);
    assert.equal(call['jsonrpc.request.id'], '7');
    assert.equal(call['mcp.session.id'], 'sess-a1');
    assert.equal(call.sourceRecordId, 'a0000001-0000-4000-8000-000000000002');
    // The reference's short form: target.resource_id, metadata.duration_ms, method = HTTP verb.
    const short = events[3];
    assert.equal(short?.['gen_ai.tool.name'], 'weather');
    assert.equal(short?.durationMs, 150);
    assert.equal(short?.['mcp.method.name'], 'tools/call');
    assert.equal(short?.server, 'toolhive-api');
    assert.deepEqual(
      events.map((e) => e.outcome),
      ['success', 'success', 'denied', 'success', 'error', 'error', 'success', 'denied'],
    );
    assert.equal(events[4]?.['mcp.resource.uri'], 'file:///etc/shadow');
    assert.equal(events[6]?.['gen_ai.prompt.name'], 'review_pr');
    for (const e of events) AuditEvent.omit({ id: true }).parse(e);
  });

  test('rejects records it cannot map, with a reason', () => {
    assert.throws(() => mapToolHive([1]), RecordError);
    assert.throws(() => mapToolHive({ type: 'mcp_tool_call', outcome: 'success' }), /loggedAt/);
    assert.throws(
      () => mapToolHive({ type: 'x', loggedAt: '2026-01-01T00:00:00Z', outcome: 'perhaps' }),
      /unknown outcome/,
    );
  });
});

describe('OTLP JSON source', () => {
  test('maps a payload made with the OpenTelemetry JS SDK and JSON serializer', async () => {
    const payload = await otlpPayload([
      {
        time: '2026-11-22T10:00:00.000Z',
        method: 'tools/call',
        tool: 'weather',
        user: 'alice',
        client: 'claude-code',
        tenant: 'team-a',
        sessionId: 'S1',
        requestId: '42',
        durationMs: 12,
        outcome: 'success',
      },
      { time: '2026-11-22T10:00:01.500Z', method: 'tools/call', tool: 'rm_rf', user: 'bob', outcome: 'denied' },
      {
        time: '2026-11-22T10:00:02.000Z',
        method: 'resources/read',
        user: 'bob',
        outcome: 'error',
        errorType: 'timeout',
        extra: { 'mcp.resource.uri': 'file:///x' },
      },
    ]);
    const parsed = JSON.parse(payload) as { resourceLogs: unknown[] };
    assert.equal(parsed.resourceLogs.length, 1);
    const { records, rejected } = mapOtlpRequest(parsed);
    assert.deepEqual(rejected, []);
    assert.equal(records.length, 3);
    const [a, b, c] = records.map((r) => r.event);
    assert.equal(a?.time, '2026-11-22T10:00:00.000Z');
    assert.equal(a?.['mcp.method.name'], 'tools/call');
    assert.equal(a?.['gen_ai.tool.name'], 'weather');
    assert.equal(a?.['user.id'], 'alice');
    assert.equal(a?.client, 'claude-code');
    assert.equal(a?.tenant, 'team-a');
    assert.equal(a?.['mcp.session.id'], 'S1');
    assert.equal(a?.['jsonrpc.request.id'], '42');
    assert.equal(a?.durationMs, 12);
    assert.equal(a?.server, 'agentgateway');
    assert.equal(a?.outcome, 'success');
    assert.equal(b?.outcome, 'denied');
    assert.equal(c?.outcome, 'error');
    assert.equal(c?.['error.type'], 'timeout');
    assert.equal(c?.['mcp.resource.uri'], 'file:///x');
    // Same payload twice → same dedupe keys.
    const again = mapOtlpRequest(JSON.parse(payload));
    assert.deepEqual(
      again.records.map((r) => r.key),
      records.map((r) => r.key),
    );
  });

  test('a bad log record inside a request is rejected alone', () => {
    const r = mapOtlpRequest({
      resourceLogs: [
        {
          resource: { attributes: [] },
          scopeLogs: [
            {
              logRecords: [
                { body: { stringValue: 'no time' } },
                { timeUnixNano: '1795341600000000000', attributes: [] },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(r.records.length, 1);
    assert.equal(r.rejected.length, 1);
    assert.match(r.rejected[0] ?? '', /logRecords\[0\].*timeUnixNano/);
    assert.throws(() => mapOtlpRequest({ foo: 1 }), /resourceLogs/);
  });
});

describe('generic JSON lines source', () => {
  const mapping = {
    time: 'ts',
    sourceRecordId: 'id',
    user: 'actor.email',
    tool: 'call.tool',
    server: 'call.server',
    method: 'call.method',
    outcome: 'decision',
    outcomeValues: { ALLOW: 'success' as const, BLOCK: 'denied' as const },
    durationMs: 'ms',
    tenant: 'org',
  };
  test('maps through the saved field mapping', () => {
    const e = mapJsonl(
      {
        id: 'r1',
        ts: 1795341600,
        actor: { email: 'a@x.io' },
        call: { tool: 't', server: 'srv', method: 'tools/call' },
        decision: 'BLOCK',
        ms: '17',
        org: 'acme',
      },
      mapping,
    ).event;
    assert.equal(e.time, new Date(1795341600 * 1000).toISOString());
    assert.equal(e['user.id'], 'a@x.io');
    assert.equal(e['gen_ai.tool.name'], 't');
    assert.equal(e.outcome, 'denied');
    assert.equal(e.durationMs, 17);
    assert.equal(e.tenant, 'acme');
    assert.equal(e.sourceRecordId, 'r1');
    assert.throws(() => mapJsonl({ ts: 'yesterday-ish' }, mapping), /ts/);
    assert.throws(() => mapJsonl({ ts: '2026-01-01T00:00:00Z', decision: 'HUH' }, mapping), /unknown outcome/);
  });
});

// Records shaped like ContextForge 1.0.7's AuditTrailResponse and structured-log LogEntry.
const TRAILS = [
  {
    id: '5f0c',
    timestamp: '2026-11-23T08:00:02.123456',
    correlation_id: 'c-2',
    action: 'update_tool',
    resource_type: 'tool',
    resource_id: 't-9',
    resource_name: 'weather',
    user_id: 'admin@example.com',
    user_email: 'admin@example.com',
    success: true,
    requires_review: false,
    data_classification: null,
  },
  {
    id: '5f0b',
    timestamp: '2026-11-23T08:00:01',
    correlation_id: 'c-1',
    action: 'create_gateway',
    resource_type: 'gateway',
    resource_id: 'g-1',
    resource_name: 'everything',
    user_id: 'admin@example.com',
    user_email: 'admin@example.com',
    success: false,
    requires_review: true,
    data_classification: 'internal',
  },
];
const LOGS = [
  {
    id: 'L1',
    timestamp: '2026-11-23T08:00:03',
    level: 'INFO',
    component: 'tool_service',
    message: "Tool 'echo' invoked successfully",
    correlation_id: 'c-3',
    user_id: null,
    user_email: 'dev@example.com',
    duration_ms: 4.5,
    operation_type: null,
    request_path: null,
    request_method: null,
    is_security_event: false,
    error_details: null,
  },
  {
    id: 'L2',
    timestamp: '2026-11-23T08:00:04',
    level: 'ERROR',
    component: 'tool_service',
    message: "Tool 'add' invocation failed",
    correlation_id: 'c-4',
    user_id: null,
    user_email: 'dev@example.com',
    duration_ms: 9,
    operation_type: null,
    request_path: null,
    request_method: null,
    is_security_event: false,
    error_details: { error_type: 'ToolInvocationError', error_message: 'upstream 500' },
  },
  {
    id: 'L3',
    timestamp: '2026-11-23T08:00:05',
    level: 'INFO',
    component: 'http',
    message: 'GET /health',
    correlation_id: null,
    user_id: null,
    user_email: null,
    duration_ms: 1,
    operation_type: null,
    request_path: '/health',
    request_method: 'GET',
    is_security_event: false,
    error_details: null,
  },
];

describe('ContextForge source', () => {
  test('maps audit trails and tool-call log entries', () => {
    const a = mapAuditTrail(TRAILS[0]).event;
    assert.equal(a.time, '2026-11-23T08:00:02.123Z');
    assert.equal(a['mcp.method.name'], 'update_tool');
    assert.equal(a['gen_ai.tool.name'], 'weather');
    assert.equal(a['user.id'], 'admin@example.com');
    assert.equal(a.outcome, 'success');
    const g = mapAuditTrail(TRAILS[1]).event;
    assert.equal(g.server, 'everything');
    assert.equal(g.outcome, 'error');
    assert.equal(g.reason, 'requires review');
    const t = mapToolLog(LOGS[1])?.event;
    assert.equal(t?.['gen_ai.tool.name'], 'add');
    assert.equal(t?.outcome, 'error');
    assert.equal(t?.['error.type'], 'ToolInvocationError');
    assert.equal(t?.reason, 'upstream 500');
    assert.equal(mapToolLog(LOGS[2]), null);
  });

  test('pulls incrementally with a cursor; the boundary comes back and is keyed by id', async () => {
    const calls: { path: string; q: unknown }[] = [];
    const client: ContextForgeClient = {
      async get(path, q) {
        calls.push({ path, q });
        const start = q.start_time;
        return TRAILS.filter((t) => !start || t.timestamp + 'Z' >= start || t.timestamp >= start.replace('Z', ''));
      },
      async post(path, body) {
        calls.push({ path, q: body });
        const start = (body as { start_time?: string }).start_time;
        return {
          total: LOGS.length,
          results: LOGS.filter((l) => !start || new Date(l.timestamp + 'Z').toISOString() >= start),
        };
      },
    };
    const first = await pullContextForge(client, { audit: null, logs: null });
    assert.equal(first.records.length, 4);
    assert.equal(first.cursor.audit, '2026-11-23T08:00:02.123Z');
    assert.equal(first.cursor.logs, '2026-11-23T08:00:04.000Z');
    const second = await pullContextForge(client, first.cursor);
    assert.ok(
      second.records.every((r) => first.records.some((f) => f.key === r.key)),
      'only boundary records come back',
    );
    assert.equal((calls[2]?.q as Record<string, string>).start_time, '2026-11-23T08:00:02.123Z');
  });
});

describe('original record masking', () => {
  test('masks credential fields and token-shaped values, keeps the rest', () => {
    const m = maskRecord({
      headers: { Authorization: 'Bearer abcdefghijklmnop1234', 'x-trace': 'ok' },
      apiKey: 'AKIAABCDEFGHIJKLMNOP',
      password: 'hunter2',
      note: 'used ghp_abcdefghijklmnopqrstuvwxyz0123456789 today',
      attributes: [{ key: 'http.request.header.authorization', value: { stringValue: 'Basic dXNlcjpwYXNzd29yZA==' } }],
      key: 'weather',
      id: '550e8400-e29b-41d4-a716-446655440000',
    }) as Record<string, unknown>;
    const json = JSON.stringify(m);
    for (const secret of [
      'abcdefghijklmnop1234',
      'AKIAABCDEFGHIJKLMNOP',
      'hunter2',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'dXNlcjpwYXNzd29yZA==',
    ]) {
      assert.ok(!json.includes(secret), `${secret} must be masked: ${json}`);
    }
    // How much of the token stays visible is the shared maskSecret's call; the last four remain.
    assert.match(json, /Bearer [^"]*…1234/);
    assert.equal(m.key, 'weather');
    assert.equal(m.id, '550e8400-e29b-41d4-a716-446655440000');
    assert.match(JSON.stringify(m.headers), /"x-trace":"ok"/);
    // What is stored (masked while serializing) equals the masked copy.
    const rec = {
      headers: { Authorization: 'Bearer abcdefghijklmnop1234', 'x-trace': 'ok' },
      list: ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', 1, null],
      attributes: [{ key: 'api_key', value: { stringValue: 'AKIAABCDEFGHIJKLMNOP' } }],
      nested: { clientSecret: { a: 'x'.repeat(20) }, ok: 'fine' },
    };
    assert.equal(storedOriginal(rec), JSON.stringify(maskRecord(rec)));
  });

  test('the plain-serialization fast path stores exactly what masking would', () => {
    const cases: unknown[] = [
      { type: 'call', subjects: { user: 'a@b.example' }, target: { name: 'tool_1' }, n: 3 },
      { deep: { deeper: [{ fine: 1 }, { accessToken: 'abcdefghijkl' }] } },
      { list: ['nothing', ['Bearer abcdefghijklmnop1234']] },
      [{ key: 'authorization', value: { stringValue: 'abcdefghijklmnop' } }],
      { 'x\ntoken': 'zzzzzzzzzzzzzz', 'a"token': 'yyyyyyyyyyyy' },
      'sk-abcdefghijklmnopqrstuv',
      { note: 'AKIAABCDEFGHIJKLMNOP' },
      // Characters JSON escapes (backslashes, control characters) inside a hinted value.
      { url: `https://${'\\'.repeat(200)}:pw@host/x` },
      { url: 'https://a\u0001b:secretpw@host/x', q: 'x?api_key=abcdef123456' },
    ];
    for (const c of cases) assert.equal(storedOriginal(c), JSON.stringify(maskRecord(c)), JSON.stringify(c));
    const plain = cases[0];
    assert.equal(storedOriginal(plain), JSON.stringify(plain));
    assert.equal(storedOriginal({ when: new Date(0) }), '{"when":"1970-01-01T00:00:00.000Z"}');
  });

  test('depth: a record nested past 32 levels is pruned and masked, one within it is stored as it is', () => {
    const nest = (levels: number, leaf: unknown): unknown => {
      let v = leaf;
      for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { n: v };
      return v;
    };
    const secret = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    for (let levels = 28; levels <= 40; levels++) {
      // Plain leaves: stored verbatim while the nesting is within the walk, else pruned like maskRecord.
      const plain = nest(levels, { ok: 'fine', n: 1 });
      const stored = storedOriginal(plain);
      if (levels <= 32) assert.equal(stored, JSON.stringify(plain), `${levels}`);
      else assert.equal(stored, JSON.stringify(maskRecord(plain)), `${levels}`);
      // A secret at any depth never reaches the stored text.
      for (const leaf of [{ token: secret }, { note: secret }, secret])
        assert.ok(!storedOriginal(nest(levels, leaf)).includes(secret.slice(4, 30)), `${levels}`);
    }
  });

  test('caps the stored original', () => {
    const big = storedOriginal({ blob: 'x'.repeat(50_000) });
    assert.ok(big.length <= 8192);
    assert.equal((JSON.parse(big) as { _truncated: boolean })._truncated, true);
  });
});
