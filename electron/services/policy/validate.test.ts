import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewaySnapshot } from '../../../shared/model/gateway.js';
import { PolicyDocument, type PolicyDocumentInput } from '../../../shared/model/policy.js';
import { parsePolicyText } from './document.js';
import { matrixDelta } from './evaluate.js';
import { FIXTURE_INPUT, fixtureDoc } from './test-fixtures.js';
import { validatePolicy } from './validate.js';

const doc = (over: Partial<PolicyDocumentInput>) => PolicyDocument.parse({ ...FIXTURE_INPUT, ...over });
const codes = (d: PolicyDocument, ctx = {}) => validatePolicy(d, { targets: [], ...ctx }).map((x) => x.code);

const snapshot: GatewaySnapshot = {
  gatewayId: 'g',
  gatewayName: 'gw',
  kind: 'contextforge',
  baseUrl: 'http://x',
  fetchedAt: '2026-11-01T00:00:00Z',
  upstreams: [
    {
      id: 'u1',
      name: 'mail',
      url: 'http://m',
      transport: 'sse',
      enabled: true,
      reachable: true,
      visibility: 'public',
      authType: 'oauth',
      toolCount: 2,
    },
  ],
  tools: ['send_email', 'search', 'calc', 'deploy', 'query', 'export', 'rotate'].map((name) => ({
    id: name,
    name,
    originalName: name,
    upstreamId: name === 'send_email' || name === 'query' ? 'u1' : undefined,
    description: '',
    visibility: 'public' as const,
    enabled: true,
    readOnly: name === 'search' || name === 'calc',
  })),
  servers: [],
  teams: [],
  members: [],
  users: [{ email: 'fay@x.io', isAdmin: false, active: true }],
  roles: [],
  assignments: [],
  tokens: [{ id: 't', name: 'ci', userEmail: 'ann@x.io', permissions: [], active: true, revoked: false }],
  warnings: [],
};

test('the fixture is clean against its own gateway', () => {
  assert.deepEqual(codes(fixtureDoc(), { snapshot }), []);
});

test('duplicates and unknown references', () => {
  const d = doc({
    teams: [...(FIXTURE_INPUT.teams ?? []), { name: 'red' }],
    assignments: [
      { user: 'ann@x.io', role: 'ghost' },
      { user: 'ann@x.io', role: 'reader' },
    ],
    servers: [{ name: 'x', team: 'nope', tools: ['calc'] }],
  });
  const c = codes(d);
  for (const want of ['duplicate-name', 'unknown-role', 'unknown-team', 'assignment-scope'])
    assert.ok(c.includes(want), want);
});

