import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminMethods } from '../../shared/api/contract.js';
import { AdminError } from '../../shared/api/errors.js';
import type { ServiceContext } from '../../electron/services/context.js';
import { DATABASE_URL_SECRET, fleetHandlers } from '../../electron/services/fleet/handlers.js';
import { sendFleetReport } from '../../electron/services/fleet/report.js';
import { enrollMachine, grantAdmin, migrateTeamStore, openTeamStore } from '../../electron/services/fleet/store.js';
import type { SecretStore } from '../../electron/services/ports.js';
import { findingsTestContext } from '../../electron/services/findings/test-context.js';
import { closeTeamStates } from '../../electron/services/team-state/open.js';
import { syntheticReport } from '../support/fleet-reports.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';

/**
 * The Fleet view's API handlers (`fleet.*`) against a real PostgreSQL team store: six synthetic
 * workstations report as their own login roles, then the handlers answer with exact counts, read
 * as the admin role, and never show the password.
 */

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;
const PW = 'fleet-view-pw-9Xq';
const MACHINES = 6;

function contextWith(stored: string | null): ServiceContext {
  const secrets: SecretStore = {
    kind: 'memory',
    get: async (k) => (k === DATABASE_URL_SECRET ? stored : null),
    set: async () => {},
    delete: async () => {},
  };
  return { secrets } as unknown as ServiceContext;
}

async function loginRole(name: string): Promise<void> {
  const c = await cluster.connect();
  try {
    await c.query(`DROP ROLE IF EXISTS ${name}`);
    await c.query(`CREATE ROLE ${name} LOGIN PASSWORD '${PW}'`);
  } finally {
    await c.end();
  }
}

async function rejectsUnavailable(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AdminError, String(err));
    assert.equal(err.code, 'unavailable');
    assert.match(err.message, message);
    assert.ok(!err.message.includes(PW), 'the password never appears');
    return true;
  });
}

describe('fleet.* handlers', () => {
  it('not configured: status says so, the queries answer `unavailable` naming --report-to', async () => {
    const h = fleetHandlers(contextWith(null), {});
    assert.deepEqual(await h['fleet.status']({}), { configured: false });
    for (const m of ['fleet.machines', 'fleet.servers', 'fleet.findings', 'fleet.trend'] as const) {
      await rejectsUnavailable(h[m]({}), /No team store is configured.*GATEHOUSE_DATABASE_URL.*--report-to/);
    }
    await rejectsUnavailable(h['fleet.credentials']({}), /No team store is configured/);
  });
});

