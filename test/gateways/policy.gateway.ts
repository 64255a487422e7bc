/**
 * Policy pull / plan / push / rollback against a live IBM ContextForge (scripts/contextforge/*).
 * Skips with a reason when ContextForge is not installed, fails instead when GATEHOUSE_REQUIRE_GATEWAYS=1.
 * Each test edits its own objects and leaves the gateway as the seed made it.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { adminLogEntriesAfter, verifyAdminLog } from '../../electron/services/audit/admin-log.js';
import { ContextForgeAdapter } from '../../electron/services/gateways/contextforge.js';
import { ContextForgeWriter } from '../../electron/services/gateways/contextforge-write.js';
import { policyFromSnapshot } from '../../electron/services/policy/from-snapshot.js';
import { planChanges } from '../../electron/services/policy/plan.js';
import { pushPolicy, rollbackPolicy, type PushDeps } from '../../electron/services/policy/push.js';
import { getVersion, listVersions, policyHash, saveVersion } from '../../electron/services/policy/versions.js';
import type { GatewayTarget } from '../../electron/services/gateways/adapter.js';
import type { GatewaySnapshot } from '../../shared/model/gateway.js';
import { PolicyDocument } from '../../shared/model/policy.js';
import {
  adminApi,
  gatewaySkipReason,
  memberTools,
  startSeededGateway,
  testContext,
  type LiveGateway,
} from './support.js';

const skip = gatewaySkipReason();

describe('policy push (live ContextForge)', { skip, timeout: 600_000 }, () => {
  let gw: LiveGateway;
  let adminToken: string;
  const ctx = testContext();

  before(async () => {
    gw = await startSeededGateway();
    adminToken = (JSON.parse(readFileSync(gw.stateFile, 'utf8')) as { adminToken: string }).adminToken;
  });
  after(async () => {
    ctx.db.close();
    await gw?.stop();
  });

  const target = (baseUrl = gw.baseUrl): GatewayTarget => ({
    id: 'g1',
    name: 'cf',
    kind: 'contextforge',
    baseUrl,
    authType: 'bearer',
    secret: adminToken,
    timeoutMs: 15_000,
  });
  const deps = (baseUrl?: string): PushDeps => ({
    adapter: new ContextForgeAdapter(target(baseUrl)),
    writer: new ContextForgeWriter(target(baseUrl)),
    db: ctx.db,
    clock: ctx.clock,
    actor: 'policy-test',
  });
  const pull = async (): Promise<{ snap: GatewaySnapshot; doc: PolicyDocument }> => {
    const snap = await new ContextForgeAdapter(target()).snapshot();
    return { snap, doc: policyFromSnapshot(snap) };
  };
  const api = (method: string, path: string, body?: unknown) => adminApi(gw.baseUrl, adminToken)(method, path, body);
  const mcpTools = (email: string, teamId: string, serverId: string) =>
    memberTools(gw.baseUrl, adminToken, { email, teamId, serverId });

  test('pull → plan against the same gateway is zero changes; YAML round trip keeps the document', async () => {
    const { snap, doc } = await pull();
    assert.ok(doc.teams.some((t) => t.name === 'Team Red' && t.members.some((m) => m.email === gw.seed.users.alice)));
    assert.ok(doc.roles.some((r) => r.name === 'red-power-user'));
    assert.ok(!doc.roles.some((r) => r.name === 'platform_admin'), 'system roles are not redefined');
    assert.deepEqual(planChanges(doc, snap).changes, []);
    const reparsed = PolicyDocument.parse(YAML.parse(YAML.stringify(doc)));
    assert.equal(policyHash(reparsed), policyHash(doc));
    assert.deepEqual(planChanges(reparsed, snap).changes, []);
  });

  test('edit → push → verified through REST and a team token’s MCP tools/list → rollback restores the exact prior state', async () => {
    const { snap: base, doc: before } = await pull();
    const pulled = saveVersion(ctx.db, ctx.clock, {
      doc: before,
      author: 'policy-test',
      message: 'pulled',
      origin: 'pull',
      gatewayId: 'g1',
      gatewayName: 'cf',
      changes: 0,
    });
    const logSeq = adminLogEntriesAfter(ctx.db, 0, 100_000).length;
    const draft = structuredClone(before);
    const red = draft.servers.find((s) => s.name === 'red-tools')!;
    red.tools = red.tools.filter((t) => t !== 'everything-get-env');
    draft.teams.find((t) => t.name === 'Team Red')!.members.push({ email: gw.seed.users.bob, role: 'member' });
    draft.servers.find((s) => s.name === 'blue-tools')!.visibility = 'public';
    draft.roles.push({ name: 'policy-auditor', scope: 'team', permissions: ['tools.read', 'servers.use'] });
    draft.assignments.push({ user: gw.seed.users.bob, role: 'policy-auditor', team: 'Team Red' });

    const dry = await pushPolicy(deps(), {
      draft,
      gatewayId: 'g1',
      gatewayName: 'cf',
      baseSnapshot: base,
      message: 'dry',
      dryRun: true,
    });
    assert.equal(dry.status, 'dry-run');
    assert.deepEqual(
      dry.plan.changes.map((c) => `${c.op} ${c.key}`),
      [
        'create role:policy-auditor',
        `create team:Team Red/member:${gw.seed.users.bob}`,
        `create assignment:${gw.seed.users.bob}/policy-auditor@Team Red`,
        'update server:blue-tools',
        'update server:red-tools',
      ],
    );
    assert.deepEqual((await pull()).doc, before, 'dry run wrote nothing');

    const res = await pushPolicy(deps(), {
      draft,
      gatewayId: 'g1',
      gatewayName: 'cf',
      baseSnapshot: base,
      message: 'tighten red',
      dryRun: false,
    });
    assert.equal(res.status, 'applied', res.message);
    assert.equal(res.verified, true);
    assert.ok(res.requests > 0 && res.durationMs > 0);
    assert.equal(res.versionHash, policyHash(draft));

    // The gateway's own REST, not our adapter's reading of it.
    const redServer = (await api('GET', `/v1/servers/${gw.seed.servers.red.id}`)) as { associatedTools: string[] };
    assert.deepEqual([...redServer.associatedTools].sort(), ['everything-echo', 'everything-get-sum']);
    const blueServer = (await api('GET', `/v1/servers/${gw.seed.servers.blue.id}`)) as { visibility: string };
    assert.equal(blueServer.visibility, 'public');
    const members = (await api('GET', `/v1/teams/${gw.seed.teams.red.id}/members`)) as Array<{ user_email: string }>;
    assert.ok(members.some((m) => m.user_email === gw.seed.users.bob));
    const roles = (await api('GET', '/v1/rbac/roles')) as Array<{ id: string; name: string }>;
    const auditor = roles.find((r) => r.name === 'policy-auditor');
    assert.ok(auditor);
    const bobRoles = (await api('GET', `/v1/rbac/users/${encodeURIComponent(gw.seed.users.bob)}/roles`)) as Array<{
      role_id: string;
      scope_id: string;
    }>;
    assert.ok(bobRoles.some((r) => r.role_id === auditor.id && r.scope_id === gw.seed.teams.red.id));

    // What a member actually gets: alice and (newly) bob list red-tools through MCP with team tokens.
    assert.deepEqual(await mcpTools(gw.seed.users.alice, gw.seed.teams.red.id, gw.seed.servers.red.id), [
      'everything-echo',
      'everything-get-sum',
    ]);
    assert.deepEqual(await mcpTools(gw.seed.users.bob, gw.seed.teams.red.id, gw.seed.servers.red.id), [
      'everything-echo',
      'everything-get-sum',
    ]);

    // Rollback = push the pulled version through the same checks.
    const { snap: now } = await pull();
    const back = await rollbackPolicy(deps(), {
      hash: pulled.hash.slice(0, 10),
      gatewayId: 'g1',
      gatewayName: 'cf',
      baseSnapshot: now,
      message: '',
      dryRun: false,
    });
    assert.equal(back.status, 'applied', back.message);
    assert.equal(back.verified, true);
    assert.deepEqual((await pull()).doc, before, 'rollback restores the pulled document exactly');
    assert.ok(
      !((await api('GET', '/v1/rbac/roles')) as Array<{ name: string }>).some((r) => r.name === 'policy-auditor'),
    );
    assert.deepEqual(await mcpTools(gw.seed.users.alice, gw.seed.teams.red.id, gw.seed.servers.red.id), [
      'everything-echo',
      'everything-get-env',
      'everything-get-sum',
    ]);

    // Versions and the admin log.
    const versions = listVersions(ctx.db, 'g1');
    assert.deepEqual(
      versions.slice(0, 3).map((v) => v.origin),
      ['rollback', 'push', 'pull'],
    );
    assert.equal(versions[0]!.hash, pulled.hash);
    assert.equal(versions[1]!.parent, pulled.hash);
    assert.equal(
      getVersion(ctx.db, res.versionHash!.slice(0, 8)).document.roles.some((r) => r.name === 'policy-auditor'),
      true,
    );
    const log = adminLogEntriesAfter(ctx.db, logSeq, 100);
    const push = log.find((e) => e.action === 'policy.push');
    const rollback = log.find((e) => e.action === 'policy.rollback');
    assert.ok(push && rollback);
    assert.equal(push.actor, 'policy-test');
    assert.equal(push.target, 'cf');
    assert.equal(push.details.versionHash, res.versionHash);
    assert.equal(push.details.changes, 5);
    assert.equal(rollback.details.versionHash, pulled.hash);
    assert.equal(rollback.details.changes, 5);
    assert.ok(!JSON.stringify(log).includes(adminToken), 'no credential in the admin log');
    assert.equal(verifyAdminLog(ctx.db).ok, true);
  });

  test('a change made on the gateway between pull and push is refused as a conflict; nothing is written', async () => {
    const { snap: base, doc: before } = await pull();
    const draft = structuredClone(before);
    draft.servers.find((s) => s.name === 'red-tools')!.tools = ['everything-echo'];
    draft.teams.find((t) => t.name === 'Team Blue')!.members.push({ email: gw.seed.users.alice, role: 'member' });
    // Someone edits the server directly after our pull.
    await api('PUT', `/v1/servers/${gw.seed.servers.red.id}`, { description: 'edited behind our back' });
    const between = await pull();
    const res = await pushPolicy(deps(), {
      draft,
      gatewayId: 'g1',
      gatewayName: 'cf',
      baseSnapshot: base,
      message: 'x',
      dryRun: false,
    });
    assert.equal(res.status, 'conflict', res.message);
    assert.equal(res.ok, false);
    assert.equal(res.conflicts.length, 1);
    const c = res.conflicts[0]!;
    assert.equal(c.key, 'server:red-tools');
    assert.equal((c.base as { description: string }).description, 'Team Red tools');
    assert.equal((c.live as { description: string }).description, 'edited behind our back');
    assert.deepEqual((c.draft as { tools: string[] }).tools, ['everything-echo']);
    assert.deepEqual((await pull()).doc, between.doc, 'nothing was written (not even the unconflicted member)');
    await api('PUT', `/v1/servers/${gw.seed.servers.red.id}`, { description: 'Team Red tools' });
    assert.deepEqual((await pull()).doc, before);
  });

  test('a write failing mid-push is compensated: the gateway is exactly as before the push', async () => {
    const { snap: base, doc: before } = await pull();
    const draft = structuredClone(before);
    draft.roles.push({ name: 'policy-temp', scope: 'team', permissions: ['tools.read'] });
    draft.teams.find((t) => t.name === 'Team Blue')!.members.push({ email: gw.seed.users.alice, role: 'member' });
    draft.assignments.push({ user: gw.seed.users.alice, role: 'policy-temp', team: 'Team Blue' });
    draft.teams.find((t) => t.name === 'Team Blue')!.members.find((m) => m.email === gw.seed.users.carol)!.role =
      'member';
    draft.servers.find((s) => s.name === 'blue-tools')!.tools = ['everything-echo'];
    draft.servers.find((s) => s.name === 'shared-utilities')!.enabled = false;
    const proxy = await failingProxy(gw.baseUrl, 5);
    try {
      const res = await pushPolicy(deps(proxy.url), {
        draft,
        gatewayId: 'g1',
        gatewayName: 'cf',
        baseSnapshot: base,
        message: 'x',
        dryRun: false,
      });
      assert.equal(res.status, 'rolled-back', res.message);
      assert.equal(res.ok, false);
      assert.deepEqual(
        res.steps.map((s) => s.status),
        ['compensated', 'compensated', 'compensated', 'compensated', 'failed', 'skipped'],
      );
      assert.match(res.steps[4]!.error ?? '', /500/);
      assert.ok(proxy.writes() > 5);
    } finally {
      await proxy.close();
    }
    assert.deepEqual((await pull()).doc, before, 'compensation restored every object');
  });
});

/** A loopback proxy in front of the gateway that answers 500 to the Nth write (non-GET). */
async function failingProxy(
  upstream: string,
  n: number,
): Promise<{ url: string; writes: () => number; close: () => Promise<void> }> {
  const up = new URL(upstream);
  let writes = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && ++writes === n) {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"detail":"injected failure"}');
      return;
    }
    const fwd = httpRequest(
      {
        host: up.hostname,
        port: up.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: up.host },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    fwd.on('error', () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    writes: () => writes,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
