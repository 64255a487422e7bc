import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { deliver, driveLogin, startWorld, type World } from '../../../../test/fixtures/oauth/protected-mcp.js';
import { createNodeContext } from '../../../node/runtime.js';
import { createAdminHandlers } from '../../admin-service.js';
import type { SecretStore } from '../../ports.js';
import { adminLogEntriesAfter } from '../../audit/admin-log.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { connectProvider, refreshIfNeeded } from './flow.js';

let world: World;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world.close();
});

function memorySecrets(): SecretStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    kind: 'memory',
    get: async (k) => map.get(k) ?? null,
    set: async (k, v) => void map.set(k, v),
    delete: async (k) => void map.delete(k),
  };
}

async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'gh-oauth-'));
  const home = join(root, 'home');
  const project = join(root, 'proj');
  await mkdir(home, { recursive: true });
  await mkdir(project, { recursive: true });
  await writeFile(
    join(home, '.claude.json'),
    JSON.stringify({ mcpServers: { protected: { type: 'http', url: world.mcpUrl } } }),
  );
  await writeFile(
    join(project, '.mcp.json'),
    JSON.stringify({ mcpServers: { fromrepo: { type: 'http', url: world.mcpUrl } } }),
  );
  const secrets = memorySecrets();
  const stateDir = join(root, 'state');
  const ctx = createNodeContext({
    stateDir,
    mode: 'browser',
    secrets,
    workstation: { home, platform: 'linux', projects: [project], systemRoot: join(root, 'sys'), env: {} },
  });
  const events: { event: string; payload: Record<string, unknown> }[] = [];
  ctx.events.subscribe((event, payload) => events.push({ event, payload: payload as Record<string, unknown> }));
  const h = createAdminHandlers(ctx);
  const outputs: unknown[] = [];
  const states = async () => {
    const s = await h['live.states']({});
    outputs.push(s);
    return s;
  };
  const all = await states();
  const lines = await Promise.all(all.map((s) => h['live.commandLine']({ serverId: s.serverId })));
  const user = all[lines.findIndex((l) => !l.projectFile)]!;
  const repo = all[lines.findIndex((l) => l.projectFile)]!;
  assert.ok(user && repo, JSON.stringify(all.map((s) => s.serverId)));
  const signInEvents = (id: string) =>
    events.filter((e) => e.event === 'live.signIn' && e.payload.serverId === id).map((e) => e.payload);
  const outcome = async (id: string, from: number) => {
    for (let i = 0; i < 200; i++) {
      const e = signInEvents(id)
        .slice(from)
        .find((p) => p.stage === 'signed-in' || p.stage === 'failed');
      if (e) return e;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no sign-in outcome');
  };
  const oauthEntries = () => [...secrets.map.keys()].filter((k) => k.startsWith('live.oauth.'));
  const sessionRows = () => ctx.db.prepare('SELECT * FROM live_oauth_sessions').all();
  return {
    ctx,
    h,
    secrets,
    stateDir,
    events,
    outputs,
    states,
    user,
    repo,
    signInEvents,
    outcome,
    oauthEntries,
    sessionRows,
  };
}

type Env = Awaited<ReturnType<typeof setup>>;

/** Starts a sign-in and plays the admin at the IdP; returns the callback URL (not yet delivered). */
async function startAndLogin(env: Env, id: string) {
  const start = await env.h['live.signIn']({ serverId: id });
  env.outputs.push(start);
  const callback = await driveLogin(start.authorizationUrl, start.redirectUri);
  return { start, callback };
}

async function expectFailure(env: Env, id: string, deliverIt: () => Promise<void>, pattern: RegExp) {
  const from = env.signInEvents(id).length;
  await deliverIt();
  const e = await env.outcome(id, from);
  assert.equal(e.stage, 'failed');
  assert.match(String(e.error), pattern);
  assert.deepEqual(env.oauthEntries(), [], 'no token stored');
  assert.deepEqual(env.sessionRows(), [], 'no session stored');
}

