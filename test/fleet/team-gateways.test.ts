import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { adminMethods } from '../../shared/api/contract.js';
import { AdminError } from '../../shared/api/errors.js';
import { createAdminHandlers } from '../../electron/services/admin-service.js';
import type { ServiceContext } from '../../electron/services/context.js';
import { createNodeContext } from '../../electron/node/runtime.js';
import { openNodeSecretStore } from '../../electron/node/secret-store.js';
import { DATABASE_URL_SECRET } from '../../electron/services/fleet/handlers.js';
import { verifyAdminLog, type TeamStore } from '../../electron/services/fleet/store.js';
import { secretKey } from '../../electron/services/gateways/service.js';
import { closeTeamStates } from '../../electron/services/team-state/open.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';
import { createTeamStore } from '../support/team-store.js';
import { viaContract } from '../support/contract-call.js';

/**
 * Gateway connection settings over a real PostgreSQL team store: alice adds a gateway with her
 * token; bob (another workstation, another login role, his own secret store) lists it without any
 * credential and is told to add his own; the team row never holds a credential; a stale edit or
 * removal is a conflict naming who moved it; every change is in the team admin log.
 */

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;
const PW = 'gateway-team-pw-9Qe';
const ALICE_TOKEN = 'cf-alice-token-5f0c9a1e77d24b6e';
const BOB_TOKEN = 'cf-bob-token-0d9e4471c2aa8f13';

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

