import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { captureApiResponses, startServe, type ServeHandle } from './support/serve.js';

/**
 * Fix a finding end to end: a literal token planted in a Cursor config of a temp home → Findings
 * shows it → Fix → masked diff → Confirm → rescan: finding gone, the file holds `${env:VAR}` →
 * Changes lists the write → Undo → rescan: finding back, the file byte-identical to the original.
 * The token never reaches the page (DOM or API responses).
 */

// Built at run time so no scanner mistakes this file for a leak.
const SECRET = ['ghp', 'Zr8TqW3yUe6IoP1aSdF4gHjK7lZx9CvB2nM5'].join('_');
const ORIGINAL = `{
  // team servers (kept by the fix)
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"],
      "env": { "GITHUB_TOKEN": "${SECRET}", "LOG_LEVEL": "debug" }
    }
  }
}
`;
// A second config: a credential in the arguments (no automatic fix) and an unpinned package.
const ARGS_SECRET = ['ghp', 'Wq2ErT5yUi8oPa1sDf4gHj7kLz0xCv3bNm6Q'].join('_');
const VSCODE = `{
  "servers": {
    "search": { "type": "stdio", "command": "npx", "args": ["-y", "acme-search-mcp", "--api-key", "${ARGS_SECRET}"] }
  }
}
`;
const SHOTS = process.env.GATEHOUSE_SCREENSHOTS;

let root = '';
let file = '';
let gh: ServeHandle;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-fix-'));
  mkdirSync(join(root, 'home', '.cursor'), { recursive: true });
  file = join(root, 'home', '.cursor', 'mcp.json');
  writeFileSync(file, ORIGINAL);
  chmodSync(file, 0o600);
  mkdirSync(join(root, 'home', '.config', 'Code', 'User'), { recursive: true });
  writeFileSync(join(root, 'home', '.config', 'Code', 'User', 'mcp.json'), VSCODE);
  chmodSync(join(root, 'home', '.config', 'Code', 'User', 'mcp.json'), 0o600);
  gh = await startServe({ home: join(root, 'home') });
});

test.afterAll(async () => {
  await gh?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

let pageErrors: string[] = [];
/** A refused write answers 409 (Conflict), which Chromium logs; only where a test expects one. */
let allow409 = false;
test.beforeEach(async ({ page }) => {
  pageErrors = [];
  allow409 = false;
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() !== 'error' || /401|Unauthorized/i.test(msg.text())) return;
    if (allow409 && /status of 409/.test(msg.text())) return;
    pageErrors.push(msg.text());
  });
});
test.afterEach(() => {
  expect(pageErrors, 'errors in the page').toEqual([]);
});

const literalRow = (page: Page) => page.locator('[data-testid="finding-row"][data-rule="secret.literal"]');

async function rescan(page: Page) {
  const done = page.waitForResponse((r) => r.url().includes('/api/invoke/findings.scan') && r.status() === 200);
  await page.getByTestId('findings-scan-button').click();
  await done;
}

async function noSecretInPage(page: Page) {
  for (const secret of [SECRET, ARGS_SECRET]) {
    expect(await page.content()).not.toContain(secret);
    expect(await page.evaluate(() => document.body.innerText)).not.toContain(secret);
  }
}

async function shoot(page: Page, name: string) {
  if (!SHOTS) return;
  for (const theme of ['dark', 'light'] as const) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    await page.screenshot({ path: join(SHOTS, `${name}-${theme}.png`) });
  }
  await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
}

