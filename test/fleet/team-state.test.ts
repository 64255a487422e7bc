import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminError } from '../../shared/api/errors.js';
import { PolicyDocument } from '../../shared/model/policy.js';
import { grantAdmin, migrateTeamStore, openTeamStore, type TeamStore } from '../../electron/services/fleet/store.js';
import type { Database } from '../../electron/services/store/database.js';
import { openDatabase } from '../../electron/services/store/database.js';
import { postgresTeamState } from '../../electron/services/team-state/postgres.js';
import { localTeamState } from '../../electron/services/team-state/sqlite.js';
import { StaleVersionError, type TeamState } from '../../electron/services/team-state/types.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';

/**
 * One repository suite, two backends: the team state (suppressions, policy versions, gateway
 * settings, admin log) on the local SQLite store and on a real PostgreSQL team store. Two admins
 * each have their own connection (SQLite: two connections to one file; PostgreSQL: two login
 * roles), see the same state, and a write based on a version the other admin moved is refused
 * naming the object and who moved it — and changes nothing.
 */

const clock = { now: () => new Date() };
const PW = 'team-state-pw-4Kd';

interface Backend {
  name: string;
  skip: string | false;
  open(): Promise<{ alice: TeamState; bob: TeamState }>;
  close(): Promise<void>;
}

function sqliteBackend(): Backend {
  let dir = '';
  const dbs: Database[] = [];
  return {
    name: 'SQLite (local store)',
    skip: false,
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-team-state-'));
      const file = join(dir, 'gatehouse.db');
      const a = openDatabase(file);
      const b = openDatabase(file);
      dbs.push(a, b);
      return { alice: localTeamState(a, clock), bob: localTeamState(b, clock) };
    },
    async close() {
      for (const d of dbs) d.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const started = await startPostgres();
const pgSkip = 'skip' in started ? started.skip : false;

function postgresBackend(): Backend {
  const cluster = started as PgCluster;
  const stores: TeamStore[] = [];
  return {
    name: 'PostgreSQL (team store)',
    skip: pgSkip,
    async open() {
      const url = await cluster.createDatabase('team_state');
      const owner = openTeamStore(url, { max: 1 });
      stores.push(owner);
      await migrateTeamStore(owner);
      const c = await cluster.connect();
      try {
        for (const r of ['alice_admin', 'bob_admin', 'carol_reporter'])
          await c.query(`CREATE ROLE ${r} LOGIN PASSWORD '${PW}'`);
      } finally {
        await c.end();
      }
      await grantAdmin(owner, 'alice_admin');
      await grantAdmin(owner, 'bob_admin');
      await owner.withClient((c2) => c2.query('GRANT gatehouse_reporter TO carol_reporter'));
      const a = openTeamStore(cluster.url('team_state', 'alice_admin', PW), { max: 4 });
      const b = openTeamStore(cluster.url('team_state', 'bob_admin', PW), { max: 4 });
      stores.push(a, b);
      return { alice: postgresTeamState(a, clock), bob: postgresTeamState(b, clock) };
    },
    async close() {
      for (const s of stores) await s.close().catch(() => {});
      await cluster.stop();
    },
  };
}

const suppression = (id: string, actor: string, reason = 'accepted risk') => ({
  id,
  ruleId: 'secret.literal',
  file: '/home/dev/.cursor/mcp.json',
  pointer: '/mcpServers/github/env/GITHUB_TOKEN',
  fingerprint: 'hs1:' + 'a'.repeat(32),
  reason,
  createdAt: new Date().toISOString(),
  actor,
});
const logOf = (action: string, target: string, actor: string) => ({ action, target, actor, details: { t: target } });

function isStale(object: RegExp, by?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof StaleVersionError, String(err));
    assert.ok(err instanceof AdminError);
    assert.equal(err.code, 'conflict');
    assert.match(err.message, object);
    if (by) assert.match(err.message, by);
    return true;
  };
}

