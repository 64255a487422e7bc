import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { main } from '../../electron/cli/run.js';
import {
  fleetFindings,
  fleetMachines,
  fleetServers,
  fleetSharedFingerprints,
  fleetTrend,
  toCsv,
} from '../../electron/services/fleet/queries.js';
import { sendFleetReport } from '../../electron/services/fleet/report.js';
import {
  appendAdminLog,
  enrollMachine,
  grantAdmin,
  migrateTeamStore,
  openTeamStore,
  verifyAdminLog,
  type TeamStore,
} from '../../electron/services/fleet/store.js';
import { maskDatabaseUrl } from '../../electron/services/fleet/url.js';
import { syntheticReport } from '../support/fleet-reports.js';
import { findPostgresBin, startPostgres, type PgCluster } from '../support/postgres.js';

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;

const ROLE_PW = 'reporter-pw-Zq7';
let dbUrl = '';
let owner: TeamStore;
let admin: TeamStore;

async function createLoginRole(name: string): Promise<void> {
  const c = await cluster.connect();
  try {
    await c.query(`DROP ROLE IF EXISTS ${name}`);
    await c.query(`CREATE ROLE ${name} LOGIN PASSWORD '${ROLE_PW}'`);
  } finally {
    await c.end();
  }
}

const reporterUrl = (role: string) => cluster.url('fleet', role, ROLE_PW);

