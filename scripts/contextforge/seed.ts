/**
 * Seeds a running ContextForge (started by start.sh) through its REST API:
 * - starts a real upstream (server-everything over Streamable HTTP on 127.0.0.1, bearer-protected)
 *   and registers it ONCE with one bearer credential — the shared upstream credential;
 * - two teams (Red, Blue), users alice (Red member), bob (Blue member), carol (Blue owner);
 * - a team-visible virtual server per team, and one public server exposing a write tool (one of its
 *   tools narrowed to team visibility, so teams reach it only partially);
 * - team-scoped tokens: alice's Red token (expires, scoped tools.execute), bob's Blue token (no expiry);
 *   an unscoped admin automation token (admin bypass); a custom team role granting every tool and server permission.
 * Writes what it created (ids, names, and the test credentials) to `<state dir>/seed.json` (mode 600).
 *
 *   npx tsx scripts/contextforge/seed.ts [state-file]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ContextForgeState {
  kind: 'contextforge';
  baseUrl: string;
  pid: number;
  runDir: string;
  adminEmail: string;
  adminToken: string;
  jwtSecret: string;
  upstreamPid?: number;
}

export interface SeedResult {
  baseUrl: string;
  adminEmail: string;
  /** Unscoped, non-expiring admin token created through the API (what a careless CI would use). */
  adminApiToken: string;
  upstream: { id: string; name: string; url: string; port: number; token: string };
  teams: { red: { id: string; name: string }; blue: { id: string; name: string } };
  users: { alice: string; bob: string; carol: string };
  servers: {
    red: { id: string; name: string };
    blue: { id: string; name: string };
    shared: { id: string; name: string };
  };
  tokens: {
    aliceRed: { id: string; name: string; value: string };
    bobBlue: { id: string; name: string; value: string };
    admin: { id: string; name: string };
  };
  roles: { broad: { id: string; name: string } };
}

const rnd = (n = 18) => randomBytes(n).toString('base64url');

class Api {
  constructor(
    readonly base: string,
    private readonly token: string,
  ) {}
  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
}

async function login(base: string, email: string, password: string): Promise<string> {
  const res = await fetch(base + '/v1/auth/email/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`login ${email} → ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function startUpstream(token: string): Promise<{ pid: number; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/contextforge/upstream.ts'), '0'], {
    cwd: ROOT,
    env: { ...process.env, UPSTREAM_TOKEN: token },
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const port = await new Promise<number>((ok, fail) => {
    // Detached: a start-up that times out must not leave the upstream behind.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error('upstream did not start within 30 s'));
    }, 30_000);
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    child.on('exit', (code) => fail(new Error(`upstream exited (${code})`)));
  });
  child.stdout!.destroy();
  child.unref();
  return { pid: child.pid!, port };
}

