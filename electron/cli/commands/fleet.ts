import { parseArgs } from 'node:util';
import type { FleetFilter } from '../../../shared/model/fleet.js';
import {
  fleetFindings,
  fleetMachines,
  fleetServers,
  fleetSharedFingerprints,
  fleetTrend,
  toCsv,
} from '../../services/fleet/queries.js';
import { enrollMachine, migrateTeamStore, openTeamStore } from '../../services/fleet/store.js';
import { teamStoreUrl } from '../../services/fleet/workstation.js';
import type { Command } from '../command.js';
import { formatFrom } from '../common-options.js';
import { renderTable } from '../table.js';
import { UsageError } from '../usage-error.js';

/**
 * `gatehouse fleet`: the Fleet view over the team store (PostgreSQL), plus its setup (`migrate`,
 * `enroll`). Reads need a login role in gatehouse_admin; `migrate` needs the owner.
 */
const VIEWS = ['machines', 'servers', 'findings', 'credentials', 'trend'] as const;
const SUBS = [...VIEWS, 'migrate', 'enroll'] as const;

export const fleetCommand: Command = {
  name: 'fleet',
  summary: 'Fleet view of the team store: machines × servers × findings (PostgreSQL)',
  usage: `gatehouse fleet <machines|servers|findings|credentials|trend|migrate|enroll> [options]

  machines             machines with their last report, servers and open findings
  servers              servers (name, package, version) and the machines running them
  findings             open findings of each machine's latest scan
  credentials          team fingerprints seen on several machines (one key copied around)
  trend                open findings per day (each machine's last scan carried forward)
  migrate              create/upgrade the team store schema, roles and policies (owner role)
  enroll MACHINE_ID --role ROLE
                       let the existing login role ROLE report for MACHINE_ID (admin)

  --database-url URL   team store (default $GATEHOUSE_DATABASE_URL); the password is never printed
  --format F           table | json | csv (default table)
  --machine M          only this machine id or hostname
  --server NAME        only machines running the server named NAME
  --package P          only machines running package P (npm/PyPI/OCI name)
  --version V          with --package: only version V
  --rule R             findings: only rule R      --severity S   findings: only severity S
  --fingerprint FP     findings: only this team fingerprint
  --stale-days N       machines not reporting for N days or more
  --min-machines N     credentials: seen on at least N machines (default 2)
  --days N             trend window (default 30)
  --limit N            at most N rows (default 1000)`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'database-url': { type: 'string' },
        format: { type: 'string' },
        machine: { type: 'string' },
        server: { type: 'string' },
        package: { type: 'string' },
        version: { type: 'string' },
        rule: { type: 'string' },
        severity: { type: 'string' },
        fingerprint: { type: 'string' },
        'stale-days': { type: 'string' },
        'min-machines': { type: 'string' },
        days: { type: 'string' },
        limit: { type: 'string' },
        role: { type: 'string' },
      },
      strict: true,
    });
    const sub = positionals[0] as (typeof SUBS)[number] | undefined;
    if (!sub || !(SUBS as readonly string[]).includes(sub)) {
      throw new UsageError(`expected one of ${SUBS.join(', ')}${sub ? ` (got "${sub}")` : ''}`);
    }
    const url = teamStoreUrl(values['database-url']);
    if (!url) throw new UsageError('no team store: pass --database-url postgres://… or set $GATEHOUSE_DATABASE_URL');
    const num = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number (got "${v}")`);
      return n;
    };
    const format = formatFrom(values.format, ['table', 'json', 'csv'] as const, 'table');
    const filter: FleetFilter = {
      ...(values.machine ? { machine: values.machine } : {}),
      ...(values.server ? { server: values.server } : {}),
      ...(values.package ? { package: values.package } : {}),
      ...(values.version ? { version: values.version } : {}),
      ...(values.rule ? { ruleId: values.rule } : {}),
      ...(values.severity ? { severity: values.severity } : {}),
      ...(values.fingerprint ? { fingerprint: values.fingerprint } : {}),
    };
    const stale = num('stale-days', values['stale-days']);
    if (stale !== undefined) filter.staleDays = stale;
    const days = num('days', values.days);
    if (days !== undefined) filter.days = Math.max(1, Math.min(366, Math.floor(days)));
    const limit = num('limit', values.limit);
    if (limit !== undefined) filter.limit = Math.max(1, Math.min(10_000, Math.floor(limit)));
    const minMachines = num('min-machines', values['min-machines']);

    const store = openTeamStore(url, { max: 1, application: 'gatehouse-fleet' });
    try {
      if (sub === 'migrate') {
        const applied = await migrateTeamStore(store);
        io.stdout(
          applied.length
            ? `applied migration(s) ${applied.join(', ')} to ${store.display}\n`
            : `${store.display} is up to date\n`,
        );
        return 0;
      }
      if (sub === 'enroll') {
        const machineId = positionals[1];
        if (!machineId || !values.role) throw new UsageError('enroll needs MACHINE_ID and --role ROLE');
        await enrollMachine(store, machineId, values.role);
        io.stdout(`login role ${values.role} may now report for ${machineId}\n`);
        return 0;
      }
      const rows: Record<string, unknown>[] = await store.withClient(async (c) => {
        switch (sub) {
          case 'machines':
            return (await fleetMachines(c, filter)).map((m) => {
              const { bySeverity, ...rest } = m;
              return { ...rest, ...bySeverity };
            });
          case 'servers':
            return fleetServers(c, filter);
          case 'findings':
            return fleetFindings(c, filter);
          case 'credentials':
            return fleetSharedFingerprints(c, { ...filter, ...(minMachines ? { minMachines } : {}) });
          case 'trend':
            return fleetTrend(c, filter);
        }
      });
      if (format === 'json') io.stdout(JSON.stringify(rows, null, 2) + '\n');
      else if (format === 'csv') io.stdout(toCsv(rows));
      else io.stdout(tableOf(sub, rows));
      return 0;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      io.stderr(`gatehouse fleet ${sub}: ${store.display}: ${(err as Error).message}\n`);
      return 2;
    } finally {
      await store.close().catch(() => {});
    }
  },
};

const TABLES: Record<(typeof VIEWS)[number], [string, string][]> = {
  machines: [
    ['MACHINE', 'machineId'],
    ['HOST', 'hostname'],
    ['USER', 'osUser'],
    ['LAST SCAN', 'lastScanAt'],
    ['DAYS', 'daysSinceReport'],
    ['SERVERS', 'serverCount'],
    ['OPEN', 'openFindings'],
    ['CRIT', 'critical'],
    ['HIGH', 'high'],
  ],
  servers: [
    ['SERVER', 'name'],
    ['PACKAGE', 'package'],
    ['VERSION', 'version'],
    ['TRANSPORT', 'transport'],
    ['MACHINES', 'machineCount'],
  ],
  findings: [
    ['SEVERITY', 'severity'],
    ['RULE', 'ruleId'],
    ['HOST', 'hostname'],
    ['SERVER', 'server'],
    ['LOCATION', 'pointer'],
    ['EVIDENCE', 'evidence'],
  ],
  credentials: [
    ['FINGERPRINT', 'fingerprint'],
    ['TYPE', 'secretType'],
    ['EVIDENCE', 'evidence'],
    ['MACHINES', 'machineCount'],
    ['FINDINGS', 'findingCount'],
  ],
  trend: [
    ['DAY', 'day'],
    ['OPEN', 'openFindings'],
    ['MACHINES', 'machines'],
  ],
};

function tableOf(view: (typeof VIEWS)[number], rows: Record<string, unknown>[]): string {
  const cols = TABLES[view];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v as string | number));
  return (
    (rows.length
      ? renderTable(
          cols.map((c) => c[0]),
          rows.map((r) => cols.map((c) => cell(r[c[1]]))),
          80,
        )
      : '') + `\n${rows.length} row(s).\n`
  );
}
