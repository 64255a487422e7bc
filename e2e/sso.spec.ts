import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { openNodeSecretStore } from '../electron/node/secret-store.js';
import { CONSOLE_KEY, tokenKey } from '../electron/services/identity/sessions.js';
import { ssoKey } from '../electron/services/gateways/sso.js';
import { openDatabase } from '../electron/services/store/database.js';
import { startWorld, type World } from '../test/fixtures/oauth/protected-mcp.js';
import { startSsoGateway, type SsoGateway } from '../test/gateways/sso-setup.js';
import { gatewaySkipReason, type LiveGateway } from '../test/gateways/support.js';
import { NATIVE_CLIENT_ID, startIdp, type TestIdp } from '../test/support/idp.js';
import { captureApiResponses, captureEventStream, startServe, type ServeHandle } from './support/serve.js';

/**
 * Console single sign-on in real Chromium through the identity provider's own pages: a real
 * oidc-provider (test/support/idp.ts) and `gatehouse serve`. Settings → Identity → Sign in opens
 * the IdP in a new tab (login form, consent), which redirects to Gatehouse's loopback listener
 * (RFC 8252); Settings then shows the admin, who becomes the actor of a finding suppression on the
 * Audit page; Sign out revokes the grant at the IdP. No token value reaches the page, an API
 * response, the event stream or a plain file of the state folder.
 */

let idp: TestIdp;
let world: World;
let gh: ServeHandle;
let root: string;
const revokedGrants: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  idp = await startIdp();
  idp.provider.on('grant.revoked', (_ctx: unknown, grantId: string) => revokedGrants.push(grantId));
  world = await startWorld();
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-sso-'));
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  // A plaintext credential in a config: something to find, and suppress.
  writeFileSync(
    join(home, '.claude.json'),
    JSON.stringify({
      mcpServers: {
        github: {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-github'],
          env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_e2eSsoPlantedTokenValue0123456789abcd' },
        },
        // An OAuth-protected remote MCP server (SDK server auth + its own oidc-provider).
        protected: { type: 'http', url: world.mcpUrl },
      },
    }),
    { mode: 0o600 },
  );
  gh = await startServe({ home });
});

