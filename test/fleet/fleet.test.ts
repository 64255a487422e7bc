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

/** Shared credentials computed the slow way, straight from every machine's latest scan (no projection). */
async function directSharedFingerprints(
  c: pg.ClientBase | TeamStore,
  minMachines = 2,
  machine?: string,
  server?: string,
) {
  const sql = `SELECT f.fingerprint, min(f.secret_type) AS secret_type, min(f.evidence) AS evidence,
       count(DISTINCT f.machine_id)::int AS machine_count, count(*)::int AS finding_count,
       array_agg(DISTINCT f.machine_id ORDER BY f.machine_id) AS machines
     FROM machines m JOIN scan_findings f ON f.scan_id = m.latest_scan_id
     WHERE f.fingerprint IS NOT NULL AND ($2::text IS NULL OR m.machine_id = $2 OR m.hostname = $2)
       AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM scan_servers v WHERE v.scan_id = m.latest_scan_id AND v.name = $3))
     GROUP BY f.fingerprint HAVING count(DISTINCT f.machine_id) >= $1
     ORDER BY machine_count DESC, f.fingerprint`;
  const run = (q: pg.ClientBase) => q.query(sql, [minMachines, machine ?? null, server ?? null]);
  const r = 'withClient' in c ? await c.withClient(run) : await run(c);
  return r.rows.map((x) => ({
    fingerprint: x.fingerprint,
    secretType: x.secret_type,
    evidence: x.evidence,
    machineCount: x.machine_count,
    findingCount: x.finding_count,
    machines: x.machines,
  }));
}

const reporterUrl = (role: string) => cluster.url('fleet', role, ROLE_PW);

