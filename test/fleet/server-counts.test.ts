import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FleetReport } from '../../shared/model/fleet.js';
import { fleetServers } from '../../electron/services/fleet/queries.js';
import { sendFleetReport } from '../../electron/services/fleet/report.js';
import { enrollMachine, migrateTeamStore, openTeamStore, type TeamStore } from '../../electron/services/fleet/store.js';
import { syntheticReport } from '../support/fleet-reports.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';

/**
 * The servers overview reads counts kept at report time (migration 3, a trigger on the machines'
 * latest scan). They must always equal the aggregate over every machine's latest scan: after
 * first reports, a newer scan that changes servers, a late older scan, a repeated report, and a
 * report cut mid-way — each sent as the machine's own reporter role under row-level security.
 */

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;
const PW = 'counts-pw-2Vr';

/** The overview computed the slow way, straight from the latest scans. */
async function aggregate(owner: TeamStore) {
  const r = await owner.withClient((c) =>
    c.query<{ name: string; package: string | null; version: string | null; n: number }>(
      `SELECT v.name, v.package, v.version, count(DISTINCT v.machine_id)::int AS n
       FROM machines m JOIN scan_servers v ON v.scan_id = m.latest_scan_id
       GROUP BY 1, 2, 3 ORDER BY n DESC, 1, 2 NULLS FIRST, 3 NULLS FIRST`,
    ),
  );
  return r.rows.map((x) => [x.name, x.package, x.version, x.n]);
}

describe('servers overview counts (real PostgreSQL)', { skip }, () => {
  let owner: TeamStore;
  const reporters: TeamStore[] = [];
  const send = (i: number, r: FleetReport, hooks = {}) => sendFleetReport(reporters[i]!, r, hooks);
  const overview = async () =>
    (await owner.withClient((c) => fleetServers(c))).map((x) => [x.name, x.package, x.version, x.machineCount]);

  before(async () => {
    owner = openTeamStore(await cluster.createDatabase('counts'), { max: 2 });
    await migrateTeamStore(owner);
    const c = await cluster.connect();
    for (let i = 0; i < 6; i++) await c.query(`CREATE ROLE cnt_${i} LOGIN PASSWORD '${PW}'`);
    await c.end();
    for (let i = 0; i < 6; i++) {
      await enrollMachine(owner, syntheticReport(i, new Date().toISOString()).machine.machineId, `cnt_${i}`);
      reporters.push(openTeamStore(cluster.url('counts', `cnt_${i}`, PW), { max: 1 }));
    }
  });
  after(async () => {
    for (const r of reporters) await r.close();
    await owner?.close();
    await cluster.stop();
  });

  it('first reports (concurrent): overview = aggregate, exact counts', async () => {
    const t = new Date(Date.now() - 7_200_000).toISOString();
    await Promise.all(Array.from({ length: 6 }, (_, i) => send(i, syntheticReport(i, t))));
    const rows = await overview();
    assert.deepEqual(rows, await aggregate(owner));
    assert.deepEqual(
      rows.find((r) => r[0] === 'memory'),
      ['memory', 'mem', null, 6],
    );
    assert.deepEqual(
      rows.find((r) => r[0] === 'github' && r[2] === '1.0.0'),
      ['github', '@modelcontextprotocol/server-github', '1.0.0', 3],
    );
    // A reporter holds no grant on the counts.
    await assert.rejects(
      reporters[0]!.withClient((c) => c.query('UPDATE fleet_server_counts SET machine_count = 0')),
      /permission denied/,
    );
  });

  it('a newer scan that drops a server and adds another moves the counts; a late older scan does not', async () => {
    const newer = syntheticReport(0, new Date(Date.now() - 3_600_000).toISOString());
    newer.servers = newer.servers.filter((s) => s.name !== 'memory');
    newer.servers.push({ ...newer.servers[0]!, serverId: 'ws-00-new', name: 'slack', package: 'slack-mcp' });
    await send(0, newer);
    await send(0, { ...syntheticReport(0, new Date(Date.now() - 86_400_000).toISOString()) }); // late, older
    const rows = await overview();
    assert.deepEqual(rows, await aggregate(owner));
    assert.equal(rows.find((r) => r[0] === 'memory')![3], 5);
    assert.equal(rows.find((r) => r[0] === 'slack')![3], 1);
    // The same report again changes nothing.
    assert.equal((await send(0, newer)).inserted, false);
    assert.deepEqual(await overview(), rows);
  });

  it('a report cut mid-way changes no count', async () => {
    const before = await overview();
    const cut = syntheticReport(1, new Date().toISOString());
    cut.servers = [];
    await assert.rejects(
      send(1, cut, {
        afterScanRow: async () => {
          throw Object.assign(new Error('connection cut'), { code: '08006' });
        },
      }),
    );
    assert.deepEqual(await overview(), before);
    assert.deepEqual(await overview(), await aggregate(owner));
  });
});