describe('fleet team store (real PostgreSQL)', { skip }, () => {
  before(async () => {
    dbUrl = await cluster.createDatabase('fleet');
    owner = openTeamStore(dbUrl, { max: 4 });
    assert.deepEqual(await migrateTeamStore(owner), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(await migrateTeamStore(owner), [], 'migrations apply once');
    await createLoginRole('fleet_admin');
    await grantAdmin(owner, 'fleet_admin');
    admin = openTeamStore(cluster.url('fleet', 'fleet_admin', ROLE_PW), { max: 2 });
    for (let i = 0; i < 20; i++) {
      const role = `rep_${String(i).padStart(2, '0')}`;
      await createLoginRole(role);
      await enrollMachine(owner, `ws-${String(i).padStart(2, '0')}`, role);
    }
  });
  after(async () => {
    await admin?.close();
    await owner?.close();
    await cluster.stop();
  });

  it('twenty workstations report concurrently (each as its own login role); the Fleet queries count exactly', async () => {
    const t = new Date(Date.now() - 3_600_000).toISOString();
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const store = openTeamStore(reporterUrl(`rep_${String(i).padStart(2, '0')}`), { max: 1 });
        try {
          return await sendFleetReport(store, syntheticReport(i, t));
        } finally {
          await store.close();
        }
      }),
    );
    assert.equal(results.filter((r) => r.inserted).length, 20);
    await admin.withClient(async (c) => {
      const machines = await fleetMachines(c);
      assert.equal(machines.length, 20);
      // 20 literal (open) + 15 unpinned open (every 4th suppressed).
      assert.equal(
        machines.reduce((n, m) => n + m.openFindings, 0),
        35,
      );
      const servers = await fleetServers(c);
      const gh = servers.filter((s) => s.name === 'github');
      assert.deepEqual(
        gh.map((s) => [s.version, s.machineCount]),
        [
          ['1.0.0', 10],
          ['2.0.0', 10],
        ],
      );
      const v1 = await fleetMachines(c, { package: '@modelcontextprotocol/server-github', version: '1.0.0' });
      assert.equal(v1.length, 10);
      assert.ok(v1.every((m) => Number(m.machineId.slice(3)) % 2 === 1));
      assert.equal((await fleetServers(c, { server: 'memory' }))[0]?.machineCount, 20);
      assert.equal((await fleetServers(c, { server: 'memory' }))[0]?.machines?.length, 20);
      const findings = await fleetFindings(c);
      assert.equal(findings.length, 35);
      assert.equal((await fleetFindings(c, { ruleId: 'runner.unpinned' })).length, 15);
      assert.equal((await fleetFindings(c, { severity: 'high' })).length, 20);
      const shared = await fleetSharedFingerprints(c);
      assert.equal(shared.length, 1, 'one credential copied to several machines');
      assert.equal(shared[0]!.machineCount, 7); // i = 0, 3, 6, 9, 12, 15, 18
      assert.deepEqual(shared[0]!.machines, ['ws-00', 'ws-03', 'ws-06', 'ws-09', 'ws-12', 'ws-15', 'ws-18']);
      assert.equal((await fleetMachines(c, { staleDays: 1 })).length, 0);
      const trend = await fleetTrend(c, { days: 3 });
      assert.equal(trend.length, 3);
      assert.equal(trend.at(-1)!.openFindings, 35);
      assert.equal(trend.at(-1)!.machines, 20);
      const csv = toCsv(servers as unknown as Record<string, unknown>[]);
      assert.match(csv.split('\r\n')[0]!, /^name,package,version,transport,machineCount$/);
    });
  });

  it('a repeated report of the same scan changes nothing', async () => {
    const count = () =>
      admin.withClient(async (c) => {
        const r = await c.query(
          `SELECT (SELECT count(*) FROM scans)::int s, (SELECT count(*) FROM scan_servers)::int v,
             (SELECT count(*) FROM scan_findings)::int f, (SELECT max(last_received_at) FROM machines) t`,
        );
        return r.rows[0];
      });
    const before = await count();
    const store = openTeamStore(reporterUrl('rep_05'), { max: 1 });
    try {
      const rows = await admin.withClient((c) => c.query(`SELECT scanned_at FROM scans WHERE machine_id = 'ws-05'`));
      const again = await sendFleetReport(store, syntheticReport(5, (rows.rows[0].scanned_at as Date).toISOString()));
      assert.equal(again.inserted, false);
      assert.ok(again.scanId > 0);
    } finally {
      await store.close();
    }
    assert.deepEqual(await count(), before);
  });

  it('a report cut mid-transaction (backend terminated) leaves no partial scan; the retry lands once', async () => {
    const store = openTeamStore(reporterUrl('rep_07'), { max: 1 });
    const t = new Date().toISOString();
    const scansOf = () =>
      admin.withClient(async (c) => {
        const r = await c.query(
          `SELECT (SELECT count(*) FROM scans WHERE machine_id = 'ws-07')::int s,
                  (SELECT count(*) FROM scan_servers WHERE machine_id = 'ws-07')::int v,
                  (SELECT count(*) FROM scan_findings WHERE machine_id = 'ws-07')::int f`,
        );
        return r.rows[0] as { s: number; v: number; f: number };
      });
    try {
      await assert.rejects(
        sendFleetReport(store, syntheticReport(7, t), {
          afterScanRow: async () => {
            const killer = await cluster.connect('fleet');
            try {
              const r = await killer.query(
                `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE usename = 'rep_07' AND datname = 'fleet'`,
              );
              assert.equal(r.rows.length, 1);
            } finally {
              await killer.end();
            }
          },
        }),
      );
      assert.deepEqual(await scansOf(), { s: 1, v: 3, f: 2 }, 'only the earlier scan: nothing of the cut one');
      const retry = await sendFleetReport(store, syntheticReport(7, t));
      assert.equal(retry.inserted, true);
      assert.deepEqual(await scansOf(), { s: 2, v: 6, f: 4 });
      const m = await admin.withClient((c) => fleetMachines(c, { machine: 'ws-07' }));
      assert.equal(m[0]?.lastScanAt, t);
    } finally {
      await store.close();
    }
  });

  it('row-level security: a reporter cannot read or change another machine’s rows', async () => {
    const c = new pg.Client({ connectionString: reporterUrl('rep_01') });
    await c.connect();
    try {
      const seen = await c.query('SELECT DISTINCT machine_id FROM scans');
      assert.deepEqual(
        seen.rows.map((r) => r.machine_id),
        ['ws-01'],
      );
      assert.deepEqual((await c.query('SELECT machine_id FROM machines')).rows, [{ machine_id: 'ws-01' }]);
      assert.equal((await c.query('SELECT * FROM scan_findings WHERE machine_id = $1', ['ws-02'])).rowCount, 0);
      assert.equal((await c.query(`SELECT * FROM admin_log`).catch((e: Error) => e)) instanceof Error, true);
      const upd = await c.query(`UPDATE machines SET hostname = 'pwned' WHERE machine_id = 'ws-02'`);
      assert.equal(upd.rowCount, 0);
      await assert.rejects(c.query(`DELETE FROM scans WHERE machine_id = 'ws-02'`), /permission denied/);
      await assert.rejects(
        sendFleetReport(
          {
            transaction: async (fn) => {
              await c.query('BEGIN');
              try {
                const o = await fn(c as never);
                await c.query('COMMIT');
                return o;
              } catch (e) {
                await c.query('ROLLBACK');
                throw e;
              }
            },
          } as TeamStore,
          syntheticReport(2, new Date().toISOString()),
        ),
        /row-level security/,
      );
      await assert.rejects(
        c.query(`INSERT INTO machine_reporters (machine_id, role_name) VALUES ('ws-02', 'rep_01')`),
        /permission denied/,
      );
      const host = await admin.withClient((a) => a.query(`SELECT hostname FROM machines WHERE machine_id = 'ws-02'`));
      assert.equal(host.rows[0].hostname, 'host-2');
    } finally {
      await c.end();
    }
  });

  it('the admin log is append-only for admins (UPDATE/DELETE refused) and its hash chain verifies', async () => {
    await admin.transaction((c) => appendAdminLog(c, { action: 'test.append', target: 'x', detail: { b: 1, a: [2] } }));
    await admin.withClient(async (c) => {
      assert.equal(await verifyAdminLog(c), null);
      await assert.rejects(c.query(`UPDATE admin_log SET action = 'forged'`), /permission denied/);
      await assert.rejects(c.query(`DELETE FROM admin_log`), /permission denied/);
      await assert.rejects(c.query(`TRUNCATE admin_log`), /permission denied/);
      await assert.rejects(c.query(`DELETE FROM scans`), /permission denied/);
    });
    // The owner can, and the chain shows it.
    await owner.withClient(async (c) => {
      await c.query(`UPDATE admin_log SET target = 'forged' WHERE action = 'test.append'`);
      assert.notEqual(await verifyAdminLog(c), null);
    });
  });

  it('`gatehouse scan --report-to` sends a planted workstation; no secret value reaches any table; the password is never printed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gatehouse-fleet-'));
    try {
      const fixture = join(import.meta.dirname, '..', 'fixtures', 'findings');
      await cp(fixture, root, { recursive: true });
      const readme = await readFile(join(fixture, 'README.md'), 'utf8');
      const section = readme.split('## Planted credentials')[1]?.split('\n## ')[0] ?? '';
      const canaries = [...section.matchAll(/^\|[^|]*\|\s*`([^`]+)`/gm)].map((m) => m[1]!);
      assert.ok(canaries.length >= 3, 'the fixture plants credentials');
      await createLoginRole('rep_canary');
      await enrollMachine(owner, 'canary-ws', 'rep_canary');
      const args = ['scan', '--platform', 'linux', '--home', join(root, 'home'), '--project', join(root, 'project')];
      let out = '';
      let err = '';
      const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
      const url = reporterUrl('rep_canary');
      const code = await main(
        [...args, '--state', join(root, 'state'), '--format', 'json', '--report-to', url, '--machine-id', 'canary-ws'],
        io,
      );
      assert.ok(code === 0 || code === 1, err);
      assert.match(err, /reported scan of canary-ws/);
      assert.ok(!err.includes(ROLE_PW) && !out.includes(ROLE_PW));
      assert.ok(err.includes(maskDatabaseUrl(url)));
      // Wrong password: the error names the store with the password masked.
      err = '';
      const bad = cluster.url('fleet', 'rep_canary', 'Wrong-pw-1234');
      const code2 = await main([...args, '--state', join(root, 'state'), '--report-to', bad], io);
      assert.equal(code2, 2);
      assert.match(err, /report to .*\*\*\*\*.* failed: password authentication failed/);
      assert.ok(!err.includes('Wrong-pw-1234'));

      // Fleet CLI as admin sees the machine and its shared-credential fingerprints.
      out = '';
      const adminUrl = cluster.url('fleet', 'fleet_admin', ROLE_PW);
      assert.equal(
        await main(['fleet', 'findings', '--database-url', adminUrl, '--machine', 'canary-ws', '--format', 'json'], io),
        0,
      );
      const rows = JSON.parse(out) as { fingerprint: string | null; evidence: string | null }[];
      assert.ok(rows.length > 0);
      assert.ok(rows.some((r) => r.fingerprint?.startsWith('tf1:')));
      out = '';
      assert.equal(await main(['fleet', 'machines', '--database-url', adminUrl, '--format', 'csv'], io), 0);
      assert.match(out, /^machineId,hostname,osUser,/);
      assert.match(out, /canary-ws/);

      // Dump the whole database and grep it for every planted value.
      const bin = findPostgresBin()!;
      const dump = execFileSync(join(bin, 'pg_dump'), ['--data-only', '--dbname', dbUrl], {
        maxBuffer: 64 << 20,
      }).toString('utf8');
      assert.match(dump, /canary-ws/);
      for (const v of canaries) assert.ok(!dump.includes(v), `planted value ${v.slice(0, 4)}… found in the team store`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
