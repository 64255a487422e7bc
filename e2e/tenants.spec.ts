import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { gatewaySkipReason, startSeededGateway, type LiveGateway } from '../test/gateways/support.js';
import { startServe, type ServeHandle } from './support/serve.js';

/**
 * Tenants against a seeded ContextForge (issue #11): who bypasses team scoping comes first, scope
 * findings are worst first and open the Findings page, cells say what their number means.
 * Skipped without the ContextForge venv (required when GATEHOUSE_REQUIRE_GATEWAYS=1).
 */

const skipReason = gatewaySkipReason();
test.skip(!!skipReason, skipReason);
test.describe.configure({ mode: 'serial', timeout: 180_000 });

let gw: LiveGateway;
let gh: ServeHandle;
let home: string;
const SHOTS = join('test-results', 'shots');

test.beforeAll(async () => {
  test.setTimeout(300_000);
  gw = await startSeededGateway();
  const adminToken = (JSON.parse(readFileSync(gw.stateFile, 'utf8')) as { adminToken: string }).adminToken;
  home = mkdtempSync(join(tmpdir(), 'gh-e2e-tn-home-'));
  mkdirSync(SHOTS, { recursive: true });
  gh = await startServe({ home });
  const call = async (method: string, body: unknown) => {
    const res = await fetch(`${gh.baseUrl}/api/invoke/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gh.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return res.json();
  };
  await call('gateways.add', { name: 'contextforge-ci', baseUrl: gw.baseUrl, secret: adminToken });
  await call('gateways.sync', {});
});

test.afterAll(async () => {
  await gh?.stop();
  await gw?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('bypass rows first, findings worst first and linked, labelled cells', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(gh.url + '#/tenants');
  await expect(page.getByTestId('tenants-matrix')).toBeVisible();
  const admins = page.getByTestId('tenants-bypass-admins');
  await expect(admins).toBeVisible();
  await expect(admins).toContainText(gw.seed.adminEmail);
  // The bypass rows come before every team row.
  const firstRow = page.locator('[data-testid="tenants-matrix"] tbody tr').first();
  await expect(firstRow).toHaveAttribute('data-testid', /tenants-bypass/);
  await expect(page.getByTestId('tenants-legend')).toBeVisible();

  const sevs = await page
    .getByTestId('tenants-finding')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-severity')));
  const order = ['critical', 'high', 'medium', 'low', 'info'];
  expect(sevs.length).toBeGreaterThan(0);
  expect([...sevs].sort((a, b) => order.indexOf(a!) - order.indexOf(b!))).toEqual(sevs);

  // Accessible names start with the visible text.
  const cell = page.getByTestId('tenants-cell').first();
  const text = (await cell.textContent())!.trim();
  expect(await cell.getAttribute('aria-label')).toMatch(new RegExp('^' + text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

  for (const [w, h] of [
    [1024, 700],
    [1440, 900],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    for (const theme of ['dark', 'light']) {
      await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
      await page.screenshot({ path: join(SHOTS, `tenants-${w}-${theme}.png`) });
    }
  }

  await page.getByTestId('tenants-finding-link').first().click();
  await expect(page.getByTestId('page-findings')).toBeVisible();
  expect(errors).toEqual([]);
});

test('an expanded server keeps its name above its tool columns (grouped header row)', async ({ page }) => {
  await page.goto(gh.url + '#/tenants');
  const matrix = page.getByTestId('tenants-matrix');
  await expect(matrix).toBeVisible();
  const head = matrix.locator('thead tr');
  await expect(head).toHaveCount(1);
  const server = matrix.locator('[data-testid="tenants-server-col"]').first();
  const name = (await server.getAttribute('data-name'))!;
  await page.getByTestId(`tenants-expand-${name}`).click();
  await expect(head).toHaveCount(2);
  const tools = matrix.locator(`[data-testid="tenants-tool-col"][data-server="${name}"]`);
  const n = await tools.count();
  expect(n).toBeGreaterThan(0);
  // The server's header spans its own column and every tool column, as a column group.
  await expect(server).toHaveAttribute('scope', 'colgroup');
  await expect(server).toHaveAttribute('colspan', String(1 + n));
  // Geometrically too: each tool header sits under the server's header.
  const box = (await server.boundingBox())!;
  for (let i = 0; i < n; i++) {
    const t = (await tools.nth(i).boundingBox())!;
    expect(t.y).toBeGreaterThan(box.y);
    expect(t.x).toBeGreaterThanOrEqual(box.x - 1);
    expect(t.x + t.width).toBeLessThanOrEqual(box.x + box.width + 1);
  }
  // Body rows line up: as many cells as the header has columns.
  const cols = await matrix.evaluate((t: HTMLTableElement) => t.rows[t.rows.length - 1]!.cells.length);
  const serverCount = await matrix.locator('[data-testid="tenants-server-col"]').count();
  expect(cols).toBe(1 + serverCount + n);
  await page.getByTestId(`tenants-expand-${name}`).click();
  await expect(head).toHaveCount(1);
});

for (const theme of ['dark', 'light'] as const) {
  test(`axe: Tenants and Gateways with a synced gateway (${theme}) have no serious violations`, async ({ page }) => {
    await page.addInitScript((t) => window.localStorage.setItem('gatehouse.theme', t), theme);
    for (const [hash, ready] of [
      ['#/tenants', 'tenants-matrix'],
      ['#/gateways', 'gw-inventory'],
    ] as const) {
      await page.goto(gh.url + hash);
      await expect(page.getByTestId(ready)).toBeVisible();
      if (hash === '#/tenants') {
        // With a server expanded (the grouped header) and a "why" open.
        const first = page.locator('[data-testid="tenants-server-col"]').first();
        await page.getByTestId(`tenants-expand-${await first.getAttribute('data-name')}`).click();
        await page.getByTestId('tenants-cell').first().click();
      }
      const result = await new AxeBuilder({ page }).analyze();
      const serious = result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious');
      const text = serious
        .map(
          (v) =>
            `${v.id} (${v.nodes.length}): ${v.nodes
              .slice(0, 5)
              .map((n) => n.target.join(' '))
              .join(' | ')}`,
        )
        .join('\n');
      expect(serious, `axe on ${hash} (${theme}):\n${text}`).toEqual([]);
    }
  });
}
