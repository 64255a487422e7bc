import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { gatewaySkipReason, startSeededGateway, type LiveGateway } from '../test/gateways/support.js';
import { captureApiResponses, startServe, type ServeHandle } from './support/serve.js';

/**
 * Gateways end to end against a live ContextForge (scripts/contextforge): add it with its token in
 * the UI, see its servers in the inventory and the team matrix, open the "why" of a cell and see
 * the cross-tenant finding the seeding created. Skips when ContextForge is not installed, fails
 * when GATEHOUSE_REQUIRE_GATEWAYS=1.
 */

const skipReason = gatewaySkipReason();
test.skip(!!skipReason, skipReason);
test.describe.configure({ mode: 'serial', timeout: 180_000 });

let gw: LiveGateway;
let gh: ServeHandle;
let home: string;
let adminToken: string;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  gw = await startSeededGateway();
  adminToken = (JSON.parse(readFileSync(gw.stateFile, 'utf8')) as { adminToken: string }).adminToken;
  // The workstation also points a client straight at the upstream: the inventory must show one row.
  home = mkdtempSync(join(tmpdir(), 'gh-e2e-gw-home-'));
  mkdirSync(join(home, '.cursor'));
  writeFileSync(
    join(home, '.cursor', 'mcp.json'),
    JSON.stringify({ mcpServers: { 'everything-direct': { url: `http://localhost:${gw.seed.upstream.port}/mcp` } } }),
  );
  gh = await startServe({ home });
});

