import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { expectAxeClean } from './support/a11y.js';
import { captureApiResponses, startServe, type ServeHandle } from './support/serve.js';

/**
 * Bulk fix by rule, end to end: three servers with literal credentials in two files → Findings
 * filtered to the rule → "Fix all 3…" → one combined preview listing both files → Confirm → all
 * three findings gone, both files hold references → Changes shows one group → Undo of the group →
 * both files byte-identical, the findings back. Needs the bulk-fix service (`fix-rule` previews and
 * change groups).
 */

// Built at run time so no scanner mistakes this file for a leak.
const T1 = ['ghp', 'Aa1TzW8yRe2IoP5aSdF1gHjK9lZx3CvB7nM0'].join('_');
const T2 = ['ghp', 'Bb2TzW8yRe2IoP5aSdF1gHjK9lZx3CvB7nM1'].join('_');
const T3 = ['ghp', 'Cc3TzW8yRe2IoP5aSdF1gHjK9lZx3CvB7nM2'].join('_');
const SECRETS = [T1, T2, T3];
const CURSOR = `{
  // two servers, one file
  "mcpServers": {
    "github": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"], "env": { "GITHUB_TOKEN": "${T1}" } },
    "gh-backup": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"], "env": { "GH_TOKEN": "${T2}" } }
  }
}
`;
const WINDSURF = `{
  "mcpServers": {
    "gh-ci": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"], "env": { "CI_TOKEN": "${T3}" } }
  }
}
`;

let root = '';
let cursor = '';
let windsurf = '';
let gh: ServeHandle;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-fix-bulk-'));
  const home = join(root, 'home');
  mkdirSync(join(home, '.cursor'), { recursive: true });
  cursor = join(home, '.cursor', 'mcp.json');
  writeFileSync(cursor, CURSOR);
  chmodSync(cursor, 0o600);
  mkdirSync(join(home, '.codeium', 'windsurf'), { recursive: true });
  windsurf = join(home, '.codeium', 'windsurf', 'mcp_config.json');
  writeFileSync(windsurf, WINDSURF);
  chmodSync(windsurf, 0o600);
  gh = await startServe({ home });
});

test.afterAll(async () => {
  await gh?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

let pageErrors: string[] = [];
test.beforeEach(async ({ page }) => {
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() !== 'error' || /401|Unauthorized/i.test(msg.text())) return;
    pageErrors.push(msg.text());
  });
});
test.afterEach(() => {
  expect(pageErrors, 'errors in the page').toEqual([]);
});

const literalRows = (page: Page) => page.locator('[data-testid="finding-row"][data-rule="secret.literal"]');

async function rescan(page: Page) {
  const done = page.waitForResponse((r) => r.url().includes('/api/invoke/findings.scan') && r.status() === 200);
  await page.getByTestId('findings-scan-button').click();
  await done;
}

async function noSecretInPage(page: Page) {
  const html = await page.content();
  for (const s of SECRETS) expect(html).not.toContain(s);
}

