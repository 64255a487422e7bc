import AxeBuilder from '@axe-core/playwright';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { discoverJson } from './support/discover.js';
import { startServe, type ServeHandle } from './support/serve.js';
import { WORKSTATION } from './support/workstation.js';

/**
 * Accessibility (issue #11, "axe clean"): axe-core in real Chromium on every page, dark and light,
 * over the fixture workstation after a findings scan (so tables and badges are filled). No
 * critical or serious violation may remain; a failure prints each one with its nodes.
 */

const AUDIT_FILE = fileURLToPath(new URL('../test/fixtures/audit/toolhive-audit.jsonl', import.meta.url));

/**
 * Known violations allowed per page, by rule and selector, so anything else still fails. None: the
 * Audit grid's wrapper (aria-required-children) was fixed with the page's rewrite.
 */
const KNOWN: Record<string, { rule: string; target: string }[]> = {};

let gh: ServeHandle;
let serverId = '';

test.beforeAll(async () => {
  gh = await startServe({
    home: WORKSTATION.home,
    projects: WORKSTATION.projects,
    platform: WORKSTATION.platform,
    systemRoot: WORKSTATION.systemRoot,
  });
  const call = async (method: string, input: unknown) => {
    const res = await fetch(`${gh.baseUrl}/api/invoke/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gh.token}`, 'content-type': 'application/json', origin: gh.baseUrl },
      body: JSON.stringify(input),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as unknown;
  };
  await call('findings.scan', {});
  // Settings' tables only render with rows: one consent and one audit source (the audit fixture).
  const states = (await call('live.states', {})) as { serverId: string; status: string }[];
  const waiting = states.find((s) => s.status === 'needs-consent');
  if (waiting) {
    const line = (await call('live.commandLine', { serverId: waiting.serverId })) as { hash: string };
    await call('live.grantConsent', { serverId: waiting.serverId, hash: line.hash });
  }
  await call('audit.sources.add', { name: 'toolhive-fixture', config: { kind: 'toolhive', path: AUDIT_FILE } });
  await call('audit.sync', {});
  const oracle = discoverJson(WORKSTATION);
  // A server with findings (the richest server page).
  serverId = (oracle.servers.find((s) => s.name === 'github-mirror') ?? oracle.servers[0])!.id;
});
test.afterAll(async () => {
  await gh?.stop();
});

/** Page, hash and what must be visible before axe runs (data loaded, not a spinner). */
const PAGES: { name: string; hash: () => string; ready: string }[] = [
  {
    name: 'overview',
    hash: () => '#/overview',
    ready: '[data-testid="overview-top"] li, [data-testid="overview-top"] p',
  },
  { name: 'inventory', hash: () => '#/inventory', ready: '[data-testid="inventory-row"]' },
  { name: 'server', hash: () => `#/servers/${encodeURIComponent(serverId)}`, ready: '[data-testid="server-detail"]' },
  { name: 'findings', hash: () => '#/findings', ready: '[data-testid="finding-row"]' },
  { name: 'changes', hash: () => '#/changes', ready: '[data-testid="page-changes"]' },
  { name: 'tenants', hash: () => '#/tenants', ready: '[data-testid="page-tenants"]' },
  { name: 'gateways', hash: () => '#/gateways', ready: '[data-testid="page-gateways"]' },
  { name: 'policy', hash: () => '#/policy', ready: '[data-testid="page-policy"]' },
  { name: 'fleet', hash: () => '#/fleet', ready: '[data-testid="page-fleet"]' },
  { name: 'settings', hash: () => '#/settings', ready: '[data-testid="page-settings"]' },
  { name: 'audit', hash: () => '#/audit', ready: '[data-testid="page-audit"]' },
];

/** One line per violation and node, so a failure says what to fix and where. */
function describe(violations: Awaited<ReturnType<AxeBuilder['analyze']>>['violations']): string {
  return violations
    .map(
      (v) =>
        `[${v.impact}] ${v.id}: ${v.help} (${v.nodes.length})\n` +
        v.nodes
          .slice(0, 8)
          .map((n) => `    ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join(' ').trim() ?? ''}`)
          .join('\n'),
    )
    .join('\n');
}

async function audit(page: Page, theme: 'dark' | 'light', p: (typeof PAGES)[number]) {
  await page.addInitScript((t) => window.localStorage.setItem('gatehouse.theme', t), theme);
  await page.goto(gh.url + p.hash());
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
  await expect(page.locator(p.ready).first()).toBeVisible();
  await expect(page.getByTestId('page-loading')).toHaveCount(0);
  // Queries in flight render "Loading…"; axe should see the settled page.
  await expect(page.locator('main [aria-busy="true"]')).toHaveCount(0);
  const result = await new AxeBuilder({ page }).include('body').analyze();
  const known = KNOWN[p.name] ?? [];
  const serious = result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => ({
      ...v,
      nodes: v.nodes.filter((n) => !known.some((k) => k.rule === v.id && n.target.join(' ') === k.target)),
    }))
    .filter((v) => v.nodes.length > 0);
  const count = serious.reduce((n, v) => n + v.nodes.length, 0);
  test.info().annotations.push({ type: 'axe', description: `${p.name} ${theme}: ${count} serious/critical nodes` });
  expect(serious, `axe on ${p.name} (${theme}):\n${describe(serious)}`).toEqual([]);
}

for (const theme of ['dark', 'light'] as const) {
  for (const p of PAGES) {
    test(`${p.name} (${theme}): no critical or serious axe violations`, async ({ page }) => {
      await audit(page, theme, p);
    });
  }
}
