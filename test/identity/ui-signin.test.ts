import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { adminLogEntriesAfter } from '../../electron/services/audit/admin-log.js';
import { addGateway } from '../../electron/services/gateways/service.js';
import { gatewayHandlers } from '../../electron/services/gateways/handlers.js';
import { identityHandlers } from '../../electron/services/identity/handlers.js';
import { CONSOLE_KEY, sessionInfo, tokenKey } from '../../electron/services/identity/sessions.js';
import { MemorySecretStore, testContext } from '../gateways/support.js';
import { NATIVE_CLIENT_ID, startIdp, type TestIdp } from '../support/idp.js';

/** The UI's sign-in methods: start → URL, completion through the loopback callback and an event. */

function browse(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'cross-site' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

let idp: TestIdp;
before(async () => {
  idp = await startIdp();
});
after(() => idp.stop());

function setup(mode: 'browser' | 'desktop' = 'browser') {
  const secrets = new MemorySecretStore();
  const ctx = Object.assign(testContext(secrets), { mode });
  const events: { event: string; payload: Record<string, unknown> }[] = [];
  ctx.events.subscribe((event, payload) => events.push({ event, payload: payload as Record<string, unknown> }));
  const waitFor = async (pred: (p: Record<string, unknown>) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const e = events.find((x) => x.event === 'identity.signIn' && pred(x.payload));
      if (e) return e.payload;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no such event: ${JSON.stringify(events)}`);
  };
  return { ctx, h: identityHandlers(ctx), events, waitFor, secrets };
}

describe('identity.configure / identity.signIn / identity.signOut (UI methods)', () => {
  it('configures, starts with a URL, completes via the loopback callback, signs out; admin log names the admin', async () => {
    const { ctx, h, waitFor } = setup();
    await assert.rejects(h['identity.signIn']({}), /No identity provider is configured/);
    const p = await h['identity.configure']({ issuer: idp.issuer, clientId: NATIVE_CLIENT_ID });
    assert.deepEqual(p.scopes, ['openid', 'email', 'profile', 'offline_access']);
    const { authorizationUrl, opened } = await h['identity.signIn']({});
    assert.equal(opened, false);
    assert.equal(new URL(authorizationUrl).origin, idp.issuer);
    assert.match(authorizationUrl, /code_challenge_method=S256/);
    await waitFor((e) => e.stage === 'waiting');
    assert.equal(await browse(await idp.interact(authorizationUrl, 'alice')), 200);
    const done = await waitFor((e) => e.stage === 'signed-in');
    assert.equal(done.email, 'alice@example.com');
    const who = await h['identity.whoami']({});
    assert.equal(who.session?.email, 'alice@example.com');
    assert.equal(who.actor, `alice@example.com (${idp.issuer}#alice)`);
    assert.deepEqual(await h['identity.signOut']({}), { signedOut: true, revoked: true });
    assert.equal(sessionInfo(ctx, CONSOLE_KEY), null);
    const log = adminLogEntriesAfter(ctx.db, 0).map((e) => [e.action, e.actor]);
    assert.deepEqual(
      log.map((e) => e[0]),
      ['identity.provider.set', 'identity.login', 'identity.logout'],
    );
    assert.equal(log[1]![1], `alice@example.com (${idp.issuer}#alice)`);
    assert.equal(log[2]![1], `alice@example.com (${idp.issuer}#alice)`);
    ctx.db.close();
  });

  it('a sign-in the admin log cannot record is not stored (session and entry in one transaction) and is reported as failed', async () => {
    const { ctx, h, waitFor, secrets, events } = setup();
    await h['identity.configure']({ issuer: idp.issuer, clientId: NATIVE_CLIENT_ID });
    // Alice is signed in; then the admin log refuses the next login entry (as a keyed log without
    // its key does) and Bob signs in.
    const first = await h['identity.signIn']({});
    assert.equal(await browse(await idp.interact(first.authorizationUrl, 'alice')), 200);
    await waitFor((e) => e.stage === 'signed-in');
    assert.equal(sessionInfo(ctx, CONSOLE_KEY)?.email, 'alice@example.com');
    ctx.db.exec(
      "CREATE TEMP TRIGGER refuse_login BEFORE INSERT ON admin_log WHEN NEW.action = 'identity.login' BEGIN SELECT RAISE(ABORT, 'admin log refused'); END",
    );
    events.length = 0;
    const { authorizationUrl } = await h['identity.signIn']({});
    await waitFor((e) => e.stage === 'waiting');
    assert.equal(await browse(await idp.interact(authorizationUrl, 'bob')), 200);
    const failed = await waitFor((e) => e.stage === 'failed');
    assert.match(String(failed.error), /could not be recorded in the admin log: admin log refused; nothing was stored/);
    // Bob's sign-in replaced Alice's tokens; her session row does not stay behind to name her on
    // later entries: signed out.
    assert.equal(sessionInfo(ctx, CONSOLE_KEY), null);
    const who = await h['identity.whoami']({});
    assert.equal(who.session, null);
    assert.doesNotMatch(who.actor, /alice|bob/);
    assert.equal(await secrets.get(tokenKey(CONSOLE_KEY)), null, 'tokens deleted');
    assert.equal(secrets.values.size, 0);
    ctx.db.close();
  });

  it('a sign-in whose tokens cannot be deleted after the log refused it says so; no session row was ever written', async () => {
    const { ctx, h, waitFor, secrets } = setup();
    await h['identity.configure']({ issuer: idp.issuer, clientId: NATIVE_CLIENT_ID });
    ctx.db.exec(
      "CREATE TEMP TRIGGER refuse_login BEFORE INSERT ON admin_log WHEN NEW.action = 'identity.login' BEGIN SELECT RAISE(ABORT, 'admin log refused'); END",
    );
    secrets.delete = async () => {
      throw new Error('the keyring is locked');
    };
    const { authorizationUrl } = await h['identity.signIn']({});
    await waitFor((e) => e.stage === 'waiting');
    assert.equal(await browse(await idp.interact(authorizationUrl, 'alice')), 200);
    const failed = await waitFor((e) => e.stage === 'failed');
    assert.match(
      String(failed.error),
      /could not be recorded in the admin log: admin log refused; its tokens could not be deleted \(sign out to remove them\)/,
    );
    assert.equal(sessionInfo(ctx, CONSOLE_KEY), null, 'no session row: actions are not attributed to it');
    assert.equal((await h['identity.whoami']({})).session, null);
    ctx.db.close();
  });

  it('a newer sign-in replaces the waiting one (its listener closes, nothing stored); desktop opens the system browser', async () => {
    const { ctx, h, events } = setup('desktop');
    const openedUrls: string[] = [];
    ctx.shell = { showItemInFolder: () => {}, openExternal: async (u) => void openedUrls.push(u) };
    await h['identity.configure']({ issuer: idp.issuer, clientId: NATIVE_CLIENT_ID, scopes: ['openid', 'email'] });
    const first = await h['identity.signIn']({});
    assert.equal(first.opened, true);
    const second = await h['identity.signIn']({});
    assert.deepEqual(openedUrls, [first.authorizationUrl, second.authorizationUrl]);
    const firstCallback = new URL(new URL(first.authorizationUrl).searchParams.get('redirect_uri')!);
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(browse(firstCallback.toString()), /ECONNREFUSED/);
    assert.equal(
      events.some((e) => e.event === 'identity.signIn' && e.payload.stage === 'failed'),
      false,
      'a replaced sign-in is not reported as failed',
    );
    assert.equal(await browse(await idp.interact(second.authorizationUrl, 'bob')), 200);
    for (let i = 0; i < 200 && !sessionInfo(ctx, CONSOLE_KEY); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(sessionInfo(ctx, CONSOLE_KEY)?.email, 'bob@example.com');
    ctx.db.close();
  });
});

describe('gateways.login (UI method)', () => {
  it('fails before any URL with a specific message when the gateway cannot start SSO; nothing stored', async () => {
    const { ctx } = setup();
    const g = await addGateway(ctx, {
      name: 'sso-gw',
      kind: 'contextforge',
      baseUrl: 'http://127.0.0.1:9',
      authType: 'sso',
      ssoIssuer: idp.issuer,
      timeoutMs: 1000,
    });
    const h = gatewayHandlers(ctx);
    await assert.rejects(h['gateways.login']({ id: g.id }), /refused the connection \(is the gateway running\?\)/);
    const again = (await h['gateways.list']({})).find((x) => x.id === g.id)!;
    assert.equal(again.sso?.status, 'signed-out');
    assert.equal(again.hasCredential, false);
    const none = await addGateway(ctx, {
      name: 'plain',
      kind: 'contextforge',
      baseUrl: 'http://127.0.0.1:9',
      authType: 'none',
      timeoutMs: 1000,
    });
    await assert.rejects(h['gateways.login']({ id: none.id }), /not set up for single sign-on/);
    ctx.db.close();
  });
});