export async function seed(stateFile: string): Promise<SeedResult> {
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ContextForgeState;
  const admin = new Api(state.baseUrl, state.adminToken);

  const upstreamToken = `upstream-${rnd(24)}`;
  const up = await startUpstream(upstreamToken);
  state.upstreamPid = up.pid;
  writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
  const upstreamUrl = `http://127.0.0.1:${up.port}/mcp`;

  const gw = await admin.call<{ id: string; name: string }>('POST', '/v1/gateways', {
    name: 'everything',
    url: upstreamUrl,
    transport: 'STREAMABLEHTTP',
    description: 'server-everything, one shared bearer credential',
    authType: 'bearer',
    authToken: upstreamToken,
    visibility: 'public',
  });
  const tools = await admin.call<Array<{ id: string; originalName: string }>>(
    'GET',
    `/v1/tools?limit=0&gateway_id=${gw.id}`,
  );
  const byName = new Map(tools.map((t) => [t.originalName, t.id]));
  const pick = (...names: string[]) =>
    names.map((n) => {
      const id = byName.get(n);
      if (!id) throw new Error(`upstream tool ${n} not registered (have: ${[...byName.keys()].join(', ')})`);
      return id;
    });

  // Satisfies ContextForge's password policy (classes, length, no sequential or repeated runs).
  const pw = () => {
    const alphabet = 'ACEGJLNQSUWYbdfhkmprtvxz2468#%&';
    let out = 'Rk7!';
    for (const b of randomBytes(16)) {
      const c = alphabet[b % alphabet.length]!;
      // ContextForge compares letters case-insensitively ("bCd" is a run), so compare lower-cased.
      const prev = out.toLowerCase().charCodeAt(out.length - 1);
      out += Math.abs(c.toLowerCase().charCodeAt(0) - prev) <= 1 ? '#' + c : c;
    }
    return out;
  };
  const users = { alice: 'alice@example.com', bob: 'bob@example.com', carol: 'carol@example.com' };
  const passwords: Record<string, string> = {};
  for (const [name, email] of Object.entries(users)) {
    passwords[email] = pw();
    await admin.call('POST', '/v1/auth/email/admin/users', { email, password: passwords[email], full_name: name });
  }

  const red = await admin.call<{ id: string; name: string }>('POST', '/v1/teams/', {
    name: 'Team Red',
    visibility: 'private',
  });
  const blue = await admin.call<{ id: string; name: string }>('POST', '/v1/teams/', {
    name: 'Team Blue',
    visibility: 'private',
  });
  await admin.call('POST', `/v1/teams/${red.id}/members`, { email: users.alice, role: 'member' });
  await admin.call('POST', `/v1/teams/${blue.id}/members`, { email: users.bob, role: 'member' });
  await admin.call('POST', `/v1/teams/${blue.id}/members`, { email: users.carol, role: 'owner' });

  const redServer = await admin.call<{ id: string; name: string }>('POST', '/v1/servers', {
    server: { name: 'red-tools', description: 'Team Red tools', associated_tools: pick('echo', 'get-sum', 'get-env') },
    team_id: red.id,
    visibility: 'team',
  });
  const blueServer = await admin.call<{ id: string; name: string }>('POST', '/v1/servers', {
    server: {
      name: 'blue-tools',
      description: 'Team Blue tools',
      associated_tools: pick('echo', 'get-tiny-image', 'toggle-simulated-logging'),
    },
    team_id: blue.id,
    visibility: 'team',
  });
  const shared = await admin.call<{ id: string; name: string }>('POST', '/v1/servers', {
    server: {
      name: 'shared-utilities',
      description: 'Shared with everyone',
      associated_tools: pick('get-sum', 'toggle-subscriber-updates', 'gzip-file-as-resource'),
    },
    visibility: 'public',
  });
  // One tool of the public server narrowed to team visibility without a team: no team reaches it, so
  // the public server is only partially reachable.
  const [gzipId] = pick('gzip-file-as-resource');
  await admin.call('PUT', `/v1/tools/${gzipId}`, { visibility: 'team' });

  const aliceApi = new Api(state.baseUrl, await login(state.baseUrl, users.alice, passwords[users.alice]!));
  const bobApi = new Api(state.baseUrl, await login(state.baseUrl, users.bob, passwords[users.bob]!));
  const aliceTok = await aliceApi.call<{ token: { id: string; name: string }; access_token: string }>(
    'POST',
    `/v1/tokens/teams/${red.id}`,
    {
      name: 'red-ci',
      description: 'Team Red CI token',
      expires_in_days: 30,
      scope: { permissions: ['tools.execute'] },
    },
  );
  const bobTok = await bobApi.call<{ token: { id: string; name: string }; access_token: string }>(
    'POST',
    `/v1/tokens/teams/${blue.id}`,
    {
      name: 'blue-forever',
      description: 'Team Blue token without expiry',
    },
  );
  const adminTok = await admin.call<{ token: { id: string; name: string }; access_token: string }>(
    'POST',
    '/v1/tokens',
    {
      name: 'ci-admin-automation',
      description: 'Unscoped admin token used by automation',
    },
  );

  const role = await admin.call<{ id: string; name: string }>('POST', '/v1/rbac/roles', {
    name: 'red-power-user',
    description: 'Every tool and server in the team',
    scope: 'team',
    // ContextForge accepts only `*` as a wildcard: list every tool and server permission instead.
    permissions: [
      'tools.read',
      'tools.execute',
      'tools.create',
      'tools.update',
      'tools.delete',
      'servers.read',
      'servers.use',
      'servers.create',
      'servers.update',
      'servers.delete',
    ],
  });
  await admin.call('POST', `/v1/rbac/users/${encodeURIComponent(users.alice)}/roles`, {
    role_id: role.id,
    scope: 'team',
    scope_id: red.id,
  });

  const result: SeedResult = {
    baseUrl: state.baseUrl,
    adminEmail: state.adminEmail,
    adminApiToken: adminTok.access_token,
    upstream: { id: gw.id, name: gw.name, url: upstreamUrl, port: up.port, token: upstreamToken },
    teams: { red: { id: red.id, name: red.name }, blue: { id: blue.id, name: blue.name } },
    users,
    servers: {
      red: { id: redServer.id, name: redServer.name },
      blue: { id: blueServer.id, name: blueServer.name },
      shared: { id: shared.id, name: shared.name },
    },
    tokens: {
      aliceRed: { id: aliceTok.token.id, name: aliceTok.token.name, value: aliceTok.access_token },
      bobBlue: { id: bobTok.token.id, name: bobTok.token.name, value: bobTok.access_token },
      admin: { id: adminTok.token.id, name: adminTok.token.name },
    },
    roles: { broad: { id: role.id, name: role.name } },
  };
  writeFileSync(join(dirname(stateFile), 'seed.json'), JSON.stringify(result, null, 2), { mode: 0o600 });
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const stateDir = process.env.CONTEXTFORGE_STATE_DIR ?? join(ROOT, '.state/contextforge');
  const stateFile = resolve(process.argv[2] ?? join(stateDir, 'state.json'));
  seed(stateFile).then(
    (r) => {
      process.stdout.write(
        `seeded ${r.baseUrl}: upstream ${r.upstream.name} on 127.0.0.1:${r.upstream.port}, teams ${r.teams.red.name} + ${r.teams.blue.name}, ` +
          `servers ${r.servers.red.name}, ${r.servers.blue.name}, ${r.servers.shared.name}\n`,
      );
    },
    (err: Error) => {
      process.stderr.write(`seed failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
