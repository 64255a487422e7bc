import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import type { MethodInput, MethodName, MethodOutput } from '../shared/api/contract.js';
import { gatewaySkipReason, startSeededGateway, type LiveGateway } from '../test/gateways/support.js';
import { startServe, type ServeHandle } from './support/serve.js';

/**
 * Policy end to end against a live ContextForge (scripts/contextforge), in real Chromium against
 * `gatehouse serve`: pull the live policy, edit it in the editor, see the inline error of a typo
 * and fix it, plan (changes + access delta), simulate over imported audit events, push with
 * confirmation, see the change on the Tenants page, roll back. Skips when ContextForge is not
 * installed, fails when GATEHOUSE_REQUIRE_GATEWAYS=1.
 */

const skipReason = gatewaySkipReason();
test.skip(!!skipReason, skipReason);
test.describe.configure({ mode: 'serial', timeout: 240_000 });

const REPO = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(REPO, 'bin', 'gatehouse.mjs');
const GATEWAY = 'contextforge-ci';
/** Set to a folder to keep screenshots of the page at 1024×700 in both themes. */
const SHOTS = process.env.GATEHOUSE_SHOTS_DIR;

let gw: LiveGateway;
let gh: ServeHandle;
let root: string;
let gatewayId: string;
let importedEvents = 0;
let adminToken: string;

/** Calls the loopback API as the page does (bearer token), typed by the contract. */
async function invoke<K extends MethodName>(method: K, input: MethodInput<K>): Promise<MethodOutput<K>> {
  const res = await fetch(`${gh.baseUrl}/api/invoke/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gh.token}` },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as MethodOutput<K>;
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * ToolHive audit lines of calls to the seeded gateway's tools over the last hour: alice (Team Red)
 * calling blue-tools' tools (denied today: blue-tools is Team Blue's, team-visible) and bob (Team
 * Blue) calling them (allowed, and still allowed after the edit).
 */
function auditLines(): string[] {
  const now = Date.now();
  const line = (i: number, user: string, tool: string, outcome: string) =>
    JSON.stringify({
      type: 'mcp_tool_call',
      loggedAt: new Date(now - (60 - i) * 30_000).toISOString(),
      source: { type: 'network', value: '10.0.0.1', extra: { request_id: `p-${i}` } },
      outcome,
      subjects: { user, client_name: 'claude-code' },
      component: 'blue-tools',
      target: { endpoint: '/mcp', method: 'tools/call', type: 'tool', name: tool },
      metadata: { auditId: `policy-e2e-${i}` },
    });
  const out: string[] = [];
  for (let i = 0; i < 12; i++) out.push(line(i, 'alice@example.com', 'everything-get-tiny-image', 'denied'));
  for (let i = 12; i < 20; i++) out.push(line(i, 'bob@example.com', 'everything-get-tiny-image', 'success'));
  return out;
}

test.beforeAll(async () => {
  test.setTimeout(360_000);
  gw = await startSeededGateway();
  adminToken = (JSON.parse(readFileSync(gw.stateFile, 'utf8')) as { adminToken: string }).adminToken;
  root = mkdtempSync(join(tmpdir(), 'gh-e2e-policy-'));
  const home = join(root, 'home');
  const state = join(root, 'state');
  mkdirSync(home, { recursive: true });
  // Recorded traffic for the simulation, imported through the CLI into the store serve will use.
  const lines = auditLines();
  const file = join(root, 'audit.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const out = execFileSync(process.execPath, [BIN, 'audit', 'import', file, '--format', 'toolhive', '--state', state], {
    cwd: REPO,
    encoding: 'utf8',
  });
  expect(JSON.parse(out)).toMatchObject({ imported: lines.length, rejected: 0 });
  importedEvents = lines.length;
  gh = await startServe({ home, state });
  const added = await invoke('gateways.add', {
    name: GATEWAY,
    kind: 'contextforge',
    baseUrl: gw.baseUrl,
    authType: 'bearer',
    secret: adminToken,
  });
  gatewayId = added.id;
  const synced = await invoke('gateways.sync', { id: gatewayId });
  expect(
    synced.every((r) => r.ok),
    JSON.stringify(synced),
  ).toBe(true);
});