test('fix all findings of a rule in one confirmation, then undo the whole group', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1024, height: 700 });
  const api = captureApiResponses(page);
  await page.goto(gh.url + '#/findings');
  await rescan(page);
  await expect(literalRows(page)).toHaveCount(3);
  // No rule filter, nothing selected: no bulk fix offered.
  await expect(page.getByTestId('findings-fix-all')).toHaveCount(0);

  await page.getByTestId('findings-filter-rule').selectOption('secret.literal');
  const fixAll = page.getByTestId('findings-fix-all');
  await expect(fixAll).toHaveAttribute('data-count', '3');
  await expect(fixAll).toHaveText('Fix all 3…');
  await fixAll.click();

  const d = page.getByTestId('fix-dialog');
  await expect(d).toHaveAttribute('data-kind', 'fix-rule');
  const preview = d.getByTestId('fix-preview');
  await expect(preview).toBeVisible();
  await expect(preview).toHaveAttribute('data-files', '2');
  await expect(preview).toHaveAttribute('data-skipped', '0');
  await expect(d.getByTestId('fix-file-count')).toContainText('2 files');
  const files = d.getByTestId('fix-file');
  expect((await files.evaluateAll((els) => els.map((e) => e.getAttribute('data-file')))).sort()).toEqual(
    [cursor, windsurf].sort(),
  );
  // Every file's diff: both Cursor servers in one diff, the Windsurf one in the other.
  const cursorDiff = d.locator(`[data-testid="fix-file"][data-file="${cursor}"]`).getByTestId('fix-diff');
  await expect(cursorDiff.locator('tr[data-kind="add"]')).toHaveCount(2);
  await expect(cursorDiff).toContainText('${env:GITHUB_TOKEN}');
  await expect(cursorDiff).toContainText('${env:GH_TOKEN}');
  const windsurfDiff = d.locator(`[data-testid="fix-file"][data-file="${windsurf}"]`).getByTestId('fix-diff');
  await expect(windsurfDiff).toContainText('${env:CI_TOKEN}');
  await expect(d.getByTestId('fix-confirm')).toBeInViewport();
  await noSecretInPage(page);
  await expectAxeClean(page, '[data-testid="fix-dialog"]');

  await d.getByTestId('fix-confirm').click();
  await expect(d.getByTestId('fix-result')).toHaveAttribute('data-files', '2');
  await expect(d.getByTestId('fix-rescan-result')).toHaveAttribute('data-open', 'no');
  for (const [file, secrets] of [
    [cursor, [T1, T2]],
    [windsurf, [T3]],
  ] as const) {
    const text = readFileSync(file, 'utf8');
    for (const s of secrets) expect(text).not.toContain(s);
  }
  expect(readFileSync(cursor, 'utf8')).toContain('// two servers, one file');
  await d.getByTestId('fix-done').click();
  await expect(literalRows(page)).toHaveCount(0);

  // Changes: one row for the confirmation, two files, one group; Undo restores both.
  await page.getByTestId('nav-changes').click();
  const row = page.getByTestId('change-row');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-count', '2');
  await expect(row).not.toHaveAttribute('data-group', '');
  await expect(row.getByTestId('change-file')).toHaveCount(2);
  await row.getByTestId('change-toggle').click();
  await expect(page.getByTestId('change-diff')).toHaveCount(2);
  await noSecretInPage(page);
  await expectAxeClean(page, '[data-testid="page-changes"]');
  await row.getByTestId('change-undo').click();
  const confirm = page.getByTestId('undo-dialog');
  await expect(confirm.getByTestId('undo-files').locator('li')).toHaveCount(2);
  await expectAxeClean(page, '[data-testid="undo-dialog"]');
  await confirm.getByTestId('undo-confirm').click();
  await expect(page.getByTestId('changes-message')).toContainText('restored byte for byte');
  await expect(row).toHaveAttribute('data-status', 'undone');
  expect(readFileSync(cursor, 'utf8')).toBe(CURSOR);
  expect(readFileSync(windsurf, 'utf8')).toBe(WINDSURF);

  await page.getByTestId('nav-findings').click();
  await rescan(page);
  await expect(literalRows(page)).toHaveCount(3);

  await api.settle();
  for (const r of api.responses) for (const s of SECRETS) expect(r.body, r.url).not.toContain(s);
});

test('fix the selected findings of one rule from the result dialog, and undo the group there', async ({ page }) => {
  await page.goto(gh.url + '#/findings');
  await rescan(page);
  const rows = literalRows(page);
  await expect(rows).toHaveCount(3);
  // Select the two Cursor findings: Fix all 2, over exactly those.
  const inCursor = rows.filter({ hasText: '.cursor' });
  await expect(inCursor).toHaveCount(2);
  for (const r of await inCursor.all()) await r.getByTestId('finding-check').check();
  const fixAll = page.getByTestId('findings-fix-all');
  await expect(fixAll).toHaveAttribute('data-count', '2');
  await fixAll.click();

  const d = page.getByTestId('fix-dialog');
  await expect(d.getByTestId('fix-preview')).toHaveAttribute('data-files', '1');
  await expect(d.getByTestId('fix-file')).toHaveAttribute('data-file', cursor);
  // Esc closes without writing.
  await page.keyboard.press('Escape');
  await expect(d).toHaveCount(0);
  expect(readFileSync(cursor, 'utf8')).toBe(CURSOR);

  await fixAll.click();
  await expect(d.getByTestId('fix-preview')).toHaveAttribute('data-files', '1');
  await d.getByTestId('fix-confirm').click();
  await expect(d.getByTestId('fix-result')).toHaveAttribute('data-files', '1');
  await expect(d.getByTestId('fix-rescan-result')).toHaveAttribute('data-open', 'no');
  expect(readFileSync(windsurf, 'utf8')).toBe(WINDSURF);
  await d.getByTestId('fix-undo').click();
  await expect(d.getByTestId('fix-undone')).toContainText(cursor);
  await expect(d.getByTestId('fix-rescan-result')).toHaveAttribute('data-open', 'yes');
  expect(readFileSync(cursor, 'utf8')).toBe(CURSOR);
  await d.getByTestId('fix-done').click();
  await expect(rows).toHaveCount(3);
  await noSecretInPage(page);
});