describe('fleet.* handlers over a real PostgreSQL team store', { skip }, () => {
  let adminUrl = '';
  before(async () => {
    const ownerUrl = await cluster.createDatabase('fleetview');
    const owner = openTeamStore(ownerUrl, { max: 2 });
    try {
      await migrateTeamStore(owner);
      await loginRole('view_admin');
      await grantAdmin(owner, 'view_admin');
      const t = new Date(Date.now() - 3_600_000).toISOString();
      for (let i = 0; i < MACHINES; i++) {
        const role = `view_rep_${i}`;
        await loginRole(role);
        await enrollMachine(owner, `ws-${String(i).padStart(2, '0')}`, role);
        const rep = openTeamStore(cluster.url('fleetview', role, PW), { max: 1 });
        try {
          assert.equal((await sendFleetReport(rep, syntheticReport(i, t))).inserted, true);
        } finally {
          await rep.close();
        }
      }
    } finally {
      await owner.close();
    }
    adminUrl = cluster.url('fleetview', 'view_admin', PW);
  });
  after(async () => {
    await cluster.stop();
  });

  it('configured from $GATEHOUSE_DATABASE_URL: exact counts, outputs valid against the contract', async () => {
    const h = fleetHandlers(contextWith(null), { GATEHOUSE_DATABASE_URL: adminUrl });
    const status = await h['fleet.status']({});
    assert.equal(status.configured, true);
    assert.ok(status.display?.includes('view_admin:****@'), status.display);
    assert.ok(!JSON.stringify(status).includes(PW));

    const machines = adminMethods['fleet.machines'].output.parse(await h['fleet.machines']({}));
    assert.equal(machines.length, MACHINES);
    // 6 literal credentials (open) + 4 unpinned open (i = 0 and 4 suppressed).
    assert.equal(
      machines.reduce((n, m) => n + m.openFindings, 0),
      10,
    );
    assert.equal((await h['fleet.machines']({ staleDays: 1 })).length, 0);
    assert.equal(
      (await h['fleet.machines']({ package: '@modelcontextprotocol/server-github', version: '1.0.0' })).length,
      3,
    );

    const servers = adminMethods['fleet.servers'].output.parse(await h['fleet.servers']({}));
    assert.deepEqual(
      servers.filter((s) => s.name === 'github').map((s) => [s.version, s.machineCount]),
      [
        ['1.0.0', 3],
        ['2.0.0', 3],
      ],
    );
    const memory = await h['fleet.servers']({ server: 'memory' });
    assert.equal(memory[0]?.machineCount, MACHINES);
    assert.equal(memory[0]?.machines?.length, MACHINES);

    const findings = adminMethods['fleet.findings'].output.parse(await h['fleet.findings']({}));
    assert.equal(findings.length, 10);
    assert.equal((await h['fleet.findings']({ ruleId: 'runner.unpinned' })).length, 4);
    assert.equal((await h['fleet.findings']({ severity: 'high' })).length, 6);
    assert.equal((await h['fleet.findings']({ server: 'memory', severity: 'medium' })).length, 4);

    const creds = adminMethods['fleet.credentials'].output.parse(await h['fleet.credentials']({}));
    assert.deepEqual(
      creds.map((c) => [c.machineCount, c.machines]),
      [[2, ['ws-00', 'ws-03']]],
    );
    assert.equal((await h['fleet.credentials']({ minMachines: 3 })).length, 0);

    const trend = adminMethods['fleet.trend'].output.parse(await h['fleet.trend']({ days: 3 }));
    assert.equal(trend.length, 3);
    assert.deepEqual(trend.at(-1), { day: trend.at(-1)!.day, openFindings: 10, machines: MACHINES });
  });

  it('configured from the stored setting when the environment has none', async () => {
    const h = fleetHandlers(contextWith(adminUrl), {});
    assert.equal((await h['fleet.status']({})).configured, true);
    assert.equal((await h['fleet.machines']({})).length, MACHINES);
  });

  it('a wrong password is `unavailable` with the URL masked, never the password', async () => {
    const bad = cluster.url('fleetview', 'view_admin', PW + 'x');
    const h = fleetHandlers(contextWith(null), { GATEHOUSE_DATABASE_URL: bad });
    await rejectsUnavailable(h['fleet.machines']({}), /Team store postgres:\/\/view_admin:\*\*\*\*@/);
  });

  it('fleet.setStore tests the URL before keeping it (secret store only), logs it masked; clearStore forgets it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-fleet-settings-'));
    const ctx = findingsTestContext(root, { now: () => new Date() });
    try {
      const h = fleetHandlers(ctx, {});
      await assert.rejects(h['fleet.setStore']({ url: 'mysql://u:pw@db/x' }), /must start with postgres:\/\//);
      const wrong = cluster.url('fleetview', 'view_admin', PW + 'x');
      await assert.rejects(h['fleet.setStore']({ url: wrong }), (err: unknown) => {
        assert.ok(err instanceof AdminError);
        assert.equal(err.code, 'bad-request');
        assert.match(err.message, /Could not connect to the team store postgres:\/\/view_admin:\*\*\*\*@/);
        assert.ok(!err.message.includes(PW));
        return true;
      });
      assert.equal(await ctx.secrets.get(DATABASE_URL_SECRET), null, 'a URL that does not connect is not kept');
      const status = adminMethods['fleet.setStore'].output.parse(await h['fleet.setStore']({ url: adminUrl }));
      assert.deepEqual(status, {
        configured: true,
        display: adminUrl.replace(`:${PW}@`, ':****@'),
        source: 'setting',
      });
      assert.equal(await ctx.secrets.get(DATABASE_URL_SECRET), adminUrl);
      assert.equal((await h['fleet.machines']({})).length, MACHINES);
      // Nothing in the local store (settings, admin log) holds the password.
      const dump = JSON.stringify(ctx.db.prepare('SELECT * FROM admin_log').all());
      assert.ok(dump.includes('fleet.store.set') && dump.includes('view_admin:****@'), dump);
      for (const f of await readdir(join(root, 'state'))) {
        if (f.endsWith('.db') || f.endsWith('-wal') || f.endsWith('.json'))
          assert.ok(!(await readFile(join(root, 'state', f))).includes(PW), `${f} holds the password`);
      }
      // The environment wins over the setting, and says so.
      assert.equal(
        (await fleetHandlers(ctx, { GATEHOUSE_DATABASE_URL: adminUrl })['fleet.status']({})).source,
        'environment',
      );
      assert.deepEqual(await h['fleet.clearStore']({}), { configured: false });
      assert.equal(await ctx.secrets.get(DATABASE_URL_SECRET), null);
      assert.match(JSON.stringify(ctx.db.prepare('SELECT action FROM admin_log').all()), /fleet\.store\.clear/);
    } finally {
      await closeTeamStates();
      ctx.db.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
