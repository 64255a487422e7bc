import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe, type ServeHandle } from './support/serve.js';

/**
 * Issue #11 part 2: `gatehouse serve` watches the config files discovery reads; an edit to a
 * Cursor mcp.json reaches the inventory (API and page, via SSE) without a rescan. Waits poll with a
 * deadline; nothing sleeps a fixed time.
 */

let gh: ServeHandle;
let root: string;
let cursorFile: string;

const config = (names: string[]) =>
  JSON.stringify({ mcpServers: Object.fromEntries(names.map((n) => [n, { command: 'node', args: [`${n}.js`] }])) });

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-watch-'));
  const home = join(root, 'home');
  mkdirSync(join(home, '.cursor'), { recursive: true });
  cursorFile = join(home, '.cursor', 'mcp.json');
  writeFileSync(cursorFile, config(['first']));
  gh = await startServe({ home });
});

test.afterAll(async () => {
  await gh?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function inventoryNames(): Promise<string[]> {
  const res = await fetch(`${gh.baseUrl}/api/invoke/discovery.latest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gh.token}`, 'content-type': 'application/json', origin: gh.baseUrl },
    body: '{}',
  });
  expect(res.status).toBe(200);
  const run = (await res.json()) as { result: { servers: { name: string }[] } } | null;
  return (run?.result.servers ?? []).map((s) => s.name).sort();
}

test('an edited Cursor mcp.json reaches the inventory API without a rescan', async () => {
  expect(await inventoryNames()).toEqual(['first']);
  writeFileSync(cursorFile, config(['first', 'second']));
  await expect.poll(inventoryNames, { timeout: 10_000, intervals: [50, 100, 200] }).toEqual(['first', 'second']);
  // An editor that saves by renaming a temp file over the original (a new inode).
  const tmp = join(root, 'home', '.cursor', 'mcp.json.tmp');
  writeFileSync(tmp, config(['first', 'second', 'third']));
  renameSync(tmp, cursorFile);
  await expect
    .poll(inventoryNames, { timeout: 10_000, intervals: [50, 100, 200] })
    .toEqual(['first', 'second', 'third']);
});

test('a server added to the config appears on the Inventory page without Rescan', async ({ page }) => {
  await page.goto(gh.url + '#/inventory');
  const rows = page.getByTestId('inventory-row');
  await expect(rows).toHaveCount(3);
  const before = await page.getByTestId('inventory-run').textContent();
  writeFileSync(cursorFile, config(['first', 'second', 'third', 'fresh']));
  await expect(rows.filter({ hasText: 'fresh' })).toHaveCount(1, { timeout: 10_000 });
  await expect(rows).toHaveCount(4);
  await expect(page.getByTestId('inventory-run')).not.toHaveText(before ?? '');
  await expect(page.getByTestId('rescan-progress')).toHaveCount(0); // no rescan was started from the page
});
