import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/**
 * Runs axe over the part of the page matched by `selector` (a dialog, a table) in both themes and
 * expects no serious or critical violation; each one found is listed with its rule and target.
 */
export async function expectAxeClean(page: Page, selector: string): Promise<void> {
  for (const theme of ['dark', 'light'] as const) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    const result = await new AxeBuilder({ page }).include(selector).analyze();
    const bad = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${theme}: ${v.id} (${v.impact}): ${v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join(' | ')}`,
      );
    expect(bad, `axe violations in ${selector}`).toEqual([]);
  }
  await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
}