test.afterAll(async () => {
  await gh?.stop();
  await idp?.stop();
  await world?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Plays the admin at the IdP's own pages in the tab the console opened. */
async function signInAtIdp(tab: Page, user: string) {
  await tab.waitForLoadState();
  await expect(tab.locator('input[name="login"]')).toBeVisible();
  expect(new URL(tab.url()).origin).toBe(new URL(idp.issuer).origin);
  await tab.locator('input[name="login"]').fill(user);
  await tab.locator('input[name="password"]').fill('correct horse battery staple');
  await tab.locator('button[type="submit"]').click();
  // Consent (offline_access asks for it every time: prompt=consent).
  await tab.locator('button[type="submit"]', { hasText: /continue/i }).click();
  // Back at Gatehouse's loopback listener.
  await expect(tab.locator('body')).toContainText('Signed in to Gatehouse');
  expect(new URL(tab.url()).hostname).toBe('127.0.0.1');
}

test('Settings → Identity: sign in through the IdP, the admin is the audit actor, sign out revokes', async ({
  page,
  context,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const api = captureApiResponses(page);
  const events = await captureEventStream(gh);

  await page.goto(gh.url + '#/settings');
  const identity = page.getByTestId('settings-identity');
  await expect(identity.getByTestId('identity-actor')).toContainText('(browser)');
  await identity.getByTestId('identity-issuer').fill(idp.issuer);
  await identity.getByTestId('identity-client-id').fill(NATIVE_CLIENT_ID);
  await identity.getByTestId('identity-save').click();
  await expect(identity.getByTestId('identity-provider')).toContainText(idp.issuer);

  const popup = context.waitForEvent('page');
  await identity.getByTestId('identity-signin').click();
  const tab = await popup;
  await expect(identity.getByTestId('identity-waiting')).toBeVisible();
  await signInAtIdp(tab, 'alice');
  await tab.close();

  await expect(identity.getByTestId('identity-email')).toHaveText('alice@example.com');
  await expect(identity.getByTestId('identity-session')).toContainText(idp.issuer);
  await expect(identity.getByTestId('identity-session')).toContainText('subject alice');
  const actor = `alice@example.com (${idp.issuer}#alice)`;
  await expect(identity.getByTestId('identity-actor')).toContainText(actor);

  // The token set exists, in the secret store only.
  const stored = await openNodeSecretStore(gh.state).get(tokenKey(CONSOLE_KEY));
  expect(stored).toBeTruthy();
  const tokens = JSON.parse(stored!) as { accessToken: string; refreshToken?: string; idToken?: string };
  const values = [tokens.accessToken, tokens.refreshToken, tokens.idToken].filter((v): v is string => !!v);
  expect(values.length).toBe(3);

  // A suppression, made as the signed-in admin.
  await page.goto(gh.baseUrl + '/#/findings');
  const scanned = page.waitForResponse((r) => r.url().includes('/api/invoke/findings.scan') && r.status() === 200);
  await page.getByTestId('findings-scan-button').click();
  await scanned;
  await expect(page.getByTestId('finding-row').first()).toBeVisible();
  const id = await page.getByTestId('finding-row').first().getAttribute('data-id');
  const row = page.locator(`[data-testid="finding-row"][data-id="${id}"]`);
  await row.click();
  await page.getByTestId('suppress-button').click();
  await page.getByTestId('suppress-reason').fill('Accepted for the SSO e2e: test credential in a throw-away home');
  await page.getByTestId('suppress-confirm').click();
  await expect(row).toHaveCount(0);

  // The Audit page, filtered by that admin, shows the suppression (and the sign-in) with them as actor.
  await page.goto(`${gh.baseUrl}/#/audit/user/${encodeURIComponent(actor)}`);
  const rows = page.getByTestId('audit-row');
  await expect(rows.filter({ hasText: 'finding.suppress' })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'identity.login' })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'identity.provider.set' })).toHaveCount(0); // set before sign-in: the OS user
  await rows.filter({ hasText: 'finding.suppress' }).click();
  await expect(page.getByTestId('audit-detail')).toContainText('alice@example.com');

  // Sign out: revoked at the IdP, nothing left locally.
  await page.goto(gh.baseUrl + '/#/settings');
  const before = revokedGrants.length;
  await identity.getByTestId('identity-signout').click();
  await expect(identity.getByTestId('identity-signed-out')).toContainText('revoked at the identity provider');
  await expect(identity.getByTestId('identity-session')).toHaveCount(0);
  await expect(identity.getByTestId('identity-actor')).toContainText('(browser)');
  expect(revokedGrants.length).toBeGreaterThan(before);
  expect((await idp.introspect(tokens.refreshToken!)).active).toBe(false);
  expect(await openNodeSecretStore(gh.state).get(tokenKey(CONSOLE_KEY))).toBeNull();

  // No token value anywhere the admin or a file reader could see it.
  await api.settle();
  events.stop();
  const html = await page.content();
  for (const v of values) {
    expect(html.includes(v), 'token in the page').toBe(false);
    for (const r of api.responses) expect(r.body.includes(v), `token in ${r.url}`).toBe(false);
    expect(events.text().includes(v), 'token in the event stream').toBe(false);
    for (const f of walk(gh.state)) expect(readFileSync(f).toString('latin1').includes(v), `token in ${f}`).toBe(false);
  }
  expect(api.responses.some((r) => r.url.includes('identity.whoami'))).toBe(true);
  expect(errors).toEqual([]);
});

