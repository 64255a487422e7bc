import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ServiceContext } from '../../electron/services/context.js';
import { EventBus } from '../../electron/services/events.js';
import { nodeFileSystem } from '../../electron/services/node-ports.js';
import { systemClock, type SecretStore } from '../../electron/services/ports.js';
import { openDatabase } from '../../electron/services/store/database.js';
import { seed, type SeedResult } from '../../scripts/contextforge/seed.js';

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '../..');
export const VENV = process.env.CONTEXTFORGE_VENV ?? join(ROOT, '.venv-contextforge');
export const REQUIRE = process.env.GATEHOUSE_REQUIRE_GATEWAYS === '1';

/**
 * Why the gateway suite cannot run here, or undefined when it can. With
 * GATEHOUSE_REQUIRE_GATEWAYS=1 a missing gateway is an error, not a skip.
 */
export function gatewaySkipReason(): string | undefined {
  if (existsSync(join(VENV, 'bin', 'mcpgateway'))) return undefined;
  const reason = `ContextForge is not installed (${join(VENV, 'bin', 'mcpgateway')} missing; run scripts/contextforge/install.sh)`;
  if (REQUIRE) throw new Error(`GATEHOUSE_REQUIRE_GATEWAYS=1 but ${reason}`);
  return reason;
}

export interface LiveGateway {
  stateDir: string;
  stateFile: string;
  baseUrl: string;
  seed: SeedResult;
  stop(): Promise<void>;
}

/**
 * Starts a fresh ContextForge (own state dir, own port) and seeds it. One retry: on a loaded
 * 2-core CI machine a start-up can lose a race (port, upstream registration); the first error is
 * printed so a real problem still shows.
 */
export interface StartOptions {
  /** Extra environment for the gateway (e.g. SSO_ENABLED, SSL_CERT_FILE, APP_DOMAIN). */
  env?: Record<string, string>;
}

export async function startSeededGateway(opts: StartOptions = {}): Promise<LiveGateway> {
  try {
    return await startSeededGatewayOnce(opts);
  } catch (err) {
    process.stderr.write(`ContextForge start/seed failed, retrying once: ${(err as Error).message}\n`);
    return startSeededGatewayOnce(opts);
  }
}

async function startSeededGatewayOnce(opts: StartOptions): Promise<LiveGateway> {
  const stateDir = mkdtempSync(join(tmpdir(), 'gh-cf-state-'));
  const env = { ...process.env, ...opts.env, CONTEXTFORGE_STATE_DIR: stateDir, CONTEXTFORGE_VENV: VENV };
  const stop = async () => {
    // Kill what the state file names from here first (stop.sh does the same and cleans up), so a
    // runner without bash/node on PATH cannot leave a gateway or upstream behind.
    const stateFile = join(stateDir, 'state.json');
    if (existsSync(stateFile)) {
      const st = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid?: number; upstreamPid?: number };
      for (const pid of [st.upstreamPid, st.pid]) if (pid) await killAndWait(pid);
    }
    await run('bash', [join(ROOT, 'scripts/contextforge/stop.sh')], { env }).catch((err: Error) =>
      process.stderr.write(`contextforge stop.sh: ${err.message}\n`),
    );
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const { stdout } = await run('bash', [join(ROOT, 'scripts/contextforge/start.sh')], { env, timeout: 240_000 });
    const stateFile = stdout.trim().split('\n').pop()!;
    const s = await seed(stateFile);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { baseUrl: string };
    return { stateDir, stateFile, baseUrl: state.baseUrl, seed: s, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after 5 s. */
async function killAndWait(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** A secret store that records every value it was given (to prove where credentials went). */
export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory (test)';
  readonly values = new Map<string, string>();
  async get(key: string) {
    return this.values.get(key) ?? null;
  }
  async set(key: string, value: string) {
    this.values.set(key, value);
  }
  async delete(key: string) {
    this.values.delete(key);
  }
}

export function testContext(
  secrets: SecretStore = new MemorySecretStore(),
): ServiceContext & { dir: string; dbFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gh-gw-'));
  const dbFile = join(dir, 'gatehouse.db');
  return {
    dir,
    dbFile,
    db: openDatabase(dbFile),
    events: new EventBus(),
    clock: systemClock,
    fs: nodeFileSystem,
    workstation: { home: dir, platform: 'linux', projects: [], systemRoot: '', env: {} },
    secrets,
    stateDir: dir,
    mode: 'cli',
    version: '0.0.0-test',
  };
}

/** A JSON call to the gateway's REST API as the admin; a non-2xx answer fails the test. */
export function adminApi(baseUrl: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
}

/**
 * The tools `email` lists through a virtual server's MCP endpoint with a freshly minted team token
 * (minted as the admin, revoked afterwards): what a member actually gets, not our reading of it.
 */
export async function memberTools(
  baseUrl: string,
  adminToken: string,
  who: { email: string; teamId: string; serverId: string },
): Promise<string[]> {
  const api = adminApi(baseUrl, adminToken);
  const minted = (await api('POST', '/v1/tokens', {
    name: `gatehouse-probe-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    expires_in_days: 1,
    team_id: who.teamId,
    user_email: who.email,
  })) as { token: { id: string }; access_token: string };
  try {
    const client = new Client({ name: 'gatehouse-policy-probe', version: '0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${baseUrl}/servers/${who.serverId}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${minted.access_token}` } },
      }),
    );
    try {
      return (await client.listTools()).tools.map((t) => t.name).sort();
    } finally {
      await client.close().catch(() => undefined);
    }
  } finally {
    await api('DELETE', `/v1/tokens/${minted.token.id}`);
  }
}
