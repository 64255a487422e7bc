import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { addSource } from '../electron/services/audit/sources-repo.js';
import { toolhiveLine } from '../electron/services/audit/test-helpers.js';
import { openDatabase } from '../electron/services/store/database.js';
import { startServe, type ServeHandle } from './support/serve.js';

/**
 * Audit page flows (issue #11) in real Chromium against `gatehouse serve`, over ToolHive events
 * placed relative to now (so quick ranges have known counts): quick ranges, the time zone switch,
 * include/exclude facets, "more" and facet search, oldest first, jump to time, URL state across a
 * reload, the new-events marker while tailing, view in context, the 1024×700 layout, keyboard, and
 * axe in both themes. The browser runs in Asia/Kolkata (UTC+05:30) so Local and UTC differ.
 */

const REPO = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(REPO, 'bin', 'gatehouse.mjs');
const NOW = Date.now();
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Groups of events: [count, start offset before now]. Each group's events are 1 s apart. */
const GROUPS = [
  [30, 30 * MIN], // within 1 h
  [40, 3 * HOUR], // within 6 h
  [50, 2 * DAY], // within 7 d
  [60, 20 * DAY], // within 30 d
  [70, 40 * DAY], // older
] as const;
const TOTAL = GROUPS.reduce((a, [n]) => a + n, 0);
const USERS = 15;

interface Gen {
  i: number;
  time: number;
  outcome: string;
  user: string;
}
const generated: Gen[] = [];
function lines(): string[] {
  const out: string[] = [];
  let i = 0;
  for (const [n, off] of GROUPS) {
    for (let k = 0; k < n; k++, i++) {
      const rec = JSON.parse(toolhiveLine(i)) as Record<string, unknown> & { subjects: { user: string } };
      const time = NOW - off + k * 1000;
      rec.loggedAt = new Date(time).toISOString();
      rec.subjects.user = `user${i % USERS}@example.com`;
      generated.push({ i, time, outcome: String(rec.outcome), user: rec.subjects.user });
      out.push(JSON.stringify(rec));
    }
  }
  return out;
}

let root = '';
let tailFile = '';
let gh: ServeHandle;

async function api(method: string, input: unknown): Promise<unknown> {
  const res = await fetch(`${gh.baseUrl}/api/invoke/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gh.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${method}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

test.describe.configure({ mode: 'serial' });
test.use({ timezoneId: 'Asia/Kolkata' });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-auditui-'));
  const state = join(root, 'state');
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  const file = join(root, 'events.jsonl');
  writeFileSync(file, lines().join('\n') + '\n');
  const out = execFileSync(process.execPath, [BIN, 'audit', 'import', file, '--format', 'toolhive', '--state', state], {
    cwd: REPO,
    encoding: 'utf8',
  });
  expect(JSON.parse(out)).toEqual({ imported: TOTAL, duplicates: 0, rejected: 0 });
  // A followed file for the tail test (empty for now), configured in the store before serve starts:
  // added through the API, the addition would be an admin action in the timeline (one more event
  // than the ranges and facets below count).
  tailFile = join(root, 'tail.jsonl');
  writeFileSync(tailFile, '');
  const db = openDatabase(join(state, 'gatehouse.db'));
  addSource(db, 'tail', { kind: 'toolhive', path: tailFile });
  db.close();
  gh = await startServe({ home, state });
});

test.afterAll(async () => {
  await gh?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

let pageErrors: string[] = [];
test.beforeEach(({ page }) => {
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
});
test.afterEach(() => {
  expect(pageErrors, 'errors in the page').toEqual([]);
});

async function open(page: Page, query = '') {
  await page.goto(`${gh.url}#/audit${query ? `?${query}` : ''}`);
  await expect(page.getByTestId('audit-total')).not.toHaveAttribute('data-total', '');
}
const total = async (page: Page) => Number(await page.getByTestId('audit-total').getAttribute('data-total'));
const expectTotal = (page: Page, n: number) =>
  expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(n));
const hashQuery = (page: Page) => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');

