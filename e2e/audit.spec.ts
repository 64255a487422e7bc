import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { startServe, type ServeHandle } from './support/serve.js';
import { toolhiveLine } from '../electron/services/audit/test-helpers.js';

/**
 * Audit page, end to end: real Chromium against `gatehouse serve` over a store filled through the
 * CLI (the ToolHive fixture + 600 generated ToolHive events): facet filter, search, event detail,
 * histogram zoom, export with a real download, Settings section.
 */

const REPO = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(REPO, 'bin', 'gatehouse.mjs');
const FIXTURE = join(REPO, 'test', 'fixtures', 'audit', 'toolhive-audit.jsonl');
const GENERATED = 600;
const TOTAL = 8 + GENERATED;
const DENIED = 2 + Array.from({ length: GENERATED }, (_, i) => i).filter((i) => i % 10 === 3).length;

let root = '';
let gh: ServeHandle;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-audit-'));
  const state = join(root, 'state');
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  const gen = join(root, 'generated.jsonl');
  writeFileSync(gen, Array.from({ length: GENERATED }, (_, i) => toolhiveLine(i)).join('\n') + '\n');
  const out = execFileSync(
    process.execPath,
    [BIN, 'audit', 'import', FIXTURE, gen, '--format', 'toolhive', '--state', state],
    {
      cwd: REPO,
      encoding: 'utf8',
    },
  );
  expect(JSON.parse(out)).toEqual({ imported: TOTAL, duplicates: 0, rejected: 0 });
  gh = await startServe({ home, state });
});

test.afterAll(async () => {
  await gh?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

let pageErrors: string[] = [];
test.beforeEach(async ({ page }) => {
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(gh.url.replace('/?', '/?') + '#/audit');
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(TOTAL));
});
test.afterEach(() => {
  expect(pageErrors, 'errors in the page').toEqual([]);
});

test('shows the total, a histogram and a virtualized list that loads more on scroll', async ({ page }) => {
  await expect(page.getByTestId('audit-histogram')).toBeVisible();
  // (The histogram shows before its query answers: wait for its buckets, as the zoom test does.)
  await expect
    .poll(async () => Number(await page.getByTestId('audit-histogram').getAttribute('data-buckets')))
    .toBeGreaterThan(10);
  const rows = page.getByTestId('audit-row');
  await expect(rows.first()).toBeVisible();
  // Virtualized: far fewer rows in the DOM than events.
  expect(await rows.count()).toBeLessThan(120);
  // Newest first: the fixture's 2026-11-20 events come before the generated 2026-11-01 ones.
  await expect(rows.first()).toContainText('2026-11-20 10:00:00');
  // Scroll to the end: pages load until the oldest event is shown.
  const body = page.locator('[data-testid="audit-list"] .grid-body');
  for (let i = 0; i < 30; i++) {
    await body.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    if (await page.locator('[data-testid="audit-row"]', { hasText: '2026-11-01 00:00:00' }).count()) break;
    await page.waitForTimeout(150);
  }
  await expect(page.locator('[data-testid="audit-row"]', { hasText: '2026-11-01 00:00:00' })).toBeVisible();
});

test('filters by facet and counts match', async ({ page }) => {
  const denied = page.locator('[data-testid="audit-facet"][data-facet="outcome"][data-value="denied"]');
  await expect(denied).toContainText(String(DENIED));
  await denied.click();
  await expect(denied).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(DENIED));
  const outcomes = await page.locator('[data-testid="audit-row"] .badge').allTextContents();
  expect(outcomes.length).toBeGreaterThan(0);
  expect(new Set(outcomes)).toEqual(new Set(['denied']));
  // Add a second facet (subject) and check the count the facet showed.
  const bob = page.locator('[data-testid="audit-facet"][data-facet="subject"][data-value="bob@example.com"]');
  const shown = Number((await bob.locator('.count').textContent())?.replace(/\D/g, ''));
  await bob.click();
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(shown));
  await page.getByTestId('audit-clear').click();
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(TOTAL));
});

test('search finds an event; the detail shows normalized fields and the masked original', async ({ page }) => {
  await page.getByTestId('audit-search').fill('create_issue alice');
  await expect(page.getByTestId('audit-total')).not.toHaveAttribute('data-total', String(TOTAL));
  await page.getByTestId('audit-search').fill('shadow');
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', '1');
  await page.getByTestId('audit-search').fill('a0000001-0000-4000-8000-000000000002');
  await expect(page.getByTestId('audit-row')).toHaveCount(1);
  await expect(page.getByTestId('audit-row').first()).toContainText('create_issue');
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', '1');
  await page.getByTestId('audit-row').first().click();
  const detail = page.getByTestId('audit-detail');
  await expect(detail).toBeVisible();
  await expect(detail.locator('[data-field="gen_ai.tool.name"] dd')).toHaveText('create_issue');
  await expect(detail.locator('[data-field="user.id"] dd')).toHaveText('alice@example.com');
  await expect(detail.locator('[data-field="mcp.session.id"] dd')).toHaveText('sess-a1');
  const original = await page.getByTestId('audit-original').textContent();
  expect(original).toContain('"repo": "acme/web"');
  expect(original).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
  expect(original).toContain('ghp_…6789');
});