test.afterAll(async () => {
  await gh?.stop();
  await gw?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The Team Red → blue-tools cell of the Tenants matrix, after a fresh sync. */
async function redToBlue(page: Page): Promise<string | null> {
  await page.goto(gh.url + '#/tenants');
  await page.getByTestId('tenants-sync').click();
  await expect(page.getByTestId('tenants-sync')).toBeEnabled({ timeout: 60_000 });
  const matrix = page.getByTestId('tenants-matrix');
  const redRow = matrix.locator('[data-testid="tenants-row"][data-team="Team Red"]');
  await expect(redRow).toBeVisible();
  const names = await matrix
    .locator('[data-testid="tenants-server-col"]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
  return redRow.locator('[data-testid="tenants-cell"]').nth(names.indexOf('blue-tools')).getAttribute('data-status');
}

/** Replaces the editor's whole text the way a paste does (one input event). */
async function replaceText(page: Page, text: string) {
  await page.getByTestId('policy-editor-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.insertText(text);
}

/** blue-tools' own block of the document, with `edit` applied to it only. */
function editBlueTools(doc: string, edit: (block: string) => string): string {
  const start = doc.search(/^[ \t]*- name: ["']?blue-tools["']?[ \t]*$/m);
  expect(start, 'blue-tools in the pulled document').toBeGreaterThanOrEqual(0);
  const bodyStart = doc.indexOf('\n', start) + 1;
  const next = doc.slice(bodyStart).search(/^[ \t]*- name: /m);
  const end = next < 0 ? doc.length : bodyStart + next;
  return doc.slice(0, start) + edit(doc.slice(start, end)) + doc.slice(end);
}

test('pull, edit with an inline error, plan, simulate, push, see it on Tenants, roll back', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  expect(await redToBlue(page)).toBe('denied');

  // Pull.
  await page.goto(gh.url + '#/policy');
  await expect(page.getByTestId('page-policy')).toBeVisible();
  await expect(page.getByTestId('policy-gateway').locator('option:checked')).toHaveText(GATEWAY);
  await page.getByTestId('policy-pull').click();
  await expect(page.getByTestId('policy-origin')).toContainText(`pulled from ${GATEWAY}`);
  await expect(page.getByTestId('policy-editor-content')).toContainText('blue-tools');
  await expect(page.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');

  // Save file: the download is exactly the editor's document (for review in git).
  // Save file is in the toolbar's File menu.
  await page.getByTestId('policy-file-menu').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('policy-save').click()]);
  expect(download.suggestedFilename()).toBe(`policy-${GATEWAY}.yaml`);
  const pulled = readFileSync(await download.path(), 'utf8');
  expect(pulled).toContain('apiVersion: gatehouse/v1');

  // Edit: open blue-tools to everyone, with a typo first.
  const typo = editBlueTools(pulled, (b) => b.replace(/visibility: \S+/, 'visiblity: public'));
  expect(typo).toContain('visiblity: public');
  await replaceText(page, typo);
  await expect(page.getByTestId('policy-status')).not.toHaveAttribute('data-errors', '0');
  await expect(page.locator('.cm-lintRange-error').first()).toBeVisible();
  const problem = page.getByTestId('policy-problem').filter({ hasText: 'visiblity' }).first();
  await expect(problem).toHaveAttribute('data-severity', 'error');
  await expect(page.getByTestId('policy-push')).toBeDisabled();
  // Keyboard: the problem jumps to its line.
  await problem.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('.cm-activeLine')).toContainText('visiblity');

  // Fix it.
  await replaceText(page, typo.replace('visiblity: public', 'visibility: public'));
  await expect(page.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');
  await expect(page.locator('.cm-lintRange-error')).toHaveCount(0);

  // Plan: the server update, and Team Red gaining blue-tools' tools.
  await page.getByTestId('policy-plan-run').click();
  await expect(page).toHaveURL(new RegExp(`#/policy/${gatewayId}/plan$`));
  const change = page.locator('[data-testid="policy-change"][data-kind="server"][data-op="update"]');
  await expect(change).toHaveCount(1);
  await expect(change).toContainText('blue-tools');
  await page.getByTestId('policy-tab-delta').click();
  const gains = page.locator('[data-testid="policy-delta-row"][data-change="gains"]');
  await expect(gains.first()).toBeVisible();
  await expect(gains.filter({ hasText: 'Team Red' }).first()).toContainText('blue-tools');

  // Simulate over the imported audit events: alice's calls become allowed.
  await page.getByTestId('policy-simulate').click();
  // The store also holds Gatehouse's own actions (adding the gateway…): at least the imported ones.
  const summary = page.getByTestId('policy-sim-summary');
  await expect(summary).toBeVisible({ timeout: 30_000 });
  expect(Number(await summary.getAttribute('data-events'))).toBeGreaterThanOrEqual(importedEvents);
  const allowed = page.getByTestId('policy-sim-allowed');
  await expect(allowed.locator('[data-testid="policy-sim-group"][data-user="alice@example.com"]')).toBeVisible();
  await expect(page.getByTestId('policy-sim-denied')).toHaveAttribute('data-count', '0');
  await expect(allowed.getByTestId('policy-sim-events').first()).toHaveAttribute(
    'href',
    /#\/audit\/user\/alice%40example\.com/,
  );
  // The sample link opens the Audit page filtered to those calls; Back returns here.
  await allowed.getByTestId('policy-sim-events').first().click();
  await expect(page.getByTestId('page-audit')).toBeVisible();
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', '12');
  await page.goBack();
  await expect(page.getByTestId('policy-editor-content')).toContainText('visibility: public');
  // The results are still there: coming back does not lose the draft, the plan or the simulation.
  await expect(page).toHaveURL(/\/simulation$/);
  await expect(allowed.locator('[data-testid="policy-sim-group"][data-user="alice@example.com"]')).toBeVisible();

  if (SHOTS) {
    await page.setViewportSize({ width: 1024, height: 700 });
    for (const theme of ['dark', 'light'] as const) {
      if ((await page.locator('html').getAttribute('data-theme')) !== theme)
        await page.getByTestId('theme-toggle').click();
      await page.getByTestId('policy-tab-simulation').click();
      await page.screenshot({ path: join(SHOTS, `real-simulation-${theme}.png`) });
      await page.getByTestId('policy-tab-delta').click();
      await page.screenshot({ path: join(SHOTS, `real-delta-${theme}.png`) });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  }

  // Push, with confirmation.
  await page.getByTestId('policy-push').click();
  const dialog = page.getByTestId('policy-push-dialog');
  await expect(dialog.getByTestId('policy-push-gateway')).toHaveText(GATEWAY);
  await expect(dialog.getByTestId('policy-push-count')).toHaveText('1');
  await dialog.getByTestId('policy-push-message').fill('Open blue-tools to every team (e2e)');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'real-push-confirm.png') });
  await dialog.getByTestId('policy-push-confirm').click();
  const result = dialog.getByTestId('policy-push-result');
  await expect(result).toHaveAttribute('data-status', 'applied', { timeout: 60_000 });
  await expect(dialog.getByTestId('policy-push-verified')).toHaveText('verified');
  await dialog.getByTestId('policy-push-close').click();
  await expect(dialog).toHaveCount(0);

  // Tenants shows it.
  expect(await redToBlue(page)).not.toBe('denied');

  // Versions: the push is recorded with its message; roll back to the first pull (the oldest).
  await page.goto(gh.url + `#/policy/${gatewayId}/versions`);
  const versions = page.getByTestId('policy-version');
  await expect(versions.filter({ hasText: 'Open blue-tools to every team (e2e)' })).toHaveAttribute(
    'data-origin',
    'push',
  );
  const oldest = versions.last();
  await expect(oldest).toHaveAttribute('data-origin', 'pull');
  await oldest.getByTestId('policy-version-rollback').click();
  await expect(dialog.getByTestId('policy-push-count')).toHaveText('1');
  await dialog.getByTestId('policy-push-confirm').click();
  await expect(result).toHaveAttribute('data-status', 'applied', { timeout: 60_000 });
  await dialog.getByTestId('policy-push-close').click();
  await expect(page.locator('[data-testid="policy-version"][data-origin="rollback"]').first()).toBeVisible();
  // Compare the push with the first pull, then load the pushed version into the editor.
  const pushed = versions.filter({ hasText: 'Open blue-tools to every team (e2e)' });
  await pushed.getByTestId('policy-version-compare').check();
  await oldest.getByTestId('policy-version-compare').check();
  await page.getByTestId('policy-versions-compare').click();
  const diff = page.getByTestId('policy-versions-diff');
  await expect(diff.locator('[data-testid="policy-change"][data-kind="server"]')).toContainText('blue-tools');
  await pushed.getByTestId('policy-version-load').click();
  await expect(page.getByTestId('policy-origin')).toContainText('version');
  await expect(page).toHaveURL(new RegExp(`#/policy/${gatewayId}/versions/[0-9a-f]{8,}$`));

  expect(await redToBlue(page)).toBe('denied');
  expect(errors).toEqual([]);
});

test('a change made on the gateway after the pull: the push is a conflict, shown base / live / draft', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(gh.url + `#/policy/${gatewayId}/problems`);
  await page.getByTestId('policy-pull').click();
  await expect(page.getByTestId('policy-origin')).toContainText(`pulled from ${GATEWAY}`);
  // Save file is in the toolbar's File menu.
  await page.getByTestId('policy-file-menu').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('policy-save').click()]);
  const pulled = readFileSync(await download.path(), 'utf8');

  // Someone edits blue-tools on the gateway directly.
  const res = await fetch(`${gw.baseUrl}/v1/servers/${gw.seed.servers.blue.id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ description: 'Changed behind Gatehouse' }),
  });
  expect(res.ok, await res.text()).toBe(true);

  // The reviewed file comes back from git: Open file keeps the pull as the base.
  const file = join(root, 'reviewed-policy.yaml');
  writeFileSync(
    file,
    editBlueTools(pulled, (b) => b.replace(/visibility: \S+/, 'visibility: public')),
  );
  await page.getByTestId('policy-open-input').setInputFiles(file);
  await expect(page.getByTestId('policy-origin')).toContainText('file reviewed-policy.yaml');
  await expect(page.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');

  await page.getByTestId('policy-push').click();
  const dialog = page.getByTestId('policy-push-dialog');
  await expect(dialog.getByTestId('policy-push-count')).not.toHaveText('0');
  await dialog.getByTestId('policy-push-confirm').click();
  await expect(dialog.getByTestId('policy-push-result')).toHaveAttribute('data-status', 'conflict', {
    timeout: 60_000,
  });
  const conflict = dialog.locator('[data-testid="policy-conflict"][data-key="server:blue-tools"]');
  await expect(conflict).toBeVisible();
  await expect(conflict.locator('tr[data-field="description"]')).toHaveAttribute('data-live-changed', 'true');
  await expect(conflict.locator('tr[data-field="description"]')).toContainText('Changed behind Gatehouse');
  await expect(conflict.locator('tr[data-field="visibility"]')).toHaveAttribute('data-draft-changed', 'true');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'real-conflict.png') });
  // Escape closes the dialog; nothing was written.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  expect(await redToBlue(page)).toBe('denied');
  expect(errors).toEqual([]);
});

test('accessibility sanity: named controls, tabs, labelled editor, keyboard tab switching', async ({ page }) => {
  await page.goto(gh.url + `#/policy/${gatewayId}/problems`);
  await expect(page.getByTestId('page-policy')).toBeVisible();
  await page.getByTestId('policy-pull').click();
  await expect(page.getByTestId('policy-editor-content')).toContainText('blue-tools');
  await expect(page.getByRole('toolbar', { name: 'Policy actions' })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Gateway' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Policy document (YAML)' })).toBeVisible();
  const tabs = page.getByRole('tablist', { name: 'Results' }).getByRole('tab');
  await expect(tabs).toHaveCount(6);
  await page.getByRole('tab', { name: /Problems/ }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: /Plan/ })).toBeFocused();
  await expect(page.getByRole('tab', { name: /Plan/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel')).toBeVisible();
  await expect(page).toHaveURL(/\/plan$/);
  // Compile: the ToolHive target gives Cedar files, shown read-only with a copy button.
  await page.getByTestId('policy-tab-compile').click();
  await page.getByTestId('policy-compile-target').selectOption('toolhive-cedar');
  const files = page.getByTestId('policy-compile-file');
  await expect(files.first()).toBeVisible({ timeout: 30_000 });
  await expect(files.first().getByRole('button', { name: /^Copy / })).toBeVisible();
  // Every control has an accessible name (text, aria-label or a wrapping label).
  const unnamed = await page
    .locator('[data-testid="page-policy"] :is(button, select, input, a[href], [role="tab"])')
    .evaluateAll((els) =>
      els
        .filter((el) => (el as HTMLElement).offsetParent !== null)
        .filter((el) => {
          const named =
            (el.getAttribute('aria-label') ?? '').trim() ||
            (el.textContent ?? '').trim() ||
            (el as HTMLInputElement).labels?.[0]?.textContent?.trim() ||
            el.getAttribute('title');
          return !named;
        })
        .map((el) => el.outerHTML.slice(0, 120)),
    );
  expect(unnamed).toEqual([]);
});
