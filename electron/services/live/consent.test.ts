import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { createServer, request, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packageEntry } from '../../../test/fixtures/mcp-servers/servers.js';
import { createNodeContext } from '../../node/runtime.js';
import { createAdminHandlers } from '../admin-service.js';
import { discover } from '../discovery/discover.js';
import type { SecretStore } from '../ports.js';
import { migrate, openDatabase } from '../store/database.js';
import { liveScanProvider } from './cli.js';
import { LEGACY_CONSENT, projectDirOf, URL_CHANGED_SINCE_CONSENT, WAITING_REMOTE } from './consent.js';
import { LiveStore } from './store.js';

function memorySecrets(): SecretStore {
  const m = new Map<string, string>();
  return {
    kind: 'memory',
    get: async (k) => m.get(k) ?? null,
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
  };
}

interface Recorder {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

/** A loopback listener that records every request; forwards to `upstream` (or answers 404). */
async function recorder(upstream?: number): Promise<Recorder> {
  const requests: string[] = [];
  const srv: HttpServer = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (!upstream) {
      res.writeHead(404).end();
      return;
    }
    const fwd = request(
      { host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

async function freePort(): Promise<number> {
  const r = await recorder();
  await r.close();
  return r.port;
}

async function waitForPort(port: number, ms = 20000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`port ${port} never opened`);
}

describe('a project file’s servers are untouched before trust', () => {
  let proxy: Recorder;
  let userSide: Recorder;
  let root: string;
  let home: string;
  let P: string;
  let Q: string;
  let everything: ReturnType<typeof spawn>;

  before(async () => {
    const port = await freePort();
    everything = spawn(process.execPath, [packageEntry('@modelcontextprotocol/server-everything'), 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: 'ignore',
    });
    await waitForPort(port);
    proxy = await recorder(port);
    userSide = await recorder();
    root = await mkdtemp(join(tmpdir(), 'gh-live-consent-'));
    home = join(root, 'home');
    P = join(root, 'repos', 'p');
    Q = join(root, 'repos', 'q');
    for (const d of [home, P, Q]) await mkdir(d, { recursive: true });
    // The same servers, word for word, in two cloned repositories.
    const project = JSON.stringify({
      mcpServers: {
        remote: { type: 'http', url: `http://127.0.0.1:${proxy.port}/mcp` },
        local: { command: process.execPath, args: ['-e', '0'], env: { NODE_OPTIONS: '--max-old-space-size=4096' } },
        runner: { command: 'npx', args: ['-y', 'some-mcp-server'] },
      },
    });
    await writeFile(join(P, '.mcp.json'), project);
    await writeFile(join(Q, '.mcp.json'), project);
    // The admin's own user-scope remote server: contacted without asking.
    await writeFile(
      join(home, '.claude.json'),
      JSON.stringify({ mcpServers: { mine: { type: 'http', url: `http://127.0.0.1:${userSide.port}/mcp` } } }),
    );
  });

  after(async () => {
    everything?.kill();
    await Promise.all([proxy?.close(), userSide?.close()]);
  });

  function context() {
    return createNodeContext({
      stateDir: join(root, 'state'),
      mode: 'browser',
      secrets: memorySecrets(),
      workstation: { home, platform: 'linux', projects: [P, Q], systemRoot: join(root, 'sys'), env: {} },
    });
  }

  test('no request before consent; consent to P’s server covers neither Q’s nor another; revoke; trust project', async (t) => {
    const ctx = context();
    const h = createAdminHandlers(ctx);
    try {
      const { servers } = (await h['discovery.run']({})).result;
      const id = (dir: string, name: string) =>
        servers.find((s) => s.source.startsWith(dir + '/') && s.name === name)!.id;
      const pRemote = id(P, 'remote');
      const qRemote = id(Q, 'remote');
      const pLocal = id(P, 'local');
      const qLocal = id(Q, 'local');
      const state = async (sid: string) => (await h['live.states']({})).find((s) => s.serverId === sid)!;

      // Before consent: needs consent, with the reason, and the listener saw nothing.
      for (const sid of [pRemote, qRemote]) {
        const st = await state(sid);
        assert.equal(st.status, 'needs-consent');
        assert.equal(st.error, WAITING_REMOTE);
      }
      const blocked = await h['live.scan']({});
      assert.equal(blocked.needsConsent, 6, 'two remote + four stdio project servers wait');
      assert.deepEqual(proxy.requests, [], 'a project’s remote server is not contacted before consent');
      assert.ok(userSide.requests.length > 0, 'the admin’s own user-scope server is contacted as before');
      const snap = (await h['live.history']({ serverId: pRemote }))[0]!;
      assert.equal(snap.status, 'needs-consent');

      // The CLI without --yes: nothing contacted, the waiting servers described.
      let stderr = '';
      await liveScanProvider(ctx, await discover(ctx.workstation, ctx.fs), {
        yes: false,
        io: { stderr: (t) => void (stderr += t) },
      });
      assert.deepEqual(proxy.requests, []);
      assert.match(stderr, /6 server\(s\) not started or contacted: no consent/);
      assert.ok(stderr.includes(`contacts: http://127.0.0.1:${proxy.port}/mcp`), stderr);
      assert.ok(stderr.includes('env: NODE_OPTIONS=--max-old-space-size=4096 (affects execution)'), stderr);
      assert.match(stderr, /warning: npx downloads and runs package some-mcp-server .*unpinned code/);

      // The dialog data for the remote server: its URL and project folder.
      const line = await h['live.commandLine']({ serverId: pRemote });
      assert.equal(line.kind, 'remote');
      assert.equal(line.url, `http://127.0.0.1:${proxy.port}/mcp`);
      assert.equal(line.projectDir, P);
      assert.equal(line.consentRequired, true);
      assert.equal(line.consented, false);

      // Consent to P's remote server: it connects; Q's identical server still waits, untouched.
      await h['live.grantConsent']({ serverId: pRemote, hash: line.hash });
      await assert.rejects(
        h['live.grantConsent']({ serverId: qRemote, hash: line.hash }),
        /changed since it was shown/,
      );
      assert.equal((await state(pRemote)).status, 'idle');
      assert.equal((await state(qRemote)).status, 'needs-consent');
      const ok = await h['live.scan']({ serverIds: [pRemote] });
      assert.equal(ok.ok, 1);
      const connected = await state(pRemote);
      assert.equal(connected.status, 'ok');
      assert.ok(connected.toolCount! > 5, 'server-everything listed over Streamable HTTP');
      const seen = proxy.requests.length;
      assert.ok(seen > 0);
      t.diagnostic(`listener requests: 0 before consent, ${seen} after consent (${proxy.requests.join(', ')})`);
      const q = await h['live.scan']({ serverIds: [qRemote] });
      assert.equal(q.needsConsent, 1);
      assert.equal(proxy.requests.length, seen, 'consent for P’s server does not reach Q’s');

      // Stdio: the same command line in P and Q; consent to P's does not start Q's.
      const pl = await h['live.commandLine']({ serverId: pLocal });
      const ql = await h['live.commandLine']({ serverId: qLocal });
      assert.equal(pl.command, ql.command);
      assert.deepEqual(pl.args, ql.args);
      assert.notEqual(pl.hash, ql.hash, 'the consent key binds the server identity');
      assert.deepEqual(
        pl.env!.map((e) => [e.key, e.value, e.affectsExecution]),
        [['NODE_OPTIONS', '--max-old-space-size=4096', true]],
      );
      await h['live.grantConsent']({ serverId: pLocal, hash: pl.hash });
      assert.equal((await state(pLocal)).status, 'idle');
      assert.equal((await state(qLocal)).status, 'needs-consent');
      await assert.rejects(h['live.grantConsent']({ serverId: qLocal, hash: pl.hash }), /changed since it was shown/);
      const runner = await h['live.commandLine']({ serverId: id(P, 'runner') });
      assert.match(runner.warnings![0]!, /npx downloads and runs package some-mcp-server .*no version is pinned/);

      // Revoke: P's remote server waits again and is not contacted.
      assert.deepEqual(await h['live.revokeConsent']({ hash: line.hash }), { revoked: true });
      assert.equal((await state(pRemote)).status, 'needs-consent');
      await h['live.scan']({ serverIds: [pRemote] });
      assert.equal(proxy.requests.length, seen);

      // Trust project Q: its remote server connects; its stdio servers still need their own consent.
      await assert.rejects(h['live.trustProject']({ serverId: qRemote, projectDir: P }), /project folder changed/);
      await assert.rejects(
        h['live.trustProject']({ serverId: id(home, 'mine'), projectDir: home }),
        /does not come from a project file/,
      );
      const trust = await h['live.trustProject']({ serverId: qRemote, projectDir: Q });
      assert.equal(trust.kind, 'project');
      assert.equal((await h['live.commandLine']({ serverId: qRemote })).projectTrusted, true);
      assert.equal((await state(qRemote)).status, 'idle');
      assert.equal((await state(qLocal)).status, 'needs-consent', 'project trust does not start commands');
      assert.equal((await state(pRemote)).status, 'needs-consent', 'trusting Q does not trust P');
      assert.equal((await h['live.scan']({ serverIds: [qRemote] })).ok, 1);
      assert.ok(proxy.requests.length > seen);
      const kinds = (await h['live.consents']({})).map((c) => c.kind).sort();
      assert.deepEqual(kinds, ['project', 'stdio']);
      await h['live.revokeConsent']({ hash: trust.hash });
      assert.equal((await state(qRemote)).status, 'needs-consent');

      const log = ctx.db.prepare("SELECT action, details_json FROM admin_log WHERE action LIKE 'consent.%'").all() as {
        action: string;
        details_json: string;
      }[];
      assert.deepEqual(
        log.map((r) => r.action),
        ['consent.grant', 'consent.grant', 'consent.revoke', 'consent.trust-project', 'consent.revoke'],
      );
      assert.ok(log[3]!.details_json.includes(JSON.stringify(Q).slice(1, -1)));
      assert.ok(!log.some((r) => r.details_json.includes('4096')), 'no env value in the log');
    } finally {
      ctx.db.close();
    }
  });

  test('a changed URL asks again; CLI --yes contacts for this run only, said and recorded', async () => {
    const root2 = await mkdtemp(join(tmpdir(), 'gh-live-consent-url-'));
    const R = join(root2, 'r');
    await mkdir(R, { recursive: true });
    const write = (path: string) =>
      writeFile(
        join(R, '.cursor', 'mcp.json'),
        JSON.stringify({ mcpServers: { remote: { url: `http://127.0.0.1:${proxy.port}${path}` } } }),
      );
    await mkdir(join(R, '.cursor'));
    await write('/mcp');
    const ctx = createNodeContext({
      stateDir: join(root2, 'state'),
      mode: 'browser',
      secrets: memorySecrets(),
      workstation: { home: join(root2, 'home'), platform: 'linux', projects: [R], systemRoot: root2, env: {} },
    });
    const h = createAdminHandlers(ctx);
    try {
      const [s] = await h['live.states']({});
      const line = await h['live.commandLine']({ serverId: s!.serverId });
      assert.equal(line.projectDir, R);
      await h['live.grantConsent']({ serverId: s!.serverId, hash: line.hash });
      await write('/other');
      const [changed] = await h['live.states']({});
      assert.equal(changed!.status, 'needs-consent');
      assert.equal(changed!.error, URL_CHANGED_SINCE_CONSENT);
      assert.equal((await h['live.commandLine']({ serverId: s!.serverId })).changedSinceConsent, true);

      await write('/mcp?session=1');
      assert.equal((await h['live.states']({}))[0]!.status, 'idle', 'consent covers origin + path, not the query');
      await write('/mcp');

      const before = proxy.requests.length;
      await h['live.revokeConsent']({ hash: line.hash });
      let stderr = '';
      const r = await liveScanProvider(ctx, await discover(ctx.workstation, ctx.fs), {
        yes: true,
        io: { stderr: (t) => void (stderr += t) },
      });
      assert.equal(r.servers.get(s!.serverId)!.status, 'ok');
      assert.ok(proxy.requests.length > before);
      assert.match(stderr, /contact 1 remote server\(s\) from project files/);
      assert.ok(stderr.includes(`contacts: http://127.0.0.1:${proxy.port}/mcp`));
      const run = ctx.db.prepare("SELECT details_json FROM admin_log WHERE action = 'consent.run-only'").get() as {
        details_json: string;
      };
      assert.equal((JSON.parse(run.details_json) as { kind: string }).kind, 'remote');
      assert.equal(new LiveStore(ctx.db).consents().length, 0, 'nothing stored');
    } finally {
      ctx.db.close();
    }
  });
});

test('consents stored before server binding become legacy: listed, revocable, matching nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-live-legacy-'));
  const db = openDatabase(join(dir, 'state.db'));
  try {
    // Roll the table back to its migration-200 shape with one consent in it, then migrate.
    db.exec(`
      DELETE FROM schema_migrations WHERE version = 201;
      DROP INDEX live_consents_server;
      ALTER TABLE live_consents DROP COLUMN kind;
      ALTER TABLE live_consents DROP COLUMN source;
      ALTER TABLE live_consents DROP COLUMN url;
      ALTER TABLE live_consents DROP COLUMN project_dir;
      INSERT INTO live_consents (hash, server_id, client, server_name, command, args_json, env_keys_json, cwd, granted_at)
      VALUES ('${'a'.repeat(64)}', 'srv1', 'claude-code', 'old', 'node', '["server.js"]', '[]', '/home/a', '2026-01-01T00:00:00Z');
    `);
    migrate(db);
    const store = new LiveStore(db);
    const [c] = store.consents();
    assert.equal(c!.kind, 'legacy');
    assert.equal(store.otherConsent('srv1', 'b'.repeat(64)), 'legacy');
    assert.equal(store.otherConsent('srv1', 'b'.repeat(64), 'remote'), null);
    assert.match(LEGACY_CONSENT, /review it again/);
    assert.equal(store.revoke('a'.repeat(64)), true);
  } finally {
    db.close();
  }
});

test('project folder of a project file', () => {
  assert.equal(projectDirOf('/r/p/.mcp.json'), '/r/p');
  assert.equal(projectDirOf('/r/p/.kiro/settings/mcp.json'), '/r/p');
  assert.equal(projectDirOf('/r/p/.continue/mcpServers/a.yaml'), '/r/p');
  assert.equal(projectDirOf('/r/p/sub/.vscode/mcp.json', ['/r/p']), '/r/p', 'a configured project folder wins');
});