test('quick ranges set the total and fit the histogram to the range', async ({ page }) => {
  await open(page);
  await expectTotal(page, TOTAL);
  const within = (ms: number) => generated.filter((g) => g.time >= Date.now() - ms).length;
  for (const [key, ms] of [
    ['1h', HOUR],
    ['6h', 6 * HOUR],
    ['7d', 7 * DAY],
    ['30d', 30 * DAY],
  ] as const) {
    await page.getByTestId(`audit-range-${key}`).click();
    await expect(page.getByTestId(`audit-range-${key}`)).toHaveAttribute('aria-pressed', 'true');
    await expectTotal(page, within(ms));
    expect(hashQuery(page).get('range')).toBe(key);
    // The histogram covers the range (not the data's whole span).
    const hist = page.getByTestId('audit-histogram');
    await expect
      .poll(async () => Date.now() - Date.parse((await hist.getAttribute('data-from')) ?? ''))
      .toBeLessThan(ms + 5 * MIN);
  }
  await page.getByTestId('audit-range-all').click();
  await expectTotal(page, TOTAL);
  // Legend names every outcome; the y-axis has ticks.
  const legend = page.getByTestId('audit-hist-legend');
  for (const o of ['success', 'denied', 'error']) await expect(legend.locator(`[data-outcome="${o}"]`)).toBeVisible();
  expect(await page.getByTestId('audit-hist-y').locator('span').count()).toBeGreaterThan(1);
  // Hover: a tooltip with the bucket's span and counts per outcome.
  const plot = page.getByTestId('audit-hist-plot');
  const box = await plot.boundingBox();
  if (!box) throw new Error('no plot');
  await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
  const tip = page.getByTestId('audit-hist-tip');
  await expect(tip).toBeVisible();
  await expect(tip).toContainText('success');
  await expect(tip).toContainText('denied');
  await expect(tip).toContainText('–');
});

test('custom range from/to and clicking a bucket zooms', async ({ page }) => {
  await open(page, 'tz=utc');
  const from = new Date(NOW - 4 * HOUR);
  const to = new Date(NOW - 2 * HOUR);
  const local = (d: Date) => d.toISOString().slice(0, 16);
  await page.getByTestId('audit-time-more').click();
  await page.getByTestId('audit-from').fill(local(from));
  await page.getByTestId('audit-to').fill(local(to));
  await page.getByTestId('audit-range-apply').click();
  const minute = (t: number) => Math.floor(t / MIN) * MIN;
  await expectTotal(
    page,
    generated.filter((g) => g.time >= minute(from.getTime()) && g.time < minute(to.getTime())).length,
  );
  expect(hashQuery(page).get('range')).toBe('custom');
  // Click one bar: zooms into that bucket (finer buckets), Zoom out returns.
  const hist = page.getByTestId('audit-histogram');
  // The histogram of this range (its own request: it may answer after the total).
  await expect(hist).toHaveAttribute('data-from', new Date(minute(from.getTime())).toISOString());
  const before = Number(await hist.getAttribute('data-bucket-ms'));
  expect(before).toBeGreaterThan(0);
  const plot = page.getByTestId('audit-hist-plot');
  const box = await plot.boundingBox();
  if (!box) throw new Error('no plot');
  const t0 = await total(page);
  // The group at now-3h sits in the middle of this window.
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height - 4);
  await expect.poll(async () => Number(await hist.getAttribute('data-bucket-ms'))).toBeLessThan(before);
  expect(await total(page)).toBeLessThanOrEqual(t0);
  await page.getByTestId('audit-zoom-out').click();
  await expectTotal(page, t0);
});

test('the time zone switch changes every rendered time and its label, and is kept in the URL', async ({ page }) => {
  await open(page);
  const row = page.getByTestId('audit-row').first();
  const iso = (await row.getAttribute('data-time')) ?? '';
  const t = Date.parse(iso);
  const fmt = (d: Date, utc: boolean) => {
    const p = (n: number) => String(n).padStart(2, '0');
    const [y, mo, da, h, mi, s] = utc
      ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
      : (() => {
          const k = new Date(d.getTime() + 5.5 * HOUR); // Asia/Kolkata, no DST
          return [
            k.getUTCFullYear(),
            k.getUTCMonth() + 1,
            k.getUTCDate(),
            k.getUTCHours(),
            k.getUTCMinutes(),
            k.getUTCSeconds(),
          ];
        })();
    return `${y}-${p(mo)}-${p(da)} ${p(h)}:${p(mi)}:${p(s)}`;
  };
  const cell = row.locator('[data-col="time"]');
  await expect(page.getByTestId('audit-tz-local')).toHaveAttribute('aria-pressed', 'true');
  await expect(cell).toContainText(fmt(new Date(t), false));
  await expect(page.getByTestId('audit-time-zone')).toHaveText('Local (UTC+05:30)');
  await page.getByTestId('audit-tz-utc').click();
  await expect(cell).toContainText(fmt(new Date(t), true));
  await expect(page.getByTestId('audit-time-zone')).toHaveText('UTC');
  await expect(page.getByTestId('audit-hist-legend')).toContainText('UTC');
  expect(hashQuery(page).get('tz')).toBe('utc');
  await row.click();
  await expect(page.getByTestId('audit-detail-time')).toContainText(fmt(new Date(t), true));
  await page.getByTestId('audit-tz-local').click();
  await expect(page.getByTestId('audit-detail-time')).toContainText(fmt(new Date(t), false));
});

