import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startPostgres, type PgCluster } from '../test/support/postgres.js';
import { createTeamStore } from '../test/support/team-store.js';
import { expectAxeClean } from './support/a11y.js';
import { captureApiResponses, startServe, type ServeHandle } from './support/serve.js';

/**
 * Two admins on one real PostgreSQL team store, each with their own `gatehouse serve` (own state,
 * own secret store). Alice's gateway was added before she configured the team store: the Gateways
 * page marks it local-only, previews exactly what sharing sends (never her token), shares it, can
 * undo it; Bob then sees it with "add your token". On the Policy page Bob saves a version over the
 * one Alice's draft is based on: Alice's save and push are refused with a conflict panel (who,
 * when, the diff), her draft stays in the editor, and "Reload latest" loads Bob's version while
 * keeping her draft. Fails (never skips) under GATEHOUSE_REQUIRE_POSTGRES=1 (startPostgres throws).
 */

test.describe.configure({ mode: 'serial', timeout: 120_000 });

const PW = 'e2e-team-state-pw-8Kd';
const SHOTS = process.env.GATEHOUSE_SHOTS_DIR;
const ALICE_TOKEN = 'cf-e2e-alice-token-5d1c09b7e3';
let cluster: PgCluster | undefined;
let skip = '';
let alice: ServeHandle;
let bob: ServeHandle;
let home: string;

