import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { main } from '../../electron/cli/run.js';
import { adminLogEntriesAfter } from '../../electron/services/audit/admin-log.js';
import { addGateway } from '../../electron/services/gateways/service.js';
import { classify, SignInError } from '../../electron/services/identity/oidc.js';
import {
  accessToken,
  actorOf,
  CONSOLE_KEY,
  osUser,
  sessionInfo,
  setProvider,
  signIn,
  signOut,
  tokenKey,
} from '../../electron/services/identity/sessions.js';
import { openNodeSecretStore } from '../../electron/node/secret-store.js';
import { MemorySecretStore, testContext } from '../gateways/support.js';
import { NATIVE_CLIENT_ID, startIdp, trustCaInProcess, type TestIdp } from '../support/idp.js';

/** What a browser's top-level navigation sends (fetch() forces `sec-fetch-mode: cors`, so node:http). */
const NAVIGATE = { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'cross-site' };
function browse(url: URL | string, headers: Record<string, string> = NAVIGATE): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

let idp: TestIdp;
before(async () => {
  idp = await startIdp({ tls: true, accessTokenTtl: 30 });
  trustCaInProcess(idp.caPem!);
});
after(() => idp.stop());

/** A context with the console IdP configured, and an opener that drives the IdP as `user`. */
function setup(user = 'alice') {
  const secrets = new MemorySecretStore();
  const ctx = testContext(secrets);
  setProvider(ctx, CONSOLE_KEY, {
    issuer: idp.issuer,
    clientId: NATIVE_CLIENT_ID,
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  });
  const drive =
    (rewrite?: (u: URL) => URL, cbRewrite?: (u: URL) => URL, init?: Record<string, string>) => async (url: string) => {
      const authUrl = rewrite ? rewrite(new URL(url)) : new URL(url);
      const cb = new URL(await idp.interact(authUrl.toString(), user));
      // the browser follows the redirect to the loopback listener
      void browse(cbRewrite ? cbRewrite(cb) : cb, init).catch(() => {});
    };
  return { ctx, secrets, drive };
}

function assertNothingStored(ctx: ReturnType<typeof setup>['ctx'], secrets: MemorySecretStore) {
  assert.equal(sessionInfo(ctx, CONSOLE_KEY), null);
  assert.equal([...secrets.values.keys()].filter((k) => k.startsWith('identity:')).length, 0);
}