test('brushing the histogram zooms the time range', async ({ page }) => {
  // The histogram is its own query: brush only once its buckets are drawn.
  await expect
    .poll(async () => Number(await page.getByTestId('audit-histogram').getAttribute('data-buckets')))
    .toBeGreaterThan(10);
  const svg = page.locator('[data-testid="audit-histogram"] svg');
  const box = await svg.boundingBox();
  if (!box) throw new Error('no histogram box');
  const before = Number(await page.getByTestId('audit-histogram').getAttribute('data-bucket-ms'));
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.05, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await expect(page.getByTestId('audit-total')).not.toHaveAttribute('data-total', String(TOTAL));
  const zoomed = Number(await page.getByTestId('audit-total').getAttribute('data-total'));
  expect(zoomed).toBeGreaterThan(0);
  expect(zoomed).toBeLessThanOrEqual(GENERATED);
  await expect
    .poll(async () => Number(await page.getByTestId('audit-histogram').getAttribute('data-bucket-ms')))
    .toBeLessThan(before);
  await page.getByTestId('audit-zoom-out').click();
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(TOTAL));
});

test('exports the current filter to CSV and JSON lines', async ({ page }) => {
  await page.locator('[data-testid="audit-facet"][data-facet="outcome"][data-value="denied"]').click();
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(DENIED));
  let downloadP = page.waitForEvent('download');
  await page.getByTestId('audit-export').click();
  let download = await downloadP;
  expect(download.suggestedFilename()).toMatch(/^gatehouse-audit-.*\.csv$/);
  const csv = readFileSync((await download.path()) ?? '', 'utf8')
    .trim()
    .split('\n');
  expect(csv[0]).toMatch(/^time,source,tenant,user\.id,client/);
  expect(csv.length - 1).toBe(DENIED);
  expect(csv.slice(1).every((l) => l.includes(',denied,'))).toBe(true);
  await expect(page.getByTestId('audit-export-done')).toContainText(String(DENIED));

  await page.getByTestId('audit-export-format').selectOption('jsonl');
  downloadP = page.waitForEvent('download');
  await page.getByTestId('audit-export').click();
  download = await downloadP;
  const lines = readFileSync((await download.path()) ?? '', 'utf8')
    .trim()
    .split('\n');
  expect(lines.length).toBe(DENIED);
  expect((JSON.parse(lines[0] ?? '{}') as { outcome: string }).outcome).toBe('denied');
});

test('Settings lists the audit sources and verifies the action chain', async ({ page }) => {
  await page.goto(gh.baseUrl + '/#/settings');
  const section = page.getByTestId('settings-audit-sources');
  await expect(section).toBeVisible();
  await expect(section.locator('[data-testid="audit-source-row"][data-kind="gatehouse"]')).toBeVisible();
  await section.getByTestId('audit-verify').click();
  await expect(section.getByTestId('audit-verify-result')).toContainText('Intact');
});

test('retention: preview names the count, Cancel deletes nothing, confirm moves to the trash, Restore brings back', async ({
  page,
}) => {
  // A period whose cutoff falls between the generated events (2026-11-01) and the fixture's (2026-11-20).
  const days = Math.ceil((Date.now() - Date.UTC(2026, 10, 10)) / 86_400_000);
  await page.goto(gh.baseUrl + '/#/settings');
  const section = page.getByTestId('settings-audit-sources');
  await section.getByTestId('audit-retention').fill(String(days));
  await section.getByTestId('audit-retention-save').click();
  const dialog = page.getByTestId('retention-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('heading')).toHaveText(`Delete ${GENERATED} audit events?`);
  await expect(dialog.getByTestId('retention-preview')).toHaveAttribute('data-events', String(GENERATED));
  // Focus starts on Cancel; Escape cancels too.
  await expect(dialog.getByTestId('confirm-cancel')).toBeFocused();
  await page.screenshot({ path: join('test-results', 'shots', 'retention-dialog.png') });
  await dialog.getByTestId('confirm-cancel').click();
  await expect(dialog).toHaveCount(0);
  await page.goto(gh.baseUrl + '/#/audit');
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(TOTAL));

  await page.goto(gh.baseUrl + '/#/settings');
  await section.getByTestId('audit-retention').fill(String(days));
  await section.getByTestId('audit-retention-save').click();
  await dialog.getByTestId('confirm-ok').click();
  await expect(section.getByTestId('audit-retention-result')).toContainText(`${GENERATED} events moved to the trash`);
  const row = section.getByTestId('audit-trash-row');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-events', String(GENERATED));
  await page.goto(gh.baseUrl + '/#/audit');
  // (+1: the retention change itself, an admin action in the timeline.)
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(TOTAL - GENERATED + 1));

  await page.goto(gh.baseUrl + '/#/settings');
  await section.getByTestId('audit-trash-restore').click();
  await expect(section.getByTestId('audit-restore-result')).toContainText(`Restored ${GENERATED} events`);
  await expect(section.getByTestId('audit-retention')).toHaveValue('');
  await page.goto(gh.baseUrl + '/#/audit');
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(TOTAL + 2));
  // Both actions in the timeline, as Gatehouse's own: what was deleted, then what was brought back.
  await page.goto(gh.url + '#/audit?method=audit.retention.set&method=audit.trash.restore');
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', '2');
});
