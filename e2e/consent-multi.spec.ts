import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { startServe, type ServeHandle } from './support/serve.js';

/**
 * Issue #11, consent at scale, in Chromium against `gatehouse serve`: three servers selected in the
 * Inventory are consented in one dialog; an unpinned runner is warned about with the way to pin
 * it; a server whose command line changed shows what changed since its consent; the dialogs are
 * axe clean. The servers are the SDK stdio fixture (real MCP servers).
 */

const FIXTURE = fileURLToPath(new URL('../test/fixtures/mcp-servers/stdio-fixture.ts', import.meta.url));
const FAKE_TOKEN = 'ghp_Zx8Kq2Lm9Nv4Rt6Yw1Pa3Sd5Fg7Hj0Kl2Qw'; // fake, GitHub classic PAT shape

let gh: ServeHandle;
let root: string;
let home: string;

const fixture = (name: string, env: Record<string, string> = {}) => ({
  command: process.execPath,
  args: [FIXTURE, '--mode', 'plain', '--name', name],
  env,
});

function writeConfig(region: string) {
  writeFileSync(
    join(home, '.claude.json'),
    JSON.stringify({
      mcpServers: {
        alpha: fixture('alpha', { REGION: region, DATA_DIR: join(root, 'data'), GITHUB_TOKEN: FAKE_TOKEN }),
        bravo: fixture('bravo'),
        charlie: fixture('charlie'),
        unpinned: { command: 'npx', args: ['-y', 'some-mcp-server'] },
      },
    }),
  );
}

test.describe.configure({ mode: 'serial' });
// The smallest window the console supports: the dialog scrolls, its actions stay reachable.
test.use({ viewport: { width: 1024, height: 700 } });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-consent-'));
  home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  writeConfig('eu-west-1');
  gh = await startServe({ home });
});

test.afterAll(async () => {
  await gh?.stop();
  rmSync(root, { recursive: true, force: true });
});

const row = (page: Page, name: string) => page.getByTestId('inventory-row').filter({ hasText: name }).first();