test('gateway checks: users, permissions, tools', () => {
  const d = doc({
    roles: [{ name: 'r', scope: 'global', permissions: ['tools.exec', 'tools.*'] }],
    assignments: [{ user: 'ghost@x.io', role: 'r' }],
    servers: [{ name: 's', team: 'red', tools: ['nonexistent'] }],
    rules: [],
  });
  const diags = validatePolicy(d, { snapshot, targets: [] });
  assert.deepEqual(diags.map((x) => x.code).sort(), ['unknown-permission', 'unknown-tool', 'unknown-user']);
  assert.match(diags.find((x) => x.code === 'unknown-permission')?.message ?? '', /tools\.exec"/);
  assert.deepEqual(
    codes(d, { inventoryTools: ['nonexistent'], availablePermissions: ['tools.exec', 'tools.execute'] }),
    [],
  );
});

test('rules: shadowed, redundant, contradictory, unknown subjects/resources', () => {
  const base = { subjects: ['team:red'], actions: ['call_tool' as const] };
  const d = doc({
    rules: [
      { id: 'deny-all', effect: 'deny', ...base, resources: ['server:shared'] },
      { id: 'allow-email', effect: 'allow', ...base, resources: ['server:shared/tool:send_email'] },
      { id: 'a1', effect: 'allow', subjects: ['*'], actions: ['call_tool'], resources: ['tool:calc'] },
      {
        id: 'a2',
        effect: 'allow',
        subjects: ['team:blue'],
        actions: ['call_tool'],
        resources: ['server:off/tool:calc'],
      },
      { id: 'x-allow', effect: 'allow', subjects: ['team:ops'], actions: ['get_prompt'], resources: ['prompt:p'] },
      { id: 'x-deny', effect: 'deny', subjects: ['team:ops'], actions: ['get_prompt'], resources: ['prompt:p'] },
      {
        id: 'ghosts',
        effect: 'allow',
        subjects: ['team:ghost', 'role:ghost'],
        actions: ['call_tool'],
        resources: ['server:nope', 'tool:nope'],
      },
    ],
  });
  const diags = validatePolicy(d, { targets: [] });
  const of = (id: string) =>
    diags.filter((x) => x.message.startsWith(`rule ${id} `) || x.message.includes(`rules ${id} `)).map((x) => x.code);
  assert.deepEqual(of('allow-email'), ['rule-shadowed']);
  assert.deepEqual(of('a2'), ['rule-shadowed']);
  assert.ok(of('x-allow').includes('rule-contradiction'));
  assert.equal(diags.filter((x) => x.code === 'rule-unknown-subject').length, 2);
  assert.equal(diags.filter((x) => x.code === 'rule-unknown-resource').length, 2);
  assert.deepEqual(of('a1'), []);
});

test('guardrails', () => {
  const d = doc({
    guardrails: {
      noPublicWriteTools: true,
      tokenMaxDays: 90,
      noSharedUpstreamCredentials: true,
      assignmentMaxDays: 30,
    },
  });
  const diags = validatePolicy(d, { snapshot, targets: [], now: new Date('2026-11-01T00:00:00Z') });
  const c = diags.map((x) => x.code);
  assert.equal(c.filter((x) => x === 'guardrail.public-write-tool').length, 1); // send_email on public shared (off is disabled)
  assert.ok(c.includes('guardrail.token-max-days'));
  assert.equal(c.filter((x) => x === 'guardrail.assignment-max-days').length, 3);
  const shared = diags.find((x) => x.code === 'guardrail.shared-upstream-credentials');
  assert.match(shared?.message ?? '', /mail .*reachable from \d teams/);
});

test('target diagnostics carry target, hint and a text position', () => {
  const text = `apiVersion: gatehouse/v1
kind: Policy
teams: [{name: red, members: [{email: a@x.io}]}]
servers: [{name: shared, team: red, visibility: public, tools: [send_email]}]
rules:
  - id: red-no-email
    effect: deny
    subjects: [team:red]
    actions: [call_tool]
    resources: [server:shared/tool:send_email]
`;
  const p = parsePolicyText(text);
  const diags = validatePolicy(p.document!, { locate: p.locate });
  const cf = diags.find((x) => x.target === 'contextforge');
  assert.equal(cf?.line, 6);
  assert.equal(cf?.hint, 'move send_email into a separate server not visible to team:red, or remove it from shared');
  assert.equal(diags.filter((x) => x.target === 'agentgateway-cel' || x.target === 'toolhive-cedar').length, 0);
});

test('matrix delta: team rows and user rows', () => {
  const live = fixtureDoc();
  const draft = doc({
    rules: (FIXTURE_INPUT.rules ?? []).filter((r) => r.id !== 'red-no-email' && r.id !== 'fay-query'),
  });
  const delta = matrixDelta(live, draft);
  assert.ok(
    delta.some(
      (e) => e.subject === 'team:red' && e.tool === 'send_email' && e.change === 'gains' && e.server === 'shared',
    ),
  );
  assert.ok(delta.some((e) => e.subject === 'user:fay@x.io' && e.tool === 'query' && e.change === 'loses'));
  assert.ok(!delta.some((e) => e.subject === 'user:ann@x.io'), 'covered by the team row');
  assert.deepEqual(matrixDelta(live, live), []);
});