async function invoke(gh: ServeHandle, method: string, input: unknown): Promise<unknown> {
  const res = await fetch(`${gh.baseUrl}/api/invoke/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gh.token}` },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${method}: ${JSON.stringify(body)}`);
  return body;
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const started = await startPostgres();
  if ('skip' in started) {
    skip = started.skip;
    return;
  }
  cluster = started;
  await (await createTeamStore(cluster, 'teamstatee2e', { password: PW, admins: ['e2e_alice', 'e2e_bob'] })).close();
  home = mkdtempSync(join(tmpdir(), 'gh-e2e-team-state-'));
  // Alice: a gateway first (no team store yet), then the team store (Settings › Team store does the same).
  alice = await startServe({ home, env: { GATEHOUSE_DATABASE_URL: '' } });
  await invoke(alice, 'gateways.add', {
    name: 'cf-shared',
    baseUrl: 'http://127.0.0.1:9/',
    authType: 'bearer',
    secret: ALICE_TOKEN,
    timeoutMs: 2000,
  });
  await invoke(alice, 'fleet.setStore', { url: cluster.url('teamstatee2e', 'e2e_alice', PW) });
  bob = await startServe({ home, env: { GATEHOUSE_DATABASE_URL: cluster.url('teamstatee2e', 'e2e_bob', PW) } });
});

test.afterAll(async () => {
  await alice?.stop();
  await bob?.stop();
  await cluster?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const row = (page: Page, name: string) => page.locator(`[data-testid="gw-row"][data-name="${name}"]`);

test('share a local-only gateway: preview, confirm, undo; the other admin sees it with "add your token"', async ({
  page,
  browser,
}) => {
  test.skip(!!skip, skip);
  const api = captureApiResponses(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(alice.url + '#/gateways');
  await expect(row(page, 'cf-shared').getByTestId('gw-local-only')).toBeVisible();
  await row(page, 'cf-shared').getByTestId('gw-share').click();

  const dialog = page.getByTestId('gw-share-dialog');
  const preview = dialog.getByTestId('gw-share-preview');
  await expect(preview.locator('[data-field="baseUrl"] td')).toHaveText('http://127.0.0.1:9');
  await expect(preview.locator('[data-field="authType"] td')).toHaveText('bearer');
  await expect(preview.locator('[data-field="timeoutMs"] td')).toHaveText('2000');
  await expect(preview.locator('tr')).toHaveCount(5); // name, kind, URL, auth, timeout: nothing else
  await expect(dialog.getByTestId('gw-share-token')).toContainText("stays in this workstation's secret store");
  await expect(dialog).toContainText('e2e_alice:****@');
  await expectAxeClean(page, '[data-testid="gw-share-dialog"]');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'gateway-share-1024x700.png') });
  await dialog.getByTestId('gw-share-confirm').click();
  await expect(page.getByTestId('gw-shared')).toContainText('Shared cf-shared with the team');
  await expect(row(page, 'cf-shared').getByTestId('gw-team')).toBeVisible();
  await expect(row(page, 'cf-shared').getByTestId('gw-local-only')).toHaveCount(0);

  const bobPage = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  await bobPage.goto(bob.url + '#/gateways');
  await expect(row(bobPage, 'cf-shared').getByTestId('gw-credential-own')).toHaveText('add your token');

  // Undo: local-only again here, gone from the other admin.
  await page.getByTestId('gw-share-undo').click();
  await expect(row(page, 'cf-shared').getByTestId('gw-local-only')).toBeVisible();
  await bobPage.reload();
  await expect(bobPage.getByTestId('gw-empty')).toBeVisible();

  // Shared again for the policy test below (both admins then work on the same gateway's lineage).
  await row(page, 'cf-shared').getByTestId('gw-share').click();
  await page.getByTestId('gw-share-dialog').getByTestId('gw-share-confirm').click();
  await expect(row(page, 'cf-shared').getByTestId('gw-team')).toBeVisible();
  await expectAxeClean(page, '[data-testid="page-gateways"]');
  await bobPage.reload();
  await expect(row(bobPage, 'cf-shared').getByTestId('gw-credential-own')).toBeVisible();
  await bobPage.close();

  await api.settle();
  for (const r of api.responses) {
    expect(r.body).not.toContain(ALICE_TOKEN);
    expect(r.body).not.toContain(PW);
  }
});

const DOC = (desc: string) => `apiVersion: gatehouse/v1
kind: Policy
gateway: cf-shared
teams:
  - name: Team Red
    visibility: private
    description: ${desc}
servers: []
rules: []
`;

async function openDoc(page: Page, text: string) {
  await page.getByTestId('policy-open-input').setInputFiles({
    name: 'policy.yaml',
    mimeType: 'application/yaml',
    buffer: Buffer.from(text),
  });
  await expect(page.locator('.cm-content')).toContainText('Team Red');
}

async function saveVersion(page: Page, message: string) {
  await page.getByTestId('policy-save-version').click();
  await page.getByTestId('policy-save-message').fill(message);
  await page.getByTestId('policy-save-confirm').click();
}

test('a stale save or push shows the conflict panel; the draft is kept; reload loads the latest', async ({
  page,
  browser,
}) => {
  test.skip(!!skip, skip);
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(alice.url + '#/policy');
  await expect(page.getByTestId('policy-gateway')).toHaveValue(/.+/);
  await openDoc(page, DOC('first'));
  await expect(page.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');
  await saveVersion(page, 'alice v1');
  await expect(page.getByTestId('policy-saved')).toContainText('Saved version');

  // Bob loads that version, changes it and saves: Alice's draft is now based on a superseded one.
  const bobPage = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  await bobPage.goto(bob.url + '#/policy');
  await bobPage.getByTestId('policy-tab-versions').click();
  await bobPage.getByTestId('policy-version-load').first().click();
  await expect(bobPage.locator('.cm-content')).toContainText('description: first');
  await openDoc(bobPage, DOC('bob was here'));
  await expect(bobPage.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');
  await saveVersion(bobPage, 'bob v2');
  await expect(bobPage.getByTestId('policy-saved')).toContainText('Saved version');
  await bobPage.close();

  // Alice edits and saves: refused, with who and when and the diff; her text is untouched.
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('# alice edit');
  await expect(page.locator('.cm-content')).toContainText('# alice edit');
  await expect(page.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');
  await saveVersion(page, 'alice v2');
  const panel = page.getByTestId('policy-version-conflict');
  await expect(panel).toHaveAttribute('data-action', 'save');
  await expect(panel.getByTestId('policy-conflict-message')).toContainText(
    /Policy of gateway "cf-shared" was changed by .+ at .+ since you loaded it/,
  );
  await expect(panel.getByTestId('policy-conflict-latest')).toContainText('bob v2');
  // Object by object: her draft puts back the description Bob changed.
  await expect(panel.getByTestId('policy-conflict-changes').getByTestId('policy-change')).toHaveCount(1);
  await expect(panel.getByTestId('policy-conflict-changes')).toContainText('Team Red');
  // And line by line (the stored version is in canonical form, so defaults show as lines too).
  const diff = panel.getByTestId('policy-conflict-diff');
  await expect(diff.locator('tr[data-kind="del"]', { hasText: 'description: bob was here' })).toHaveCount(1);
  await expect(diff.locator('tr[data-kind="add"]', { hasText: 'description: first' })).toHaveCount(1);
  await expect(diff.locator('tr[data-kind="add"]', { hasText: '# alice edit' })).toHaveCount(1);
  await expect(page.locator('.cm-content')).toContainText('# alice edit');
  await expectAxeClean(page, '[data-testid="policy-version-conflict"]');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'policy-conflict-1024x700.png') });
  await panel.getByTestId('policy-conflict-keep').click();
  await expect(panel).toHaveCount(0);
  await expect(page.locator('.cm-content')).toContainText('# alice edit');

  // Her push with the same stale base: the same panel, before anything is read or written.
  await page.getByTestId('policy-push').click();
  await expect(panel).toHaveAttribute('data-action', 'push');
  await expect(page.getByTestId('policy-push-dialog')).toHaveCount(0);
  await expect(panel.getByTestId('policy-conflict-latest')).toContainText('bob v2');

  // Reload latest: Bob's version in the editor, Alice's draft kept and restorable.
  await panel.getByTestId('policy-conflict-reload').click();
  await expect(page.locator('.cm-content')).toContainText('description: bob was here');
  const kept = page.getByTestId('policy-kept-draft');
  await expect(kept).toBeVisible();
  await expectAxeClean(page, '[data-testid="page-policy"]');
  await kept.getByTestId('policy-kept-restore').click();
  await expect(page.locator('.cm-content')).toContainText('# alice edit');
  await expect(kept).toHaveCount(0);
  // Now based on Bob's version, her save goes through.
  await saveVersion(page, 'alice on top of bob');
  await expect(page.getByTestId('policy-saved')).toContainText('alice on top of bob');
  await expect(panel).toHaveCount(0);
});

test('local store (no team store): two windows, the stale save is refused the same way', async ({ page, browser }) => {
  const localHome = mkdtempSync(join(tmpdir(), 'gh-e2e-local-policy-'));
  const local = await startServe({ home: localHome, env: { GATEHOUSE_DATABASE_URL: '' } });
  try {
    await page.goto(local.url + '#/policy');
    await expect(page.getByTestId('policy-no-gateways')).toBeVisible();
    await openDoc(page, DOC('one'));
    await expect(page.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');
    await saveVersion(page, 'window 1');
    await expect(page.getByTestId('policy-saved')).toContainText('Saved version');

    const other = await browser.newPage();
    await other.goto(local.url + '#/policy/-/versions');
    await expect(other.getByTestId('policy-version')).toHaveCount(1);
    await openDoc(other, DOC('two'));
    await expect(other.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');
    await saveVersion(other, 'window 2');
    await expect(other.getByTestId('policy-saved')).toContainText('Saved version');
    await other.close();

    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('# more');
    await saveVersion(page, 'window 1 again');
    const panel = page.getByTestId('policy-version-conflict');
    await expect(panel.getByTestId('policy-conflict-message')).toContainText(
      /Policy \(not bound to a gateway\) was changed by .+ since you loaded it/,
    );
    await expect(panel.getByTestId('policy-conflict-latest')).toContainText('window 2');
    await expect(page.locator('.cm-content')).toContainText('# more');
  } finally {
    await local.stop();
    rmSync(localHome, { recursive: true, force: true });
  }
});
