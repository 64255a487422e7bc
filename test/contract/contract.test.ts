import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AdminClient } from '../../shared/api/client.js';
import { adminMethods, EVENT_NAMES, METHOD_NAMES } from '../../shared/api/contract.js';
import { AppInfo } from '../../shared/api/app.js';
import { DiscoveryRun } from '../../shared/model/discovery.js';
import { ERROR_STATUS } from '../../electron/dispatch.js';
import { FakeIpcMain, FakeIpcRenderer, FakeWebContents } from '../../electron/ipc/fake-ipc.js';
import { forwardEvents, registerIpcHandlers } from '../../electron/ipc/register.js';
import { startHttpServer, type HttpServerHandle } from '../../electron/http/server.js';
import { createTrustedSenderCheck } from '../../electron/main/security.js';
import { createNodeContext } from '../../electron/node/runtime.js';
import { createBridge } from '../../electron/preload/bridge.js';
import { createAdminHandlers } from '../../electron/services/admin-service.js';
import type { ServiceContext } from '../../electron/services/context.js';
import type { SecretStore } from '../../electron/services/ports.js';
import { HttpAdminClient } from '../../renderer/src/client/http-client.js';
import { createIpcClient } from '../../renderer/src/client/ipc-client.js';

/**
 * One suite of contract cases, run against BOTH adapters over the same real services (temp SQLite
 * store, a temp workstation written below): HTTP for real over a socket, IPC through a fake
 * ipcMain that dispatches like Electron, the real preload bridge and the renderer's IPC client.
 * Then the rules only one adapter has (HTTP token/Host/Origin, IPC trusted sender).
 */

const SECRETS = [
  'sk-live-CONTRACTsecret0123456789abcdef',
  'ghp_CONTRACTtoken0123456789abcdefghijkl',
  'CONTRACTpassw0rd-in-url',
  'Bearer-CONTRACT-header-9f8e7d6c5b4a',
];

async function writeWorkstation(root: string): Promise<{ home: string; project: string }> {
  const home = join(root, 'home');
  const project = join(root, 'project');
  await mkdir(join(home, '.cursor'), { recursive: true });
  await writeFile(
    join(home, '.cursor', 'mcp.json'),
    JSON.stringify(
      {
        mcpServers: {
          alpha: {
            command: 'npx',
            args: ['-y', '@acme/alpha-mcp', `--api-key=${SECRETS[0]}`],
            env: { ACME_TOKEN: SECRETS[1] },
          },
          remote: {
            url: `https://admin:${SECRETS[2]}@mcp.example.com/sse`,
            headers: { Authorization: `Bearer ${SECRETS[3]}` },
          },
        },
      },
      null,
      2,
    ),
  );
  await mkdir(join(home, '.codeium', 'windsurf'), { recursive: true });
  await writeFile(join(home, '.codeium', 'windsurf', 'mcp_config.json'), '{\n  "mcpServers": {\n    "x": {,\n  }\n}\n');
  await mkdir(project, { recursive: true });
  await writeFile(join(project, '.mcp.json'), JSON.stringify({ mcpServers: { beta: { command: 'beta-server' } } }));
  return { home, project };
}

const noSecrets: SecretStore = {
  kind: 'none',
  get: async () => null,
  set: async () => {},
  delete: async () => {},
};

type Outcome = { ok: true; output: unknown } | { ok: false; code: string; message: string };

interface Harness {
  readonly name: 'http' | 'ipc';
  ctx: ServiceContext;
  call(method: string, input: unknown): Promise<Outcome>;
  /** Subscribes to `event`, runs `trigger`, resolves with the first payload. */
  nextEvent(event: string, trigger: () => Promise<unknown>): Promise<unknown>;
  /** The renderer's AdminClient for this transport. */
  client: AdminClient;
  /** Every response body seen, for the no-credential check. */
  seen: string[];
  close(): Promise<void>;
}

async function makeContext(root: string, mode: 'browser' | 'desktop'): Promise<ServiceContext> {
  const { home, project } = await writeWorkstation(root);
  return createNodeContext({
    stateDir: join(root, 'state'),
    mode,
    secrets: noSecrets,
    workstation: { home, platform: 'linux', projects: [project], systemRoot: join(root, 'system'), env: {} },
  });
}

