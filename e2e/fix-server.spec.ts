import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { expectAxeClean } from './support/a11y.js';
import { captureApiResponses, startServe, type ServeHandle } from './support/serve.js';

/**
 * Config writes from a server's page, end to end against `gatehouse serve` on a temp home: fix a
 * finding listed on the page, copy the server to another client, quarantine it everywhere; each
 * previewed (masked diff of every file), confirmed, checked on disk, then undone byte for byte.
 * The dialogs are axe clean in both themes and usable at 1024×700 with the keyboard.
 */

// Built at run time so no scanner mistakes this file for a leak.
const SECRET = ['ghp', 'Qm4TzW8yRe2IoP5aSdF1gHjK9lZx3CvB7nM0'].join('_');
const CLAUDE = `{
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"],
      "env": { "GITHUB_TOKEN": "${SECRET}" }
    },
    "notes": { "command": "npx", "args": ["-y", "acme-notes-mcp@2.0.0"] }
  }
}
`;
// The same "notes" server in a second client, which has a disabled flag.
const WINDSURF = `{
  "mcpServers": {
    "notes": { "command": "npx", "args": ["-y", "acme-notes-mcp@2.0.0"] }
  }
}
`;

let root = '';
let claude = '';
let windsurf = '';
let cursor = '';
let gh: ServeHandle;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-fix-server-'));
  const home = join(root, 'home');
  mkdirSync(join(home, '.config', 'Claude'), { recursive: true });
  claude = join(home, '.config', 'Claude', 'claude_desktop_config.json');
  writeFileSync(claude, CLAUDE);
  chmodSync(claude, 0o600);
  mkdirSync(join(home, '.codeium', 'windsurf'), { recursive: true });
  windsurf = join(home, '.codeium', 'windsurf', 'mcp_config.json');
  writeFileSync(windsurf, WINDSURF);
  chmodSync(windsurf, 0o600);
  cursor = join(home, '.cursor', 'mcp.json');
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

async function invoke<T>(method: string, input: unknown): Promise<T> {
  const res = await fetch(`${gh.baseUrl}/api/invoke/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gh.token}` },
    body: JSON.stringify(input),
  });
  expect(res.status, method).toBe(200);
  return (await res.json()) as T;
}

/** The id of a server as the latest discovery run has it (a scan runs discovery first). */
async function serverId(client: string, name: string): Promise<string> {
  await invoke('findings.scan', {});
  const latest = await invoke<{ result: { servers: { id: string; client: string; name: string }[] } }>(
    'discovery.latest',
    {},
  );
  const s = latest.result.servers.find((x) => x.client === client && x.name === name);
  if (!s) throw new Error(`no ${client} server "${name}" discovered`);
  return s.id;
}

async function openServer(page: Page, id: string) {
  await page.goto(`${gh.url}#/servers/${encodeURIComponent(id)}`);
  await expect(page.getByTestId('server-detail')).toBeVisible();
}

async function noSecretInPage(page: Page) {
  expect(await page.content()).not.toContain(SECRET);
}

const dialog = (page: Page) => page.getByTestId('fix-dialog');

const SHOTS = process.env.GATEHOUSE_SCREENSHOTS;
async function shoot(page: Page, name: string) {
  if (!SHOTS) return;
  for (const theme of ['dark', 'light'] as const) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    await page.screenshot({ path: join(SHOTS, `${name}-${theme}.png`) });
  }
  await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
}

test('fix a finding from the server page, then undo: the file is byte-identical again', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  const api = captureApiResponses(page);
  const id = await serverId('claude-desktop', 'github');
  await openServer(page, id);
  const literal = page.locator('[data-testid="server-finding"][data-rule="secret.literal"]');
  await expect(literal).toHaveCount(1);
  // A finding with only a manual fix gets no Fix button; this one has an automatic fix.
  await literal.getByTestId('server-finding-fix').click();

  const d = dialog(page);
  await expect(d).toHaveAttribute('data-kind', 'fix');
  await expect(d.getByTestId('fix-preview')).toBeVisible();
  await expect(d.getByTestId('fix-file')).toHaveAttribute('data-file', claude);
  await expect(d.getByTestId('fix-diff').locator('tr[data-kind="add"]').first()).toBeVisible();
  await expect(d.getByTestId('fix-confirm')).toBeInViewport();
  await noSecretInPage(page);
  await expectAxeClean(page, '[data-testid="fix-dialog"]');
  await shoot(page, 'server-fix');

  await d.getByTestId('fix-confirm').click();
  await expect(d.getByTestId('fix-result')).toBeVisible();
  await expect(d.getByTestId('fix-rescan-result')).toHaveAttribute('data-open', 'no');
  await shoot(page, 'server-fix-result');
  expect(readFileSync(claude, 'utf8')).not.toContain(SECRET);
  // The page behind the dialog followed the rescan: the finding is gone from the server's list.
  await expect(literal).toHaveCount(0);

  await d.getByTestId('fix-undo').click();
  await expect(d.getByTestId('fix-undone')).toContainText(claude);
  await expect(d.getByTestId('fix-rescan-result')).toHaveAttribute('data-open', 'yes');
  expect(readFileSync(claude, 'utf8')).toBe(CLAUDE);
  await d.getByTestId('fix-done').click();
  await expect(d).toHaveCount(0);
  await expect(literal).toHaveCount(1);

  await api.settle();
  for (const r of api.responses) expect(r.body, r.url).not.toContain(SECRET);
});

