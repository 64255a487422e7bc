import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe, type ServeHandle } from './support/serve.js';
import { WORKSTATION } from './support/workstation.js';

/**
 * The shell (issue #11): without its token browser mode says where the link is (no app full of
 * 401s); the theme toggle names the current theme; nav counts; page chunks preloaded after first
 * paint; the Overview page built from findings, live states, gateways and the audit timeline.
 */

let gh: ServeHandle;
const SHOTS = join('test-results', 'shots');

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  gh = await startServe({
    home: WORKSTATION.home,
    projects: WORKSTATION.projects,
    platform: WORKSTATION.platform,
    systemRoot: WORKSTATION.systemRoot,
  });
  const res = await fetch(`${gh.baseUrl}/api/invoke/findings.scan`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gh.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(200);
});
test.afterAll(async () => {
  await gh?.stop();
});

test('without the token: a page that says to open the link gatehouse serve printed', async ({ page }) => {
  const api: number[] = [];
  page.on('response', (r) => {
    if (r.url().includes('/api/')) api.push(r.status());
  });
  await page.goto(gh.baseUrl + '/');
  await expect(page.getByTestId('token-required')).toBeVisible();
  await expect(page.getByTestId('token-required')).toContainText('gatehouse serve');
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
  await page.screenshot({ path: join(SHOTS, 'token-required.png') });

  // A stale token (from an earlier launch) gets the same page, saying why.
  await page.goto(gh.baseUrl + '/?token=stale-token-from-an-earlier-launch');
  await expect(page.getByTestId('token-required')).toContainText('not valid');
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
});

test('theme toggle names the theme; nav shows open findings; pages preloaded', async ({ page }) => {
  await page.addInitScript(() => window.localStorage.setItem('gatehouse.theme', 'dark'));
  await page.goto(gh.url + '#/inventory');
  const toggle = page.getByTestId('theme-toggle');
  await expect(toggle).toHaveText(/Theme: dark/);
  await toggle.click();
  await expect(toggle).toHaveText(/Theme: light/);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');

  const count = page.getByTestId('nav-count-findings');
  await expect(count).toBeVisible();
  expect(Number(await count.getAttribute('data-count'))).toBeGreaterThan(0);

  // After idle, every page chunk is in: the first visit to Audit never shows the loading fallback.
  await page.waitForTimeout(2000);
  await page.evaluate(() => {
    const w = window as unknown as { sawLoading: boolean };
    w.sawLoading = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="page-loading"]')) w.sawLoading = true;
    }).observe(document.body, { subtree: true, childList: true });
  });
  await page.getByTestId('nav-audit').click();
  await expect(page.getByTestId('page-audit')).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { sawLoading: boolean }).sawLoading)).toBe(false);
});

test('the app root lands on the Overview (nav marks it), Inventory is one click away', async ({ page }) => {
  await page.goto(gh.url);
  await expect(page.getByTestId('page-overview')).toBeVisible();
  await expect(page.getByTestId('nav-overview')).toHaveAttribute('aria-current', 'page');
  await expect(page).toHaveTitle(/^Overview · Gatehouse/);
  await expect(page.getByTestId('overview-severity').locator('[data-severity="critical"]')).not.toHaveAttribute(
    'data-count',
    '0',
  );
  await page.getByTestId('nav-inventory').click();
  await expect(page.getByTestId('page-inventory')).toBeVisible();
});

test('Overview: severity counts, top risks worst first, changes, clients, gateways, denials', async ({ page }) => {
  await page.goto(gh.url + '#/overview');
  await expect(page.getByTestId('page-overview')).toBeVisible();
  const risks = page.getByTestId('overview-risk');
  await expect(risks.first()).toBeVisible();
  const sevs = await risks.evaluateAll((els) => els.map((e) => e.getAttribute('data-severity')));
  const order = ['critical', 'high', 'medium', 'low', 'info'];
  expect([...sevs].sort((a, b) => order.indexOf(a!) - order.indexOf(b!))).toEqual(sevs);
  await expect(page.getByTestId('overview-client').first()).toBeVisible();
  await expect(page.getByTestId('overview-gateways')).toBeVisible();
  await expect(page.getByTestId('overview-denials')).toBeVisible();
  for (const [w, h] of [
    [1024, 700],
    [1440, 900],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    for (const theme of ['dark', 'light']) {
      await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
      await page.screenshot({ path: join(SHOTS, `overview-${w}-${theme}.png`) });
    }
  }
});
