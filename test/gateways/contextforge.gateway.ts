/**
 * Gateway suite against a live IBM ContextForge (scripts/contextforge/*): adapter, connections and
 * secrets, inventory merge, the access matrix and the scope findings. Skips with a reason when
 * ContextForge is not installed, fails instead when GATEHOUSE_REQUIRE_GATEWAYS=1.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../electron/cli/run.js';
import { createAdminHandlers } from '../../electron/services/admin-service.js';
import { runDiscovery } from '../../electron/services/discovery/handlers.js';
import { ContextForgeAdapter } from '../../electron/services/gateways/contextforge.js';
import { GatewayError } from '../../electron/services/gateways/http.js';
import {
  addGateway,
  fetchGatewayAudit,
  loadSnapshot,
  removeGateway,
  secretKey,
  syncGateway,
  testGateway,
  updateGateway,
} from '../../electron/services/gateways/service.js';
import { accessMatrices, scopeFindings } from '../../electron/services/tenants/service.js';
import { SCOPE_RULE_IDS, type AccessMatrix } from '../../shared/model/tenant.js';
import { gatewaySkipReason, MemorySecretStore, startSeededGateway, testContext, type LiveGateway } from './support.js';

const skip = gatewaySkipReason();

describe('ContextForge gateway (live)', { skip, timeout: 600_000 }, () => {
  let gw: LiveGateway;
  /** Interactive-session admin JWT from start.sh: what an admin pastes into Gatehouse. */
  let adminToken: string;

  before(async () => {
    gw = await startSeededGateway();
    adminToken = (JSON.parse(readFileSync(gw.stateFile, 'utf8')) as { adminToken: string }).adminToken;
  });
  after(async () => {
    await gw?.stop();
  });

  const adapter = (secret: string, pageSize?: number) =>
    new ContextForgeAdapter(
      {
        id: 'g1',
        name: 'cf',
        kind: 'contextforge',
        baseUrl: gw.baseUrl,
        authType: 'bearer',
        secret,
        timeoutMs: 15_000,
      },
      { pageSize },
    );

  describe('adapter', () => {
    test('whoami reports the admin and the gateway version', async () => {
      const me = await adapter(adminToken).whoami();
      assert.equal(me.subject, gw.seed.adminEmail);
      assert.equal(me.isAdmin, true);
      assert.equal(me.version, '1.0.7');
    });

    test('reads the registered upstream with its auth type but never its credential', async () => {
      const ups = await adapter(adminToken).listUpstreams();
      assert.equal(ups.length, 1);
      const up = ups[0]!;
      assert.equal(up.name, 'everything');
      assert.equal(up.authType, 'bearer');
      assert.match(up.url, new RegExp(`:${gw.seed.upstream.port}/mcp$`));
      assert.ok(!JSON.stringify(ups).includes(gw.seed.upstream.token));
    });

    test('pages through tools: page size 4 returns the same set as one page', async () => {
      const small = await adapter(adminToken, 4).listTools();
      const big = await adapter(adminToken).listTools();
      assert.equal(small.length, 13, 'server-everything registers 13 tools');
      assert.deepEqual(small.map((t) => t.id).sort(), big.map((t) => t.id).sort());
      assert.equal(new Set(small.map((t) => t.id)).size, small.length, 'no duplicates across pages');
    });

    test('virtual servers carry tools, team and visibility', async () => {
      const servers = await adapter(adminToken, 2).listVirtualServers();
      const red = servers.find((s) => s.id === gw.seed.servers.red.id);
      assert.ok(red);
      assert.equal(red.teamId, gw.seed.teams.red.id);
      assert.equal(red.visibility, 'team');
      assert.equal(red.toolIds.length, 3);
      assert.equal(servers.find((s) => s.id === gw.seed.servers.shared.id)?.visibility, 'public');
    });

    test('teams, members, roles, assignments and tokens', async () => {
      const a = adapter(adminToken);
      const teams = await a.listTeams();
      assert.ok(teams.some((t) => t.id === gw.seed.teams.red.id && !t.personal));
      const blue = await a.listMembers(gw.seed.teams.blue.id);
      assert.deepEqual(
        blue
          .filter((m) => m.email !== gw.seed.adminEmail)
          .map((m) => [m.email, m.role])
          .sort(),
        [
          ['bob@example.com', 'member'],
          ['carol@example.com', 'owner'],
        ],
      );
      const roles = await a.listRoles();
      assert.ok(roles.some((r) => r.name === 'red-power-user' && r.scope === 'team'));
      const alice = await a.listRoleAssignments(gw.seed.users.alice);
      assert.ok(alice.some((x) => x.roleId === gw.seed.roles.broad.id && x.scopeId === gw.seed.teams.red.id));
      const tokens = await a.listTokens();
      const red = tokens.find((t) => t.id === gw.seed.tokens.aliceRed.id);
      assert.ok(red?.expiresAt, 'red-ci expires');
      assert.deepEqual(red.permissions, ['tools.execute']);
      assert.equal(tokens.find((t) => t.id === gw.seed.tokens.bobBlue.id)?.expiresAt, undefined);
    });

    test('audit trail: records of the seeding, paged', async () => {
      const whole = await adapter(adminToken).listAuditEvents({ limit: 500 });
      assert.ok(whole.length >= 4, `only ${whole.length} audit records`);
      const paged = await adapter(adminToken, 2).listAuditEvents({ limit: 500 });
      assert.deepEqual(paged.map((e) => e.id).sort(), whole.map((e) => e.id).sort());
      const capped = await adapter(adminToken, 2).listAuditEvents({ limit: 3 });
      assert.equal(capped.length, 3);
      const all = await adapter(adminToken).listAuditEvents({ limit: 500, resourceType: ['gateway'] });
      assert.ok(all.some((e) => e.action === 'create_gateway' && e.resourceId === gw.seed.upstream.id));
      assert.ok(all.every((e) => e.resourceType === 'gateway'));
    });

    test('403 names the missing permission; 401 says the credential was rejected', async () => {
      // Alice's team token is scoped to tools.execute: no token administration.
      await assert.rejects(adapter(gw.seed.tokens.aliceRed.value).listTokens(), (err: unknown) => {
        assert.ok(err instanceof GatewayError);
        assert.equal(err.kind, 'forbidden');
        assert.match(err.message, /the token lacks permission .+ for GET \/v1\/tokens\/admin\/all/);
        return true;
      });
      await assert.rejects(adapter('not-a-real-token').listUpstreams(), (err: unknown) => {
        assert.ok(err instanceof GatewayError);
        assert.equal(err.kind, 'unauthorized');
        assert.match(err.message, /rejected the credential/);
        assert.ok(!err.message.includes('not-a-real-token'));
        return true;
      });
    });

    test('an unreachable gateway fails fast with a clear error after retries', async () => {
      const a = new ContextForgeAdapter({
        id: 'x',
        name: 'down',
        kind: 'contextforge',
        baseUrl: 'http://127.0.0.1:9', // discard port: nothing listens
        authType: 'bearer',
        secret: 'x',
        timeoutMs: 2_000,
      });
      await assert.rejects(
        a.listUpstreams(),
        (err: unknown) => err instanceof GatewayError && err.kind === 'unreachable',
      );
    });
  });

  describe('connections, secrets, merge, matrix and findings', () => {
    const secrets = new MemorySecretStore();
    const ctx = testContext(secrets);
    let id = '';
    let matrix: AccessMatrix;

    before(async () => {
      // A workstation client configured with the same upstream (different spelling of loopback).
      const cursorDir = join(ctx.dir, '.cursor');
      mkdirSync(cursorDir, { recursive: true });
      writeFileSync(
        join(cursorDir, 'mcp.json'),
        JSON.stringify({
          mcpServers: { 'everything-direct': { url: `http://127.0.0.1:${gw.seed.upstream.port}/mcp/` } },
        }),
      );
      await runDiscovery(ctx);
    });
    after(() => ctx.db.close());

    test('add stores the credential only in the secret store', async () => {
      const conn = await addGateway(ctx, { name: 'cf', baseUrl: gw.baseUrl + '/', secret: adminToken });
      id = conn.id;
      assert.equal(conn.baseUrl, gw.baseUrl);
      assert.equal(conn.hasCredential, true);
      assert.equal(secrets.values.get(secretKey(id)), adminToken);
      assert.ok(conn.credentialHint && !adminToken.includes(conn.credentialHint.replace('…', '')));
      await assert.rejects(addGateway(ctx, { name: 'cf', baseUrl: gw.baseUrl, secret: 'x' }), /already exists/);
      await assert.rejects(addGateway(ctx, { name: 'nocred', baseUrl: gw.baseUrl }), /credential is required/);
    });

    test('test reports identity and version', async () => {
      const r = await testGateway(ctx, 'cf');
      assert.equal(r.ok, true, r.message);
      assert.equal(r.identity, gw.seed.adminEmail);
      assert.equal(r.missingPermissions, undefined);
    });

    test('a wrong credential is reported as unauthorized, and editing it fixes the connection', async () => {
      await updateGateway(ctx, { id, secret: 'wrong-token-value' });
      const bad = await testGateway(ctx, id);
      assert.equal(bad.status, 'unauthorized');
      await updateGateway(ctx, { id, secret: adminToken });
      assert.equal((await testGateway(ctx, id)).ok, true);
    });

    test('sync stores a snapshot without secrets', async () => {
      const r = await syncGateway(ctx, id);
      assert.equal(r.ok, true, r.message);
      const snap = loadSnapshot(ctx, id);
      assert.ok(snap);
      assert.equal(snap.warnings.length, 0, snap.warnings.join('; '));
      assert.equal(snap.upstreams.length, 1);
      assert.ok(snap.tokens.length >= 3);
    });

    test('inventory: the gateway upstream and the workstation entry on the same URL are one row', async () => {
      const h = createAdminHandlers(ctx);
      const inv = await h['gateways.inventory']({});
      const rows = inv.servers.filter((s) => s.sources.some((x) => x.kind === 'gateway'));
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.deepEqual(row.sources.map((s) => s.kind).sort(), ['gateway', 'workstation']);
      assert.equal(row.tools.length, 13);
      const red = inv.virtualServers.find((v) => v.id === gw.seed.servers.red.id);
      assert.equal(red?.teamName, 'Team Red');
      assert.equal(red?.visibility, 'team');
      assert.deepEqual(red?.tools.map((t) => t.name).sort(), [
        'everything-echo',
        'everything-get-env',
        'everything-get-sum',
      ]);
    });

    test('matrix: own team allowed, other team denied, shared server partial', () => {
      [matrix] = accessMatrices(ctx, id) as [AccessMatrix];
      const { red, blue } = gw.seed.teams;
      const s = gw.seed.servers;
      const cell = (team: string, server: string) =>
        matrix.cells.find((c) => c.teamId === team && c.serverId === server && !c.toolId)!;
      assert.deepEqual(matrix.teams.map((t) => t.name).sort(), ['Team Blue', 'Team Red']);
      assert.equal(cell(red.id, s.red.id).status, 'allowed');
      assert.equal(cell(red.id, s.blue.id).status, 'denied');
      assert.equal(cell(blue.id, s.blue.id).status, 'allowed');
      assert.equal(cell(blue.id, s.red.id).status, 'denied');
      assert.equal(cell(red.id, s.shared.id).status, 'partial');
      assert.ok(cell(red.id, s.red.id).principals.includes('alice@example.com'));
      assert.ok(cell(red.id, s.red.id).principals.includes('token red-ci'));
      assert.ok(
        !cell(red.id, s.red.id).principals.includes(gw.seed.adminEmail),
        'platform admins are not team principals',
      );
    });

    test('why: the chain names membership, role, permission, visibility and token', () => {
      const { red } = gw.seed.teams;
      const tool = matrix.cells.find((c) => c.teamId === red.id && c.serverId === gw.seed.servers.red.id && c.toolId)!;
      assert.equal(tool.status, 'allowed');
      const kinds = new Set(tool.chain.map((s) => s.kind));
      for (const k of ['membership', 'role', 'permission', 'visibility', 'token'] as const) assert.ok(kinds.has(k), k);
      const denied = matrix.cells.find(
        (c) => c.teamId === red.id && c.serverId === gw.seed.servers.blue.id && !c.toolId,
      )!;
      assert.ok(
        denied.chain.some((s) => s.kind === 'visibility' && s.outcome === 'deny' && /Team Blue only/.test(s.text)),
      );
    });

    test('findings: every scope rule fires on the seeded gateway, with stable ids', async () => {
      const first = scopeFindings(ctx, id);
      const rules = new Set(first.map((f) => f.ruleId));
      // auth.static needs a gateway that offers SSO: proven in sso.gateway.ts
      for (const r of SCOPE_RULE_IDS.filter((id) => id.startsWith('scope.'))) assert.ok(rules.has(r), `missing ${r}`);
      const cross = first.find((f) => f.ruleId === 'scope.cross-tenant-credential')!;
      assert.equal(cross.subject.id, gw.seed.upstream.id);
      assert.deepEqual([...cross.teams].sort(), [gw.seed.teams.red.id, gw.seed.teams.blue.id].sort());
      assert.ok(first.some((f) => f.ruleId === 'scope.admin-token' && f.subject.id === gw.seed.tokens.admin.id));
      assert.ok(first.some((f) => f.ruleId === 'scope.token-no-expiry' && f.subject.id === gw.seed.tokens.bobBlue.id));
      assert.ok(
        !first.some((f) => f.ruleId === 'scope.token-no-expiry' && f.subject.id === gw.seed.tokens.aliceRed.id),
      );
      assert.ok(
        first.some(
          (f) => f.ruleId === 'scope.broad-role' && f.subject.id === gw.seed.roles.broad.id && f.severity === 'high',
        ),
      );
      assert.ok(first.some((f) => f.ruleId === 'scope.public-server' && f.subject.id === gw.seed.servers.shared.id));
      await syncGateway(ctx, id);
      const second = scopeFindings(ctx, id);
      assert.deepEqual(second.map((f) => f.id).sort(), first.map((f) => f.id).sort());
      assert.deepEqual(
        second.map((f) => [f.id, f.firstSeen]).sort(),
        first.map((f) => [f.id, f.firstSeen]).sort(),
        'first-seen survives re-sync',
      );
    });

    test('audit fetch for the audit capability', async () => {
      const events = await fetchGatewayAudit(ctx, 'cf', { limit: 50, action: ['create_server'] });
      assert.ok(events.length >= 3);
      assert.ok(events.every((e) => e.action === 'create_server'));
    });

    test('no credential in the store file or in any API response', async () => {
      const h = createAdminHandlers(ctx);
      const outputs = [
        await h['gateways.list']({}),
        await h['gateways.snapshot']({ id }),
        await h['gateways.inventory']({}),
        await h['gateways.access']({}),
        await h['gateways.findings']({}),
        await h['gateways.test']({ id }),
        await h['gateways.sync']({ id }),
        await h['gateways.audit']({ id, limit: 100 }),
      ];
      const secretsToHide = [
        adminToken,
        gw.seed.upstream.token,
        gw.seed.tokens.aliceRed.value,
        gw.seed.tokens.bobBlue.value,
        gw.seed.adminApiToken,
      ];
      const text = JSON.stringify(outputs);
      ctx.db.exec('PRAGMA wal_checkpoint(FULL)');
      const files = readdirSync(ctx.dir).filter((f) => f.startsWith('gatehouse.db'));
      for (const s of secretsToHide) {
        assert.ok(!text.includes(s), 'a credential leaked into an API response');
        for (const f of files) assert.ok(!readFileSync(join(ctx.dir, f)).includes(s), `a credential is in ${f}`);
      }
    });

    test('remove deletes the credential and the snapshot', async () => {
      assert.equal(await removeGateway(ctx, 'cf'), true);
      assert.equal(secrets.values.has(secretKey(id)), false);
      assert.equal(loadSnapshot(ctx, id), null);
    });
  });

  describe('CLI', () => {
    test('gateway add/list/test/sync/findings/remove and discover --gateway', async () => {
      const ctx = testContext();
      ctx.db.close();
      const state = ctx.dir;
      const run = async (...argv: string[]) => {
        let out = '';
        let err = '';
        const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
        return { code, out, err };
      };
      process.env.GH_TEST_CF_TOKEN = adminToken;
      try {
        const add = await run(
          'gateway',
          'add',
          'cf',
          '--url',
          gw.baseUrl,
          '--token-env',
          'GH_TEST_CF_TOKEN',
          '--state',
          state,
        );
        assert.equal(add.code, 0, add.err);
        const list = await run('gateway', 'list', '--state', state, '--format', 'json');
        assert.equal(list.code, 0, list.err);
        assert.equal((JSON.parse(list.out) as { name: string }[])[0]?.name, 'cf');
        assert.equal((await run('gateway', 'test', 'cf', '--state', state)).code, 0);
        const sync = await run('gateway', 'sync', 'cf', '--state', state);
        assert.equal(sync.code, 0, sync.out + sync.err);
        const findings = await run('gateway', 'findings', '--state', state, '--format', 'json');
        assert.ok(
          (JSON.parse(findings.out) as { ruleId: string }[]).some((f) => f.ruleId === 'scope.cross-tenant-credential'),
        );
        const home = join(state, 'home');
        mkdirSync(home);
        const disc = await run('discover', '--home', home, '--gateway', 'cf', '--state', state, '--format', 'json');
        assert.equal(disc.code, 0, disc.err);
        const doc = JSON.parse(disc.out) as { gateways: { inventory: { virtualServers: unknown[] } } };
        assert.equal(doc.gateways.inventory.virtualServers.length, 3);
        const scan = await run('scan', '--home', home, '--gateway', 'cf', '--state', state, '--format', 'json');
        assert.equal(scan.code, 1, `high scope findings fail the scan at the default --fail-on high: ${scan.err}`);
        const scanDoc = JSON.parse(scan.out) as { gateways: { findings: { ruleId: string }[] } };
        assert.ok(scanDoc.gateways.findings.some((f) => f.ruleId === 'scope.admin-token'));
        const lenient = await run('scan', '--home', home, '--gateway', 'cf', '--state', state, '--fail-on', 'critical');
        assert.equal(lenient.code, 1, 'the unscoped admin token without expiry is critical');
        assert.match(lenient.out, /Gateway scope findings/);
        for (const r of [add, list, sync, findings, disc, scan, lenient])
          assert.ok(!(r.out + r.err).includes(adminToken));
        const files = readdirSync(state).filter((f) => f.startsWith('gatehouse.db'));
        for (const f of files) assert.ok(!readFileSync(join(state, f)).includes(adminToken), `token in ${f}`);
        assert.equal((await run('gateway', 'remove', 'cf', '--state', state)).code, 0);
        assert.equal((await run('gateway', 'test', 'cf', '--state', state)).code, 2);
      } finally {
        delete process.env.GH_TEST_CF_TOKEN;
      }
    });
  });
});
