import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL cluster for tests: `initdb` + `pg_ctl` from the installed server (Debian's
 * `postgresql` package: /usr/lib/postgresql/<v>/bin), on a temp dir, listening on 127.0.0.1 at a
 * free port with its unix socket inside the temp dir. PostgreSQL refuses to run as root, so under
 * root (CI) the cluster runs as the `postgres` user (or `nobody`) via `runuser`, with the temp dir
 * chowned to it.
 *
 * Missing PostgreSQL: under CI (`CI` set) or with GATEHOUSE_REQUIRE_POSTGRES=1 `startPostgres`
 * throws, so the suite fails; otherwise it returns a reason that tests pass to `skip` (shown in the
 * report, never silent).
 */

export interface PgCluster {
  host: string;
  port: number;
  /** The cluster's superuser (owner of everything the tests create). */
  superuser: string;
  password: string;
  /** postgres://superuser:password@127.0.0.1:port/db */
  url(db?: string, user?: string, password?: string): string;
  /** A client connected as the superuser (caller ends it). */
  connect(db?: string): Promise<pg.Client>;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const SUPERUSER = 'gh_super';

export function postgresRequired(): boolean {
  return !!process.env.CI || process.env.GATEHOUSE_REQUIRE_POSTGRES === '1';
}

/** The bin dir holding initdb/pg_ctl: $GATEHOUSE_PG_BIN, the newest /usr/lib/postgresql/N/bin, or PATH. */
export function findPostgresBin(): string | undefined {
  const env = process.env.GATEHOUSE_PG_BIN;
  if (env && existsSync(join(env, 'initdb'))) return env;
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const p = which.stdout.trim();
  return which.status === 0 && p ? p.replace(/\/initdb$/, '') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function unprivilegedUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    return { name, uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error('running as root and neither the postgres nor the nobody user exists');
}

/** Starts a cluster, or returns a skip reason when PostgreSQL is absent and not required. */
export async function startPostgres(): Promise<PgCluster | { skip: string }> {
  const bin = findPostgresBin();
  if (!bin) {
    const msg = 'PostgreSQL (initdb/pg_ctl) not found: install Debian\'s "postgresql" package';
    if (postgresRequired()) throw new Error(`${msg} (required: CI or GATEHOUSE_REQUIRE_POSTGRES=1)`);
    return { skip: msg };
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const user = unprivilegedUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const as = (cmd: string, args: string[]) =>
    user ? (['runuser', ['-u', user.name, '--', cmd, ...args]] as const) : ([cmd, args] as const);
  const data = join(dir, 'data');
  const password = `pw-${process.pid}-${Date.now().toString(36)}`;
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  const run = (cmd: string, args: string[]) => {
    const [c, a] = as(join(bin, cmd), args);
    execFileSync(c, a, { stdio: 'pipe', cwd: dir });
  };
  run('initdb', [
    '-D',
    data,
    '-U',
    SUPERUSER,
    `--pwfile=${pwfile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--no-sync',
    '--encoding=UTF8',
    '--locale=C',
  ]);
  const port = await freePort();
  const opts = [
    '-c listen_addresses=127.0.0.1',
    `-p ${port}`,
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    '-c shared_buffers=64MB',
  ].join(' ');
  try {
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', opts, '-w', '-t', '60', 'start']);
  } catch (err) {
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pg_ctl start failed: ${(err as Error).message}\n${log}`, { cause: err });
  }
  const host = '127.0.0.1';
  const url = (db = 'postgres', u = SUPERUSER, p = password) =>
    `postgres://${encodeURIComponent(u)}:${encodeURIComponent(p)}@${host}:${port}/${db}`;
  const connect = async (db = 'postgres') => {
    const c = new pg.Client({ connectionString: url(db) });
    await c.connect();
    return c;
  };
  let stopped = false;
  return {
    host,
    port,
    superuser: SUPERUSER,
    password,
    url,
    connect,
    async createDatabase(name) {
      const c = await connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
