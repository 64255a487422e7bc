import { expect, test } from '@playwright/test';
import { sendFleetReport } from '../electron/services/fleet/report.js';
import { enrollMachine, grantAdmin, migrateTeamStore, openTeamStore } from '../electron/services/fleet/store.js';
import { syntheticReport } from '../test/support/fleet-reports.js';
import { startPostgres, type PgCluster } from '../test/support/postgres.js';
import { captureApiResponses, startServe, type ServeHandle } from './support/serve.js';
import { WORKSTATION } from './support/workstation.js';

/**
 * Fleet page in Chromium over `gatehouse serve`: without a team store it explains how to get one
 * (`gatehouse scan --report-to`); with a real PostgreSQL team store it lists what six synthetic
 * workstations reported, with filters in the URL, and the password never reaches the page.
 */

const serveOpts = (env: NodeJS.ProcessEnv) => ({
  home: WORKSTATION.home,
  projects: WORKSTATION.projects,
  platform: WORKSTATION.platform,
  systemRoot: WORKSTATION.systemRoot,
  env,
});

test.describe('fleet without a team store', () => {
  let gh: ServeHandle;
  test.beforeAll(async () => {
    gh = await startServe(serveOpts({ GATEHOUSE_DATABASE_URL: '' }));
  });
  test.afterAll(async () => {
    await gh?.stop();
  });

  test('the nav opens Fleet, which explains `gatehouse scan --report-to`', async ({ page }) => {
    await page.goto(gh.url);
    await page.getByTestId('nav-fleet').click();
    await expect(page.getByTestId('page-fleet')).toBeVisible();
    const empty = page.getByTestId('fleet-not-configured');
    await expect(empty).toBeVisible();
    await expect(empty).toContainText('No team store configured');
    await expect(empty).toContainText('gatehouse scan --report-to postgres://');
    await expect(empty).toContainText('GATEHOUSE_DATABASE_URL');
    await expect(page.getByTestId('fleet-tab-machines')).toHaveCount(0);
  });
});

const PW = 'e2e-fleet-pw-4Rt';