test('copy a server from Claude Desktop to Cursor: it appears in the inventory, Undo removes it', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  const api = captureApiResponses(page);
  const id = await serverId('claude-desktop', 'github');
  await openServer(page, id);

  // Esc closes without writing.
  await page.getByTestId('server-copy').click();
  const d = dialog(page);
  await expect(d).toHaveAttribute('data-kind', 'copy');
  await expect(d.getByTestId('copy-target').first()).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(d).toHaveCount(0);
  expect(existsSync(cursor)).toBe(false);

  await page.getByTestId('server-copy').click();
  const targets = d.getByTestId('copy-target');
  await expect(targets.first()).toBeVisible();
  // Refused targets are disabled and say why; the others can be chosen.
  for (const t of await targets.all()) {
    const refused = (await t.getAttribute('data-refused')) === 'yes';
    await expect(t.locator('input[type="radio"]')).toBeEnabled({ enabled: !refused });
    if (refused) expect((await t.innerText()).length).toBeGreaterThan(10);
  }
  const toCursor = d.locator('[data-testid="copy-target"][data-client="cursor"]');
  await expect(toCursor).toHaveAttribute('data-refused', 'no');
  await expect(d.getByTestId('fix-confirm')).toBeDisabled();

  // A project scope asks for the folder first (no preview, no Confirm before it).
  await toCursor.locator('input').check();
  await d.getByTestId('copy-scope').getByLabel('Project folder').check();
  await expect(d.getByTestId('copy-project')).toBeVisible();
  await expect(d.getByTestId('fix-preview')).toHaveCount(0);
  await expect(d.getByTestId('fix-confirm')).toBeDisabled();
  const project = join(root, 'project');
  mkdirSync(project, { recursive: true });
  await d.getByTestId('copy-project').fill(project);
  await page.keyboard.press('Enter');
  await expect(d.getByTestId('fix-file')).toHaveAttribute('data-file', join(project, '.cursor', 'mcp.json'));
  await expect(d.getByTestId('fix-confirm')).toBeEnabled();
  await d.getByTestId('copy-scope').getByLabel('User (every project)').check();

  await expect(d.getByTestId('fix-file')).toHaveAttribute('data-file', cursor);
  await expect(d.getByTestId('fix-diff').locator('tr[data-kind="add"]')).not.toHaveCount(0);
  await expect(d.getByTestId('fix-diff')).toContainText('${env:GITHUB_TOKEN}');
  await expect(d.getByTestId('fix-confirm')).toBeInViewport();
  await noSecretInPage(page);
  await expectAxeClean(page, '[data-testid="fix-dialog"]');
  await shoot(page, 'server-copy');
  // Focus stays inside the dialog.
  await d.getByTestId('fix-confirm').focus();
  await page.keyboard.press('Tab');
  expect(await d.evaluate((el) => el.contains(document.activeElement))).toBe(true);

  await d.getByTestId('fix-confirm').click();
  await expect(d.getByTestId('fix-result')).toBeVisible();
  await expect(d.getByTestId('fix-rescan-result')).toBeVisible();
  expect(readFileSync(cursor, 'utf8')).toContain('"github"');
  expect(readFileSync(cursor, 'utf8')).not.toContain(SECRET);
  expect(readFileSync(claude, 'utf8')).toBe(CLAUDE);

  // The dialog lives above the pages: the inventory behind it now lists the copy under Cursor.
  await page.evaluate(() => (window.location.hash = '#/inventory'));
  const copied = page.locator('[data-testid="inventory-row"][data-client="cursor"]');
  await expect(copied).toHaveCount(1);
  await expect(copied).toContainText('github');

  await d.getByTestId('fix-undo').click();
  await expect(d.getByTestId('fix-undone')).toBeVisible();
  await expect(d.getByTestId('fix-rescan-result')).toBeVisible();
  // The copy created the file; undo removes it.
  expect(existsSync(cursor)).toBe(false);
  expect(readFileSync(claude, 'utf8')).toBe(CLAUDE);
  await d.getByTestId('fix-done').click();
  await expect(copied).toHaveCount(0);

  await api.settle();
  for (const r of api.responses) expect(r.body, r.url).not.toContain(SECRET);
});