test('exclude a facet value: "not outcome=success"; include again; kept in the URL', async ({ page }) => {
  await open(page);
  const notSuccess = generated.filter((g) => g.outcome !== 'success').length;
  const success = TOTAL - notSuccess;
  await page.locator('[data-testid="audit-facet-exclude"][data-facet="outcome"][data-value="success"]').click();
  await expectTotal(page, notSuccess);
  const facet = page.locator('[data-testid="audit-facet"][data-facet="outcome"][data-value="success"]');
  await expect(facet).toHaveAttribute('data-state', 'exclude');
  // The excluded value keeps its count (a facet ignores its own selection).
  await expect(facet.locator('.count')).toHaveText(success.toLocaleString('en'));
  expect(hashQuery(page).getAll('not.outcome')).toEqual(['success']);
  const outcomes = await page.locator('[data-testid="audit-row"] .badge').allTextContents();
  expect(outcomes.length).toBeGreaterThan(0);
  expect(outcomes).not.toContain('success');
  // Clicking the value itself switches to include.
  await facet.click();
  await expect(facet).toHaveAttribute('data-state', 'include');
  await expectTotal(page, success);
});

test('facet "More…" lists values beyond the top 8 and searches them', async ({ page }) => {
  await open(page);
  const group = page.locator('[data-testid="audit-facet-group"][data-facet="subject"]');
  await expect(group.getByTestId('audit-facet')).toHaveCount(8);
  await group.getByTestId('audit-facet-more').click();
  await expect(group.getByTestId('audit-facet')).toHaveCount(USERS);
  await group.getByTestId('audit-facet-search').fill('user1');
  // user1, user10 … user14
  await expect(group.getByTestId('audit-facet')).toHaveCount(6);
  const u13 = group.locator('[data-testid="audit-facet"][data-value="user13@example.com"]');
  await expect(u13.locator('.count')).toHaveText(
    String(generated.filter((g) => g.user === 'user13@example.com').length),
  );
  await u13.click();
  await expectTotal(page, generated.filter((g) => g.user === 'user13@example.com').length);
});

test('oldest first from the Time header, and jump to a time', async ({ page }) => {
  await open(page);
  const oldest = Math.min(...generated.map((g) => g.time));
  await page.getByTestId('audit-sort-time').click();
  await expect(page.getByTestId('audit-list')).toHaveAttribute('data-order', 'oldest');
  await expect(page.getByTestId('audit-row').first()).toHaveAttribute('data-time', new Date(oldest).toISOString());
  expect(hashQuery(page).get('order')).toBe('oldest');
  await page.getByTestId('audit-sort-time').click();
  await expect(page.getByTestId('audit-list')).toHaveAttribute('data-order', 'newest');

  // Jump (newest first): the list starts at the last event at or before the time; newer ones load above.
  await page.getByTestId('audit-tz-utc').click();
  const target = generated[150 + 10]; // inside the 20-days-ago group
  if (!target) throw new Error('no target');
  const at = new Date(target.time + 500);
  await page.getByTestId('audit-time-more').click();
  await page.getByTestId('audit-jump').fill(at.toISOString().slice(0, 19));
  await page.getByTestId('audit-jump-go').click();
  await expect(page.getByTestId('audit-jumped')).toBeVisible();
  const targetRow = page.locator(`[data-testid="audit-row"][data-time="${new Date(target.time).toISOString()}"]`);
  await expect(targetRow).toBeVisible();
  expect(hashQuery(page).get('at')).toBeTruthy();
  // Events newer than the jump are above it (loaded by paging back), in order.
  const times = await page
    .locator('[data-testid="audit-row"]')
    .evaluateAll((rows) =>
      rows.map((r) => [Number(r.getAttribute('data-index')), r.getAttribute('data-time') ?? ''] as const),
    );
  const sorted = [...times].sort((a, b) => a[0] - b[0]).map(([, t]) => Date.parse(t));
  expect(sorted.some((t) => t > target.time)).toBe(true);
  expect(sorted.every((t, i) => i === 0 || (sorted[i - 1] ?? 0) >= t)).toBe(true);
});

