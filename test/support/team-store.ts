import { grantAdmin, migrateTeamStore, openTeamStore, type TeamStore } from '../../electron/services/fleet/store.js';
import type { PgCluster } from './postgres.js';

/**
 * A migrated team store on a test cluster with its login roles: `admins` join gatehouse_admin,
 * `reporters` gatehouse_reporter (roles are cluster-wide, so names must be unique per cluster).
 * Returns the owner's pool; the caller closes it.
 */
export async function createTeamStore(
  cluster: PgCluster,
  database: string,
  opts: { password: string; admins?: readonly string[]; reporters?: readonly string[]; max?: number },
): Promise<TeamStore> {
  const owner = openTeamStore(await cluster.createDatabase(database), { max: opts.max ?? 1 });
  try {
    await migrateTeamStore(owner);
    const c = await cluster.connect();
    try {
      for (const r of [...(opts.admins ?? []), ...(opts.reporters ?? [])])
        await c.query(`CREATE ROLE ${r} LOGIN PASSWORD '${opts.password}'`);
      for (const r of opts.reporters ?? []) await c.query(`GRANT gatehouse_reporter TO ${r}`);
    } finally {
      await c.end();
    }
    for (const r of opts.admins ?? []) await grantAdmin(owner, r);
    return owner;
  } catch (err) {
    await owner.close();
    throw err;
  }
}