async function expectFailure(p: Promise<unknown>, reason: string, re: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SignInError, `not a SignInError: ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    assert.match(err.message, re);
    return true;
  });
}

describe('OIDC sign-in against a real IdP (oidc-provider over TLS)', () => {
  it('signs in with PKCE + loopback, stores tokens only in the secret store, and the admin becomes the actor', async () => {
    const { ctx, secrets, drive } = setup('alice');
    assert.equal(actorOf(ctx), `${osUser()} (cli)`);
    const s = await signIn(ctx, CONSOLE_KEY, { openUrl: drive() });
    assert.equal(s.subject, 'alice');
    assert.equal(s.email, 'alice@example.com');
    assert.deepEqual(s.groups, ['gatehouse-admins', 'security']);
    assert.equal(s.canRefresh, true);
    const stored = JSON.parse(secrets.values.get(tokenKey(CONSOLE_KEY))!) as {
      accessToken: string;
      refreshToken: string;
      idToken: string;
    };
    assert.ok(stored.accessToken && stored.refreshToken && stored.idToken);
    assert.notEqual(s.credentialHint, stored.accessToken);
    assert.equal(actorOf(ctx), `alice@example.com (${idp.issuer}#alice)`);
    // every admin-log entry now names the admin
    await addGateway(ctx, {
      name: 'gw',
      kind: 'contextforge',
      baseUrl: 'http://127.0.0.1:9',
      authType: 'none',
      timeoutMs: 1000,
    });
    const log = adminLogEntriesAfter(ctx.db, 0);
    assert.equal(log.at(-1)!.actor, `alice@example.com (${idp.issuer}#alice)`);
    // no token value in the database files
    ctx.db.close();
    const values = [stored.accessToken, stored.refreshToken, stored.idToken];
    for (const f of readdirSync(ctx.dir)) {
      if (!statSync(join(ctx.dir, f)).isFile()) continue;
      const text = readFileSync(join(ctx.dir, f)).toString('latin1');
      for (const v of values) assert.equal(text.includes(v), false, `token found in ${f}`);
    }
  });

  it('refreshes before expiry, and a failed refresh becomes "sign in again" (tokens deleted)', async () => {
    const { ctx, secrets, drive } = setup('carol');
    await signIn(ctx, CONSOLE_KEY, { openUrl: drive() });
    const first = JSON.parse(secrets.values.get(tokenKey(CONSOLE_KEY))!) as {
      accessToken: string;
      refreshToken: string;
    };
    // 30 s tokens are inside the 60 s refresh margin: the next use refreshes
    const fresh = await accessToken(ctx, CONSOLE_KEY, 'gatehouse login');
    assert.notEqual(fresh, first.accessToken);
    assert.ok(sessionInfo(ctx, CONSOLE_KEY)!.refreshedAt);
    // revoke the refresh token behind Gatehouse's back: the next refresh fails → sign in again
    const cur = JSON.parse(secrets.values.get(tokenKey(CONSOLE_KEY))!) as { refreshToken: string };
    const config = await client.discovery(new URL(idp.issuer), NATIVE_CLIENT_ID, undefined, client.None());
    await client.tokenRevocation(config, cur.refreshToken);
    await expectFailure(
      accessToken(ctx, CONSOLE_KEY, 'gatehouse login'),
      'refresh-failed',
      /Sign in again \(gatehouse login\)/,
    );
    const s = sessionInfo(ctx, CONSOLE_KEY)!;
    assert.equal(s.status, 'sign-in-again');
    assert.equal(secrets.values.has(tokenKey(CONSOLE_KEY)), false);
    assert.equal(actorOf(ctx), `${osUser()} (cli)`);
  });

  it('sign-out revokes at the IdP (introspection: inactive) and deletes everything', async () => {
    const { ctx, secrets, drive } = setup('bob');
    await signIn(ctx, CONSOLE_KEY, { openUrl: drive() });
    const t = JSON.parse(secrets.values.get(tokenKey(CONSOLE_KEY))!) as { refreshToken: string };
    assert.equal((await idp.introspect(t.refreshToken)).active, true);
    const r = await signOut(ctx, CONSOLE_KEY);
    assert.deepEqual(r, { signedOut: true, revoked: true });
    assert.equal((await idp.introspect(t.refreshToken)).active, false);
    assertNothingStored(ctx, secrets);
  });

  it('device authorization grant', async () => {
    const { ctx } = setup();
    const s = await signIn(ctx, CONSOLE_KEY, {
      device: ({ verificationUriComplete }) => void idp.interact(verificationUriComplete!, 'bob'),
    });
    assert.equal(s.subject, 'bob');
  });

  it('state mismatch → specific error, nothing stored', async () => {
    const { ctx, secrets, drive } = setup();
    const wrongState = (u: URL) => (u.searchParams.set('state', 'forged'), u);
    await expectFailure(
      signIn(ctx, CONSOLE_KEY, { openUrl: drive(undefined, wrongState) }),
      'state-mismatch',
      /state mismatch/,
    );
    assertNothingStored(ctx, secrets);
  });

  it('a callback from another origin (a web page) → refused, nothing stored', async () => {
    const { ctx, secrets, drive } = setup();
    const init = { origin: 'https://evil.example', 'sec-fetch-mode': 'cors' };
    await expectFailure(
      signIn(ctx, CONSOLE_KEY, { openUrl: drive(undefined, undefined, init) }),
      'wrong-origin',
      /another origin/,
    );
    assertNothingStored(ctx, secrets);
  });

  it('nonce mismatch → specific error, nothing stored', async () => {
    const { ctx, secrets, drive } = setup();
    const otherNonce = (u: URL) => (u.searchParams.set('nonce', 'not-the-one-gatehouse-sent'), u);
    await expectFailure(signIn(ctx, CONSOLE_KEY, { openUrl: drive(otherNonce) }), 'nonce-mismatch', /nonce mismatch/);
    assertNothingStored(ctx, secrets);
  });

  it('wrong iss in the response → specific error, nothing stored', async () => {
    const { ctx, secrets, drive } = setup();
    const wrongIss = (u: URL) => (u.searchParams.set('iss', 'https://idp.evil.example'), u);
    await expectFailure(
      signIn(ctx, CONSOLE_KEY, { openUrl: drive(undefined, wrongIss) }),
      'issuer-mismatch',
      /another issuer/,
    );
    assertNothingStored(ctx, secrets);
  });

  it('wrong issuer (discovery names another) → specific error, nothing stored', async () => {
    const { ctx, secrets, drive } = setup();
    setProvider(ctx, CONSOLE_KEY, {
      issuer: idp.issuer.replace('127.0.0.1', 'localhost'),
      clientId: NATIVE_CLIENT_ID,
      scopes: ['openid'],
    });
    await expectFailure(signIn(ctx, CONSOLE_KEY, { openUrl: drive() }), 'wrong-issuer', /different issuer/);
    assertNothingStored(ctx, secrets);
  });

  it('IdP down → specific error, nothing stored', async () => {
    const { ctx, secrets, drive } = setup();
    setProvider(ctx, CONSOLE_KEY, { issuer: 'https://127.0.0.1:9', clientId: NATIVE_CLIENT_ID, scopes: ['openid'] });
    await expectFailure(signIn(ctx, CONSOLE_KEY, { openUrl: drive() }), 'idp-down', /cannot be reached/);
    assertNothingStored(ctx, secrets);
  });

  it('clock skew beyond tolerance → specific error, nothing stored', async () => {
    const { ctx, secrets, drive } = setup();
    ctx.clock = { now: () => new Date(Date.now() + 2 * 3600_000) };
    await expectFailure(signIn(ctx, CONSOLE_KEY, { openUrl: drive() }), 'clock-skew', /system clock/);
    assertNothingStored(ctx, secrets);
  });

  it('code replay → the IdP refuses it with a specific message', async () => {
    const config = await client.discovery(new URL(idp.issuer), NATIVE_CLIENT_ID, undefined, client.None());
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:1/callback',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const cb = new URL(await idp.interact(url.toString(), 'alice'));
    const checks = { pkceCodeVerifier: verifier, expectedState: state };
    await client.authorizationCodeGrant(config, cb, checks);
    const err = await client.authorizationCodeGrant(config, cb, checks).then(
      () => assert.fail('replayed code accepted'),
      (e: unknown) => e,
    );
    const mapped = classify(err, idp.issuer);
    assert.equal(mapped.reason, 'code-rejected');
    assert.match(mapped.message, /already used/);
  });
});