test('quarantine a server everywhere: every file previewed, disabled or removed, Undo restores all', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  const id = await serverId('claude-desktop', 'notes');
  await openServer(page, id);
  await page.getByTestId('server-quarantine').click();
  const d = dialog(page);
  await expect(d).toHaveAttribute('data-kind', 'quarantine');
  const files = d.getByTestId('fix-file');
  await expect(files).toHaveCount(2);
  expect((await files.evaluateAll((els) => els.map((e) => e.getAttribute('data-file')))).sort()).toEqual(
    [windsurf, claude].sort(),
  );
  await expect(d.getByTestId('fix-file-count')).toContainText('2 files');
  // Each file's diff can be collapsed from its header (a native disclosure: keyboard included).
  const first = files.first();
  await expect(first.getByTestId('fix-diff')).toBeVisible();
  await first.locator('summary').focus();
  await page.keyboard.press('Enter');
  await expect(first.getByTestId('fix-diff')).toBeHidden();
  await page.keyboard.press('Enter');
  await expect(first.getByTestId('fix-diff')).toBeVisible();
  await expect(d.getByTestId('fix-confirm')).toBeInViewport();
  await expectAxeClean(page, '[data-testid="fix-dialog"]');
  await shoot(page, 'server-quarantine');

  await d.getByTestId('fix-confirm').focus();
  await page.keyboard.press('Enter');
  await expect(d.getByTestId('fix-result')).toHaveAttribute('data-files', '2');
  const ws = JSON.parse(readFileSync(windsurf, 'utf8')) as { mcpServers: Record<string, { disabled?: boolean }> };
  expect(ws.mcpServers.notes?.disabled).toBe(true);
  const cd = JSON.parse(readFileSync(claude, 'utf8')) as { mcpServers: Record<string, unknown> };
  expect(cd.mcpServers.notes).toBeUndefined();
  expect(cd.mcpServers.github).toBeDefined();

  await d.getByTestId('fix-undo').click();
  await expect(d.getByTestId('fix-undone')).toBeVisible();
  expect(readFileSync(windsurf, 'utf8')).toBe(WINDSURF);
  expect(readFileSync(claude, 'utf8')).toBe(CLAUDE);
  await page.keyboard.press('Escape');
  await expect(d).toHaveCount(0);

  // Changes lists every write of this run (fix, copy, quarantine) with actor and file; it filters by
  // file and actor, and the filter lives in the URL (a reload keeps it).
  await page.getByTestId('nav-changes').click();
  const rows = page.getByTestId('change-row');
  await expect(rows.first()).toBeVisible();
  const all = await rows.count();
  expect(all).toBeGreaterThanOrEqual(3);
  await expect(rows.getByTestId('change-file').filter({ hasText: '.cursor/mcp.json' })).toHaveCount(1);
  await page.getByTestId('changes-filter-file').fill('windsurf');
  await expect(rows).toHaveCount(1);
  await expect(rows.getByTestId('change-file').filter({ hasText: 'windsurf' })).toHaveCount(1);
  await expect(rows).toHaveAttribute('data-status', 'undone');
  await expect(page).toHaveURL(/[?&]file=windsurf/);
  await page.reload();
  await expect(page.getByTestId('changes-filter-file')).toHaveValue('windsurf');
  await expect(rows).toHaveCount(1);
  const actor = await page.getByTestId('changes-filter-actor').locator('option').nth(1).getAttribute('value');
  expect(actor).toBeTruthy();
  await page.getByTestId('changes-filter-file').fill('');
  await page.getByTestId('changes-filter-actor').selectOption(actor!);
  await expect(rows).toHaveCount(all);
  await expect(page).toHaveURL(/[?&]actor=/);
  await shoot(page, 'changes-groups');
  await expectAxeClean(page, '[data-testid="page-changes"]');
});