test('OAuth sign-in to a real protected MCP server: bad cases store nothing, then discovery → DCR → PKCE → enumerate and pin → refresh → sign-out; no token anywhere', async () => {
  const env = await setup();
  const id = env.user.serverId;

  // Before sign-in: the scan reports needs-sign-in.
  const first = await env.h['live.scan']({ serverIds: [id] });
  assert.equal(first.ok, 0);
  let st = (await env.states()).find((s) => s.serverId === id)!;
  assert.equal(st.status, 'needs-sign-in');
  assert.equal(st.signIn, 'needs-sign-in');

  // A project-file server is not contacted (sign-in included) before consent.
  await assert.rejects(env.h['live.signIn']({ serverId: env.repo.serverId }), /Consent first/);

  // The authorization request: PKCE S256, state, RFC 8707 resource = the server URL, loopback redirect.
  {
    const { start, callback } = await startAndLogin(env, id);
    const u = new URL(start.authorizationUrl);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(u.searchParams.get('code_challenge'));
    assert.equal(u.searchParams.get('resource'), world.mcpUrl);
    assert.match(start.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    // State mismatch.
    const bad = new URL(callback);
    bad.searchParams.set('state', 'not-the-state');
    await expectFailure(env, id, async () => void (await deliver(bad.href)), /state mismatch/);
  }
  {
    // A callback from another origin (a page's script, not the browser's redirect).
    const { callback } = await startAndLogin(env, id);
    await expectFailure(
      env,
      id,
      async () =>
        assert.equal(await deliver(callback, { origin: 'http://evil.example', 'sec-fetch-mode': 'cors' }), 403),
      /another origin/,
    );
  }
  {
    // Audience mismatch: the authorization server issues tokens for another audience.
    world.audience = 'http://127.0.0.1:9/elsewhere';
    const { callback } = await startAndLogin(env, id);
    await expectFailure(env, id, async () => void (await deliver(callback)), /audience mismatch/);
    delete world.audience;
  }
  // Wrong issuer: the metadata points to a URL whose metadata names another issuer.
  world.prm.authorizationServers = [world.issuer.replace('127.0.0.1', 'localhost')];
  await assert.rejects(env.h['live.signIn']({ serverId: id }), /wrong issuer/);
  // Authorization server down.
  world.prm.authorizationServers = ['http://127.0.0.1:9'];
  await assert.rejects(env.h['live.signIn']({ serverId: id }), /authorization server is unreachable/);
  delete world.prm.authorizationServers;
  // Resource mismatch: the protected resource metadata names another resource.
  world.prm.resource = 'http://127.0.0.1:9/other';
  await assert.rejects(env.h['live.signIn']({ serverId: id }), /resource mismatch/);
  delete world.prm.resource;
  assert.deepEqual(env.oauthEntries(), []);
  assert.deepEqual(env.sessionRows(), []);

  // The good path, with a short access-token lifetime (refresh below).
  world.accessTtl = 2;
  const good = await startAndLogin(env, id);
  const from = env.signInEvents(id).length;
  assert.equal(await deliver(good.callback), 200);
  const ok = await env.outcome(id, from);
  assert.equal(ok.stage, 'signed-in', String(ok.error));
  for (let i = 0; i < 100; i++) {
    st = (await env.states()).find((s) => s.serverId === id)!;
    if (st.status === 'ok') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(st.status, 'ok', st.error);
  assert.equal(st.signIn, 'signed-in');
  assert.equal(st.authMode, 'oauth');
  assert.equal(st.toolCount, 1);
  const pins = await env.h['live.pins']({ serverId: id });
  env.outputs.push(pins);
  assert.deepEqual(
    pins.pins.map((p) => `${p.kind}:${p.name}`),
    ['tool:lookup'],
  );
  assert.equal(env.oauthEntries().length, 1);
  const stored = env.secrets.map.get(env.oauthEntries()[0]!)!;

  // Code replay: a new sign-in fed the code already used is refused, and changes nothing.
  {
    const start = await env.h['live.signIn']({ serverId: id });
    const replay = new URL(good.callback.replace(/^http:\/\/127\.0\.0\.1:\d+/, new URL(start.redirectUri).origin));
    replay.searchParams.set('state', new URL(start.authorizationUrl).searchParams.get('state')!);
    const f = env.signInEvents(id).length;
    await deliver(replay.href);
    const e = await env.outcome(id, f);
    assert.equal(e.stage, 'failed');
    assert.match(String(e.error), /invalid_grant/);
    assert.equal(env.secrets.map.get(env.oauthEntries()[0]!), stored, 'the stored session is untouched');
  }

  // Refresh: the access token lives 2 s; the next scan refreshes it through the SDK first.
  // (The replay above made the authorization server revoke that grant: sign in again first.)
  world.accessTtl = 2;
  {
    const again = await startAndLogin(env, id);
    const f = env.signInEvents(id).length;
    await deliver(again.callback);
    assert.equal((await env.outcome(id, f)).stage, 'signed-in');
  }
  // Refreshed tokens live longer (a loaded machine must not see them expire mid-scan).
  world.accessTtl = 120;
  const before = world.issuedTokens.size;
  const seenBefore = world.seenTokens.size;
  const rescan = await env.h['live.scan']({ serverIds: [id] });
  env.outputs.push(rescan);
  assert.equal(rescan.ok, 1, JSON.stringify((await env.states()).find((s) => s.serverId === id)));
  assert.ok(world.issuedTokens.size > before, 'a refresh issued new tokens');
  assert.ok(world.seenTokens.size > seenBefore, 'the server saw the refreshed token');
  const row = env.sessionRows()[0] as { refreshed_at: string | null };
  assert.ok(row.refreshed_at);

  // Sign-out: revoked at the authorization server, deleted here.
  const out = await env.h['live.signOut']({ serverId: id });
  env.outputs.push(out);
  assert.deepEqual(out, { signedOut: true, revoked: true });
  assert.ok(world.revocations > 0);
  assert.deepEqual(env.oauthEntries(), []);
  assert.deepEqual(env.sessionRows(), []);
  await env.h['live.scan']({ serverIds: [id] });
  st = (await env.states()).find((s) => s.serverId === id)!;
  assert.equal(st.status, 'needs-sign-in');

  // No token value in the state folder (database, WAL), API outputs or events.
  env.ctx.db.close?.();
  const tokens = [...world.issuedTokens];
  assert.ok(tokens.length >= 4);
  const blobs: string[] = [JSON.stringify(env.outputs), JSON.stringify(env.events)];
  for (const f of await readdir(env.stateDir, { recursive: true })) {
    try {
      blobs.push((await readFile(join(env.stateDir, f))).toString('latin1'));
    } catch {
      /* a folder */
    }
  }
  const hits = tokens.filter((t) => blobs.some((b) => b.includes(t)));
  assert.equal(hits.length, 0);
});

test('a sign-in the admin log cannot record is not stored: no session, its tokens deleted, reported as failed', async () => {
  const env = await setup();
  const id = env.user.serverId;
  // The admin log refuses every entry (as a keyed log without its key does).
  env.ctx.db.exec(
    "CREATE TEMP TRIGGER refuse_admin_log BEFORE INSERT ON admin_log BEGIN SELECT RAISE(ABORT, 'admin log refused'); END",
  );
  const { callback } = await startAndLogin(env, id);
  const from = env.signInEvents(id).length;
  assert.equal(await deliver(callback), 200);
  let failed: Record<string, unknown> | undefined;
  for (let i = 0; i < 200 && !failed; i++) {
    failed = env
      .signInEvents(id)
      .slice(from)
      .find((p) => p.stage === 'failed');
    if (!failed) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(failed, 'a failed event follows');
  assert.match(String(failed.error), /could not be recorded in the admin log: admin log refused; nothing was stored/);
  assert.deepEqual(env.oauthEntries(), [], 'tokens deleted');
  assert.deepEqual(env.sessionRows(), [], 'session deleted');
  env.ctx.db.exec('DROP TRIGGER refuse_admin_log');
  env.ctx.db.close();
});

test('a sign-out asked for while a sign-in is being stored runs after it and ends that session', async () => {
  const env = await setup();
  const id = env.user.serverId;
  const { callback } = await startAndLogin(env, id);
  // The sign-in's token write waits (a slow keyring; in a serving process, its write turn).
  const set = env.secrets.set;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let held = false;
  env.secrets.set = async (k, v) => {
    if (k.startsWith('live.oauth.')) {
      held = true;
      await gate;
    }
    return set(k, v);
  };
  const from = env.signInEvents(id).length;
  assert.equal(await deliver(callback), 200);
  for (let i = 0; i < 200 && !held; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(held, 'the sign-in stores its tokens');
  let signedOut = false;
  const out = env.h['live.signOut']({ serverId: id }).then((r) => ((signedOut = true), r));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(signedOut, false, 'the sign-out waits for the sign-in being stored');
  open();
  assert.equal((await env.outcome(id, from)).stage, 'signed-in');
  assert.equal((await out).signedOut, true);
  assert.deepEqual(env.oauthEntries(), [], 'its tokens deleted');
  assert.deepEqual(env.sessionRows(), [], 'its session deleted');
  const actions = adminLogEntriesAfter(env.ctx.db, 0).map((e) => e.action);
  assert.deepEqual(actions.slice(-2), ['oauth.sign-in', 'oauth.sign-out']);
  env.ctx.db.close();
});

test('after a sign-out, a connection’s provider writes no tokens back and refreshes nothing', async () => {
  const env = await setup();
  const id = env.user.serverId;
  const { callback } = await startAndLogin(env, id);
  const from = env.signInEvents(id).length;
  assert.equal(await deliver(callback), 200);
  assert.equal((await env.outcome(id, from)).stage, 'signed-in');
  const { key } = env.sessionRows()[0] as { key: string };
  const deps = { db: env.ctx.db, secrets: env.secrets, now: () => new Date(), limits: DEFAULT_LIMITS };
  // A connection opened while signed in (as a scan holds one)…
  const provider = await connectProvider(deps, key);
  assert.ok(provider);
  await env.h['live.signOut']({ serverId: id });
  assert.deepEqual(env.oauthEntries(), []);
  // …then the SDK refreshes on a 401 and saves what it got: refused, nothing written.
  await assert.rejects(
    provider.saveTokens({ access_token: 'late-access', token_type: 'Bearer', refresh_token: 'late-refresh' }),
    /signed out: sign in again/,
  );
  assert.deepEqual(env.oauthEntries(), [], 'no tokens written back');
  // And a refresh asked for after the sign-out is refused before anything is sent.
  provider.data.tokens = { access_token: 'old', token_type: 'Bearer', refresh_token: 'old-refresh', expires_in: 0 };
  await assert.rejects(refreshIfNeeded(deps, provider, world.mcpUrl), /signed out: sign in again/);
  assert.deepEqual(env.oauthEntries(), []);
  assert.deepEqual(env.sessionRows(), []);
  env.ctx.db.close();
});