test.describe('fleet over a real PostgreSQL team store', () => {
  let cluster: PgCluster | undefined;
  let skip = '';
  let gh: ServeHandle;

  test.beforeAll(async () => {
    const started = await startPostgres();
    if ('skip' in started) {
      skip = started.skip;
      return;
    }
    cluster = started;
    const owner = openTeamStore(await cluster.createDatabase('fleete2e'), { max: 2 });
    const role = async (name: string) => {
      const c = await cluster!.connect();
      try {
        await c.query(`DROP ROLE IF EXISTS ${name}`);
        await c.query(`CREATE ROLE ${name} LOGIN PASSWORD '${PW}'`);
      } finally {
        await c.end();
      }
    };
    try {
      await migrateTeamStore(owner);
      await role('e2e_admin');
      await grantAdmin(owner, 'e2e_admin');
      const t = new Date(Date.now() - 3_600_000).toISOString();
      for (let i = 0; i < 6; i++) {
        await role(`e2e_rep_${i}`);
        await enrollMachine(owner, `ws-${String(i).padStart(2, '0')}`, `e2e_rep_${i}`);
        const rep = openTeamStore(cluster.url('fleete2e', `e2e_rep_${i}`, PW), { max: 1 });
        try {
          await sendFleetReport(rep, syntheticReport(i, t));
        } finally {
          await rep.close();
        }
      }
    } finally {
      await owner.close();
    }
    gh = await startServe(serveOpts({ GATEHOUSE_DATABASE_URL: cluster.url('fleete2e', 'e2e_admin', PW) }));
  });
  test.afterAll(async () => {
    await gh?.stop();
    await cluster?.stop();
  });

  test('machines, filtered findings in the URL, shared credentials; the password never crosses', async ({ page }) => {
    test.skip(!!skip, skip);
    const api = captureApiResponses(page);
    await page.goto(gh.url + '#/fleet');
    await expect(page.getByTestId('fleet-store')).toContainText('e2e_admin:****@');
    await expect(page.getByTestId('fleet-table-machines').getByTestId('fleet-row')).toHaveCount(6);

    await page.getByTestId('fleet-tab-findings').click();
    await expect(page.getByTestId('fleet-count')).toHaveAttribute('data-count', '10');
    await page.getByTestId('fleet-filter-severity').selectOption('medium');
    await expect(page.getByTestId('fleet-count')).toHaveAttribute('data-count', '4');
    await expect(page).toHaveURL(/#\/fleet\?tab=findings&severity=medium$/);

    // The filter survives a reload (it is in the URL).
    await page.reload();
    await expect(page.getByTestId('fleet-filter-severity')).toHaveValue('medium');
    await expect(page.getByTestId('fleet-count')).toHaveAttribute('data-count', '4');

    await page.getByTestId('fleet-tab-credentials').click();
    await expect(page.getByTestId('fleet-table-credentials').getByTestId('fleet-row')).toHaveCount(1);
    const download = page.waitForEvent('download');
    await page.getByTestId('fleet-export').click();
    const file = await (await download).path();
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(file, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('fingerprint,secretType,evidence,machineCount,findingCount,machines');
    expect(csv).toContain('ws-00 ws-03');

    await api.settle();
    expect(api.responses.length).toBeGreaterThan(0);
    for (const r of api.responses) expect(r.body).not.toContain(PW);
  });

  test('Settings → Team store: tested before kept, password masked everywhere, then the Fleet view uses it', async ({
    page,
  }) => {
    test.skip(!!skip, skip);
    const { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const state = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-teamstore-'));
    const local = await startServe({ ...serveOpts({ GATEHOUSE_DATABASE_URL: '' }), state });
    try {
      const api = captureApiResponses(page);
      await page.setViewportSize({ width: 1024, height: 700 });
      await page.goto(local.url + '#/settings');
      const section = page.getByTestId('settings-team-store');
      await expect(section.getByTestId('team-store-status')).toContainText('Not connected');
      const input = section.getByTestId('team-store-url');
      await expect(input).toHaveAttribute('type', 'password');

      await input.fill(cluster!.url('fleete2e', 'e2e_admin', PW + 'wrong'));
      await section.getByTestId('team-store-save').click();
      await expect(section.getByTestId('team-store-error')).toContainText('Could not connect to the team store');
      await expect(section.getByTestId('team-store-error')).toContainText('e2e_admin:****@');
      await expect(section.getByTestId('team-store')).toHaveAttribute('data-configured', 'false');

      await input.fill(cluster!.url('fleete2e', 'e2e_admin', PW));
      await input.press('Enter');
      await expect(section.getByTestId('team-store-status')).toContainText('Connected to postgres://e2e_admin:****@');
      await expect(input).toHaveValue('');
      await expect(section.getByTestId('team-store-error')).toHaveCount(0);
      // Forwarding this workstation's audit events to it: its status and Sync now.
      const forward = section.getByTestId('team-store-forward');
      await expect(forward).toHaveAttribute('data-state', /^(ok|pending)$/);
      await forward.getByTestId('team-store-forward-sync').click();
      await expect(forward).toHaveAttribute('data-state', 'ok');
      await expect(forward.getByRole('status')).toHaveText('Forwarding to team: up to date');

      const { AxeBuilder } = await import('@axe-core/playwright');
      const axe = await new AxeBuilder({ page }).include('[data-testid="settings-team-store"]').analyze();
      expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

      await page.goto(local.url + '#/fleet');
      await expect(page.getByTestId('fleet-table-machines').getByTestId('fleet-row')).toHaveCount(6);

      await page.goto(local.url + '#/settings');
      await section.getByTestId('team-store-clear').click();
      await expect(section.getByTestId('team-store-status')).toContainText('Not connected');

      await api.settle();
      for (const r of api.responses) expect(r.body).not.toContain(PW);
      // Nothing in the state folder holds the password in clear (the secret store file is encrypted).
      const walk = (d: string): string[] =>
        readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
      for (const f of walk(state)) expect(readFileSync(f).includes(PW), f).toBe(false);
    } finally {
      await local.stop();
      rmSync(state, { recursive: true, force: true });
    }
  });
});