test('URL state survives a reload: filters, search, range, zone, order, selected event', async ({ page }) => {
  await open(page);
  await page.getByTestId('audit-range-30d').click();
  await page.locator('[data-testid="audit-facet-exclude"][data-facet="outcome"][data-value="denied"]').click();
  await page.getByTestId('audit-search').fill('github');
  await page.getByTestId('audit-tz-utc').click();
  await page.getByTestId('audit-sort-time').click();
  await expect(page.getByTestId('audit-list')).toHaveAttribute('data-order', 'oldest');
  await expect.poll(() => hashQuery(page).get('q')).toBe('github');
  // The rows of the final filter, not the previous one's kept on screen while it loads.
  await expect(page.getByTestId('audit-list')).toHaveAttribute('aria-busy', 'false');
  const row = page.getByTestId('audit-row').nth(2);
  const id = (await row.getAttribute('data-id')) ?? '';
  await row.click();
  await expect(page.getByTestId('audit-detail')).toBeVisible();
  const n = await total(page);
  const url = page.url();
  expect(hashQuery(page).get('ev')).toBe(id);

  await page.reload();
  expect(page.url()).toBe(url);
  await expectTotal(page, n);
  await expect(page.getByTestId('audit-search')).toHaveValue('github');
  await expect(page.getByTestId('audit-range-30d')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('audit-tz-utc')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('audit-list')).toHaveAttribute('data-order', 'oldest');
  await expect(page.locator('[data-testid="audit-facet"][data-facet="outcome"][data-value="denied"]')).toHaveAttribute(
    'data-state',
    'exclude',
  );
  await expect(page.getByTestId('audit-detail')).toBeVisible();
  await expect(page.locator(`[data-testid="audit-row"][data-id="${id}"]`)).toHaveAttribute('aria-selected', 'true');
});

test('a filtered link (#/audit/user/…) moves into the query; removing the filter survives a reload', async ({
  page,
}) => {
  const user = 'user3@example.com';
  await page.goto(`${gh.url}#/audit/user/${encodeURIComponent(user)}`);
  await expectTotal(page, generated.filter((g) => g.user === user).length);
  await expect.poll(() => new URL(page.url()).hash).toBe(`#/audit?user=${encodeURIComponent(user)}`);
  await page.locator(`[data-testid="audit-facet"][data-facet="subject"][data-value="${user}"]`).click();
  await expectTotal(page, TOTAL);
  await page.reload();
  await expectTotal(page, TOTAL);
});

test('keyboard: arrows move the selection, Enter opens the detail, Escape closes it; view in context', async ({
  page,
}) => {
  await open(page, 'not.outcome=success');
  const first = page.getByTestId('audit-row').first();
  await first.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const third = page.locator('[data-testid="audit-row"][data-index="2"]');
  await expect(third).toBeFocused();
  await page.keyboard.press('Enter');
  const detail = page.getByTestId('audit-detail');
  await expect(detail).toBeVisible();
  const id = (await third.getAttribute('data-id')) ?? '';
  expect(hashQuery(page).get('ev')).toBe(id);
  // Focus stays in the list: the next arrow moves the selection and the detail follows.
  await page.keyboard.press('ArrowDown');
  const fourth = page.locator('[data-testid="audit-row"][data-index="3"]');
  await expect(fourth).toBeFocused();
  await expect.poll(() => hashQuery(page).get('ev')).toBe(await fourth.getAttribute('data-id'));
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => hashQuery(page).get('ev')).toBe(id);
  await page.keyboard.press('Escape');
  await expect(detail).toHaveCount(0);
  await expect(third).toBeFocused();
  // View in context: filters cleared, the list around the event, the event selected.
  await third.click();
  await page.getByTestId('audit-context').click();
  await expect(page.getByTestId('audit-jumped')).toBeVisible();
  expect(hashQuery(page).getAll('not.outcome')).toEqual([]);
  await expect(page.locator(`[data-testid="audit-row"][data-id="${id}"]`)).toHaveAttribute('aria-selected', 'true');
  const outcomes = await page.locator('[data-testid="audit-row"] .badge').allTextContents();
  expect(outcomes).toContain('success');
});

