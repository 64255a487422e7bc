import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe, type ServeHandle } from './support/serve.js';

/**
 * Adding a gateway tests the connection first (issue #11), without a gateway running: a wrong port
 * and a wrong URL get readable errors that say what to do, never "fetch failed" or zod's JSON, and
 * saving an untested gateway is an explicit choice.
 */

let gh: ServeHandle;
let home = '';
let closedPort = 0;

const RAW = [/fetch failed/i, /Invalid input for/, /\[\s*\{/, /"code"/, /Error POSTing/, /MCP error/];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'gh-e2e-gwadd-home-'));
  gh = await startServe({ home });
  // A loopback port nothing listens on (taken, then released).
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

test.afterAll(async () => {
  await gh?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('a wrong port: the test runs before saving, says nothing listens there, and adding needs "Add anyway"', async ({
  page,
}) => {
  await page.goto(gh.url + '#/gateways');
  await page.getByTestId('gw-add').click();
  await page.getByTestId('gw-name').fill('wrong-port');
  await page.getByTestId('gw-url').fill(`http://127.0.0.1:${closedPort}`);
  await page.getByTestId('gw-secret').fill('a-token-for-the-test');
  await expect(page.getByTestId('gw-save')).toHaveText('Test and add');
  await page.getByTestId('gw-save').click();

  const result = page.getByTestId('gw-draft-test');
  await expect(result).toHaveAttribute('data-ok', 'false');
  await expect(result).toContainText('Connection test failed');
  await expect(result).toContainText(`127.0.0.1:${closedPort}`);
  await expect(result).toContainText(/refused the connection|is the gateway running/);
  for (const raw of RAW) await expect(result).not.toContainText(raw);
  // Nothing was saved by the failed test.
  await expect(page.getByTestId('gw-empty')).toBeVisible();

  await page.getByTestId('gw-save-anyway').click();
  const row = page.locator('[data-testid="gw-row"][data-name="wrong-port"]');
  await expect(row).toBeVisible();
  await expect(page.getByTestId('gw-form')).toHaveCount(0);

  // Its later Test and Sync say the same readable thing.
  await row.getByTestId('gw-sync').click();
  const sync = page.getByTestId('gw-sync-result');
  await expect(sync).toHaveAttribute('data-ok', 'false');
  for (const raw of RAW) await expect(sync).not.toContainText(raw);
});

test('a URL the service refuses names the field and the expected form, not zod JSON', async ({ page }) => {
  await page.goto(gh.url + '#/gateways');
  await page.getByTestId('gw-add').click();
  await page.getByTestId('gw-name').fill('bad-url');
  // A URL the browser accepts but a gateway cannot be: only http(s).
  await page.getByTestId('gw-url').fill('ftp://gateway.example.com');
  await page.getByTestId('gw-secret').fill('a-token-for-the-test');
  await page.getByTestId('gw-save').click();
  const result = page.getByTestId('gw-draft-test');
  await expect(result).toHaveAttribute('data-ok', 'false');
  await expect(result).toContainText('Base URL: not a valid gateway URL; use http(s)://host[:port]');
  for (const raw of RAW) await expect(result).not.toContainText(raw);
  await expect(page.locator('[data-testid="gw-row"][data-name="bad-url"]')).toHaveCount(0);
});
