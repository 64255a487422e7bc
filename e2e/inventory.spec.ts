import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { DiscoveryResult } from '../shared/model/discovery.js';
import { discoverJson } from './support/discover.js';
import { captureApiResponses, captureEventStream, startServe, type ServeHandle } from './support/serve.js';
import { WORKSTATION } from './support/workstation.js';

/**
 * Inventory, end to end: real Chromium against `gatehouse serve` over the fixture workstation.
 * The CLI's `discover --format json` over the same folders is the oracle for what must be listed.
 */

let gh: ServeHandle;
let oracle: DiscoveryResult;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const ws = {
    home: WORKSTATION.home,
    projects: WORKSTATION.projects,
    platform: WORKSTATION.platform,
    systemRoot: WORKSTATION.systemRoot,
  };
  oracle = discoverJson(ws);
  gh = await startServe(ws);
});

test.afterAll(async () => {
  await gh?.stop();
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

async function open(page: Page, hash = '#/inventory') {
  await page.goto(gh.url + hash);
  await expect(page.getByTestId('inventory-table')).toBeVisible();
  await expect(page.getByTestId('inventory-count')).toHaveAttribute('data-total', String(oracle.servers.length));
}

interface RowInfo {
  id: string;
  client: string;
  scope: string;
  name: string;
  transport: string;
  disabled: boolean;
}

/** Scrolls the virtualized grid top to bottom and returns every row, in display order. */
async function collectRows(page: Page): Promise<RowInfo[]> {
  const body = page.getByTestId('inventory-table').locator('.grid-body');
  await body.evaluate((el) => el.scrollTo(0, 0));
  const seen = new Map<number, RowInfo>();
  for (let i = 0; i < 500; i++) {
    const rows = await page.getByTestId('inventory-row').evaluateAll((els) =>
      els.map((e) => {
        const cell = (col: string) => e.querySelector(`[data-col="${col}"]`)?.textContent ?? '';
        return [
          Number(e.getAttribute('data-index')),
          {
            id: e.getAttribute('data-server-id') ?? '',
            client: e.getAttribute('data-client') ?? '',
            scope: cell('scope'),
            name: cell('name'),
            transport: cell('transport'),
            disabled: e.getAttribute('data-disabled') === 'true',
          },
        ] as const;
      }),
    );
    for (const [idx, row] of rows) seen.set(idx, row);
    const atEnd = await body.evaluate((el) => {
      const end = el.scrollTop + el.clientHeight >= el.scrollHeight - 1;
      el.scrollBy(0, el.clientHeight - 60);
      return end;
    });
    if (atEnd) break;
    await page.waitForTimeout(30);
  }
  await body.evaluate((el) => el.scrollTo(0, 0));
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

async function rowNames(page: Page): Promise<string[]> {
  return page.getByTestId('inventory-row').locator('[data-col="name"]').allInnerTexts();
}

test('lists every server of the fixture workstation and strips the token from the address bar', async ({ page }) => {
  expect(WORKSTATION.servers.length).toBe(39);
  expect(oracle.servers.length).toBe(WORKSTATION.servers.length);
  await open(page);
  expect(page.url()).not.toContain('token=');
  await expect(page.getByTestId('inventory-count')).toHaveText(`${WORKSTATION.servers.length} servers`);
  const rows = await collectRows(page);
  expect(rows).toHaveLength(WORKSTATION.servers.length);
  // Same servers as the CLI (ids) and as the fixture README (client, scope, name, transport, disabled).
  expect(new Set(rows.map((r) => r.id))).toEqual(new Set(oracle.servers.map((s) => s.id)));
  const key = (r: { client: string; scope: string; name: string; transport: string; disabled: boolean }) =>
    `${r.client}|${r.scope}|${r.name}|${r.transport}|${r.disabled}`;
  expect(rows.map(key).sort()).toEqual(WORKSTATION.servers.map(key).sort());
  // The header shows the mode and version from app.info.
  await expect(page.getByTestId('app-mode')).toHaveText('Browser mode');
  await expect(page.getByTestId('app-version')).toHaveText(/^v\d+\.\d+\.\d+/);
});

test('the Sources panel lists every file looked at and the broken file with its line and reason', async ({ page }) => {
  await open(page);
  const panel = page.getByTestId('sources-panel');
  await expect(panel.getByTestId('source-row')).toHaveCount(oracle.sources.length);
  await expect(panel.getByTestId('sources-count')).toHaveText(String(oracle.sources.length));
  const broken = oracle.sources.filter((s) => s.status === 'parse-error');
  expect(broken.length).toBeGreaterThan(0);
  for (const b of broken) {
    const row = panel.locator(`[data-testid="source-row"][data-path="${b.path}"][data-client="${b.client}"]`);
    await expect(row).toHaveAttribute('data-status', 'parse-error');
    expect(b.line).toBeDefined();
    await expect(row.getByTestId('source-error')).toContainText(`line ${b.line}`);
    if (b.error) await expect(row.getByTestId('source-error')).toContainText(b.error);
  }
  const brokenRow = panel.locator(`[data-testid="source-row"][data-path="${WORKSTATION.broken.path}"]`);
  await expect(brokenRow).toHaveAttribute('data-status', 'parse-error');
  await expect(brokenRow.getByTestId('source-error')).toContainText(`line ${WORKSTATION.broken.line}`);
  await expect(panel.locator('[data-testid="source-row"][data-status="parse-error"]')).toHaveCount(1);
  await expect(panel.locator('[data-testid="source-row"][data-status="ok"]')).toHaveCount(oracle.sources.length - 1);
});

test('the Sources panel collapses to a rail with its counts, stays collapsed after a reload, and reopens', async ({
  page,
}) => {
  await open(page);
  await page.getByTestId('sources-collapse').click();
  await expect(page.getByTestId('sources-panel')).toHaveCount(0);
  const rail = page.getByTestId('sources-rail');
  await expect(rail.getByTestId('sources-count')).toHaveText(String(oracle.sources.length));
  await expect(rail.getByTestId('sources-problem-count')).toHaveText('1');
  await page.reload();
  await expect(page.getByTestId('inventory-table')).toBeVisible();
  await expect(page.getByTestId('sources-rail')).toBeVisible();
  await expect(page.getByTestId('sources-panel')).toHaveCount(0);
  await page.getByTestId('sources-expand').click();
  await expect(page.getByTestId('sources-panel').getByTestId('source-row')).toHaveCount(oracle.sources.length);
  // Client and Name stay in view when the grid scrolls sideways.
  const first = page.getByTestId('inventory-row').first();
  for (const col of ['client', 'name'])
    await expect(first.locator(`[data-col="${col}"]`)).toHaveCSS('position', 'sticky');
});

test('text, client, scope and transport filters narrow the rows', async ({ page }) => {
  await open(page);
  const count = page.getByTestId('inventory-count');
  const total = oracle.servers.length;

  // Text: a server name matches that server (and maybe others whose fields contain it).
  const target = oracle.servers.find((s) => s.name.length >= 4) ?? oracle.servers[0]!;
  await page.getByTestId('inventory-filter-text').fill(target.name);
  const expectedText = oracle.servers.filter((s) =>
    [s.name, s.command ?? '', ...(s.args ?? []), s.url ?? '', s.source, ...s.envKeys, ...s.headerKeys]
      .join('\n')
      .toLowerCase()
      .includes(target.name.toLowerCase()),
  );
  await expect(count).toHaveAttribute('data-count', String(await page.getByTestId('inventory-row').count()));
  await expect(page.locator(`[data-testid="inventory-row"][data-server-id="${target.id}"]`)).toBeVisible();
  expect(Number(await count.getAttribute('data-count'))).toBeLessThan(total);
  expect(Number(await count.getAttribute('data-count'))).toBeGreaterThanOrEqual(expectedText.length);
  await page.getByTestId('inventory-filter-text').fill('no-server-is-called-this-zzz');
  await expect(page.getByTestId('inventory-row')).toHaveCount(0);
  await expect(count).toHaveText(`0 of ${total} servers`);
  await page.getByTestId('inventory-filter-clear').click();
  await expect(count).toHaveText(`${total} servers`);

  // Client: only that client's rows, exactly as many as the oracle has.
  const byClient = new Map<string, number>();
  for (const s of oracle.servers) byClient.set(s.client, (byClient.get(s.client) ?? 0) + 1);
  expect(byClient.size).toBeGreaterThan(1);
  const [client, n] = [...byClient.entries()].sort((a, b) => a[1] - b[1])[0]!;
  await page.getByTestId('inventory-filter-client').selectOption(client);
  await expect(count).toHaveText(`${n} of ${total} servers`);
  const clients = await page
    .getByTestId('inventory-row')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-client')));
  expect(clients.length).toBe(Math.min(n, clients.length));
  expect(new Set(clients)).toEqual(new Set([client]));
  await page.getByTestId('inventory-filter-client').selectOption('');

  // Scope and transport: counts match the oracle.
  for (const [testId, field] of [
    ['inventory-filter-scope', 'scope'],
    ['inventory-filter-transport', 'transport'],
  ] as const) {
    const value = oracle.servers[0]![field];
    const expected = oracle.servers.filter((s) => s[field] === value).length;
    await page.getByTestId(testId).selectOption(value);
    await expect(count).toHaveAttribute('data-count', String(expected));
    await page.getByTestId(testId).selectOption('');
  }
  await expect(count).toHaveText(`${total} servers`);
});

test('clicking a column header sorts, and aria-sort says which way', async ({ page }) => {
  await open(page);
  const header = page.getByRole('columnheader', { name: /Name/ });
  await page.getByTestId('inventory-sort-name').click();
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
  const asc = await rowNames(page);
  expect(asc.length).toBeGreaterThan(1);
  expect(asc).toEqual([...asc].sort(collator.compare));
  await page.getByTestId('inventory-sort-name').click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  const desc = await rowNames(page);
  expect(desc).toEqual([...desc].sort((a, b) => collator.compare(b, a)));
  expect(desc[0]).not.toEqual(asc[0]);
  await expect(page.getByRole('columnheader', { name: /Client/ })).toHaveAttribute('aria-sort', 'none');
});

test('rows are keyboard navigable and Enter opens the server detail page', async ({ page }) => {
  await open(page);
  const rows = page.getByTestId('inventory-row');
  await rows.first().focus();
  await page.keyboard.press('ArrowDown');
  await expect(rows.nth(1)).toBeFocused();
  const id = await rows.nth(1).getAttribute('data-server-id');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/servers/${id}$`));
  const detail = page.getByTestId('server-detail');
  await expect(detail).toHaveAttribute('data-server-id', id!);
  const server = oracle.servers.find((s) => s.id === id)!;
  await expect(page.getByTestId('server-source')).toContainText(server.source);
  await expect(page.getByTestId('server-pointer')).toHaveText(server.pointer);
  await page.getByTestId('server-back').click();
  await expect(page.getByTestId('page-inventory')).toBeVisible();
});

test('Rescan runs discovery again with a busy state and keeps the list', async ({ page }) => {
  await open(page);
  const run = await page.getByTestId('inventory-run').innerText();
  const button = page.getByTestId('rescan-button');
  // Record whether the button ever went busy (the run itself is quick on a small fixture).
  await button.evaluate((el) => {
    const seen = { busy: false };
    (window as unknown as { __rescan: typeof seen }).__rescan = seen;
    new MutationObserver(() => {
      if (el.getAttribute('aria-busy') === 'true' && (el as HTMLButtonElement).disabled) seen.busy = true;
    }).observe(el, { attributes: true });
  });
  await button.click();
  await expect(page.getByTestId('inventory-run')).not.toHaveText(run);
  await expect(button).toBeEnabled();
  await expect(button).toHaveText('Rescan');
  expect(await page.evaluate(() => (window as unknown as { __rescan: { busy: boolean } }).__rescan.busy)).toBe(true);
  await expect(page.getByTestId('inventory-count')).toHaveText(`${oracle.servers.length} servers`);
});

test('a discovery run started elsewhere refreshes the open page through store.changed', async ({ page }) => {
  await open(page);
  const runText = page.getByTestId('inventory-run');
  const before = await runText.innerText();
  const res = await fetch(`${gh.baseUrl}/api/invoke/discovery.run`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gh.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(200);
  const run = (await res.json()) as { id: number };
  await expect(runText).toContainText(`Inventory scan #${run.id} `);
  expect(await runText.innerText()).not.toBe(before);
});

test('a wrong token shows where the working link is instead of data', async ({ page }) => {
  await page.goto(`${gh.baseUrl}/?token=not-the-token`);
  await expect(page.getByTestId('token-required')).toContainText('gatehouse serve');
  await expect(page.getByTestId('inventory-row')).toHaveCount(0);
  expect(page.url()).not.toContain('token=');
});

test('theme toggles between dark and light and is remembered', async ({ page }) => {
  await open(page);
  const html = page.locator('html');
  const before = await html.getAttribute('data-theme');
  expect(['dark', 'light']).toContain(before);
  await page.getByTestId('theme-toggle').click();
  const after = before === 'dark' ? 'light' : 'dark';
  await expect(html).toHaveAttribute('data-theme', after);
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', after);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.getByTestId('theme-toggle').click();
  await expect(html).toHaveAttribute('data-theme', before!);
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(bg);
});

test('every page of the nav is reachable by its nav link', async ({ page }) => {
  await open(page);
  for (const id of ['findings', 'tenants', 'audit', 'policy', 'gateways', 'settings', 'inventory']) {
    await page.getByTestId(`nav-${id}`).click();
    await expect(page.getByTestId(`page-${id}`)).toBeVisible();
    await expect(page.getByTestId(`nav-${id}`)).toHaveAttribute('aria-current', 'page');
  }
  // Keyboard: `g f` jumps to Findings, `g i` back to the inventory.
  await page.locator('body').press('g');
  await page.locator('body').press('f');
  await expect(page.getByTestId('page-findings')).toBeVisible();
  await page.keyboard.press('g');
  await page.keyboard.press('i');
  await expect(page.getByTestId('page-inventory')).toBeVisible();
});

test('no planted credential value appears in the page or in any API response or event', async ({ page }) => {
  expect(WORKSTATION.secrets.length).toBe(14);
  const api = captureApiResponses(page);
  const events = await captureEventStream(gh);
  const pages: string[] = [];
  await open(page);
  pages.push(await page.content());
  await page.getByTestId('rescan-button').click();
  await expect(page.getByTestId('rescan-button')).toHaveText('Rescan');
  pages.push(await page.content());
  // Every server's detail page (the most complete rendering of each entry).
  for (const s of oracle.servers.slice(0, 200)) {
    await page.goto(`${gh.baseUrl}/#/servers/${encodeURIComponent(s.id)}`);
    await expect(page.getByTestId('server-detail')).toBeVisible();
    pages.push(await page.content());
  }
  await api.settle();
  events.stop();
  expect(api.responses.length).toBeGreaterThan(2);
  expect(api.responses.some((r) => r.url.includes('/api/invoke/discovery.latest'))).toBe(true);
  expect(events.text()).toContain('discovery.progress');
  // The test sees real data: key names of env/headers are rendered on the detail pages.
  const keyed = oracle.servers.find((s) => s.envKeys.length > 0 || s.headerKeys.length > 0);
  expect(keyed, 'fixture has a server with env or header keys').toBeDefined();
  const keyName = [...keyed!.envKeys, ...keyed!.headerKeys][0]!;
  expect(pages.some((h) => h.includes(keyName))).toBe(true);
  // Masked forms are what is shown instead (fixture README).
  expect(pages.some((h) => h.includes('--token') && h.includes('…wBAD'))).toBe(true);
  const haystacks = [...pages, ...api.responses.map((r) => r.body), events.text(), JSON.stringify(oracle)];
  for (const secret of WORKSTATION.secrets) {
    for (const h of haystacks) expect(h.includes(secret), `secret ${secret.slice(0, 4)}… leaked`).toBe(false);
  }
});

test('screenshots of the inventory in both themes', async ({ page }, testInfo) => {
  await open(page);
  for (const theme of ['dark', 'light'] as const) {
    if ((await page.locator('html').getAttribute('data-theme')) !== theme)
      await page.getByTestId('theme-toggle').click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    await page.screenshot({ path: testInfo.outputPath(`inventory-${theme}.png`) });
  }
  // The detail page of a server with env keys and args, and a page not built yet.
  const github = oracle.servers.find((s) => s.client === 'claude-code' && s.name === 'github')!;
  await page.goto(`${gh.baseUrl}/#/servers/${github.id}`);
  await expect(page.getByTestId('server-detail')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('server-light.png') });
  await page.getByTestId('nav-policy').click();
  await expect(page.getByTestId('page-policy')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('policy-light.png') });
});

test.describe('a large workstation', () => {
  let big: ServeHandle;
  let home: string;
  const N = 2500;

  test.beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-big-'));
    const servers: Record<string, unknown> = {};
    for (let i = 0; i < N; i++) {
      servers[`srv-${String(i).padStart(4, '0')}`] =
        i % 3 === 0
          ? { url: `https://mcp${i}.example.test/mcp` }
          : { command: 'npx', args: ['-y', `pkg-${i}`], env: { K: 'v' } };
    }
    mkdirSync(join(home, '.cursor'), { recursive: true });
    writeFileSync(join(home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: servers }));
    big = await startServe({ home });
  });

  test.afterAll(async () => {
    await big?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test(`${N} servers render virtualized and the keyboard reaches the last row`, async ({ page }) => {
    await page.goto(big.url + '#/inventory');
    await expect(page.getByTestId('inventory-count')).toHaveText(`${N} servers`);
    const rendered = await page.getByTestId('inventory-row').count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(120);
    await page.getByTestId('inventory-sort-name').click();
    await page.getByTestId('inventory-row').first().focus();
    const t0 = Date.now();
    await page.keyboard.press('End');
    const last = page.locator('[data-testid="inventory-row"]:focus');
    await expect(last).toHaveAttribute('data-index', String(N - 1));
    await expect(last.locator('[data-col="name"]')).toHaveText(`srv-${String(N - 1).padStart(4, '0')}`);
    expect(Date.now() - t0).toBeLessThan(5000);
    await page.getByTestId('inventory-filter-text').fill('srv-12');
    await expect(page.getByTestId('inventory-count')).toHaveText(`100 of ${N} servers`);
  });
});
