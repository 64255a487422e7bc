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
import { pushPolicy, type PushDeps } from '../../electron/services/policy/push.js';
import { closeTeamStates, teamState } from '../../electron/services/team-state/open.js';
import { GatewaySnapshot } from '../../shared/model/gateway.js';
import { PolicyDocument } from '../../shared/model/policy.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';
import { createTeamStore } from '../support/team-store.js';
import { viaContract } from '../support/contract-call.js';

/**
 * Policy versions over a real PostgreSQL team store: two admins (two workstations, each with its
 * own local store and secret store, two login roles) save into one lineage; what one saves the
 * other lists and reads, a save based on a superseded version is refused as a conflict naming the
 * policy and who saved last, and nothing is lost. Without a team store the same calls stay local.
 */

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;
const PW = 'policy-team-pw-4Kd';

const emptySnapshot = GatewaySnapshot.parse({
  gatewayId: 'gw-1',
  gatewayName: 'cf-prod',
  kind: 'contextforge',
  baseUrl: 'https://cf.example.test',
  fetchedAt: '2026-11-28T09:00:00Z',
  ...Object.fromEntries(
    ['upstreams', 'tools', 'servers', 'teams', 'members', 'users', 'roles', 'assignments', 'tokens', 'warnings'].map(
      (k) => [k, []],
    ),
  ),
});

const policy = (team: string, visibility: 'private' | 'public') =>
  `apiVersion: gatehouse/v1\nkind: Policy\nteams:\n  - name: ${team}\n    visibility: ${visibility}\n`;

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

