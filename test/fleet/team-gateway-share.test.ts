import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { adminMethods } from '../../shared/api/contract.js';
import { main } from '../../electron/cli/run.js';
import { AdminError } from '../../shared/api/errors.js';
import { createAdminHandlers } from '../../electron/services/admin-service.js';
import type { ServiceContext } from '../../electron/services/context.js';
import { createNodeContext } from '../../electron/node/runtime.js';
import { openNodeSecretStore } from '../../electron/node/secret-store.js';
import { DATABASE_URL_SECRET } from '../../electron/services/fleet/handlers.js';
import { verifyAdminLog, type TeamStore } from '../../electron/services/fleet/store.js';
import { secretKey, targetFor } from '../../electron/services/gateways/service.js';
import { CONSOLE_KEY, saveSignIn } from '../../electron/services/identity/sessions.js';
import { closeTeamStates } from '../../electron/services/team-state/open.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';
import { createTeamStore } from '../support/team-store.js';
import { viaContract } from '../support/contract-call.js';

/**
 * Sharing a gateway added before the team store (real PostgreSQL): alice's local-only connection is
 * marked as such once she configures the team store; the preview shows exactly the settings that
 * would go there and writes nothing; sharing puts them (never her token) in the team store with a
 * team admin-log entry; bob sees it and adds his own token; carol's local gateway of the same name
 * with another URL is a conflict naming alice; dave's identical one joins the team row (his token
 * moves with it); undo at a stale version is a conflict, at the current one it takes the gateway
 * out of the team store and alice keeps it locally with her token.
 */

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;
const PW = 'gateway-share-pw-7Tb';
const ALICE_TOKEN = 'cf-alice-share-token-91c2e0aa6d';
const DAVE_TOKEN = 'cf-dave-share-token-3b7f10e5c4';

function context(root: string, stateDir: string, now: Date): ServiceContext {
  const base = createNodeContext({
    stateDir,
    mode: 'browser',
    workstation: { home: join(root, 'home'), platform: 'linux', projects: [], systemRoot: join(root, 'none'), env: {} },
    secrets: openNodeSecretStore(stateDir, { keyring: null }),
  });
  return { ...base, clock: { now: () => now } };
}

function call<K extends keyof typeof adminMethods>(ctx: ServiceContext, method: K, input: unknown) {
  return viaContract(createAdminHandlers(ctx), method, input);
}

const LOCAL = {
  name: 'cf-legacy',
  baseUrl: 'https://cf-legacy.example.test/',
  authType: 'bearer',
  caFile: undefined,
  timeoutMs: 9000,
};