test('tailing: new events show as "N new events" instead of moving the list', async ({ page }) => {
  await open(page);
  await expectTotal(page, TOTAL);
  const firstId = await page.getByTestId('audit-row').first().getAttribute('data-id');
  const fresh = Array.from({ length: 5 }, (_, k) => {
    const rec = JSON.parse(toolhiveLine(10_000 + k)) as Record<string, unknown>;
    // A second ahead of this clock: a source whose clock runs ahead still shows after the click.
    rec.loggedAt = new Date(Date.now() + 1000 + k).toISOString();
    return JSON.stringify(rec);
  });
  appendFileSync(tailFile, fresh.join('\n') + '\n');
  await api('audit.sync', {});
  const marker = page.getByTestId('audit-new');
  await expect(marker).toHaveAttribute('data-count', '5');
  await expect(marker).toHaveText(/5 new events/);
  // The list did not move.
  await expect(page.getByTestId('audit-row').first()).toHaveAttribute('data-id', firstId ?? '');
  await expectTotal(page, TOTAL);
  await marker.click();
  await expectTotal(page, TOTAL + 5);
  await expect(marker).toHaveCount(0);
  await expect(page.getByTestId('audit-row').first()).not.toHaveAttribute('data-id', firstId ?? '');
});

test('at 1024×700 the detail is a drawer: the list keeps its columns and at least 5 rows', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await open(page);
  const rows = page.getByTestId('audit-row');
  await rows.nth(1).click();
  await expect(page.getByTestId('audit-detail')).toBeVisible();
  const list = page.getByTestId('audit-list');
  const listBox = await list.boundingBox();
  if (!listBox) throw new Error('no list');
  // Rows fully inside the list's visible area (under the header).
  const visible = await rows.evaluateAll((els, lb) => {
    const top = lb.y + 28;
    const bottom = lb.y + lb.height;
    return els.filter((e) => {
      const r = e.getBoundingClientRect();
      return r.top >= top - 1 && r.bottom <= bottom + 1;
    }).length;
  }, listBox);
  expect(visible).toBeGreaterThanOrEqual(5);
  // Beside the drawer: the time and outcome of each row stay uncovered.
  const drawer = await page.getByTestId('audit-detail').boundingBox();
  if (!drawer) throw new Error('no drawer');
  for (const sel of ['[data-col="time"]', '.badge']) {
    const r = await rows.first().locator(sel).boundingBox();
    expect((r?.x ?? 0) + (r?.width ?? 0), sel).toBeLessThanOrEqual(drawer.x);
  }
  await page.screenshot({ path: join('test-results', 'shots', 'audit-1024-drawer.png') });
  for (const sel of ['[data-col="subject"]']) {
    const r = await rows.first().locator(sel).boundingBox();
    expect(r?.x ?? 0, sel).toBeLessThan(drawer.x - 40);
  }
  // Closed: the list is never wider with the drawer open than closed (not squeezed) and shows the key columns.
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('audit-detail')).toHaveCount(0);
  const after = await list.boundingBox();
  expect(listBox.width).toBeGreaterThanOrEqual((after?.width ?? 0) - 1);
  for (const sel of ['[data-col="time"]', '.badge', '[data-col="subject"]', '[data-col="target"]']) {
    const r = await rows.first().locator(sel).boundingBox();
    expect(r, sel).not.toBeNull();
    expect((r?.x ?? 0) + (r?.width ?? 0), sel).toBeLessThanOrEqual(1024);
    expect(r?.width ?? 0, sel).toBeGreaterThan(20);
  }
  await page.screenshot({ path: join('test-results', 'shots', 'audit-1024.png') });
});

for (const theme of ['dark', 'light'] as const) {
  test(`axe: the Audit page has no serious or critical violations (${theme})`, async ({ page }) => {
    await page.addInitScript((t) => window.localStorage.setItem('gatehouse.theme', t), theme);
    await open(page);
    await page.getByTestId('audit-row').nth(1).click();
    await expect(page.getByTestId('audit-detail')).toBeVisible();
    await page
      .locator('[data-testid="audit-facet-group"][data-facet="subject"]')
      .getByTestId('audit-facet-more')
      .click();
    const results = await new AxeBuilder({ page }).include('[data-testid="page-audit"]').analyze();
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id}: ${v.help} (${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(', ')})`,
      );
    expect(bad).toEqual([]);
    await page.screenshot({ path: join('test-results', 'shots', `audit-${theme}.png`) });
  });
}
