import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe, type ServeHandle } from './support/serve.js';
import { toolhiveLine } from '../electron/services/audit/test-helpers.js';

/**
 * A large audit import from Settings, end to end: real Chromium against `gatehouse serve`, a ToolHive
 * log of 100,000 events (~33 MB) added as a source and synced. Serve imports it on its ingest worker
 * and the section shows the import's progress (bytes read, then the index build) until the sync
 * returns with its counts; the Audit page then holds every event.
 */

const EVENTS = 100_000;
let root = '';
let gh: ServeHandle;
let log = '';

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-audit-import-'));
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  log = join(root, 'toolhive-audit.jsonl');
  writeFileSync(log, Array.from({ length: EVENTS }, (_, i) => toolhiveLine(i)).join('\n') + '\n');
  // The follower stays out of the way: the import is the admin's "Sync now".
  gh = await startServe({ home, env: { GATEHOUSE_AUDIT_FOLLOW_MS: '3600000' } });
});

test.afterAll(async () => {
  await gh?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('a large import shows its progress until the sync returns, then every event is on the Audit page', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${gh.url}#/settings`);
  const section = page.getByTestId('settings-audit-sources');
  await section.getByTestId('audit-source-name').fill('big-thv');
  await section.getByTestId('audit-source-path').fill(log);
  await section.getByTestId('audit-source-add').click();
  await expect(section.locator('[data-testid="audit-source-row"][data-kind="toolhive"]')).toContainText('big-thv');

  await section.getByTestId('audit-sync').click();
  const progress = section.getByTestId('audit-sync-progress');
  await expect(progress).toBeVisible();
  await expect(progress.getByRole('progressbar', { name: 'Import of big-thv' })).toBeVisible();
  // (axe runs over Settings in a11y.spec.ts; this element comes and goes with the import, so its
  // accessible parts are checked directly: a named progressbar and a status line.)
  await expect(progress.getByRole('status')).toContainText(/big-thv/);
  await expect(section.getByTestId('audit-sync-result')).toContainText(`big-thv: +${EVENTS} (0 dup, 0 rejected)`, {
    timeout: 60_000,
  });
  await expect(progress).toHaveCount(0);

  await page.goto(`${gh.url}#/audit`);
  // +1: adding the source is itself in the timeline (an admin action of Gatehouse's own).
  await expect(page.getByTestId('audit-total')).toHaveAttribute('data-total', String(EVENTS + 1), { timeout: 15_000 });
  expect(pageErrors, 'errors in the page').toEqual([]);
});