describe('gatehouse login / whoami / logout (CLI, driven over HTTP)', () => {
  it('signs in, records the admin as actor, signs out; no token in the state folder or CLI output', async () => {
    const { ctx } = setup();
    const state = ctx.dir;
    ctx.db.close();
    let out = '';
    let err = '';
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
    const login = main(
      ['login', '--issuer', idp.issuer, '--client-id', NATIVE_CLIENT_ID, '--no-browser', '--state', state],
      io,
    );
    let url: string | undefined;
    for (let i = 0; i < 100 && !url; i++) {
      url = /https:\/\/\S+\/auth\?\S+/.exec(err)?.[0];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(url, `no URL printed: ${err}`);
    await browse(await idp.interact(url, 'alice'));
    assert.equal(await login, 0, err);
    assert.match(out, /Signed in as alice@example.com/);
    assert.equal(await main(['whoami', '--state', state], io), 0);
    assert.match(out, new RegExp(`actor: alice@example.com \\(${idp.issuer.replace(/[.:/]/g, '\\$&')}#alice\\)`));
    const tokens = JSON.parse((await openNodeSecretStore(state).get(tokenKey(CONSOLE_KEY)))!) as Record<string, string>;
    const values = [tokens.accessToken!, tokens.refreshToken!, tokens.idToken!];
    assert.equal(await main(['whoami', '--state', state, '--format', 'json'], io), 0);
    assert.equal(await main(['logout', '--state', state], io), 0);
    assert.match(out, /Signed out \(tokens revoked/);
    assert.equal((await idp.introspect(tokens.refreshToken!)).active, false);
    for (const v of values) {
      assert.equal(out.includes(v) || err.includes(v), false, 'token in CLI output');
      for (const f of readdirSync(state)) {
        if (!statSync(join(state, f)).isFile()) continue;
        assert.equal(readFileSync(join(state, f)).toString('latin1').includes(v), false, `token in ${f}`);
      }
    }
    // the admin log names the admin for login and logout
    const { openDatabase } = await import('../../electron/services/store/database.js');
    const db = openDatabase(join(state, 'gatehouse.db'));
    const actors = adminLogEntriesAfter(db, 0)
      .filter((e) => e.action.startsWith('identity.'))
      .map((e) => [e.action, e.actor]);
    db.close();
    assert.deepEqual(actors.at(-2), ['identity.login', `alice@example.com (${idp.issuer}#alice)`]);
    assert.deepEqual(actors.at(-1), ['identity.logout', `alice@example.com (${idp.issuer}#alice)`]);
    assert.equal(actors[0]![1], `${osUser()} (cli)`); // provider set before sign-in: the OS user
  });
});
