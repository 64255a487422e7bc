import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GatewaySnapshot } from '../../../shared/model/gateway.js';
import { buildAccessMatrix, grants } from './access.js';
import { broadGrants, evaluateScopeRules, scopeFindingId } from './findings.js';

const NOW = new Date('2026-06-01T00:00:00Z');

/** Two teams over one upstream with a shared bearer credential; mirrors scripts/contextforge/seed.ts. */
function snapshot(): GatewaySnapshot {
  const role = (id: string, name: string, scope: string, permissions: string[], system = true) => ({
    id,
    name,
    scope,
    permissions,
    system,
  });
  const tool = (id: string, readOnly = true, visibility: 'public' | 'team' = 'public') => ({
    id,
    name: `up-${id}`,
    originalName: id,
    upstreamId: 'up1',
    description: '',
    visibility,
    enabled: true,
    readOnly,
    destructive: false,
  });
  return {
    gatewayId: 'g1',
    gatewayName: 'cf',
    kind: 'contextforge',
    baseUrl: 'http://127.0.0.1:4444',
    fetchedAt: NOW.toISOString(),
    upstreams: [
      {
        id: 'up1',
        name: 'everything',
        url: 'http://localhost:1/mcp',
        transport: 'STREAMABLEHTTP',
        enabled: true,
        reachable: true,
        visibility: 'public',
        authType: 'bearer',
        toolCount: 4,
      },
    ],
    tools: [tool('echo'), tool('sum'), tool('toggle', false), tool('gzip', false, 'team')],
    servers: [
      {
        id: 's-red',
        name: 'red-tools',
        description: '',
        visibility: 'team',
        teamId: 'red',
        enabled: true,
        toolIds: ['echo', 'sum'],
      },
      {
        id: 's-blue',
        name: 'blue-tools',
        description: '',
        visibility: 'team',
        teamId: 'blue',
        enabled: true,
        toolIds: ['echo'],
      },
      {
        id: 's-pub',
        name: 'shared',
        description: '',
        visibility: 'public',
        enabled: true,
        toolIds: ['sum', 'toggle', 'gzip'],
      },
    ],
    teams: [
      { id: 'red', name: 'Team Red', slug: 'red', personal: false, visibility: 'private', memberCount: 2 },
      { id: 'blue', name: 'Team Blue', slug: 'blue', personal: false, visibility: 'private', memberCount: 2 },
      { id: 'p', name: 'admin personal', slug: 'p', personal: true, visibility: 'private', memberCount: 1 },
    ],
    members: [
      { teamId: 'red', email: 'admin@x', role: 'owner', active: true },
      { teamId: 'red', email: 'alice@x', role: 'member', active: true },
      { teamId: 'blue', email: 'admin@x', role: 'owner', active: true },
      { teamId: 'blue', email: 'bob@x', role: 'member', active: true },
    ],
    users: [
      { email: 'admin@x', isAdmin: true, active: true },
      { email: 'alice@x', isAdmin: false, active: true },
      { email: 'bob@x', isAdmin: false, active: true },
    ],
    roles: [
      role('r-admin', 'platform_admin', 'global', ['*']),
      role('r-viewer', 'viewer', 'team', ['servers.use', 'tools.read', 'tools.execute']),
      role('r-pv', 'platform_viewer', 'global', ['servers.use', 'tools.read']),
      role(
        'r-custom',
        'power',
        'team',
        ['tools.read', 'tools.execute', 'tools.create', 'tools.update', 'tools.delete'],
        false,
      ),
    ],
    assignments: [
      { email: 'admin@x', roleId: 'r-admin', scope: 'global', active: true },
      { email: 'alice@x', roleId: 'r-pv', scope: 'global', active: true },
      { email: 'alice@x', roleId: 'r-viewer', scope: 'team', scopeId: 'red', active: true },
      { email: 'alice@x', roleId: 'r-custom', scope: 'team', scopeId: 'red', active: true },
      // Bob only has the global viewer role: no tools.execute anywhere.
      { email: 'bob@x', roleId: 'r-pv', scope: 'global', active: true },
    ],
    tokens: [
      {
        id: 't-red',
        name: 'red-ci',
        userEmail: 'alice@x',
        teamId: 'red',
        permissions: ['tools.execute'],
        expiresAt: '2026-07-01T00:00:00',
        active: true,
        revoked: false,
      },
      {
        id: 't-blue',
        name: 'blue-forever',
        userEmail: 'admin@x',
        teamId: 'blue',
        permissions: [],
        active: true,
        revoked: false,
      },
      {
        id: 't-old',
        name: 'expired',
        userEmail: 'admin@x',
        teamId: 'red',
        permissions: [],
        expiresAt: '2026-01-01T00:00:00',
        active: true,
        revoked: false,
      },
    ],
    warnings: [],
  };
}