const doc = (teams: string[]) =>
  PolicyDocument.parse({ apiVersion: 'gatehouse/v1', kind: 'Policy', teams: teams.map((name) => ({ name })) });

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`team state on ${backend.name}`, { skip: backend.skip }, () => {
    let alice: TeamState;
    let bob: TeamState;
    before(async () => {
      ({ alice, bob } = await backend.open());
    });
    after(() => backend.close());

    it('a suppression made by one admin is what the other reads (same version)', async () => {
      const made = await alice.suppressions.put(
        suppression('f-1', 'alice@example.com'),
        null,
        logOf('finding.suppress', 'f-1', 'alice@example.com'),
      );
      assert.equal(made.updatedBy, 'alice@example.com');
      const seen = await bob.suppressions.get('f-1');
      assert.ok(seen);
      assert.equal(seen.version, made.version);
      assert.equal(seen.reason, 'accepted risk');
      assert.equal(seen.fingerprint, 'hs1:' + 'a'.repeat(32));
      assert.deepEqual(
        (await bob.suppressions.list()).map((s) => s.id),
        ['f-1'],
      );
    });

    it('concurrent edits: the edit based on a moved version is refused naming who moved it, and nothing is lost', async () => {
      const base = (await bob.suppressions.get('f-1'))!;
      const a = await alice.suppressions.put(
        suppression('f-1', 'alice@example.com', 'ticket SEC-12: rotated'),
        base.version,
        logOf('finding.suppress', 'f-1', 'alice@example.com'),
      );
      assert.notEqual(a.version, base.version);
      await assert.rejects(
        bob.suppressions.put(
          suppression('f-1', 'bob@example.com', 'bob overwrites'),
          base.version,
          logOf('finding.suppress', 'f-1', 'bob@example.com'),
        ),
        isStale(/Suppression of finding f-1/, /alice@example\.com/),
      );
      const now = (await bob.suppressions.get('f-1'))!;
      assert.equal(now.reason, 'ticket SEC-12: rotated', "alice's edit stands");
      assert.equal(now.version, a.version);
      // Bob reloads and applies his change on the current version: accepted.
      const b = await bob.suppressions.put(
        suppression('f-1', 'bob@example.com', 'bob, after reload'),
        now.version,
        logOf('finding.suppress', 'f-1', 'bob@example.com'),
      );
      assert.equal(b.updatedBy, 'bob@example.com');
    });

    it('two admins creating the same suppression: the second is told it exists and by whom', async () => {
      await alice.suppressions.put(suppression('f-2', 'alice@example.com'), null, logOf('x', 'f-2', 'alice'));
      await assert.rejects(
        bob.suppressions.put(suppression('f-2', 'bob@example.com'), null, logOf('x', 'f-2', 'bob')),
        isStale(/f-2 already exists/, /alice@example\.com/),
      );
    });

    it('ten admins racing on one version: exactly one wins', async () => {
      const base = (await alice.suppressions.get('f-2'))!;
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? alice : bob).suppressions.put(
            suppression('f-2', `admin-${i}`, `reason ${i}`),
            base.version,
            logOf('finding.suppress', 'f-2', `admin-${i}`),
          ),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results.filter((x) => x.status === 'rejected'))
        isStale(/f-2/)((r as PromiseRejectedResult).reason);
      const winner = results.find((r) => r.status === 'fulfilled')!.value;
      assert.equal((await bob.suppressions.get('f-2'))!.reason, winner.reason);
    });

    it('removing at a stale version is refused; at the current one it removes; a later edit says it was removed', async () => {
      const cur = (await alice.suppressions.get('f-1'))!;
      await alice.suppressions.put(
        suppression('f-1', 'alice@example.com', 'moved again'),
        cur.version,
        logOf('finding.suppress', 'f-1', 'alice'),
      );
      await assert.rejects(
        bob.suppressions.remove('f-1', cur.version, logOf('finding.unsuppress', 'f-1', 'bob')),
        isStale(/f-1 was changed by alice@example\.com/),
      );
      const fresh = (await bob.suppressions.get('f-1'))!;
      assert.equal(
        await bob.suppressions.remove('f-1', fresh.version, logOf('finding.unsuppress', 'f-1', 'bob')),
        true,
      );
      assert.equal(await alice.suppressions.get('f-1'), undefined);
      await assert.rejects(
        alice.suppressions.put(suppression('f-1', 'alice'), fresh.version, logOf('x', 'f-1', 'alice')),
        isStale(/f-1 was removed/),
      );
      assert.equal(await alice.suppressions.remove('f-1', 'any', logOf('x', 'f-1', 'alice')), false);
    });

    it('policy versions: saved by one admin, listed and read (by prefix) by the other, parents chained per gateway', async () => {
      const v1 = await alice.policyVersions.save(
        { doc: doc(['red']), author: 'alice', message: 'first', origin: 'pull', gatewayId: 'gw-1', changes: 0 },
        logOf('policy.push', 'gw-1', 'alice'),
      );
      assert.equal(v1.parent, null);
      const v2 = await bob.policyVersions.save({
        doc: doc(['red', 'blue']),
        author: 'bob',
        message: 'add blue',
        origin: 'push',
        gatewayId: 'gw-1',
        changes: 1,
      });
      assert.equal(v2.parent, v1.hash, "bob's version follows alice's");
      await bob.policyVersions.save({ doc: doc(['x']), author: 'bob', message: 'other', origin: 'import', changes: 0 });
      assert.deepEqual(
        (await alice.policyVersions.list('gw-1')).map((v) => [v.hash, v.author, v.origin]),
        [
          [v2.hash, 'bob', 'push'],
          [v1.hash, 'alice', 'pull'],
        ],
      );
      assert.equal((await alice.policyVersions.list()).length, 3);
      const got = await alice.policyVersions.get(v2.hash.slice(0, 10));
      assert.equal(got.version.hash, v2.hash);
      assert.deepEqual(
        got.document.teams.map((t) => t.name),
        ['blue', 'red'].filter((n) => got.document.teams.some((t) => t.name === n)),
      );
      assert.equal(got.document.teams.length, 2);
      await assert.rejects(alice.policyVersions.get('ffff0000'), /No policy version ffff0000/);
      await assert.rejects(alice.policyVersions.get('zz'), /not a version hash/);
    });

    it('gateway settings: shared, never a credential, renamed under a moved version refused', async () => {
      const g = await alice.gatewaySettings.put(
        {
          id: 'gw-1',
          name: 'cf',
          kind: 'contextforge',
          baseUrl: 'https://gw.example.com',
          authType: 'bearer',
          timeoutMs: 10000,
        },
        null,
        logOf('gateway.add', 'cf', 'alice@example.com'),
      );
      const seen = (await bob.gatewaySettings.get('cf'))!;
      assert.equal(seen.version, g.version);
      assert.equal(seen.baseUrl, 'https://gw.example.com');
      assert.ok(!Object.keys(seen).some((k) => /secret|token|password|credential/i.test(k)), Object.keys(seen).join());
      await alice.gatewaySettings.put(
        { ...seen, timeoutMs: 20000 },
        seen.version,
        logOf('gateway.update', 'cf', 'alice@example.com'),
      );
      await assert.rejects(
        bob.gatewaySettings.put({ ...seen, name: 'cf-prod' }, seen.version, logOf('gateway.update', 'cf', 'bob')),
        isStale(/Gateway "cf" was changed by alice@example\.com/),
      );
      assert.equal((await bob.gatewaySettings.get('gw-1'))!.name, 'cf');
      assert.equal((await bob.gatewaySettings.get('gw-1'))!.timeoutMs, 20000);
      assert.deepEqual(
        (await bob.gatewaySettings.list()).map((x) => x.name),
        ['cf'],
      );
      const cur = (await bob.gatewaySettings.get('cf'))!;
      assert.equal(await bob.gatewaySettings.remove('gw-1', cur.version, logOf('gateway.remove', 'cf', 'bob')), true);
      assert.equal(await alice.gatewaySettings.get('cf'), undefined);
    });

    it('the admin log: every write above is one entry with its actor, the same for both admins, chain intact', async () => {
      const a = await alice.adminLog.after(0, 1000);
      const b = await bob.adminLog.after(0, 1000);
      assert.deepEqual(a, b);
      const byAction = (action: string) => a.filter((e) => e.action === action).map((e) => e.actor);
      // 1 create + 1 edit + bob's reload edit + 1 race winner + alice's "moved again" (+ refused ones: none).
      assert.equal(byAction('finding.suppress').length, 5);
      assert.deepEqual(byAction('finding.unsuppress'), ['bob']);
      assert.deepEqual(byAction('gateway.update'), ['alice@example.com']);
      assert.deepEqual(byAction('policy.push'), ['alice']);
      const appended = await bob.adminLog.append({ action: 'test.note', target: 't', actor: 'bob', details: { n: 1 } });
      assert.equal(appended.seq, a.at(-1)!.seq + 1);
      assert.equal(await alice.adminLog.verify(), null);
    });
  });
}