const localCount = (ctx: ServiceContext, table: string): number =>
  (ctx.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('policy versions with a team store (real PostgreSQL)', { skip }, () => {
  let root: string;
  let owner: TeamStore;
  let alice: ServiceContext;
  let bob: ServiceContext;

  async function admin(name: string, at: string): Promise<ServiceContext> {
    const ctx = context(root, join(root, `state-${name}`), new Date(at));
    await ctx.secrets.set(DATABASE_URL_SECRET, cluster.url('team_policy', name, PW));
    return ctx;
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-team-policy-'));
    owner = await createTeamStore(cluster, 'team_policy', { password: PW, admins: ['alice', 'bob'] });
    alice = await admin('alice', '2026-11-28T10:00:00Z');
    bob = await admin('bob', '2026-11-28T10:05:00Z');
  });
  after(async () => {
    await closeTeamStates();
    await owner?.close();
    for (const ctx of [alice, bob]) ctx?.db.close();
    if (root) await rm(root, { recursive: true, force: true });
    await cluster.stop();
  });

  it("alice's saved version is in the team store (not in either local store) and bob lists and reads it", async () => {
    const v1 = await call(alice, 'policy.save', {
      text: policy('red', 'private'),
      message: 'first draft',
      expectedVersion: null,
    });
    assert.equal(v1.parent, null);
    assert.equal(v1.origin, 'import');
    const rows = await owner.withClient((c) => c.query('SELECT hash, message FROM team_policy_versions'));
    assert.deepEqual(rows.rows, [{ hash: v1.hash, message: 'first draft' }]);
    for (const ctx of [alice, bob]) assert.equal(localCount(ctx, 'policy_versions'), 0, 'nothing in a local store');

    const listed = await call(bob, 'policy.versions', {});
    assert.deepEqual(
      listed.map((v) => [v.hash, v.message]),
      [[v1.hash, 'first draft']],
    );
    const read = await call(bob, 'policy.version', { hash: v1.hash.slice(0, 8), format: 'yaml' });
    assert.equal(read.version.hash, v1.hash);
    assert.match(read.text, /name: red/);
  });

  it("bob's save based on the superseded version is a conflict naming the policy and who saved last; nothing is lost", async () => {
    const [loaded] = await call(bob, 'policy.versions', {});
    // alice saves first, based on the same version bob loaded.
    const v2 = await call(alice, 'policy.save', {
      text: policy('red', 'public'),
      message: 'alice: open red',
      expectedVersion: loaded!.hash,
    });
    assert.equal(v2.parent, loaded!.hash);
    await assert.rejects(
      call(bob, 'policy.save', {
        text: policy('blue', 'private'),
        message: 'bob: add blue',
        expectedVersion: loaded!.hash,
      }),
      (err: unknown) => {
        assert.ok(err instanceof AdminError);
        assert.equal(err.code, 'conflict');
        assert.match(
          err.message,
          /^Policy \(not bound to a gateway\) was changed by .+ at 2026-11-28T10:00:00\.000Z since you loaded it/,
        );
        return true;
      },
    );
    // A save that expects an empty lineage is refused the same way.
    await assert.rejects(
      call(bob, 'policy.save', { text: policy('blue', 'private'), expectedVersion: null }),
      /already exists/,
    );
    // Nothing lost, nothing overwritten: alice's two versions, in order, and bob's refused draft nowhere.
    const after1 = await call(bob, 'policy.versions', {});
    assert.deepEqual(
      after1.map((v) => v.message),
      ['alice: open red', 'first draft'],
    );
    // Reloading (the current head) and saving again works, on top of alice's version.
    const v3 = await call(bob, 'policy.save', {
      text: policy('blue', 'private'),
      message: 'bob: add blue',
      expectedVersion: after1[0]!.hash,
    });
    assert.equal(v3.parent, v2.hash);
    assert.deepEqual(
      (await call(alice, 'policy.versions', {})).map((v) => v.message),
      ['bob: add blue', 'alice: open red', 'first draft'],
    );
    const diff = await call(alice, 'policy.diffVersions', { from: v2.hash, to: v3.hash });
    assert.ok(diff.changes.length > 0, 'the diff reads both versions from the team store');
  });

  it('bad policy text is refused before anything is stored, naming the problem', async () => {
    await assert.rejects(call(alice, 'policy.save', { text: 'apiVersion: [' }), (err: unknown) => {
      assert.ok(err instanceof AdminError);
      assert.equal(err.code, 'bad-request');
      assert.match(err.message, /does not parse/);
      return true;
    });
    assert.equal((await call(alice, 'policy.versions', {})).length, 3);
  });

  it('a push based on a superseded version is refused before the gateway is read or written', async () => {
    const state = await teamState(alice);
    assert.equal(state.kind, 'team');
    const head = (await state.policyVersions.list('gw-1'))[0];
    assert.equal(head, undefined);
    await state.policyVersions.save({
      doc: PolicyDocument.parse({ apiVersion: 'gatehouse/v1', kind: 'Policy' }),
      author: 'carol@team',
      message: 'pulled',
      origin: 'pull',
      gatewayId: 'gw-1',
      gatewayName: 'cf-prod',
      changes: 0,
    });
    // Any gateway contact fails the test: the refusal must come first.
    const untouchable = new Proxy({} as never, {
      get: (_t, prop) => (prop === 'requests' ? 0 : () => assert.fail(`gateway touched: ${String(prop)}`)),
    });
    const deps: PushDeps = {
      adapter: untouchable,
      writer: untouchable,
      db: bob.db,
      clock: bob.clock,
      actor: 'bob@team',
      team: { versions: state.policyVersions, adminLog: state.adminLog },
    };
    const input = {
      draft: PolicyDocument.parse({ apiVersion: 'gatehouse/v1', kind: 'Policy', teams: [{ name: 'red' }] }),
      gatewayId: 'gw-1',
      gatewayName: 'cf-prod',
      baseSnapshot: emptySnapshot,
      message: 'bob: add red',
      dryRun: false,
    };
    await assert.rejects(pushPolicy(deps, { ...input, expected: null }), (err: unknown) => {
      assert.ok(err instanceof AdminError);
      assert.equal(err.code, 'conflict');
      assert.match(err.message, /^Policy of gateway "cf-prod" already exists: carol@team set it at/);
      return true;
    });
    // Based on the current head, the same draft gets as far as the plan (a dry run touches nothing).
    const current = (await state.policyVersions.list('gw-1'))[0]!.hash;
    const dry = await pushPolicy(deps, { ...input, dryRun: true, expected: current });
    assert.equal(dry.status, 'dry-run');
    assert.ok(dry.plan.changes.length > 0);
  });

  it('every save is in the team admin log, with its actor, in a verifying chain', async () => {
    const log = await owner.withClient((c) =>
      c.query<{ action: string; actor: string; target: string }>(
        `SELECT action, actor, target FROM admin_log WHERE action = 'policy.save' ORDER BY id`,
      ),
    );
    assert.equal(log.rows.length, 3, 'the three accepted saves; refused ones change nothing');
    assert.ok(log.rows.every((r) => r.target === 'Policy (not bound to a gateway)' && r.actor.length > 0));
    assert.equal(await owner.withClient((c) => verifyAdminLog(c)), null);
    // Each workstation's own log records what its admin did.
    assert.equal(localCount(alice, `admin_log WHERE action = 'policy.save'`), 2);
    assert.equal(localCount(bob, `admin_log WHERE action = 'policy.save'`), 1);
  });
});

describe('policy versions without a team store (local, as before)', () => {
  it('saves locally, detects a stale save the same way, and logs locally', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-local-policy-'));
    const ctx = context(root, join(root, 'state'), new Date('2026-11-28T11:00:00Z'));
    try {
      const v1 = await call(ctx, 'policy.save', { text: policy('red', 'private'), expectedVersion: null });
      assert.equal(localCount(ctx, 'policy_versions'), 1);
      await call(ctx, 'policy.save', { text: policy('red', 'public'), expectedVersion: v1.hash });
      await assert.rejects(
        call(ctx, 'policy.save', { text: policy('blue', 'public'), expectedVersion: v1.hash }),
        (err: unknown) => err instanceof AdminError && err.code === 'conflict' && /was changed by/.test(err.message),
      );
      // Without an expected version nothing is checked (the previous behaviour).
      await call(ctx, 'policy.save', { text: policy('blue', 'public') });
      assert.equal((await call(ctx, 'policy.versions', {})).length, 3);
      assert.equal(localCount(ctx, `admin_log WHERE action = 'policy.save'`), 3);
    } finally {
      ctx.db.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