test('fix a literal credential from Findings, see the masked diff, confirm, undo from Changes', async ({ page }) => {
  test.setTimeout(120_000);
  if (SHOTS) await page.setViewportSize({ width: 1024, height: 700 });
  const api = captureApiResponses(page);
  await page.goto(gh.url + '#/findings');
  await expect(page.getByTestId('findings-table')).toBeVisible();
  await rescan(page);
  await expect(literalRow(page)).toHaveCount(1);

  // Fix → options → preview of the masked diff.
  await literalRow(page).click();
  await page.getByTestId('fix-button').click();
  const dialog = page.getByTestId('fix-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('fix-preview')).toBeVisible();
  await expect(dialog.getByTestId('fix-file')).toHaveAttribute('data-file', file);
  const diff = dialog.getByTestId('fix-diff');
  await expect(diff.locator('tr[data-kind="del"]')).toHaveCount(1);
  await expect(diff.locator('tr[data-kind="add"]')).toHaveCount(1);
  await expect(diff.locator('tr[data-kind="add"]')).toContainText('${env:GITHUB_TOKEN}');
  await expect(diff.locator('tr[data-kind="del"]')).toContainText('GITHUB_TOKEN');
  await expect(dialog.getByTestId('fix-notes')).toContainText('GITHUB_TOKEN');
  await noSecretInPage(page);
  await shoot(page, 'fix-dialog');

  // Esc closes without writing; the file is untouched.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);

  // Again, and confirm with the keyboard (Enter on the focused Confirm).
  await page.getByTestId('fix-button').click();
  await expect(dialog.getByTestId('fix-preview')).toBeVisible();
  await dialog.getByTestId('fix-confirm').focus();
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('fix-result')).toBeVisible();
  await expect(dialog.getByTestId('fix-rescan-result')).toHaveAttribute('data-open', 'no');
  await shoot(page, 'fix-result');
  const fixed = readFileSync(file, 'utf8');
  expect(fixed).toContain('"GITHUB_TOKEN": "${env:GITHUB_TOKEN}"');
  expect(fixed).toContain('// team servers (kept by the fix)');
  expect(fixed).not.toContain(SECRET);
  await dialog.getByTestId('fix-done').click();
  await expect(dialog).toHaveCount(0);
  // The rescan the dialog ran refreshed the list: the finding is gone.
  await expect(literalRow(page)).toHaveCount(0);

  // Changes lists the write; Undo (confirmed) restores the file byte for byte.
  await page.getByTestId('nav-changes').click();
  const row = page.getByTestId('change-row');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-status', 'applied');
  await expect(row.getByTestId('change-file')).toHaveText(file);
  await expect(row).toContainText('/mcpServers/github/env/GITHUB_TOKEN');
  await row.getByTestId('change-toggle').click();
  await expect(page.getByTestId('change-diff')).toBeVisible();
  await noSecretInPage(page);
  await shoot(page, 'changes');
  await row.getByTestId('change-undo').click();
  await expect(page.getByTestId('undo-dialog')).toBeVisible();
  await shoot(page, 'changes-undo');
  await page.getByTestId('undo-confirm').click();
  await expect(page.getByTestId('changes-message')).toContainText('restored byte for byte');
  await expect(row).toHaveAttribute('data-status', 'undone');
  expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);

  // Rescan: the finding is back.
  await page.getByTestId('nav-findings').click();
  await rescan(page);
  await expect(literalRow(page)).toHaveCount(1);
  await noSecretInPage(page);

  await api.settle();
  for (const r of api.responses) {
    expect(r.body, r.url).not.toContain(SECRET);
    expect(r.body, r.url).not.toContain(ARGS_SECRET);
  }
});

test('undo is refused with the reason when the file moved on', async ({ page }) => {
  await page.goto(gh.url + '#/findings');
  await rescan(page);
  await literalRow(page).click();
  await page.getByTestId('fix-button').click();
  const dialog = page.getByTestId('fix-dialog');
  await dialog.getByTestId('fix-confirm').click();
  await expect(dialog.getByTestId('fix-result')).toBeVisible();
  await dialog.getByTestId('fix-done').click();

  await page.getByTestId('nav-changes').click();
  const row = page.locator('[data-testid="change-row"][data-status="applied"]');
  await expect(row).toHaveAttribute('data-undoable', 'yes');

  // Someone edits the file while the page is open: the service refuses, and says why.
  writeFileSync(file, readFileSync(file, 'utf8').replace('"debug"', '"info"'));
  const moved = readFileSync(file, 'utf8');
  allow409 = true;
  await row.getByTestId('change-undo').click();
  await page.getByTestId('undo-confirm').click();
  await expect(page.getByTestId('changes-error')).toContainText('Undo refused');
  await expect(page.getByTestId('changes-error')).toContainText('changed since');
  expect(readFileSync(file, 'utf8')).toBe(moved);
  // The list now says so up front, and Undo is off for that change.
  await expect(row).toHaveAttribute('data-undoable', 'no');
  await expect(row.getByTestId('change-blocked')).toContainText('changed since');
  await expect(row.getByTestId('change-undo')).toBeDisabled();
});

test('a manual finding shows why and offers no Confirm; a version pin asks for the version first', async ({ page }) => {
  if (SHOTS) await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(gh.url + '#/findings');
  await rescan(page);
  const dialog = page.getByTestId('fix-dialog');

  await page.locator('[data-testid="finding-row"][data-rule="secret.in-args"]').click();
  await page.getByTestId('fix-button').click();
  await expect(dialog.getByTestId('fix-manual')).toContainText('command-line argument');
  await expect(dialog.getByTestId('fix-confirm')).toHaveCount(0);
  await expect(dialog.getByTestId('fix-preview')).toHaveCount(0);
  await noSecretInPage(page);
  await shoot(page, 'fix-manual');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  await page.locator('[data-testid="finding-row"][data-rule="runner.unpinned"]').click();
  await page.getByTestId('fix-button').click();
  await expect(dialog.getByTestId('fix-input')).toBeFocused();
  await expect(dialog.getByTestId('fix-confirm')).toBeDisabled();
  await dialog.getByTestId('fix-input').fill('1.2.3');
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('fix-diff').locator('tr[data-kind="add"]')).toContainText('acme-search-mcp@1.2.3');
  await noSecretInPage(page);
  await shoot(page, 'fix-pin');
  // Focus stays inside the dialog: Tab from its last control wraps to its first.
  await dialog.getByTestId('fix-confirm').focus();
  await page.keyboard.press('Tab');
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await dialog.getByTestId('fix-cancel').click();
  await expect(dialog).toHaveCount(0);
  expect(readFileSync(join(root, 'home', '.config', 'Code', 'User', 'mcp.json'), 'utf8')).toBe(VSCODE);
});