describe('effective access', () => {
  const snap = snapshot();
  const m = buildAccessMatrix(snap, { now: NOW });
  const cell = (team: string, server: string, tool?: string) =>
    m.cells.find((c) => c.teamId === team && c.serverId === server && c.toolId === tool)!;

  test('wildcards', () => {
    assert.ok(grants(['*'], 'tools.execute'));
    assert.ok(grants(['tools.*'], 'tools.execute'));
    assert.ok(!grants(['tools.read'], 'tools.execute'));
  });

  test('personal teams are left out by default', () => {
    assert.deepEqual(
      m.teams.map((t) => t.id),
      ['red', 'blue'],
    );
    assert.equal(buildAccessMatrix(snap, { now: NOW, includePersonal: true }).teams.length, 3);
  });

  test('team visibility: own team allowed, the other denied with the reason', () => {
    assert.equal(cell('red', 's-red').status, 'allowed');
    assert.equal(cell('red', 's-blue').status, 'denied');
    assert.ok(
      cell('red', 's-blue').chain.some(
        (s) => s.kind === 'visibility' && s.outcome === 'deny' && /Team Blue only/.test(s.text),
      ),
    );
  });

  test('a team reaches through a token even when no member holds the permission', () => {
    // Bob lacks tools.execute; the admin-owned, unscoped blue token grants it.
    const c = cell('blue', 's-blue', 'echo');
    assert.equal(c.status, 'allowed');
    assert.deepEqual(c.principals, ['token blue-forever']);
    assert.ok(
      c.chain.some((s) => s.kind === 'permission' && s.outcome === 'deny' && /bob@x lacks tools.execute/.test(s.text)),
    );
    assert.ok(!c.principals.includes('admin@x'), 'platform admins are not team principals');
  });

  test('expired tokens do not count; narrowing scopes intersect with the owner', () => {
    const c = cell('red', 's-red', 'echo');
    assert.deepEqual([...c.principals].sort(), ['alice@x', 'token red-ci']);
  });

  test('public server with a team-only tool is partial', () => {
    assert.equal(cell('red', 's-pub').status, 'partial');
    assert.equal(cell('red', 's-pub', 'gzip').status, 'denied');
    assert.equal(cell('red', 's-pub', 'sum').status, 'allowed');
  });

  test('without any principal, cells are denied and membership says so', () => {
    const s = snapshot();
    s.members = s.members.filter((x) => x.teamId !== 'blue' || x.email === 'admin@x');
    s.tokens = [];
    const c = buildAccessMatrix(s, { now: NOW }).cells.find(
      (x) => x.teamId === 'blue' && x.serverId === 's-blue' && !x.toolId,
    )!;
    assert.equal(c.status, 'denied');
    assert.equal(c.chain[0]?.outcome, 'deny');
  });
});

describe('scope findings', () => {
  const snap = snapshot();
  const drafts = evaluateScopeRules(snap, buildAccessMatrix(snap, { now: NOW }), NOW);
  const byRule = (r: string) => drafts.filter((d) => d.ruleId === r);

  test('cross-tenant credential: one bearer upstream reached by both teams', () => {
    const [d] = byRule('scope.cross-tenant-credential');
    assert.ok(d);
    assert.deepEqual(d.teams, ['blue', 'red']);
    assert.equal(d.severity, 'high');
  });

  test('no cross-tenant finding when the upstream needs no credential or one team reaches it', () => {
    const s = snapshot();
    s.upstreams[0]!.authType = 'none';
    assert.equal(
      evaluateScopeRules(s, buildAccessMatrix(s, { now: NOW }), NOW).filter(
        (d) => d.ruleId === 'scope.cross-tenant-credential',
      ).length,
      0,
    );
    const t = snapshot();
    t.servers = t.servers.filter((x) => x.id === 's-red');
    assert.equal(
      evaluateScopeRules(t, buildAccessMatrix(t, { now: NOW }), NOW).filter(
        (d) => d.ruleId === 'scope.cross-tenant-credential',
      ).length,
      0,
    );
  });

  test('public server exposing write tools', () => {
    assert.deepEqual(
      byRule('scope.public-server').map((d) => d.subject.id),
      ['s-pub'],
    );
  });

  test('tokens: no expiry and admin bypass (expired ones ignored)', () => {
    assert.deepEqual(
      byRule('scope.token-no-expiry').map((d) => d.subject.id),
      ['t-blue'],
    );
    const admin = byRule('scope.admin-token');
    assert.deepEqual(
      admin.map((d) => d.subject.id),
      ['t-blue'],
    );
    assert.equal(admin[0]?.severity, 'critical');
  });

  test('broad roles: built-in is low, custom team role is high', () => {
    const roles = byRule('scope.broad-role');
    assert.equal(roles.find((d) => d.subject.id === 'r-admin')?.severity, 'low');
    assert.equal(roles.find((d) => d.subject.id === 'r-custom')?.severity, 'high');
    assert.deepEqual(broadGrants(['tools.read']), []);
    assert.deepEqual(broadGrants(['servers.*']), ['all servers']);
  });

  test('ids are stable and distinct per subject', () => {
    assert.equal(scopeFindingId('scope.admin-token', 'g1', 't'), scopeFindingId('scope.admin-token', 'g1', 't'));
    assert.notEqual(scopeFindingId('scope.admin-token', 'g1', 't'), scopeFindingId('scope.admin-token', 'g2', 't'));
  });
});
