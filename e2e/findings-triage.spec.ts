import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { startServe, type ServeHandle } from './support/serve.js';

/**
 * Findings triage (issue #11): sortable columns whose order survives a reload, SARIF export from
 * the UI, and a finding that a rescan no longer reports shown as fixed with the scan's time.
 * Real Chromium against `gatehouse serve` over a copy of the findings fixture.
 */

const FIXTURE = fileURLToPath(new URL('../test/fixtures/findings/', import.meta.url));
const EXPECTED = (JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as { findings: unknown[] }).findings
  .length;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

let root = '';
let gh: ServeHandle;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-triage-'));
  cpSync(join(FIXTURE, 'home'), join(root, 'home'), { recursive: true });
  cpSync(join(FIXTURE, 'project'), join(root, 'project'), { recursive: true });
  for (const f of [...walk(join(root, 'home')), ...walk(join(root, 'project'))]) chmodSync(f, 0o600);
  chmodSync(join(root, 'home', '.codex', 'config.toml'), 0o644);
  execFileSync('git', ['init', '-q'], { cwd: join(root, 'project') });
  gh = await startServe({ home: join(root, 'home'), projects: [join(root, 'project')] });
});

test.afterAll(async () => {
  await gh?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function scan(page: Page) {
  const done = page.waitForResponse((r) => r.url().includes('/api/invoke/findings.scan') && r.status() === 200);
  await page.getByTestId('findings-scan-button').click();
  await done;
}

const titles = (page: Page) =>
  page
    .getByTestId('finding-row')
    .evaluateAll((rows) =>
      rows.map((r) => r.querySelector('[data-testid="finding-title"]')?.firstChild?.textContent ?? ''),
    );

test('sorting by a column orders the rows, is in the URL and survives a reload', async ({ page }) => {
  await page.goto(gh.url + '#/findings');
  await scan(page);
  await expect(page.getByTestId('finding-row')).toHaveCount(EXPECTED);

  const header = page.getByTestId('findings-sort-title');
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  await expect(page).toHaveURL(/sort=title/);
  const asc = await titles(page);
  expect(asc).toEqual([...asc].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
  expect(new Set(asc).size).toBeGreaterThan(3);

  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  await expect(page).toHaveURL(/sort=-title/);
  const desc = await titles(page);
  await page.reload();
  await expect(page.getByTestId('findings-sort-title')).toHaveAttribute('aria-sort', 'descending');
  await expect(page.getByTestId('finding-row')).toHaveCount(EXPECTED);
  expect(await titles(page)).toEqual(desc);

  // Severity ascending is most severe first; first seen, server, client and status sort too.
  await page.getByTestId('findings-sort-severity').getByRole('button').click();
  const sevs = await page
    .getByTestId('finding-row')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-severity')));
  const order = ['critical', 'high', 'medium', 'low', 'info'];
  expect(sevs).toEqual([...sevs].sort((a, b) => order.indexOf(a!) - order.indexOf(b!)));
  for (const col of ['server', 'client', 'firstSeen', 'status']) {
    await page.getByTestId(`findings-sort-${col}`).getByRole('button').click();
    await expect(page.getByTestId(`findings-sort-${col}`)).toHaveAttribute('aria-sort', 'ascending');
  }
});

test('SARIF export downloads valid SARIF 2.1.0 with one result per finding shown', async ({ page }) => {
  await page.goto(gh.url + '#/findings?severity=critical');
  await expect(page.getByTestId('finding-row').first()).toBeVisible();
  const shown = await page
    .getByTestId('finding-row')
    .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-id'), r.getAttribute('data-rule')]));
  expect(shown.length).toBe(6);
  const dl = page.waitForEvent('download');
  await page.getByTestId('findings-export-sarif').click();
  const file = await dl;
  expect(file.suggestedFilename()).toMatch(/^gatehouse-findings-.*\.sarif$/);
  const path = await file.path();
  const sarif = JSON.parse(readFileSync(path, 'utf8')) as {
    version: string;
    runs: {
      tool: { driver: { name: string } };
      results: { ruleId: string; level: string; partialFingerprints: Record<string, string> }[];
    }[];
  };
  expect(sarif.version).toBe('2.1.0');
  expect(sarif.runs[0]!.tool.driver.name).toBe('gatehouse');
  const results = sarif.runs[0]!.results;
  expect(results.map((r) => [r.partialFingerprints['gatehouseFindingId/v1'], r.ruleId])).toEqual(shown);
  expect(results.every((r) => r.level === 'error')).toBe(true);
});

test('a credential removed from its file shows as fixed, with the rescan time, instead of vanishing', async ({
  page,
}) => {
  await page.goto(gh.url + '#/findings');
  const row = page.locator('[data-testid="finding-row"][data-rule="secret.literal"]', { hasText: 'github-mirror' });
  await expect(row).toHaveAttribute('data-status', 'open');
  const id = await row.getAttribute('data-id');

  // Remove the literal token (the admin fixed it by hand), then rescan.
  const file = join(root, 'home', '.cursor', 'mcp.json');
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as {
    mcpServers: Record<string, { env?: Record<string, string> }>;
  };
  const env = cfg.mcpServers['github-mirror']!.env!;
  for (const k of Object.keys(env)) env[k] = '${env:GITHUB_PERSONAL_ACCESS_TOKEN}';
  // Whole seconds: the page and the API show times to the second.
  const edited = Math.floor(Date.now() / 1000) * 1000;
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  await scan(page);

  // Open is the default: the fixed finding is not among them, but it is counted and listed as fixed.
  await expect(page.locator(`[data-testid="finding-row"][data-id="${id}"]`)).toHaveCount(0);
  await expect(page.getByTestId('findings-totals')).toContainText(/[1-9]\d* fixed/);
  await page.getByTestId('findings-filter-status').selectOption('fixed');
  await expect(page).toHaveURL(/status=fixed/);
  const fixed = page.locator(`[data-testid="finding-row"][data-id="${id}"]`);
  await expect(fixed).toHaveAttribute('data-status', 'fixed');
  const when = fixed.getByTestId('finding-fixed-at');
  const iso = await when.getAttribute('datetime');
  expect(iso).toBeTruthy();
  // Fixed when the first scan after the edit ran: the config watcher's, or the Rescan's.
  const fixedAt = Date.parse(iso!);
  expect(fixedAt).toBeGreaterThanOrEqual(edited);
  expect(fixedAt).toBeLessThanOrEqual(Date.now());
  expect((await when.innerText()).trim()).not.toBe('');
  await fixed.click();
  await expect(page.getByTestId('finding-fixed')).toContainText('no longer');
  await expect(page.getByTestId('suppress-button')).toHaveCount(0);
  await page.reload();
  await expect(page.locator(`[data-testid="finding-row"][data-id="${id}"]`)).toHaveAttribute('data-status', 'fixed');

  // The Overview counts what was fixed in the last day, linked to the fixed findings.
  await page.goto(gh.url + '#/overview');
  const fixedCount = page.getByTestId('overview-fixed');
  await expect(fixedCount).not.toHaveAttribute('data-count', '0');
  await fixedCount.getByRole('link').click();
  await expect(page.locator(`[data-testid="finding-row"][data-id="${id}"]`)).toHaveAttribute('data-status', 'fixed');
});
