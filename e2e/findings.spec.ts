import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { captureApiResponses, captureEventStream, startServe, type ServeHandle } from './support/serve.js';

/**
 * Findings, end to end: real Chromium against `gatehouse serve` over the findings fixture
 * (test/fixtures/findings, 13 planted credentials, 22 expected findings).
 */

const FIXTURE = fileURLToPath(new URL('../test/fixtures/findings/', import.meta.url));
const EXPECTED = (JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as { findings: unknown[] }).findings
  .length;

function planted(): string[] {
  const readme = readFileSync(join(FIXTURE, 'README.md'), 'utf8');
  const section = readme.split('## Planted credentials')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\|[^|]*\|\s*`([^`]+)`/gm)].map((m) => m[1]!);
}

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
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-findings-'));
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

let pageErrors: string[] = [];
test.beforeEach(async ({ page }) => {
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/401|Unauthorized/i.test(msg.text())) pageErrors.push(msg.text());
  });
});
test.afterEach(() => {
  expect(pageErrors, 'errors in the page').toEqual([]);
});

async function openFindings(page: Page) {
  await page.goto(gh.url + '#/findings');
  await expect(page.getByTestId('findings-table')).toBeVisible();
}

async function scan(page: Page) {
  const done = page.waitForResponse((r) => r.url().includes('/api/invoke/findings.scan') && r.status() === 200);
  await page.getByTestId('findings-scan-button').click();
  await done;
  await expect(page.getByTestId('finding-row')).toHaveCount(EXPECTED);
}

test('a scan lists every finding with masked evidence, the severity summary and the remediation', async ({ page }) => {
  await openFindings(page);
  await scan(page);
  const summary = page.getByTestId('severity-summary');
  await expect(summary.locator('[data-severity="critical"]')).toHaveAttribute('data-count', '6');
  await expect(page.getByTestId('secret-store-warning')).toContainText('encrypted file');

  const ghRow = page.locator('[data-testid="finding-row"][data-rule="secret.literal"]', { hasText: 'github-mirror' });
  await expect(ghRow.getByTestId('finding-evidence')).toHaveText('ghp_…VAnr');
  await ghRow.click();
  const detail = page.getByTestId('finding-detail');
  await expect(detail).toBeVisible();
  await expect(detail.getByTestId('finding-pointer')).toHaveText(
    '/mcpServers/github-mirror/env/GITHUB_PERSONAL_ACCESS_TOKEN',
  );
  await expect(detail.getByTestId('finding-remediation')).toContainText('${env:GITHUB_PERSONAL_ACCESS_TOKEN}');
  // Reveal in folder is desktop only: no button here, and the service answers unavailable.
  await expect(detail.getByTestId('finding-reveal')).toHaveCount(0);
  const file = (await detail.getByTestId('finding-file').innerText()).split(/\s/)[0]!.replace(/:\d+$/, '');
  const base = new URL(gh.url);
  const res = await page.request.post(`${base.origin}/api/invoke/app.reveal`, {
    headers: { authorization: `Bearer ${base.searchParams.get('token')}`, origin: base.origin },
    data: { path: file },
  });
  const reveal = { status: res.status(), body: (await res.json()) as { error?: { code: string } } };
  expect([reveal.status, reveal.body.error?.code]).toEqual([503, 'unavailable']);
  if (process.env.GATEHOUSE_SHOTS) await page.screenshot({ path: join(process.env.GATEHOUSE_SHOTS, 'findings.png') });

  // Titles first (rule id below), pointers decoded, the server linked.
  await expect(ghRow.getByTestId('finding-title')).not.toHaveText(/^secret\.literal/);
  await expect(ghRow.getByTestId('finding-path')).toHaveText(
    'mcpServers › github-mirror › env › GITHUB_PERSONAL_ACCESS_TOKEN',
  );
  await expect(ghRow.getByTestId('finding-subject').getByRole('link')).toHaveAttribute('href', /#\/servers\//);
  // Export what is shown, from the UI.
  const csvP = page.waitForEvent('download');
  await page.getByTestId('findings-export-csv').click();
  expect((await csvP).suggestedFilename()).toMatch(/^gatehouse-findings-.*\.csv$/);

  // Grouping by rule shows one group per rule id.
  await page.getByTestId('findings-group-by').selectOption('rule');
  await expect(page.getByTestId('findings-group').first()).toBeVisible();
  // Filters: severity button narrows the table.
  await page.getByTestId('findings-group-by').selectOption('none');
  await summary.locator('[data-severity="low"]').click();
  await expect(page.getByTestId('finding-row')).toHaveCount(2);
});

test('a suppression needs a reason, shows as suppressed, and survives a rescan; unsuppress re-opens', async ({
  page,
}) => {
  await openFindings(page);
  const row = page.locator('[data-testid="finding-row"][data-rule="transport.plaintext"]');
  await expect(row).toHaveAttribute('data-status', 'open');
  const id = await row.getAttribute('data-id');
  await row.click();
  await page.getByTestId('suppress-button').click();
  await expect(page.getByTestId('suppress-confirm')).toBeDisabled();
  await page.getByTestId('suppress-reason').fill('Legacy server on the isolated lab network; replaced in Q1');
  await page.getByTestId('suppress-confirm').click();
  // Open is the default status: the suppressed finding leaves the list until asked for; the choice is in the URL.
  await expect(row).toHaveCount(0);
  await page.getByTestId('findings-filter-status').selectOption('');
  await expect(page).toHaveURL(/status=all/);
  await page.reload();
  await expect(page.getByTestId('findings-filter-status')).toHaveValue('');
  await expect(row).toHaveAttribute('data-status', 'suppressed');

  await scan(page);
  const again = page.locator(`[data-testid="finding-row"][data-id="${id}"]`);
  await expect(again).toHaveAttribute('data-status', 'suppressed');
  await again.click();
  await expect(page.getByTestId('finding-detail')).toContainText('isolated lab network');
  await page.getByTestId('unsuppress-button').click();
  await expect(again).toHaveAttribute('data-status', 'open');
});

test('the inventory shows finding counts per server', async ({ page }) => {
  await page.goto(gh.url + '#/inventory');
  await expect(page.getByTestId('inventory-table')).toBeVisible();
  const row = page.locator('[data-testid="inventory-row"]', { hasText: 'github-mirror' });
  await expect(row.getByTestId('finding-counts')).toHaveAttribute('data-total', '2');
});

test('no planted credential appears in the DOM, any API response or any event', async ({ page }) => {
  const api = captureApiResponses(page);
  const events = await captureEventStream(gh);
  try {
    await openFindings(page);
    await scan(page);
    // Open every detail panel once so all rendered text is in the DOM at some point.
    const rows = page.getByTestId('finding-row');
    const html: string[] = [];
    for (let i = 0; i < (await rows.count()); i++) {
      await rows.nth(i).click();
      html.push(await page.content());
    }
    await page.goto(gh.url + '#/inventory');
    await expect(page.getByTestId('inventory-table')).toBeVisible();
    html.push(await page.content());
    await api.settle();
    const all = [...html, ...api.responses.map((r) => r.body), events.text()].join('\n');
    expect(api.responses.some((r) => r.url.includes('findings.list'))).toBe(true);
    for (const v of planted()) expect(all.includes(v), `leaked ${v.slice(0, 6)}…`).toBe(false);
  } finally {
    events.stop();
  }
});