test("an OAuth-protected MCP server: Sign in… on its page through the authorization server's pages", async ({
  page,
  context,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const api = captureApiResponses(page);

  await page.goto(gh.url + '#/inventory');
  await page.getByTestId('rescan-button').click();
  const row = page.getByTestId('inventory-row').filter({ hasText: 'protected' });
  await expect(row).toHaveCount(1);
  await row.getByRole('link').first().click();
  await page.getByTestId('live-connect').click();
  const bar = page.getByTestId('live-signin');
  await expect(bar).toHaveAttribute('data-signin', 'needs-sign-in');

  const popup = context.waitForEvent('page');
  await bar.getByTestId('live-signin-start').click();
  const tab = await popup;
  await tab.waitForLoadState();
  expect(new URL(tab.url()).origin).toBe(new URL(world.issuer).origin);
  await tab.locator('input[name="login"]').fill('alice');
  await tab.locator('input[name="password"]').fill('secret');
  await tab.locator('button[type="submit"]').click();
  await tab.locator('button[type="submit"]', { hasText: /continue/i }).click();
  await expect.poll(() => new URL(tab.url()).hostname).toBe('127.0.0.1');
  await tab.close();

  await expect(bar).toHaveAttribute('data-signin', 'signed-in', { timeout: 20_000 });
  await expect(page.getByTestId('live-tool').first()).toBeVisible({ timeout: 20_000 });
  expect(world.seenTokens.size).toBeGreaterThan(0);

  const revocations = world.revocations;
  await bar.getByTestId('live-signout').click();
  await expect(bar).not.toHaveAttribute('data-signin', 'signed-in');
  expect(world.revocations).toBeGreaterThan(revocations);

  await api.settle();
  const html = await page.content();
  const tokens = [...world.issuedTokens];
  expect(tokens.length).toBeGreaterThan(0);
  for (const v of tokens) {
    expect(html.includes(v), 'token in the page').toBe(false);
    for (const r of api.responses) expect(r.body.includes(v), `token in ${r.url}`).toBe(false);
    for (const f of walk(gh.state)) expect(readFileSync(f).toString('latin1').includes(v), `token in ${f}`).toBe(false);
  }
  expect(errors).toEqual([]);
});

/**
 * Gateway single sign-on from the Gateways page against the real ContextForge 1.0.7 configured for
 * generic OIDC with a TLS identity provider (as in test/gateways/sso.gateway.ts): add the gateway
 * with "Sign in with SSO", Sign in → the IdP's pages in a tab → the loopback callback → the
 * gateway's session → an expiring API token; Test as the signed-in user; Sign out revokes it.
 * Skips without ContextForge, fails under GATEHOUSE_REQUIRE_GATEWAYS=1.
 */
test.describe('gateway SSO from the Gateways page (real ContextForge)', () => {
  const skipReason = gatewaySkipReason();
  test.skip(!!skipReason, skipReason);
  test.describe.configure({ timeout: 180_000 });
  test.use({ ignoreHTTPSErrors: true }); // the IdP's certificate comes from a CA made for the test

  let sso: SsoGateway | undefined;
  let tlsIdp: TestIdp;
  let gw: LiveGateway;

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    sso = await startSsoGateway();
    ({ idp: tlsIdp, gw } = sso);
  });

  test.afterAll(async () => {
    await sso?.stop();
  });

  test('add with SSO, Sign in through the IdP, Test as the user, Sign in again, Sign out revokes', async ({
    page,
    context,
  }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const api = captureApiResponses(page);

    await page.goto(gh.url + '#/gateways');
    await page.getByTestId('gw-add').click();
    await page.getByTestId('gw-name').fill('cf-sso');
    await page.getByTestId('gw-url').fill(gw.baseUrl);
    await page.getByTestId('gw-auth').selectOption('sso');
    await page.getByTestId('gw-sso-issuer').fill(tlsIdp.issuer);
    await page.getByTestId('gw-save').click();
    const row = page.locator('[data-testid="gw-row"][data-name="cf-sso"]');
    await expect(row.getByTestId('gw-sso')).toHaveAttribute('data-status', 'signed-out');
    await expect(row.getByTestId('gw-sso-login')).toHaveText('Sign in');

    const popup = context.waitForEvent('page');
    await row.getByTestId('gw-sso-login').click();
    const tab = await popup;
    await tab.waitForLoadState();
    expect(new URL(tab.url()).origin).toBe(tlsIdp.issuer);
    await tab.locator('input[name="login"]').fill('dave');
    await tab.locator('input[name="password"]').fill('any');
    await tab.locator('button[type="submit"]').click();
    await tab.locator('button[type="submit"]', { hasText: /continue/i }).click();
    await expect(tab.locator('body')).toContainText('Signed in to Gatehouse');
    await tab.close();

    await expect(row.getByTestId('gw-sso')).toHaveAttribute('data-status', 'active', { timeout: 30_000 });
    await expect(row.getByTestId('gw-sso-user')).toContainText('dave@example.com');
    await expect(row.getByTestId('gw-credential')).toContainText('…');
    const id = await (async () => {
      const r = api.responses.find((x) => x.url.includes('gateways.add'));
      return (JSON.parse(r!.body) as { id: string }).id;
    })();
    const stored = JSON.parse((await openNodeSecretStore(gh.state).get(tokenKey(ssoKey(id))))!) as {
      accessToken: string;
      sessionToken: string;
    };

    await row.getByTestId('gw-test').click();
    await expect(page.getByTestId('gw-test-result')).toHaveAttribute('data-ok', 'true');
    await expect(page.getByTestId('gw-test-result')).toContainText('dave@example.com');

    // The session ended (what a failed refresh or an expired API token leaves: ContextForge's last a
    // day, so the state is written as accessToken() writes it): "Sign in again", which restores it.
    const db = openDatabase(join(gh.state, 'gatehouse.db'));
    db.prepare(`UPDATE identity_sessions SET status = 'sign-in-again', status_message = ? WHERE key = ?`).run(
      'The session expired and cannot be refreshed. Sign in again (gatehouse gateway login cf-sso).',
      ssoKey(id),
    );
    db.close();
    await page.reload();
    await expect(row.getByTestId('gw-sso')).toHaveAttribute('data-status', 'sign-in-again');
    await expect(row.getByTestId('gw-sso-login')).toHaveText('Sign in again');
    const popup2 = context.waitForEvent('page');
    await row.getByTestId('gw-sso-login').click();
    const tab2 = await popup2;
    // The IdP may remember the browser's session: fill the login and consent pages only if shown.
    for (let i = 0; i < 40; i++) {
      if (
        /Signed in to Gatehouse/.test(
          (await tab2
            .locator('body')
            .textContent()
            .catch(() => '')) ?? '',
        )
      )
        break;
      if (
        await tab2
          .locator('input[name="login"]')
          .isVisible()
          .catch(() => false)
      ) {
        await tab2.locator('input[name="login"]').fill('dave');
        await tab2.locator('input[name="password"]').fill('any');
        await tab2.locator('button[type="submit"]').click();
      } else if (
        await tab2
          .locator('button[type="submit"]', { hasText: /continue/i })
          .isVisible()
          .catch(() => false)
      )
        await tab2.locator('button[type="submit"]', { hasText: /continue/i }).click();
      await tab2.waitForTimeout(250);
    }
    await expect(tab2.locator('body')).toContainText('Signed in to Gatehouse');
    await tab2.close();
    await expect(row.getByTestId('gw-sso')).toHaveAttribute('data-status', 'active', { timeout: 30_000 });
    const again = JSON.parse((await openNodeSecretStore(gh.state).get(tokenKey(ssoKey(id))))!) as {
      accessToken: string;
      sessionToken: string;
    };
    expect(again.accessToken).not.toBe(stored.accessToken);
    const replaced = await fetch(`${gw.baseUrl}/v1/auth/email/me`, {
      headers: { authorization: `Bearer ${stored.accessToken}` },
    });
    expect(replaced.status, 'the replaced API token is revoked at the gateway').toBe(401);

    await row.getByTestId('gw-sso-signout').click();
    await expect(row.getByTestId('gw-sso-signed-out')).toContainText('revoked at the gateway');
    await expect(row.getByTestId('gw-sso')).toHaveAttribute('data-status', 'signed-out');
    const after = await fetch(`${gw.baseUrl}/v1/auth/email/me`, {
      headers: { authorization: `Bearer ${again.accessToken}` },
    });
    expect(after.status, 'the API token is revoked at the gateway').toBe(401);

    await api.settle();
    const html = await page.content();
    for (const v of [stored.accessToken, stored.sessionToken, again.accessToken, again.sessionToken]) {
      expect(html.includes(v), 'token in the page').toBe(false);
      for (const r of api.responses) expect(r.body.includes(v), `token in ${r.url}`).toBe(false);
      for (const f of walk(gh.state))
        expect(readFileSync(f).toString('latin1').includes(v), `token in ${f}`).toBe(false);
    }
    expect(errors).toEqual([]);
  });
});
