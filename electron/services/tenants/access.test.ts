import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildAccessMatrix, grants } from './access.js';
import { broadGrants, evaluateScopeRules, scopeFindingId } from './findings.js';
import { NOW, snapshot } from './test-snapshot.js';

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