describe('gateway settings with a team store (real PostgreSQL)', { skip }, () => {
  let root: string;
  let owner: TeamStore;
  let alice: ServiceContext;
  let bob: ServiceContext;

  async function admin(name: string): Promise<ServiceContext> {
    const ctx = context(root, join(root, `state-${name}`), new Date('2026-11-28T12:00:00Z'));
    await ctx.secrets.set(DATABASE_URL_SECRET, cluster.url('team_gateways', name, PW));
    return ctx;
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-team-gateways-'));
    owner = await createTeamStore(cluster, 'team_gateways', { password: PW, admins: ['alice', 'bob'] });
    alice = await admin('alice');
    bob = await admin('bob');
  });
  after(async () => {
    await closeTeamStates();
    await owner?.close();
    for (const ctx of [alice, bob]) ctx?.db.close();
    if (root) await rm(root, { recursive: true, force: true });
    await cluster.stop();
  });

  it('alice adds a gateway: its settings are in the team store, her token only in her secret store', async () => {
    const gw = await call(alice, 'gateways.add', {
      name: 'cf-prod',
      baseUrl: 'https://cf.example.test/',
      authType: 'bearer',
      secret: ALICE_TOKEN,
      timeoutMs: 8000,
    });
    assert.equal(gw.hasCredential, true);
    assert.equal(gw.team?.version, 'r1');
    const rows = await owner.withClient((c) =>
      c.query<{ id: string; row: string }>('SELECT id, row_to_json(t)::text AS row FROM team_gateway_settings t'),
    );
    assert.equal(rows.rows.length, 1);
    assert.equal(rows.rows[0]!.id, gw.id);
    assert.match(rows.rows[0]!.row, /"base_url":"https:\/\/cf\.example\.test"/);
    assert.ok(!rows.rows[0]!.row.includes(ALICE_TOKEN), 'no credential in the team store');
    assert.ok(!rows.rows[0]!.row.includes(ALICE_TOKEN.slice(-4)), 'not even its masked tail');
    assert.equal(await alice.secrets.get(secretKey(gw.id)), ALICE_TOKEN);
    assert.equal(await bob.secrets.get(secretKey(gw.id)), null);
  });

  it('bob lists it without any credential and is told to add his own token', async () => {
    const [gw] = await call(bob, 'gateways.list', {});
    assert.ok(gw, "alice's gateway is in bob's list");
    assert.equal(gw.name, 'cf-prod');
    assert.equal(gw.baseUrl, 'https://cf.example.test');
    assert.equal(gw.timeoutMs, 8000);
    assert.equal(gw.hasCredential, false);
    assert.equal(gw.credentialHint, undefined);
    assert.equal(gw.team?.version, 'r1');
    assert.ok(gw.team!.updatedBy.length > 0);
    // Using it without a token: a clear "add your own token" outcome, not a raw error.
    const [sync] = await call(bob, 'gateways.sync', { id: 'cf-prod' });
    assert.equal(sync!.ok, false);
    assert.match(
      sync!.message,
      /No credential for gateway "cf-prod" on this machine: .*shared through the team store, credentials are not\. Edit it and add your own token/,
    );
  });

  it("bob adds his own token: stays on his machine, the shared row and alice's token are untouched", async () => {
    const gw = await call(bob, 'gateways.update', { id: 'cf-prod', secret: BOB_TOKEN });
    assert.equal(gw.hasCredential, true);
    assert.equal(gw.team?.version, 'r1', 'a per-machine credential does not change the shared settings');
    assert.equal(await bob.secrets.get(secretKey(gw.id)), BOB_TOKEN);
    assert.equal(await alice.secrets.get(secretKey(gw.id)), ALICE_TOKEN);
  });

  it('a stale edit is a conflict naming who changed it; nothing is overwritten; reloading and retrying works', async () => {
    const [loaded] = await call(bob, 'gateways.list', {});
    const changed = await call(alice, 'gateways.update', {
      id: 'cf-prod',
      timeoutMs: 15000,
      expectedVersion: loaded!.team!.version,
    });
    assert.equal(changed.team?.version, 'r2');
    await assert.rejects(
      call(bob, 'gateways.update', { id: 'cf-prod', timeoutMs: 3000, expectedVersion: loaded!.team!.version }),
      (err: unknown) => {
        assert.ok(err instanceof AdminError);
        assert.equal(err.code, 'conflict');
        assert.match(err.message, /^Gateway "cf-prod" was changed by .+ since you loaded it/);
        return true;
      },
    );
    await assert.rejects(
      call(bob, 'gateways.remove', { id: 'cf-prod', expectedVersion: loaded!.team!.version }),
      /was changed by/,
    );
    const [fresh] = await call(bob, 'gateways.list', {});
    assert.equal(fresh!.timeoutMs, 15000, "alice's change is what bob sees");
    const renamed = await call(bob, 'gateways.update', {
      id: fresh!.id,
      name: 'cf-main',
      expectedVersion: fresh!.team!.version,
    });
    assert.equal(renamed.team?.version, 'r3');
    const [seen] = await call(alice, 'gateways.list', {});
    assert.equal(seen!.name, 'cf-main');
    assert.equal(seen!.hasCredential, true, "alice's own token is still hers");
  });

  it('a removal by one admin is seen by the other; the team admin log holds every shared change', async () => {
    const [gw] = await call(alice, 'gateways.list', {});
    assert.deepEqual(await call(alice, 'gateways.remove', { id: gw!.id, expectedVersion: gw!.team!.version }), {
      removed: true,
    });
    assert.deepEqual(await call(bob, 'gateways.list', {}), []);
    const log = await owner.withClient((c) =>
      c.query<{ action: string; target: string; detail: unknown }>(
        `SELECT action, target, detail FROM admin_log WHERE action LIKE 'gateway.%' ORDER BY id`,
      ),
    );
    assert.deepEqual(
      log.rows.map((r) => [r.action, r.target]),
      [
        ['gateway.add', 'cf-prod'],
        ['gateway.update', 'cf-prod'],
        ['gateway.update', 'cf-main'],
        ['gateway.remove', 'cf-main'],
      ],
    );
    assert.ok(!JSON.stringify(log.rows).includes('cf-alice-token'), 'no credential in the team admin log');
    assert.equal(await owner.withClient((c) => verifyAdminLog(c)), null);
  });
});