/** Zero axe violations inside the dialog, in the dark and the light theme (printed on failure). */
async function expectAxeClean(page: Page, selector: string) {
  const html = page.locator('html');
  const initial = (await html.getAttribute('data-theme')) ?? 'dark';
  for (const theme of [initial, initial === 'dark' ? 'light' : 'dark']) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    const r = await new AxeBuilder({ page }).include(selector).analyze();
    const found = r.violations.map(
      (v) => `${theme}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    expect(found, found.join('\n')).toEqual([]);
  }
  await page.evaluate((t) => (document.documentElement.dataset.theme = t), initial);
}

test('three servers selected in Inventory are consented in one dialog', async ({ page }) => {
  await page.goto(gh.url + '#/inventory');
  for (const n of ['alpha', 'bravo', 'charlie'])
    await expect(row(page, n).getByTestId('live-status')).toHaveAttribute('data-status', 'needs-consent');
  await expect(page.getByTestId('consent-review')).toHaveText('Review consent');
  await expect(page.getByTestId('consent-review')).toHaveAttribute('data-count', '4');
  for (const n of ['alpha', 'bravo']) await row(page, n).getByTestId('consent-select').check();
  // From the keyboard: Space on a focused row selects it.
  await row(page, 'charlie').focus();
  await page.keyboard.press(' ');
  await expect(row(page, 'charlie').getByTestId('consent-select')).toBeChecked();
  await expect(page.getByTestId('consent-review')).toHaveText('Review 3 selected');
  await page.getByTestId('consent-review').click();

  const dialog = page.getByTestId('multi-consent-dialog');
  await expect(dialog).toBeVisible();
  const items = dialog.getByTestId('multi-consent-item');
  await expect(items).toHaveCount(3);
  await expect(dialog.getByTestId('multi-consent-summary')).toHaveText('3 servers to review');
  const alpha = items.filter({ hasText: 'alpha' });
  // Each with its resolved command line, working directory and env: non-secret values shown, secrets never.
  await expect(alpha.getByTestId('consent-command')).toContainText(`${FIXTURE} --mode plain --name alpha`);
  await expect(alpha.getByTestId('consent-cwd')).toHaveText(home);
  await expect(
    alpha.locator('[data-testid="consent-env-var"][data-key="REGION"]').getByTestId('consent-env-value'),
  ).toHaveText('eu-west-1');
  await expect(
    alpha.locator('[data-testid="consent-env-var"][data-key="DATA_DIR"]').getByTestId('consent-env-value'),
  ).toHaveText(join(root, 'data'));
  const token = alpha.locator('[data-testid="consent-env-var"][data-key="GITHUB_TOKEN"]');
  await expect(token).toContainText('value hidden');
  await expect(token.getByTestId('consent-env-value')).toHaveCount(0);
  await expect(dialog).not.toContainText(FAKE_TOKEN.slice(4, 20));
  await expectAxeClean(page, '[data-testid="multi-consent-dialog"]');

  // Unchecking one leaves it out; checking it again puts it back.
  await items.filter({ hasText: 'charlie' }).getByTestId('multi-consent-check').uncheck();
  await expect(dialog.getByTestId('multi-consent-accept')).toHaveText('Consent to 2 servers and connect');
  await items.filter({ hasText: 'charlie' }).getByTestId('multi-consent-check').check();
  await dialog.getByTestId('multi-consent-accept').click();
  await expect(dialog).toBeHidden();

  for (const n of ['alpha', 'bravo', 'charlie'])
    await expect(row(page, n).getByTestId('live-status')).toHaveAttribute('data-status', 'ok', { timeout: 30_000 });
  await expect(row(page, 'unpinned').getByTestId('live-status')).toHaveAttribute('data-status', 'needs-consent');
  await expect(page.getByTestId('consent-review')).toHaveAttribute('data-count', '1');

  // Three consents, each its own admin-log entry with the actor.
  const call = async (method: string, input: unknown) => {
    const res = await fetch(`${gh.baseUrl}/api/invoke/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gh.token}`, 'content-type': 'application/json', origin: gh.baseUrl },
      body: JSON.stringify(input),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as unknown;
  };
  expect(((await call('live.consents', {})) as unknown[]).length).toBe(3);
});

test('an unpinned runner is warned about, with the way to pin it', async ({ page }) => {
  await page.goto(gh.url + '#/inventory');
  await page.getByTestId('consent-review').click();
  const dialog = page.getByTestId('multi-consent-dialog');
  const item = dialog.getByTestId('multi-consent-item').filter({ hasText: 'unpinned' });
  await expect(item).toHaveCount(1);
  const warning = item.getByTestId('consent-warning');
  await expect(warning).toBeVisible();
  await expect(warning).toContainText('npx downloads and runs package some-mcp-server');
  await expect(warning).toContainText('whatever is latest');
  const link = warning.getByTestId('consent-pin-fix');
  await expect(link).toHaveAttribute('href', /#\/findings\?rule=runner\.unpinned&q=unpinned/);
  await expectAxeClean(page, '[data-testid="multi-consent-dialog"]');
  await link.click();
  await expect(page.getByTestId('page-findings')).toBeVisible();
});

test('a changed command line shows what changed since consent', async ({ page }) => {
  await page.goto(gh.url + '#/inventory');
  await expect(row(page, 'alpha').getByTestId('live-status')).toHaveAttribute('data-status', 'ok');
  // Edited in an editor: the inventory follows without a rescan (config watch).
  writeConfig('us-east-2');
  const status = row(page, 'alpha').getByTestId('live-status');
  await expect(status).toHaveAttribute('data-status', 'needs-consent', { timeout: 15_000 });
  await expect(status).toContainText('command line changed since consent');
  await row(page, 'alpha').getByTestId('consent-select').check();
  await page.getByTestId('consent-review').click();
  const dialog = page.getByTestId('multi-consent-dialog');
  await expect(dialog.getByTestId('multi-consent-item')).toHaveCount(1);
  await expect(dialog.getByTestId('consent-changed')).toBeVisible();
  const diff = dialog.getByTestId('consent-diff');
  await expect(diff).toBeVisible();
  const region = diff.locator('[data-testid="consent-diff-row"][data-key="REGION"]');
  await expect(region).toHaveAttribute('data-change', 'modified');
  await expect(region.getByTestId('consent-diff-before')).toHaveText('eu-west-1');
  await expect(region.getByTestId('consent-diff-after')).toHaveText('us-east-2');
  await expect(diff.getByTestId('consent-diff-row')).toHaveCount(1);
  await expectAxeClean(page, '[data-testid="multi-consent-dialog"]');
  await dialog.getByTestId('multi-consent-cancel').click();

  // The server page's single dialog shows the same diff, axe clean too.
  await row(page, 'alpha').getByRole('link').click();
  await page.getByTestId('live-connect').click();
  const single = page.getByTestId('consent-dialog');
  await expect(single.locator('[data-testid="consent-diff-row"][data-key="REGION"]')).toBeVisible();
  await expectAxeClean(page, '[data-testid="consent-dialog"]');
});
