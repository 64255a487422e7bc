import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { toolhiveLine } from '../electron/services/audit/test-helpers.js';
import { startPostgres, type PgCluster } from '../test/support/postgres.js';
import { createTeamStore } from '../test/support/team-store.js';
import { expectAxeClean } from './support/a11y.js';
import { captureApiResponses, startServe, type ServeHandle } from './support/serve.js';

/**
 * The Audit page's Workstation | Team switch (issue #14) in Chromium over `gatehouse serve` with a
 * real PostgreSQL team store: another workstation's events (imported into the team timeline by
 * `gatehouse audit import --team` from its own state folder) are not in this workstation's store,
 * show under Team, open in the detail, and the scope stays in the URL across a reload. Without a
 * team store the Team button is disabled with the reason. Under GATEHOUSE_REQUIRE_POSTGRES=1 (or
 * CI) a missing PostgreSQL fails the suite instead of skipping it.
 */

const REPO = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(REPO, 'bin', 'gatehouse.mjs');
const PW = 'e2e-audit-team-pw-8Lm';
const EVENTS = 12;

const hashQuery = (page: Page) => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');
const expectTotal = (page: Page, n: number) =>
  expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(n));

test.describe('audit team scope over a real PostgreSQL team store', () => {
  let cluster: PgCluster | undefined;
  let skip = '';
  let gh: ServeHandle;
  let root = '';

  test.beforeAll(async () => {
    // Throws (the suite fails) when PostgreSQL is missing but required.
    const started = await startPostgres();
    if ('skip' in started) {
      skip = started.skip;
      return;
    }
    cluster = started;
    root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-auditteam-'));
    await (await createTeamStore(cluster, 'auditteam', { password: PW, admins: ['e2e_admin', 'e2e_other'] })).close();
    // Another workstation (its own state folder) puts its gateway's events into the team timeline.
    const file = join(root, 'other.jsonl');
    // toolhiveLine(i) is i seconds after base: these end an hour ago.
    const base = Date.now() - 3_600_000 - (7000 + EVENTS) * 1000;
    writeFileSync(
      file,
      Array.from({ length: EVENTS }, (_, i) => {
        const rec = JSON.parse(toolhiveLine(7000 + i, base)) as Record<string, unknown>;
        return JSON.stringify(rec);
      }).join('\n') + '\n',
    );
    const out = execFileSync(
      process.execPath,
      [BIN, 'audit', 'import', file, '--format', 'toolhive', '--team', '--state', join(root, 'other-state')],
      {
        cwd: REPO,
        encoding: 'utf8',
        env: { ...process.env, GATEHOUSE_DATABASE_URL: cluster.url('auditteam', 'e2e_other', PW) },
      },
    );
    expect(JSON.parse(out)).toEqual({ imported: EVENTS, duplicates: 0, rejected: 0 });
    const home = join(root, 'home');
    mkdirSync(home, { recursive: true });
    gh = await startServe({ home, env: { GATEHOUSE_DATABASE_URL: cluster.url('auditteam', 'e2e_admin', PW) } });
  });
  test.afterAll(async () => {
    await gh?.stop();
    await cluster?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test("switch to Team: another workstation's events, open one, the URL keeps the scope; axe clean", async ({
    page,
  }) => {
    test.skip(!!skip, skip);
    const api = captureApiResponses(page);
    await page.setViewportSize({ width: 1024, height: 700 });
    // The toolhive source of the other workstation is named after its format.
    await page.goto(`${gh.url}#/audit?source=toolhive`);
    await expectTotal(page, 0);
    const team = page.getByTestId('audit-scope-team');
    await expect(team).toHaveAttribute('data-available', 'true');
    await expect(team).not.toHaveAttribute('aria-disabled', 'true');
    await expect(page.getByTestId('audit-scope-workstation')).toHaveAttribute('aria-pressed', 'true');

    // Keyboard: the switch is reachable and operable without a pointer.
    await team.focus();
    await page.keyboard.press('Enter');
    await expect(team).toHaveAttribute('aria-pressed', 'true');
    await expectTotal(page, EVENTS);
    expect(hashQuery(page).get('scope')).toBe('team');
    expect(hashQuery(page).get('source')).toBe('toolhive');
    await expect(page.getByTestId('audit-row')).toHaveCount(EVENTS);

    const first = page.getByTestId('audit-row').first();
    const id = (await first.getAttribute('data-id')) ?? '';
    await first.focus();
    await page.keyboard.press('Enter');
    const detail = page.getByTestId('audit-detail');
    await expect(detail).toBeVisible();
    await expect(page.getByTestId('audit-original')).toContainText('th-7011');
    expect(hashQuery(page).get('ev')).toBe(id);
    expect(hashQuery(page).get('scope')).toBe('team');

    // A reload (or a shared link) restores the team scope and the same team event.
    await page.reload();
    await expect(page.getByTestId('audit-scope-team')).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('audit-original')).toContainText('th-7011');
    await expectTotal(page, EVENTS);
    await expectAxeClean(page, '[data-testid="page-audit"]');
    await page.screenshot({ path: join('test-results', 'shots', 'audit-team-1024.png') });

    // Back to this workstation: the detail closes (ids belong to one timeline), none of those events here.
    await page.getByTestId('audit-scope-workstation').click();
    await expectTotal(page, 0);
    expect(hashQuery(page).get('scope')).toBeNull();
    expect(hashQuery(page).get('ev')).toBeNull();
    await expect(page.getByTestId('audit-detail')).toHaveCount(0);

    await api.settle();
    expect(api.responses.length).toBeGreaterThan(0);
    for (const r of api.responses) expect(r.body).not.toContain(PW);
  });
});

test.describe('forwarding status over a real PostgreSQL team store', () => {
  let cluster: PgCluster | undefined;
  let skip = '';
  let gh: ServeHandle;
  let root = '';
  const LOCAL = 8;

  test.beforeAll(async () => {
    const started = await startPostgres();
    if ('skip' in started) {
      skip = started.skip;
      return;
    }
    cluster = started;
    root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-forward-'));
    await (await createTeamStore(cluster, 'fwdchip', { password: PW, admins: ['e2e_fwd'] })).close();
    // This workstation's own events (imported locally, not yet forwarded).
    const state = join(root, 'state');
    const file = join(root, 'local.jsonl');
    const base = Date.now() - 3_600_000 - (8000 + LOCAL) * 1000;
    writeFileSync(file, Array.from({ length: LOCAL }, (_, i) => toolhiveLine(8000 + i, base)).join('\n') + '\n');
    const env = { ...process.env };
    delete env.GATEHOUSE_DATABASE_URL;
    const out = execFileSync(
      process.execPath,
      [BIN, 'audit', 'import', file, '--format', 'toolhive', '--state', state],
      { cwd: REPO, encoding: 'utf8', env },
    );
    expect(JSON.parse(out)).toEqual({ imported: LOCAL, duplicates: 0, rejected: 0 });
    const home = join(root, 'home');
    mkdirSync(home, { recursive: true });
    gh = await startServe({
      home,
      state,
      // The follower stays out of the way (an hour): only "Sync now" forwards during the test.
      env: { GATEHOUSE_DATABASE_URL: cluster.url('fwdchip', 'e2e_fwd', PW), GATEHOUSE_AUDIT_FOLLOW_MS: '3600000' },
    });
  });
  test.afterAll(async () => {
    await gh?.stop();
    await cluster?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('the chip goes from pending to up to date with Sync now; Settings shows it too; axe clean', async ({ page }) => {
    test.skip(!!skip, skip);
    const api = captureApiResponses(page);
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${gh.url}#/audit`);
    const chip = page.getByTestId('audit-forward');
    await expect(chip).toHaveAttribute('data-state', 'pending');
    expect(Number(await chip.getAttribute('data-pending'))).toBeGreaterThanOrEqual(LOCAL);
    await expect(chip.getByRole('status')).toHaveText(/^Forwarding to team: ↑ \d+ pending$/);
    await expectAxeClean(page, '[data-testid="page-audit"]');
    await page.screenshot({ path: join('test-results', 'shots', 'audit-forward-pending-1024.png') });
    // The header stays one row at 1024 px: the chip sits beside the scope switch and Export.
    const top = async (id: string) => (await page.getByTestId(id).boundingBox())?.y ?? -1;
    for (const id of ['audit-forward', 'audit-export'])
      expect(Math.abs((await top(id)) - (await top('audit-scope'))), id).toBeLessThan(12);

    // Keyboard: Sync now forwards them.
    await page.getByTestId('audit-forward-sync').focus();
    await page.keyboard.press('Enter');
    await expect(chip).toHaveAttribute('data-state', 'ok');
    await expect(chip).toHaveAttribute('data-pending', '0');
    await expect(chip.getByRole('status')).toHaveText('Forwarding to team: ↑ up to date');
    await expectAxeClean(page, '[data-testid="page-audit"]');

    // They are in the team timeline now.
    await page.goto(`${gh.url}#/audit?scope=team&source=toolhive`);
    await expectTotal(page, LOCAL);

    await page.goto(`${gh.url}#/settings`);
    const line = page.getByTestId('team-store-forward');
    await expect(line).toHaveAttribute('data-state', 'ok');
    await expect(line.getByRole('status')).toHaveText('Forwarding to team: up to date');
    await expectAxeClean(page, '[data-testid="settings-team-store"]');

    await api.settle();
    for (const r of api.responses) expect(r.body).not.toContain(PW);
  });
});

test.describe('audit team scope without a team store', () => {
  let gh: ServeHandle;
  let home = '';
  test.beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-auditteam-none-'));
    gh = await startServe({ home, env: { GATEHOUSE_DATABASE_URL: '' } });
  });
  test.afterAll(async () => {
    await gh?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('the Team button is disabled with the reason; a team link says why instead of showing local events', async ({
    page,
  }) => {
    await page.goto(`${gh.url}#/audit`);
    const team = page.getByTestId('audit-scope-team');
    await expect(team).toHaveAttribute('aria-disabled', 'true');
    await expect(team).toHaveAttribute('title', /No team store is configured/);
    await expect(page.locator('#audit-scope-team-help')).toContainText('No team store is configured');
    // Focusable (so its reason is reachable), but pressing it does nothing.
    await team.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Space');
    await expect(page.getByTestId('audit-scope-workstation')).toHaveAttribute('aria-pressed', 'true');
    expect(hashQuery(page).get('scope')).toBeNull();

    await page.goto(`${gh.url}#/audit?scope=team`);
    await expect(page.getByTestId('audit-scope-unavailable')).toContainText('No team store is configured');
    await expectAxeClean(page, '[data-testid="page-audit"]');
  });
});