describe('team store privileges (real roles)', { skip: pgSkip }, () => {
  it('a reporter reads no team state; an admin cannot rewrite the admin log or policy history', async () => {
    const cluster = await startPostgres();
    if ('skip' in cluster) return;
    try {
      const url = await cluster.createDatabase('team_priv');
      const owner = openTeamStore(url, { max: 1 });
      await migrateTeamStore(owner);
      const c = await cluster.connect();
      await c.query(`CREATE ROLE p_admin LOGIN PASSWORD '${PW}'`);
      await c.query(`CREATE ROLE p_rep LOGIN PASSWORD '${PW}'`);
      await c.end();
      await grantAdmin(owner, 'p_admin');
      await owner.withClient((x) => x.query('GRANT gatehouse_reporter TO p_rep'));
      const admin = openTeamStore(cluster.url('team_priv', 'p_admin', PW), { max: 1 });
      const rep = openTeamStore(cluster.url('team_priv', 'p_rep', PW), { max: 1 });
      const state = postgresTeamState(admin, clock);
      await state.policyVersions.save(
        { doc: doc(['a']), author: 'a', message: 'm', origin: 'import', changes: 0 },
        logOf('policy.import', 'x', 'a'),
      );
      for (const t of ['team_suppressions', 'team_gateway_settings', 'team_policy_versions'])
        await assert.rejects(
          rep.withClient((x) => x.query(`SELECT * FROM ${t}`)),
          /permission denied/,
        );
      for (const sql of [
        `UPDATE admin_log SET actor = 'someone else'`,
        'DELETE FROM admin_log',
        `UPDATE team_policy_versions SET author = 'x'`,
        'DELETE FROM team_policy_documents',
      ])
        await assert.rejects(
          admin.withClient((x) => x.query(sql)),
          /permission denied/,
          sql,
        );
      await Promise.all([admin.close(), rep.close(), owner.close()]);
    } finally {
      await cluster.stop();
    }
  });
});
