import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewaySnapshot } from '../../../shared/model/gateway.js';
import { policyFromSnapshot } from './from-snapshot.js';
import { diffDocuments, planChanges } from './plan.js';

const snap: GatewaySnapshot = {
  gatewayId: 'g',
  gatewayName: 'cf',
  kind: 'contextforge',
  baseUrl: 'http://127.0.0.1:1',
  fetchedAt: '2026-01-01T00:00:00Z',
  upstreams: [
    {
      id: 'u1',
      name: 'up',
      url: 'x',
      transport: 'http',
      enabled: true,
      reachable: true,
      visibility: 'public',
      authType: 'none',
      toolCount: 2,
    },
  ],
  tools: [
    {
      id: 't1',
      name: 'up-a',
      originalName: 'a',
      upstreamId: 'u1',
      description: '',
      visibility: 'public',
      enabled: true,
      version: 1,
    },
    {
      id: 't2',
      name: 'up-b',
      originalName: 'b',
      upstreamId: 'u1',
      description: '',
      visibility: 'team',
      enabled: true,
      version: 2,
    },
  ],
  servers: [
    {
      id: 's1',
      name: 'red-tools',
      description: '',
      visibility: 'team',
      teamId: 'T1',
      enabled: true,
      toolIds: ['t1', 't2'],
      version: 1,
    },
  ],
  teams: [
    { id: 'T1', name: 'Red', slug: 'red', personal: false, visibility: 'private', memberCount: 1 },
    { id: 'P1', name: 'admin personal', slug: 'p', personal: true, visibility: 'private', memberCount: 1 },
  ],
  members: [
    { teamId: 'T1', email: 'a@x.io', role: 'member', active: true },
    { teamId: 'P1', email: 'admin@x.io', role: 'owner', active: true },
  ],
  users: [
    { email: 'a@x.io', isAdmin: false, active: true },
    { email: 'b@x.io', isAdmin: false, active: true },
    { email: 'admin@x.io', isAdmin: true, active: true },
  ],
  roles: [
    { id: 'r1', name: 'power', scope: 'team', permissions: ['tools.read'], system: false },
    { id: 'r2', name: 'viewer', scope: 'team', permissions: ['tools.read'], system: true },
  ],
  assignments: [
    { email: 'a@x.io', roleId: 'r1', scope: 'team', scopeId: 'T1', expiresAt: '2030-01-01T00:00:00', active: true },
    { email: 'a@x.io', roleId: 'r2', scope: 'team', scopeId: 'T1', active: true },
  ],
  tokens: [],
  warnings: [],
};

test('pull: names not ids, personal teams and system roles left out, only non-default tools', () => {
  const doc = policyFromSnapshot(snap);
  assert.deepEqual(
    doc.teams.map((t) => t.name),
    ['Red'],
  );
  assert.deepEqual(
    doc.roles.map((r) => r.name),
    ['power'],
  );
  assert.deepEqual(doc.assignments, [{ user: 'a@x.io', role: 'power', team: 'Red', expires: '2030-01-01T00:00:00Z' }]);
  assert.deepEqual(doc.servers[0]!.tools, ['up-a', 'up-b']);
  assert.deepEqual(doc.tools, [{ name: 'up-b', visibility: 'team' }]);
  assert.deepEqual(planChanges(doc, snap), { changes: [], diagnostics: [] });
});

test('plan: ordered creates and updates, then deletions in reverse dependency order', () => {
  const draft = policyFromSnapshot(snap);
  draft.roles = [{ name: 'auditor', scope: 'team', permissions: ['tools.read'] }];
  draft.assignments = [{ user: 'b@x.io', role: 'auditor', team: 'Red' }];
  draft.teams[0]!.members = [{ email: 'b@x.io', role: 'owner' }];
  draft.servers[0]!.tools = ['up-a'];
  draft.tools = [];
  const { changes, diagnostics } = planChanges(draft, snap);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    changes.map((c) => `${c.seq} ${c.op} ${c.key}`),
    [
      '0 create role:auditor',
      '1 create team:Red/member:b@x.io',
      '2 create assignment:b@x.io/auditor@Red',
      '3 update server:red-tools',
      '4 delete assignment:a@x.io/power@Red',
      '5 delete team:Red/member:a@x.io',
      '6 delete role:power',
    ],
  );
  assert.equal(changes[3]!.objectId, 's1');
  assert.match(changes[3]!.baseVersion!, /^v1 sha256:/);
  assert.equal(changes[0]!.baseVersion, 'absent');
  // Unlisted tools keep their settings, unless a rollback asks for defaults.
  assert.ok(!changes.some((c) => c.kind === 'tool'));
  const reset = planChanges(draft, snap, { unlistedTools: 'default' }).changes.filter((c) => c.kind === 'tool');
  assert.deepEqual(
    reset.map((c) => c.after),
    [{ name: 'up-b', visibility: 'public', enabled: true }],
  );
});

test('plan: unknown names and system-role redefinitions are errors; teams the draft omits are untouched', () => {
  const draft = policyFromSnapshot(snap);
  draft.teams = [];
  draft.assignments = [];
  draft.roles = [{ name: 'viewer', scope: 'team', permissions: [] }];
  draft.servers[0]!.tools.push('nope');
  const { changes, diagnostics } = planChanges(draft, snap);
  assert.deepEqual(
    diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => d.code)
      .sort(),
    ['system-role', 'unknown-tool'],
  );
  // Red is not in the draft: its members and team assignments stay, and so does the role assigned there.
  assert.ok(!changes.some((c) => c.kind === 'member' || c.kind === 'assignment' || c.op === 'delete'));
  assert.ok(diagnostics.some((d) => d.code === 'role-still-assigned'));
});

test('diffDocuments: changes between two stored documents', () => {
  const a = policyFromSnapshot(snap);
  const b = structuredClone(a);
  b.servers[0]!.visibility = 'public';
  b.tools = [];
  const { changes } = diffDocuments(a, b);
  assert.deepEqual(
    changes.map((c) => `${c.op} ${c.key}`),
    ['update server:red-tools', 'update tool:up-b'],
  );
});