test.afterAll(async () => {
  await gh?.stop();
  await gw?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('add the gateway, see its servers, the team matrix, a why chain and the cross-tenant finding', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const api = captureApiResponses(page);

  await page.goto(gh.url + '#/gateways');
  await expect(page.getByTestId('page-gateways')).toBeVisible();
  await expect(page.getByTestId('gw-empty')).toBeVisible();

  // Add it with its token.
  await page.getByTestId('gw-add').click();
  await page.getByTestId('gw-name').fill('contextforge-ci');
  await page.getByTestId('gw-url').fill(gw.baseUrl);
  await page.getByTestId('gw-secret').fill(adminToken);
  await page.getByTestId('gw-save').click();
  const row = page.locator('[data-testid="gw-row"][data-name="contextforge-ci"]');
  await expect(row).toBeVisible();
  await expect(row.getByTestId('gw-credential')).toContainText('…');

  await row.getByTestId('gw-test').click();
  await expect(page.getByTestId('gw-test-result')).toHaveAttribute('data-ok', 'true');
  await expect(page.getByTestId('gw-test-result')).toContainText(gw.seed.adminEmail);

  await row.getByTestId('gw-sync').click();
  await expect(page.getByTestId('gw-sync-result')).toHaveAttribute('data-ok', 'true');
  await expect(page.locator('[data-testid="virtual-server-row"]')).toHaveCount(3);

  // Inventory: after a discovery run the gateway upstream and the workstation entry are one row.
  await page.goto(gh.url + '#/inventory');
  await page.getByTestId('rescan-button').click();
  const section = page.getByTestId('gateway-inventory');
  await expect(section).toBeVisible();
  const upstream = section.getByTestId('gateway-upstream-row');
  await expect(upstream).toHaveCount(1);
  await expect(upstream).toContainText(`:${gw.seed.upstream.port}/mcp`);
  await expect(upstream.getByTestId('source-gateway')).toContainText('contextforge-ci');
  await expect(upstream.getByTestId('source-workstation')).toContainText('everything-direct');
  await expect(section.locator('[data-testid="virtual-server-row"][data-name="red-tools"]')).toContainText('Team Red');

  // Tenants: the matrix.
  await page.goto(gh.url + '#/tenants');
  const matrix = page.getByTestId('tenants-matrix');
  await expect(matrix).toBeVisible();
  const redRow = matrix.locator('[data-testid="tenants-row"][data-team="Team Red"]');
  await expect(redRow).toBeVisible();
  await expect(matrix.locator('[data-testid="tenants-row"][data-team="Team Blue"]')).toBeVisible();
  const serverNames = await matrix
    .locator('[data-testid="tenants-server-col"]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
  const cellFor = (server: string) => redRow.locator('[data-testid="tenants-cell"]').nth(serverNames.indexOf(server));
  await expect(cellFor('red-tools')).toHaveAttribute('data-status', 'allowed');
  await expect(cellFor('blue-tools')).toHaveAttribute('data-status', 'denied');
  await expect(cellFor('shared-utilities')).toHaveAttribute('data-status', 'partial');

  // Why is Team Red denied blue-tools?
  await cellFor('blue-tools').click();
  const why = page.getByTestId('tenants-why');
  await expect(why.getByTestId('tenants-why-status')).toHaveText('denied');
  await expect(why.locator('li[data-kind="visibility"][data-outcome="deny"]')).toContainText('Team Blue only');
  await expect(why.locator('li[data-kind="membership"]')).toContainText('alice@example.com');

  // Expand red-tools down to its tools, keyboard only, and explain one tool.
  await page.getByTestId('tenants-expand-red-tools').focus();
  await page.keyboard.press('Enter');
  await expect(matrix.locator('[data-testid="tenants-tool-col"]')).toHaveCount(3);
  const toolCell = redRow.locator('[data-testid="tenants-cell"][aria-label*="everything-echo"]');
  await toolCell.focus();
  await page.keyboard.press('Enter');
  await expect(why.getByTestId('tenants-why-status')).toHaveText('allowed');
  await expect(why.locator('li[data-kind="token"][data-outcome="grant"]')).toContainText('red-ci');
  await expect(why.locator('li[data-kind="permission"][data-outcome="grant"]').first()).toContainText('tools.execute');

  // The cross-tenant finding the setup created.
  const finding = page.locator('[data-testid="tenants-finding"][data-rule="scope.cross-tenant-credential"]');
  await expect(finding).toBeVisible();
  await expect(finding).toContainText('everything');
  await expect(finding).toContainText('Team Red');
  await expect(finding).toContainText('Team Blue');

  // The same finding on the Findings page, next to the workstation findings, with its chain.
  await page.goto(gh.url + '#/findings');
  await expect(page.getByTestId('page-findings')).toBeVisible();
  const scopeRow = page.locator(
    '[data-testid="finding-row"][data-source="gateway"][data-rule="scope.cross-tenant-credential"]',
  );
  await expect(scopeRow).toHaveCount(1);
  await expect(scopeRow.getByTestId('finding-origin')).toContainText('contextforge-ci');
  await expect(scopeRow.getByTestId('finding-subject')).toContainText('everything');
  await expect(page.locator('[data-testid="severity-summary"] [data-severity="high"]')).not.toHaveAttribute(
    'data-count',
    '0',
  );
  await page.getByTestId('findings-filter-client').selectOption({ label: 'Gateway contextforge-ci' });
  await expect(page.locator('[data-testid="finding-row"][data-source="workstation"]')).toHaveCount(0);
  await scopeRow.click();
  const detail = page.getByTestId('finding-detail');
  await expect(detail.getByTestId('finding-gateway')).toHaveText('contextforge-ci');
  await expect(detail.getByTestId('finding-teams')).toContainText('Team Red');
  await expect(detail.getByTestId('finding-teams')).toContainText('Team Blue');
  await expect(detail.getByTestId('finding-file')).toContainText(gw.baseUrl.replace(/\/$/, ''));
  await expect(detail.locator('[data-testid="finding-chain"] li[data-team="Team Red"]')).toContainText('everything');
  await expect(detail.getByTestId('finding-remediation')).not.toBeEmpty();

  // No credential crossed the wire or reached the store.
  await api.settle();
  const secrets = [adminToken, gw.seed.upstream.token, gw.seed.tokens.aliceRed.value, gw.seed.tokens.bobBlue.value];
  expect(api.responses.length).toBeGreaterThan(5);
  for (const r of api.responses) for (const s of secrets) expect(r.body.includes(s), `secret in ${r.url}`).toBe(false);
  for (const f of readdirSync(gh.state).filter((x) => x.startsWith('gatehouse.db'))) {
    const bytes = readFileSync(join(gh.state, f));
    for (const s of secrets) expect(bytes.includes(s), `secret in ${f}`).toBe(false);
  }
  expect(gh.stderr()).not.toContain(adminToken);
  expect(errors).toEqual([]);
});