describe('fleet team store (real PostgreSQL)', { skip }, () => {
  before(async () => {
    dbUrl = await cluster.createDatabase('fleet');
    owner = openTeamStore(dbUrl, { max: 4 });
    assert.deepEqual(await migrateTeamStore(owner), [1, 2, 3, 4, 5, 6, 101, 102, 103, 104]);
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
    // Each entry names the login role that wrote it, whatever actor the client claims or the INSERT says.
    await admin.transaction(async (c) => {
      await appendAdminLog(c, { action: 'test.claimed', actor: 'someone-else' });
      await c.query(
        `INSERT INTO admin_log (actor, action, prev_hash, hash, db_role) VALUES ('x', 'test.forged-role', NULL, 'h', 'fleet_owner')`,
      );
    });
    await owner.withClient(async (c) => {
      const r = await c.query<{ action: string; actor: string; db_role: string }>(
        `SELECT action, actor, db_role FROM admin_log WHERE action IN ('test.claimed', 'test.forged-role') ORDER BY id`,
      );
      assert.deepEqual(
        r.rows.map((x) => [x.action, x.actor, x.db_role]),
        [
          ['test.claimed', 'someone-else', 'fleet_admin'],
          ['test.forged-role', 'x', 'fleet_admin'],
        ],
      );
      await c.query(`DELETE FROM admin_log WHERE action IN ('test.claimed', 'test.forged-role')`);
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

  it('shared credentials (maintained projection) equal a direct count after newer scans, filters and a removed machine', async () => {
    const same = async (label: string) => {
      const cases: [number, string?, string?][] = [
        [2],
        [1],
        [3],
        [2, 'ws-03'],
        [1, 'ws-03'],
        [1, 'host-5'],
        [2, undefined, 'memory'],
        [1, undefined, 'github'],
      ];
      for (const [min, machine, server] of cases) {
        const fast = await admin.withClient((c) =>
          fleetSharedFingerprints(c, {
            minMachines: min,
            ...(machine ? { machine } : {}),
            ...(server ? { server } : {}),
          }),
        );
        assert.deepEqual(
          fast,
          await directSharedFingerprints(owner, min, machine, server),
          `${label}, min ${min} ${machine ?? ''} ${server ?? ''}`,
        );
      }
    };
    await same('after the first reports');
    // ws-03 rotates its key (now unique), ws-04 copies the shared one and leaks it twice.
    const send = async (i: number, edit: (r: ReturnType<typeof syntheticReport>) => void) => {
      const r = syntheticReport(i, new Date(Date.now() - 60_000).toISOString());
      edit(r);
      const store = openTeamStore(reporterUrl(`rep_${String(i).padStart(2, '0')}`), { max: 1 });
      try {
        assert.equal((await sendFleetReport(store, r)).inserted, true);
      } finally {
        await store.close();
      }
    };
    await send(3, (r) => {
      r.findings[0]!.fingerprint = 'tf1:' + 'b'.repeat(32);
    });
    await send(4, (r) => {
      // …and no longer runs memory: a server filter must leave it out.
      r.servers = r.servers.filter((x) => x.name !== 'memory');
      r.findings[0]!.fingerprint = 'tf1:' + 'a'.repeat(32);
      r.findings.push({
        ...r.findings[0]!,
        findingId: 'f-ws-04-again',
        pointer: '/mcpServers/x/env/T',
        evidence: 'ghp_…aaaa',
      });
    });
    await same('after newer scans');
    const shared = (await admin.withClient((c) => fleetSharedFingerprints(c))).find((r) => r.fingerprint.endsWith('a'));
    assert.ok(shared);
    assert.ok(shared.machines.includes('ws-04') && !shared.machines.includes('ws-03'));
    assert.equal(shared.findingCount, shared.machineCount + 1, 'ws-04 leaks it twice');
    assert.equal(shared.evidence, 'ghp_…aaaa', 'the least evidence over every machine');
    const onMemory = (await admin.withClient((c) => fleetSharedFingerprints(c, { server: 'memory' }))).find((r) =>
      r.fingerprint.endsWith('a'),
    );
    assert.deepEqual(
      onMemory?.machines,
      shared.machines.filter((m) => m !== 'ws-04'),
    );
    // The owner removes a machine (its scans first): its rows leave the projection.
    await owner.transaction(async (c) => {
      await c.query(`UPDATE machines SET latest_scan_id = NULL WHERE machine_id = 'ws-06'`);
      await c.query(`DELETE FROM scans WHERE machine_id = 'ws-06'`);
      await c.query(`DELETE FROM machines WHERE machine_id = 'ws-06'`);
    });
    await same('after a machine was removed');
    assert.equal(
      await owner.withClient(
        async (c) =>
          (await c.query(`SELECT count(*)::int AS n FROM fleet_fingerprint_machines WHERE machine_id = 'ws-06'`))
            .rows[0].n,
      ),
      0,
    );
    // A reporter holds no grant on the projection.
    const rep = openTeamStore(reporterUrl('rep_01'), { max: 1 });
    try {
      await assert.rejects(
        rep.withClient((c) => c.query('SELECT * FROM fleet_fingerprint_machines')),
        /permission denied/,
      );
    } finally {
      await rep.close();
    }
  });

  it("a reporter cannot point its machine at another machine's scan (no projection is skewed)", async () => {
    // RLS lets rep_01 update its own machines row; migration 103 refuses a latest_scan_id that is
    // not one of the machine's own scans, so neither the fingerprint projection (owner trigger) nor
    // the server counts can be credited with another machine's findings.
    const victim = await owner.withClient(
      async (c) =>
        (
          await c.query<{ s: string; m: string }>(
            `SELECT m.latest_scan_id AS s, m.machine_id AS m FROM machines m
             WHERE m.machine_id <> 'ws-01' AND EXISTS (SELECT 1 FROM scan_findings f
               WHERE f.scan_id = m.latest_scan_id AND f.fingerprint IS NOT NULL) ORDER BY 2 LIMIT 1`,
          )
        ).rows[0]!,
    );
    const snapshot = () =>
      owner.withClient(async (c) => {
        const fp = await c.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM fleet_fingerprint_machines WHERE machine_id = 'ws-01'`,
        );
        const sc = await c.query<{ t: string }>(
          `SELECT coalesce(sum(machine_count), 0)::text AS t FROM fleet_server_counts`,
        );
        const ptr = await c.query<{ s: string }>(`SELECT latest_scan_id AS s FROM machines WHERE machine_id = 'ws-01'`);
        return { fingerprints: fp.rows[0]!.n, serverCounts: sc.rows[0]!.t, pointer: ptr.rows[0]!.s };
      });
    const before = await snapshot();
    const rep = new pg.Client({ connectionString: reporterUrl('rep_01') });
    await rep.connect();
    try {
      await assert.rejects(
        rep.query(`UPDATE machines SET latest_scan_id = $1 WHERE machine_id = 'ws-01'`, [victim.s]),
        (err: Error & { code?: string }) =>
          err.code === '23514' && /machine ws-01: latest scan \d+ is not one of its own scans/.test(err.message),
      );
      // The owner is held to the same rule (the report path never needs it).
      await assert.rejects(
        owner.withClient((c) =>
          c.query(`UPDATE machines SET latest_scan_id = $1 WHERE machine_id = 'ws-01'`, [victim.s]),
        ),
        /not one of its own scans/,
      );
      assert.deepEqual(await snapshot(), before, 'nothing moved');
    } finally {
      await rep.end();
    }
  });
});