describe('sharing a local-only gateway with the team (real PostgreSQL)', { skip }, () => {
  let root: string;
  let owner: TeamStore;
  const ctxs: Record<string, ServiceContext> = {};
  const teamRows = () =>
    owner.withClient((c) =>
      c.query<{ id: string; name: string; row: string }>(
        'SELECT id, name, row_to_json(t)::text AS row FROM team_gateway_settings t ORDER BY name',
      ),
    );
  const useTeamStore = (name: string) =>
    ctxs[name]!.secrets.set(DATABASE_URL_SECRET, cluster.url('team_share', name, PW));
  const addLocal = (name: string, input: Record<string, unknown>) =>
    call(ctxs[name]!, 'gateways.add', { ...LOCAL, ...input });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-team-share-'));
    owner = await createTeamStore(cluster, 'team_share', { password: PW, admins: ['alice', 'bob', 'carol', 'dave'] });
    for (const r of ['alice', 'bob', 'carol', 'dave']) {
      ctxs[r] = context(root, join(root, `state-${r}`), new Date('2026-11-30T09:00:00Z'));
      // Each admin signed in to the console: the admin log names them (not the shared OS account).
      await saveSignIn(ctxs[r], CONSOLE_KEY, {
        tokens: { accessToken: `console-token-${r}` },
        identity: { issuer: 'https://idp.example.test', subject: r, email: `${r}@team.test` },
      });
    }
  });
  after(async () => {
    await closeTeamStates();
    await owner?.close();
    for (const ctx of Object.values(ctxs)) ctx.db.close();
    if (root) await rm(root, { recursive: true, force: true });
    await cluster.stop();
  });

  it('a gateway added before the team store stays local-only and is marked so once one is configured', async () => {
    const gw = await addLocal('alice', { secret: ALICE_TOKEN });
    assert.equal(gw.localOnly, undefined, 'no team store yet: nothing to mark');
    await useTeamStore('alice');
    const [listed] = await call(ctxs.alice!, 'gateways.list', {});
    assert.equal(listed!.localOnly, true);
    assert.equal(listed!.team, undefined);
    assert.equal((await teamRows()).rows.length, 0, 'configuring the team store shares nothing by itself');
  });

  it('the preview shows exactly the settings that would go to the team store, and writes nothing', async () => {
    const p = await call(ctxs.alice!, 'gateways.share', { id: 'cf-legacy' });
    assert.equal(p.done, false);
    assert.deepEqual(p.settings, {
      name: 'cf-legacy',
      kind: 'contextforge',
      baseUrl: 'https://cf-legacy.example.test',
      authType: 'bearer',
      timeoutMs: 9000,
    });
    assert.deepEqual(p.credential, { stored: true, secretStore: ctxs.alice!.secrets.kind });
    assert.match(p.teamStore, /team_share/);
    assert.ok(!p.teamStore.includes(PW), 'team store shown with its password masked');
    assert.ok(!JSON.stringify(p).includes(ALICE_TOKEN), 'no token in the preview');
    assert.equal((await teamRows()).rows.length, 0);
  });

  it('sharing puts the settings (never the token) in the team store, with a team admin-log entry', async () => {
    const r = await call(ctxs.alice!, 'gateways.share', { id: 'cf-legacy', mode: 'share' });
    assert.equal(r.done, true);
    assert.equal(r.gateway.localOnly, undefined);
    assert.equal(r.gateway.team?.version, 'r1');
    assert.equal(r.gateway.hasCredential, true, 'alice keeps her token');
    const rows = (await teamRows()).rows;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.id, r.gateway.id, 'the team row keeps the connection id');
    const row = JSON.parse(rows[0]!.row) as Record<string, unknown>;
    assert.equal(row.base_url, 'https://cf-legacy.example.test');
    assert.equal(row.auth_type, 'bearer');
    assert.equal(row.timeout_ms, 9000);
    assert.ok(!rows[0]!.row.includes(ALICE_TOKEN) && !rows[0]!.row.includes(ALICE_TOKEN.slice(-4)), 'no credential');
    assert.equal(await ctxs.alice!.secrets.get(secretKey(r.gateway.id)), ALICE_TOKEN);
    const log = await owner.withClient((c) =>
      c.query<{ actor: string; action: string; target: string; detail: Record<string, unknown> }>(
        `SELECT actor, action, target, detail FROM admin_log WHERE action LIKE 'gateway.%' ORDER BY id`,
      ),
    );
    assert.deepEqual(
      log.rows.map((x) => [x.action, x.target]),
      [['gateway.share', 'cf-legacy']],
    );
    assert.equal(log.rows[0]!.detail.baseUrl, 'https://cf-legacy.example.test');
    assert.equal(log.rows[0]!.detail.credentialStaysLocal, true);
    assert.ok(!JSON.stringify(log.rows).includes(ALICE_TOKEN));
    // Sharing twice is refused plainly.
    await assert.rejects(call(ctxs.alice!, 'gateways.share', { id: 'cf-legacy', mode: 'share' }), /already shared/);
  });

  it('bob sees the shared gateway without a token: "add your own token"', async () => {
    await useTeamStore('bob');
    const [gw] = await call(ctxs.bob!, 'gateways.list', {});
    assert.equal(gw?.name, 'cf-legacy');
    assert.equal(gw.hasCredential, false);
    assert.equal(gw.localOnly, undefined);
    assert.equal(gw.team?.version, 'r1');
  });

  it("carol's local gateway of that name with another URL: the share is a conflict naming the team's", async () => {
    await addLocal('carol', { baseUrl: 'https://cf-other.example.test', secret: 'cf-carol-token-0000aaaa' });
    await useTeamStore('carol');
    const [mine] = await call(ctxs.carol!, 'gateways.list', {});
    assert.equal(mine!.localOnly, true, "the team's row of that name is not cached over hers");
    for (const mode of ['preview', 'share'] as const)
      await assert.rejects(call(ctxs.carol!, 'gateways.share', { id: 'cf-legacy', mode }), (err: unknown) => {
        assert.ok(err instanceof AdminError);
        assert.equal(err.code, 'conflict');
        assert.match(
          err.message,
          /^The team store already has a gateway named "cf-legacy" \(set by alice@team\.test .+ at .+\) with other settings: base URL "https:\/\/cf-legacy\.example\.test" there, "https:\/\/cf-other\.example\.test" here/,
        );
        return true;
      });
    assert.equal((await teamRows()).rows.length, 1, 'nothing changed in the team store');
  });

  it("dave's identical local gateway joins the team row; his token moves with it", async () => {
    const local = await addLocal('dave', { secret: DAVE_TOKEN });
    await useTeamStore('dave');
    const p = await call(ctxs.dave!, 'gateways.share', { id: 'cf-legacy' });
    assert.match(p.joins?.updatedBy ?? '', /^alice@team\.test /);
    const r = await call(ctxs.dave!, 'gateways.share', { id: 'cf-legacy', mode: 'share' });
    const teamId = (await teamRows()).rows[0]!.id;
    assert.equal(r.gateway.id, teamId);
    assert.equal(r.gateway.team?.version, 'r1', 'the team row is unchanged');
    assert.equal(await ctxs.dave!.secrets.get(secretKey(teamId)), DAVE_TOKEN);
    assert.equal(await ctxs.dave!.secrets.get(secretKey(local.id)), null);
    assert.deepEqual(
      (await call(ctxs.dave!, 'gateways.list', {})).map((g) => [g.name, g.hasCredential, !!g.team]),
      [['cf-legacy', true, true]],
    );
  });

  it('undo: at a stale version a conflict naming who changed it; at the current one the gateway is local-only again', async () => {
    const [seen] = await call(ctxs.alice!, 'gateways.list', {});
    await call(ctxs.bob!, 'gateways.update', { id: 'cf-legacy', timeoutMs: 12000, expectedVersion: 'r1' });
    await assert.rejects(
      call(ctxs.alice!, 'gateways.share', { id: 'cf-legacy', mode: 'unshare', expectedVersion: seen!.team!.version }),
      (err: unknown) => {
        assert.ok(err instanceof AdminError);
        assert.equal(err.code, 'conflict');
        assert.match(err.message, /^Gateway "cf-legacy" was changed by bob@team\.test .+ at .+ since you loaded it/);
        return true;
      },
    );
    assert.equal((await teamRows()).rows.length, 1, 'still shared');
    const [fresh] = await call(ctxs.alice!, 'gateways.list', {});
    const r = await call(ctxs.alice!, 'gateways.share', {
      id: 'cf-legacy',
      mode: 'unshare',
      expectedVersion: fresh!.team!.version,
    });
    assert.equal(r.gateway.localOnly, true);
    assert.equal(r.gateway.hasCredential, true, 'alice keeps her token');
    assert.equal(r.gateway.timeoutMs, 12000, "bob's change is what she keeps");
    assert.equal((await teamRows()).rows.length, 0);
    assert.deepEqual(await call(ctxs.bob!, 'gateways.list', {}), [], 'gone from the other admins');
    assert.equal((await call(ctxs.alice!, 'gateways.list', {}))[0]?.localOnly, true, 'a refresh keeps it here');
    const log = await owner.withClient((c) =>
      c.query<{ action: string; actor: string }>(
        `SELECT action, actor FROM admin_log WHERE action LIKE 'gateway.%' ORDER BY id`,
      ),
    );
    assert.deepEqual(
      log.rows.map((x) => [x.action, x.actor.split(' ')[0]]),
      [
        ['gateway.share', 'alice@team.test'],
        ['gateway.share', 'dave@team.test'],
        ['gateway.update', 'bob@team.test'],
        ['gateway.unshare', 'alice@team.test'],
      ],
    );
    assert.equal(await owner.withClient((c) => verifyAdminLog(c)), null);
  });
  it('CLI: `gatehouse gateway share NAME` previews, shares with --yes, and --undo takes it back', async () => {
    const state = join(root, 'state-cli');
    const saved = { url: process.env.GATEHOUSE_DATABASE_URL, token: process.env.GH_SHARE_TOKEN };
    const run = async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await main([...args, '--state', state], {
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
      });
      return { code, stdout, stderr };
    };
    try {
      process.env.GH_SHARE_TOKEN = 'cf-cli-share-token-77aa01';
      delete process.env.GATEHOUSE_DATABASE_URL;
      const add = await run(
        'gateway',
        'add',
        'cf-cli',
        '--url',
        'https://cf-cli.example.test',
        '--token-env',
        'GH_SHARE_TOKEN',
      );
      assert.equal(add.code, 0, add.stderr);
      process.env.GATEHOUSE_DATABASE_URL = cluster.url('team_share', 'alice', PW);
      const preview = await run('gateway', 'share', 'cf-cli', '--dry-run');
      assert.equal(preview.code, 0, preview.stderr);
      assert.match(
        preview.stdout,
        /Sharing gateway cf-cli puts these settings in the team store postgres:\/\/alice:\*\*\*\*@/,
      );
      assert.match(preview.stdout, /baseUrl\s+https:\/\/cf-cli\.example\.test/);
      assert.match(preview.stdout, /The token is not shared: it stays in this workstation's secret store/);
      assert.ok(!preview.stdout.includes('cf-cli-share-token') && !preview.stdout.includes(PW));
      assert.ok(!(await teamRows()).rows.some((r) => r.name === 'cf-cli'), 'a dry run writes nothing');
      const shared = await run('gateway', 'share', 'cf-cli', '--yes');
      assert.equal(shared.code, 0, shared.stderr);
      assert.match(shared.stdout, /Shared gateway cf-cli with the team \(team version r1\)/);
      const row = (await teamRows()).rows.find((r) => r.name === 'cf-cli');
      assert.ok(row && !row.row.includes('cf-cli-share-token'));
      const again = await run('gateway', 'share', 'cf-cli', '--yes');
      assert.equal(again.code, 2);
      assert.match(again.stderr, /gatehouse gateway share: Gateway "cf-cli" is already shared with the team/);
      const undo = await run('gateway', 'share', 'cf-cli', '--undo', '--yes');
      assert.equal(undo.code, 0, undo.stderr);
      assert.ok(!(await teamRows()).rows.some((r) => r.name === 'cf-cli'));
    } finally {
      if (saved.url === undefined) delete process.env.GATEHOUSE_DATABASE_URL;
      else process.env.GATEHOUSE_DATABASE_URL = saved.url;
      if (saved.token === undefined) delete process.env.GH_SHARE_TOKEN;
      else process.env.GH_SHARE_TOKEN = saved.token;
    }
  });
  it("another admin moving a shared gateway to another origin does not take this workstation's token there", async () => {
    const PINNED = 'cf-pinned-token-5d1e88a0c3';
    await call(ctxs.alice!, 'gateways.add', {
      ...LOCAL,
      name: 'cf-pinned',
      baseUrl: 'https://cf-pinned.example.test',
      secret: PINNED,
    });
    // Added with the team store configured: a team gateway (settings shared, token local).
    assert.equal((await targetFor(ctxs.alice!, 'cf-pinned')).secret, PINNED, 'her token serves her own URL');
    // bob holds no token for it, so moving it elsewhere is allowed for him.
    await call(ctxs.bob!, 'gateways.list', {});
    await call(ctxs.bob!, 'gateways.update', { id: 'cf-pinned', baseUrl: 'https://collector.example.test' });
    const [moved] = (await call(ctxs.alice!, 'gateways.list', {})).filter((g) => g.name === 'cf-pinned');
    assert.equal(moved!.baseUrl, 'https://collector.example.test');
    await assert.rejects(targetFor(ctxs.alice!, 'cf-pinned'), (err: unknown) => {
      assert.ok(err instanceof AdminError);
      assert.match(err.message, /cf-pinned\.example\.test/);
      assert.match(err.message, /collector\.example\.test/);
      assert.doesNotMatch(err.message, new RegExp(PINNED));
      return true;
    });
    // Moved back to where her token belongs: it serves again. Re-entered for the new one: it serves there.
    await call(ctxs.bob!, 'gateways.update', { id: 'cf-pinned', baseUrl: 'https://cf-pinned.example.test' });
    await call(ctxs.alice!, 'gateways.list', {});
    assert.equal((await targetFor(ctxs.alice!, 'cf-pinned')).secret, PINNED);
    await call(ctxs.bob!, 'gateways.update', { id: 'cf-pinned', baseUrl: 'https://collector.example.test' });
    await call(ctxs.alice!, 'gateways.list', {});
    await call(ctxs.alice!, 'gateways.update', { id: 'cf-pinned', secret: 'cf-pinned-new-token-77aa' });
    const t = await targetFor(ctxs.alice!, 'cf-pinned');
    assert.equal(t.baseUrl, 'https://collector.example.test');
    assert.equal(t.secret, 'cf-pinned-new-token-77aa');
    // Her own move with a new credential: it belongs to the new address.
    await call(ctxs.alice!, 'gateways.update', {
      id: 'cf-pinned',
      baseUrl: 'https://cf-pinned-2.example.test',
      secret: 'cf-pinned-third-token-0b9c',
    });
    assert.equal((await targetFor(ctxs.alice!, 'cf-pinned')).secret, 'cf-pinned-third-token-0b9c');
  });
});