async function httpHarness(root: string): Promise<Harness & { server: HttpServerHandle }> {
  const ctx = await makeContext(root, 'browser');
  const server = await startHttpServer({ handlers: createAdminHandlers(ctx), events: ctx.events, log: () => {} });
  const base = `http://127.0.0.1:${server.port}`;
  const seen: string[] = [];
  return {
    name: 'http',
    ctx,
    server,
    seen,
    client: new HttpAdminClient({ baseUrl: base, token: server.token, fetch: globalThis.fetch }),
    async call(method, input) {
      const res = await fetch(`${base}/api/invoke/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      const text = await res.text();
      seen.push(text);
      const body = JSON.parse(text) as { error?: { code: string; message: string } };
      if (res.ok) return { ok: true, output: body };
      assert.ok(body.error, `HTTP ${res.status} carries an error body`);
      assert.equal(res.status, ERROR_STATUS[body.error.code as keyof typeof ERROR_STATUS], 'status matches the code');
      return { ok: false, code: body.error.code, message: body.error.message };
    },
    async nextEvent(event, trigger) {
      const controller = new AbortController();
      const res = await fetch(`${base}/api/events?token=${server.token}`, { signal: controller.signal });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value); // subscribed once the stream opened
      await trigger();
      const pattern = new RegExp(`event: ${event.replace('.', '\\.')}\\ndata: (.*)\\n\\n`);
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      controller.abort();
      seen.push(text);
      const match = pattern.exec(text);
      assert.ok(match, `SSE delivered ${event}`);
      return JSON.parse(match[1]!);
    },
    async close() {
      await server.close();
      ctx.db.close();
    },
  };
}

async function ipcHarness(root: string): Promise<Harness & { main: FakeIpcMain; mainFrame: { url: string } }> {
  const ctx = await makeContext(root, 'desktop');
  const main = new FakeIpcMain();
  const mainFrame = { url: 'gatehouse://app/index.html' };
  registerIpcHandlers(
    main,
    createAdminHandlers(ctx),
    createTrustedSenderCheck(() => mainFrame),
    () => {},
  );
  const renderer = new FakeIpcRenderer(main, mainFrame);
  const stopEvents = forwardEvents(ctx.events, new FakeWebContents(renderer));
  const bridge = createBridge(renderer, METHOD_NAMES, EVENT_NAMES);
  const seen: string[] = [];
  return {
    name: 'ipc',
    ctx,
    main,
    mainFrame,
    seen,
    client: createIpcClient(bridge),
    async call(method, input) {
      let envelope: unknown;
      try {
        envelope = await bridge.invoke(method, input);
      } catch (err) {
        // The preload refuses names outside the contract; nothing reaches main.
        if (err instanceof Error && /Unknown Gatehouse method/.test(err.message)) {
          assert.ok(!main.listeners.has(`gatehouse:invoke:${method}`));
          return { ok: false, code: 'not-found', message: err.message };
        }
        throw err;
      }
      seen.push(JSON.stringify(envelope));
      const e = envelope as { ok: boolean; output?: unknown; error?: { code: string; message: string } };
      return e.ok ? { ok: true, output: e.output } : { ok: false, code: e.error!.code, message: e.error!.message };
    },
    nextEvent(event, trigger) {
      return new Promise((resolve, reject) => {
        const off = bridge.subscribe(event, (payload) => {
          off();
          seen.push(JSON.stringify(payload));
          resolve(payload);
        });
        trigger().catch(reject);
      });
    },
    async close() {
      stopEvents();
      ctx.db.close();
    },
  };
}

const roots: string[] = [];
async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'gh-contract-'));
  roots.push(root);
  return root;
}
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

for (const make of [httpHarness, ipcHarness]) {
  describe(`contract over ${make === httpHarness ? 'HTTP' : 'IPC'}`, () => {
    let h: Harness;
    before(async () => {
      h = await make(await tempRoot());
    });
    after(() => h.close());

    test('app.info answers with the contract shape', async () => {
      const res = await h.call('app.info', {});
      assert.ok(res.ok);
      const info = AppInfo.parse(res.output);
      assert.equal(info.name, 'gatehouse');
      assert.equal(info.mode, h.name === 'http' ? 'browser' : 'desktop');
      assert.equal(info.stateDir, h.ctx.stateDir);
    });

    test('discovery.latest is null before the first run; discovery.run records one; latest returns it', async () => {
      const before = await h.call('discovery.latest', {});
      assert.deepEqual(before, { ok: true, output: null });
      const run = await h.call('discovery.run', {});
      assert.ok(run.ok, JSON.stringify(run));
      const parsed = DiscoveryRun.parse(run.output);
      const names = parsed.result.servers.map((s) => `${s.client}/${s.name}`).sort();
      assert.deepEqual(names, ['claude-code/beta', 'cursor/alpha', 'cursor/remote']);
      const alpha = parsed.result.servers.find((s) => s.name === 'alpha')!;
      assert.deepEqual(alpha.envKeys, ['ACME_TOKEN']);
      const remote = parsed.result.servers.find((s) => s.name === 'remote')!;
      assert.deepEqual(remote.headerKeys, ['Authorization']);
      const broken = parsed.result.sources.find((s) => s.client === 'windsurf');
      assert.equal(broken?.status, 'parse-error');
      assert.equal(typeof broken?.line, 'number');
      const latest = await h.call('discovery.latest', {});
      assert.ok(latest.ok);
      assert.equal(DiscoveryRun.parse(latest.output).id, parsed.id);
    });

    test('no credential value from the workstation crosses the adapter', async () => {
      await h.call('discovery.run', {});
      await h.call('discovery.latest', {});
      const all = h.seen.join('\n');
      assert.ok(all.length > 0);
      for (const secret of SECRETS) assert.ok(!all.includes(secret), `leaked ${secret.slice(0, 6)}…`);
    });

    test('input failing the schema is bad-request naming the field', async () => {
      const res = await h.call('app.info', { verbose: true });
      assert.equal(res.ok, false);
      assert.ok(!res.ok && res.code === 'bad-request');
      assert.match(!res.ok ? res.message : '', /verbose/);
      const notObject = await h.call('discovery.run', 42);
      assert.ok(!notObject.ok && notObject.code === 'bad-request');
    });

    test('an unknown method is not-found and reaches no handler', async () => {
      const res = await h.call('discovery.nuke', {});
      assert.ok(!res.ok && res.code === 'not-found');
    });

    test('store.changed is delivered after discovery.run', async () => {
      const payload = await h.nextEvent('store.changed', () => h.call('discovery.run', {}));
      assert.deepEqual(payload, { topics: ['discovery'] });
    });

    test("the renderer's AdminClient for this transport round-trips", async () => {
      const info = await h.client.invoke('app.info', {});
      assert.equal(info.name, 'gatehouse');
      const latest = await h.client.invoke('discovery.latest', {});
      assert.ok(latest && latest.result.servers.length === 3);
    });
  });
}

interface Raw {
  status: number;
  body: string;
}
function raw(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<Raw>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'POST',
        headers: { host: `127.0.0.1:${port}`, ...opts.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body ?? '{}');
  });
}

describe('HTTP-only rules', () => {
  let h: Awaited<ReturnType<typeof httpHarness>>;
  before(async () => {
    h = await httpHarness(await tempRoot());
  });
  after(() => h.close());
  const json = { 'content-type': 'application/json' };

  test('health is 200 without a token', async () => {
    assert.equal((await raw(h.server.port, '/api/health', { method: 'GET' })).status, 200);
  });

  test('401 without a token on existing and non-existing /api paths', async () => {
    for (const path of [
      ...METHOD_NAMES.map((m) => `/api/invoke/${m}`),
      '/api/invoke/no.such',
      '/api/events',
      '/api/whatever',
      '/api/',
    ]) {
      const res = await raw(h.server.port, path, { headers: json });
      assert.equal(res.status, 401, path);
      assert.equal(JSON.parse(res.body).error.code, 'unauthorized');
    }
  });

  test('a wrong token is never accepted', async () => {
    const t = h.server.token;
    const wrong = [
      '',
      t.slice(0, -1),
      `${t}x`,
      t.toLowerCase() === t ? t.toUpperCase() : t.toLowerCase(),
      `${t.slice(0, -1)}${t.endsWith('a') ? 'b' : 'a'}`,
    ];
    for (const w of wrong) {
      for (const headers of [{ authorization: `Bearer ${w}` }, { authorization: w }, { authorization: `Basic ${w}` }]) {
        const res = await raw(h.server.port, '/api/invoke/app.info', { headers: { ...json, ...headers } });
        assert.equal(res.status, 401, JSON.stringify(headers));
      }
      assert.equal(
        (await raw(h.server.port, `/api/events?token=${encodeURIComponent(w)}`, { method: 'GET' })).status,
        401,
      );
    }
    // The right token in the query is for EventSource only, never for invoke.
    assert.equal((await raw(h.server.port, `/api/invoke/app.info?token=${t}`, { headers: json })).status, 401);
  });

  test('an unknown method with a valid token is 404', async () => {
    const res = await raw(h.server.port, '/api/invoke/no.such', {
      headers: { ...json, authorization: `Bearer ${h.server.token}` },
    });
    assert.equal(res.status, 404);
  });

  test('403 on a bad Host, for API and UI paths alike', async () => {
    for (const host of [
      'attacker.example',
      `attacker.example:${h.server.port}`,
      `127.0.0.2:${h.server.port}`,
      '127.0.0.1',
    ]) {
      for (const path of ['/api/health', '/api/invoke/app.info', '/']) {
        const res = await raw(h.server.port, path, {
          method: path === '/api/invoke/app.info' ? 'POST' : 'GET',
          headers: { ...json, host, authorization: `Bearer ${h.server.token}` },
        });
        assert.equal(res.status, 403, `${host}${path}`);
      }
    }
  });

  test('403 on a cross-site Origin for a mutating call, which then never runs', async () => {
    assert.equal(adminMethods['discovery.run'].mutates, true);
    const before = await h.call('discovery.latest', {});
    const crossSite: Record<string, string>[] = [
      { origin: 'https://attacker.example' },
      { origin: `http://127.0.0.1:${h.server.port + 1}` },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of crossSite) {
      const res = await raw(h.server.port, '/api/invoke/discovery.run', {
        headers: { ...json, authorization: `Bearer ${h.server.token}`, ...headers },
      });
      assert.equal(res.status, 403, JSON.stringify(headers));
    }
    assert.deepEqual(await h.call('discovery.latest', {}), before, 'no run was recorded');
    const sameOrigin = await raw(h.server.port, '/api/invoke/discovery.run', {
      headers: { ...json, authorization: `Bearer ${h.server.token}`, origin: `http://127.0.0.1:${h.server.port}` },
    });
    assert.equal(sameOrigin.status, 200);
  });
});

