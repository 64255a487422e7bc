import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startServe, type ServeHandle } from './support/serve.js';
import { WORKSTATION } from './support/workstation.js';

/**
 * Layout at the sizes an admin uses (1024×700 and 1440×900), in both themes, over the fixture
 * workstation: table rows are visible, key columns are in view without horizontal scroll. Every
 * page is also shot to test-results/shots/ for a human look.
 */

let gh: ServeHandle;
const SHOTS = join('test-results', 'shots');

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  gh = await startServe({
    home: WORKSTATION.home,
    projects: WORKSTATION.projects,
    platform: WORKSTATION.platform,
    systemRoot: WORKSTATION.systemRoot,
  });
});
test.afterAll(async () => {
  await gh?.stop();
});

const SIZES = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
] as const;
const THEMES = ['dark', 'light'] as const;

async function openAt(page: Page, size: { width: number; height: number }, theme: string, hash: string) {
  await page.setViewportSize(size);
  await page.addInitScript((t) => window.localStorage.setItem('gatehouse.theme', t), theme);
  await page.goto(gh.url + hash);
}

/** True when the element's box lies inside the viewport horizontally and vertically. */
async function inView(page: Page, selector: string): Promise<boolean> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth && r.top >= 0 && r.bottom <= window.innerHeight;
    });
}

for (const size of SIZES) {
  for (const theme of THEMES) {
    test(`inventory at ${size.width}×${size.height} (${theme}): rows visible, Live and Findings in view`, async ({
      page,
    }) => {
      await openAt(page, size, theme, '#/inventory');
      await expect(page.getByTestId('inventory-row').first()).toBeVisible();
      // At least 5 rows fully in the viewport, whatever the panels below or beside the table.
      const visible = await page.getByTestId('inventory-row').evaluateAll(
        (rows) =>
          rows.filter((r) => {
            const b = r.getBoundingClientRect();
            return b.height > 0 && b.top >= 0 && b.bottom <= window.innerHeight;
          }).length,
      );
      expect(visible).toBeGreaterThanOrEqual(5);
      if (size.width >= 1440) {
        expect(await inView(page, '[data-testid="inventory-table"] [role="columnheader"][data-col="live"]')).toBe(true);
        expect(await inView(page, '[data-testid="inventory-table"] [role="columnheader"][data-col="findings"]')).toBe(
          true,
        );
      }
      await page.screenshot({ path: join(SHOTS, `inventory-${size.width}-${theme}.png`) });
    });
  }
}

for (const hash of ['overview', 'findings', 'audit', 'settings', 'gateways', 'tenants', 'fleet']) {
  for (const size of SIZES) {
    for (const theme of THEMES) {
      test(`${hash} at ${size.width}×${size.height} (${theme}) renders`, async ({ page }) => {
        await openAt(page, size, theme, `#/${hash}`);
        await expect(page.getByTestId(`page-${hash}`)).toBeVisible();
        await page.waitForTimeout(300);
        await page.screenshot({ path: join(SHOTS, `${hash}-${size.width}-${theme}.png`) });
      });
    }
  }
}
