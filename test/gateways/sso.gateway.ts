import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../electron/cli/run.js';
import { openNodeSecretStore } from '../../electron/node/secret-store.js';
import { ssoKey } from '../../electron/services/gateways/sso.js';
import {
  addGateway,
  getGateway,
  loginGateway,
  syncGateway,
  testGateway,
} from '../../electron/services/gateways/service.js';
import { scopeFindings } from '../../electron/services/tenants/service.js';
import { tokenKey } from '../../electron/services/identity/sessions.js';
import { trustCaInProcess, type TestIdp } from '../support/idp.js';
import { SSO_PROVIDER, startSsoGateway, type SsoGateway } from './sso-setup.js';
import { gatewaySkipReason, MemorySecretStore, testContext, type LiveGateway } from './support.js';

/**
 * Single sign-on to the real ContextForge 1.0.7, configured for generic OIDC against a real IdP
 * (oidc-provider over TLS with a CA made here, handed to the gateway's Python as SSL_CERT_FILE).
 * The gateway is the OIDC client (its own login); Gatehouse relays the redirect through its
 * loopback listener and keeps an expiring API token for the signed-in user.
 */

const skip = gatewaySkipReason();

/** What a browser's top-level navigation sends. */
function browse(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'cross-site' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('gateway single sign-on against ContextForge 1.0.7 (generic OIDC, IdP over TLS)', { skip }, () => {
  let sso: SsoGateway | undefined;
  let idp: TestIdp;
  let gw: LiveGateway;
  let adminToken: string;

  before(async () => {
    sso = await startSsoGateway();
    ({ idp, gw, adminToken } = sso);
    trustCaInProcess(idp.caPem!);
  });
  after(async () => {
    await sso?.stop();
  });

  it('CLI: add --sso, login, test and sync as the IdP user, logout revokes; no token in state, output or API', async () => {
    const ctx = testContext();
    const state = ctx.dir;
    ctx.db.close();
    let out = '';
    let err = '';
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
    const cli = (...args: string[]) => main(['gateway', ...args, '--state', state], io);
    let api = '';
    type Listed = {
      id: string;
      authType: string;
      hasCredential: boolean;
      credentialHint: string;
      sso: { email: string; status: string; issuer: string };
      lastTest: { identity: string };
    };
    const list = async (): Promise<Listed[]> => {
      let buf = '';
      await main(['gateway', 'list', '--format', 'json', '--state', state], {
        stdout: (t) => void (buf += t),
        stderr: (t) => void (err += t),
      });
      api += buf;
      return JSON.parse(buf) as Listed[];
    };

    assert.equal(await cli('add', 'cf-sso', '--url', gw.baseUrl, '--sso', idp.issuer), 0, err);
    assert.match(out, /single sign-on .* gatehouse gateway login cf-sso/);
    // not signed in yet: the gateway says so, never a raw error
    assert.equal(await cli('test', 'cf-sso'), 2);
    assert.match(out, /Not signed in\. Sign in again \(gatehouse gateway login cf-sso\)/);

    const errBefore = err.length;
    const login = cli('login', 'cf-sso', '--no-browser');
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      url = /https:\/\/\S+\/auth\?\S+/.exec(err.slice(errBefore))?.[0];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(url, `no URL printed: ${err}`);
    assert.equal(new URL(url).origin, idp.issuer);
    assert.equal(await browse(await idp.interact(url, 'dave')), 200);
    assert.equal(await login, 0, err);
    assert.match(out, /Signed in to gateway cf-sso as dave@example\.com; API token \S+…\S+ in /);

    const id = (await list())[0]!.id;
    const stored = JSON.parse((await openNodeSecretStore(state).get(tokenKey(ssoKey(id))))!) as {
      accessToken: string;
      sessionToken: string;
      expiresAt: number;
    };
    const values = [stored.accessToken, stored.sessionToken];
    assert.ok(stored.expiresAt > Date.now() + 23 * 3600_000, 'an expiring API token (1 day)');

    assert.equal(await cli('test', 'cf-sso'), 0, out);
    assert.match(out, /ok: Connected as dave@example\.com/);
    assert.equal(await cli('sync', 'cf-sso'), 0, out);
    assert.match(out, /synced \S+: \d+ upstream/);
    const listed = await list();
    assert.equal(listed[0]!.authType, 'sso');
    assert.equal(listed[0]!.hasCredential, true);
    assert.match(listed[0]!.credentialHint, /…/);
    assert.deepEqual(
      [listed[0]!.sso.email, listed[0]!.sso.status, listed[0]!.sso.issuer],
      ['dave@example.com', 'active', idp.issuer],
    );
    assert.equal(listed[0]!.lastTest.identity, 'dave@example.com');

    // the gateway knows the API token as alice's
    const me = await fetch(`${gw.baseUrl}/v1/auth/email/me`, {
      headers: { authorization: `Bearer ${stored.accessToken}` },
    });
    assert.equal(((await me.json()) as { email: string }).email, 'dave@example.com');

    assert.equal(await cli('logout', 'cf-sso'), 0, err);
    assert.match(out, /Signed out; the API token was revoked at the gateway/);
    const after = await fetch(`${gw.baseUrl}/v1/auth/email/me`, {
      headers: { authorization: `Bearer ${stored.accessToken}` },
    });
    assert.equal(after.status, 401, 'revoked at the gateway');
    assert.equal(await openNodeSecretStore(state).get(tokenKey(ssoKey(id))), null);
    assert.equal((await list())[0]!.sso.status, 'signed-out');
    assert.equal(await cli('test', 'cf-sso'), 2);
    assert.match(out, /Sign in again \(gatehouse gateway login cf-sso\)/);

    for (const v of values) {
      assert.equal(out.includes(v) || err.includes(v) || api.includes(v), false, 'token in CLI output or API response');
      for (const f of readdirSync(state)) {
        if (!statSync(join(state, f)).isFile()) continue;
        assert.equal(readFileSync(join(state, f)).toString('latin1').includes(v), false, `token in ${f}`);
      }
    }
  });

  it('an expired SSO token leaves the gateway in "sign in again", never a raw error', async () => {
    const secrets = new MemorySecretStore();
    const ctx = testContext(secrets);
    const g = await addGateway(ctx, { name: 'cf', baseUrl: gw.baseUrl, authType: 'sso', ssoIssuer: idp.issuer });
    await loginGateway(ctx, g.id, {
      openUrl: async (u) => void browse(await idp.interact(u, 'erin')).catch(() => {}),
    });
    const ok = await testGateway(ctx, g.id);
    assert.equal(ok.ok, true, ok.message);
    assert.equal(ok.identity, 'erin@example.com');
    // the API token runs out (ContextForge offers no refresh for it)
    const key = tokenKey(ssoKey(g.id));
    const t = JSON.parse(secrets.values.get(key)!) as { expiresAt: number };
    secrets.values.set(key, JSON.stringify({ ...t, expiresAt: Date.now() - 1000 }));
    const r = await testGateway(ctx, g.id);
    assert.equal(r.ok, false);
    assert.match(r.message, /cannot be refreshed\. Sign in again \(gatehouse gateway login cf\)/);
    const conn = await getGateway(ctx, g.id);
    assert.equal(conn.sso?.status, 'sign-in-again');
    assert.equal(conn.hasCredential, false);
    assert.equal(secrets.values.has(key), false);
  });

  it('bad cases: unknown provider, IdP that is not the configured one; nothing stored', async () => {
    const secrets = new MemorySecretStore();
    const ctx = testContext(secrets);
    const a = await addGateway(ctx, {
      name: 'cf-a',
      baseUrl: gw.baseUrl,
      authType: 'sso',
      ssoIssuer: idp.issuer,
      ssoProviderId: 'nope',
    });
    await assert.rejects(
      loginGateway(ctx, a.id, { openUrl: () => {} }),
      /offers no enabled SSO provider "nope" \(it offers: testidp\)/,
    );
    const b = await addGateway(ctx, {
      name: 'cf-b',
      baseUrl: gw.baseUrl,
      authType: 'sso',
      ssoIssuer: 'https://idp.example.com',
    });
    await assert.rejects(
      loginGateway(ctx, b.id, { openUrl: () => {} }),
      /sends the sign-in to https:\/\/127\.0\.0\.1:\d+, not to the configured identity provider/,
    );
    // a local account with the IdP user's email (seeded alice): the gateway will not link them
    const c = await addGateway(ctx, { name: 'cf-c', baseUrl: gw.baseUrl, authType: 'sso', ssoIssuer: idp.issuer });
    await assert.rejects(
      loginGateway(ctx, c.id, { openUrl: async (u) => void browse(await idp.interact(u, 'alice')).catch(() => {}) }),
      /refused the sign-in \(user_creation_failed\).*existing account/,
    );
    assert.equal(secrets.values.size, 0);
    assert.equal((await getGateway(ctx, a.id)).sso?.status, 'signed-out');
    assert.equal((await getGateway(ctx, c.id)).sso?.status, 'signed-out');
  });

  it('a sign-in the admin log cannot record is not stored, and the API token it minted is revoked at the gateway', async () => {
    const secrets = new MemorySecretStore();
    // Every value ever stored, to try the API token at the gateway after the undo.
    const written: string[] = [];
    const set = secrets.set.bind(secrets);
    secrets.set = async (k, v) => {
      written.push(v);
      await set(k, v);
    };
    const ctx = testContext(secrets);
    const g = await addGateway(ctx, { name: 'cf-log', baseUrl: gw.baseUrl, authType: 'sso', ssoIssuer: idp.issuer });
    // The admin log refuses the login entry (as a keyed log without its key does).
    ctx.db.exec(
      "CREATE TEMP TRIGGER refuse_login BEFORE INSERT ON admin_log WHEN NEW.action = 'gateway.login' BEGIN SELECT RAISE(ABORT, 'admin log refused'); END",
    );
    let message = '';
    await assert.rejects(
      loginGateway(ctx, g.id, { openUrl: async (u) => void browse(await idp.interact(u, 'erin')).catch(() => {}) }),
      (err: Error) => {
        message = err.message;
        return true;
      },
    );
    assert.match(message, /could not be recorded in the admin log: admin log refused; nothing was stored/, message);
    // The DELETE of the minted token was answered (else the message asks to revoke it by hand).
    assert.doesNotMatch(message, /by hand/, message);
    const minted = written
      .map((v) => JSON.parse(v) as { accessToken?: string })
      .find((t) => typeof t.accessToken === 'string');
    assert.ok(minted?.accessToken, 'an API token was minted before the log refused');
    // Revoked at the gateway (polled briefly, in case its auth answers from a cache).
    let status = 0;
    for (let i = 0; i < 25 && status !== 401; i++) {
      if (i) await new Promise((r) => setTimeout(r, 200));
      status = (
        await fetch(`${gw.baseUrl}/v1/auth/email/me`, { headers: { authorization: `Bearer ${minted.accessToken}` } })
      ).status;
    }
    assert.equal(status, 401, 'revoked at the gateway');
    assert.equal(secrets.values.has(tokenKey(ssoKey(g.id))), false);
    assert.equal((await getGateway(ctx, g.id)).sso?.status, 'signed-out');
    ctx.db.close();
  });

  it('auth.static: the same gateway read with a static admin token while it offers SSO', async () => {
    const ctx = testContext();
    const g = await addGateway(ctx, { name: 'cf-static', baseUrl: gw.baseUrl, authType: 'bearer', secret: adminToken });
    assert.equal((await syncGateway(ctx, g.id)).ok, true);
    const f = scopeFindings(ctx, g.id).filter((x) => x.ruleId === 'auth.static');
    assert.equal(f.length, 1);
    assert.match(f[0]!.message, new RegExp(`offers single sign-on \\(${SSO_PROVIDER}\\)`));
  });
});