describe('IPC-only rules', () => {
  let h: Awaited<ReturnType<typeof ipcHarness>>;
  before(async () => {
    h = await ipcHarness(await tempRoot());
  });
  after(() => h.close());

  test('one channel per contract method, nothing else', () => {
    assert.deepEqual([...h.main.listeners.keys()].sort(), METHOD_NAMES.map((m) => `gatehouse:invoke:${m}`).sort());
  });

  test('untrusted senders are refused and nothing runs', async () => {
    const senders = [
      null,
      { url: 'gatehouse://app/index.html' }, // a subframe or another window: not the main frame object
      { url: 'https://attacker.example/' },
    ];
    for (const frame of senders) {
      const res = (await h.main.invokeFrom(frame, 'gatehouse:invoke:discovery.run', {})) as {
        ok: boolean;
        error: { code: string };
      };
      assert.deepEqual([res.ok, res.error.code], [false, 'forbidden']);
    }
    h.mainFrame.url = 'https://attacker.example/'; // the main frame after navigating away
    const navigated = (await h.main.invokeFrom(h.mainFrame, 'gatehouse:invoke:app.info', {})) as {
      error: { code: string };
    };
    assert.equal(navigated.error.code, 'forbidden');
    h.mainFrame.url = 'gatehouse://app/index.html';
    assert.deepEqual(await h.call('discovery.latest', {}), { ok: true, output: null });
  });

  test('exactly one argument', async () => {
    const res = (await h.main.invokeFrom(h.mainFrame, 'gatehouse:invoke:app.info', {}, 'extra')) as {
      error: { code: string };
    };
    assert.equal(res.error.code, 'bad-request');
  });
});
