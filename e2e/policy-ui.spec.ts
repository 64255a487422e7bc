import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page, type Route } from '@playwright/test';
import type { PolicyPlan, PushResult, SimulationResult } from '../shared/model/policy.js';
import { expectAxeClean } from './support/a11y.js';
import { startServe, type ServeHandle } from './support/serve.js';

/**
 * Policy page states that a live gateway rarely produces on demand (a conflict with its three-way
 * view, a failed push with per-step status), and the layout at 1024×700 in both themes. The
 * policy.* and gateways.list answers are fixed here (page.route); e2e/policy.spec.ts runs the
 * whole flow against a real ContextForge.
 */

let gh: ServeHandle;
let home: string;
const SHOTS = process.env.GATEHOUSE_SHOTS_DIR;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'gh-e2e-policy-ui-'));
  gh = await startServe({ home });
});
test.afterAll(async () => {
  await gh?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const DOC = `apiVersion: gatehouse/v1
kind: Policy
gateway: contextforge-ci
teams:
  - name: Team Red
    visibility: private
    members:
      - email: alice@example.com
        role: member
  - name: Team Blue
    visiblity: private
servers:
  - name: blue-tools
    team: Team Blue
    visibility: public
    tools: [everything-echo, everything-get-sum]
rules: []
`;
const typoFrom = DOC.indexOf('visiblity');

const PLAN: PolicyPlan = {
  against: { kind: 'gateway', gatewayId: 'gw1', gatewayName: 'contextforge-ci', fetchedAt: '2026-12-02T10:00:00Z' },
  draftHash: 'sha256:abc',
  changes: [
    {
      seq: 0,
      op: 'update',
      kind: 'server',
      key: 'server:blue-tools',
      objectId: 's1',
      summary: 'Make server blue-tools public (was team)',
      before: { visibility: 'team' },
      after: { visibility: 'public' },
    },
    {
      seq: 1,
      op: 'create',
      kind: 'member',
      key: 'team:Team Red/member:dan@example.com',
      summary: 'Add dan@example.com to team Team Red as member',
      before: null,
      after: { role: 'member' },
    },
  ],
  delta: [
    {
      subject: 'team:Team Red',
      server: 'blue-tools',
      tool: 'everything-echo',
      change: 'gains',
      via: 'server blue-tools is public',
    },
    {
      subject: 'team:Team Red',
      server: 'blue-tools',
      tool: 'everything-get-sum',
      change: 'gains',
      via: 'server blue-tools is public',
    },
    {
      subject: 'user:carol@example.com',
      server: 'red-tools',
      tool: 'everything-get-env',
      change: 'loses',
      via: 'rule deny-env',
    },
  ],
  diagnostics: [],
};

const SIM: SimulationResult = {
  since: null,
  until: null,
  events: 608,
  tuples: 40,
  skipped: 3,
  newlyDenied: [
    {
      user: 'carol@example.com',
      team: 'Team Blue',
      server: 'red-tools',
      tool: 'everything-get-env',
      action: 'call_tool',
      count: 12,
      sampleEventIds: ['e1', 'e2'],
      reason: 'rule deny-env',
    },
  ],
  newlyAllowed: [
    {
      user: 'alice@example.com',
      team: 'Team Red',
      server: 'blue-tools',
      tool: 'everything-echo',
      action: 'call_tool',
      count: 30,
      sampleEventIds: ['e3'],
      reason: 'server blue-tools is public',
    },
  ],
  unchanged: 563,
  engine: 'cedar',
  durationMs: 41,
};

function result(status: PushResult['status']): PushResult {
  return {
    status,
    ok: false,
    message:
      status === 'conflict'
        ? 'The gateway changed since the pull: nothing was written. Pull again and re-apply your edits.'
        : 'Step 2 failed; step 1 was undone. The gateway is as before the push.',
    gatewayId: 'gw1',
    gatewayName: 'contextforge-ci',
    plan: PLAN,
    steps:
      status === 'conflict'
        ? []
        : [
            { seq: 0, summary: 'Make server blue-tools public (was team)', status: 'compensated' },
            {
              seq: 1,
              summary: 'Add dan@example.com to team Team Red as member',
              status: 'failed',
              error: 'HTTP 404: user not found',
            },
          ],
    conflicts:
      status === 'conflict'
        ? [
            {
              kind: 'server',
              key: 'server:blue-tools',
              objectId: 's1',
              base: { visibility: 'team', enabled: true },
              live: { visibility: 'private', enabled: true },
              draft: { visibility: 'public', enabled: true },
              message: 'blue-tools was changed on the gateway after the pull (visibility team → private).',
            },
          ]
        : [],
    verified: false,
    requests: 4,
    durationMs: 120,
  };
}

async function mockApi(page: Page, push: PushResult['status']) {
  const answers: Record<string, unknown> = {
    'gateways.list': [
      {
        id: 'gw1',
        kind: 'contextforge',
        name: 'contextforge-ci',
        baseUrl: 'http://127.0.0.1:4444',
        authType: 'bearer',
        hasCredential: true,
        secretStore: 'memory',
        timeoutMs: 15000,
        createdAt: '2026-12-01T00:00:00Z',
        updatedAt: '2026-12-01T00:00:00Z',
      },
    ],
    'policy.schema': {
      schema: {
        type: 'object',
        properties: {
          apiVersion: { const: 'gatehouse/v1' },
          kind: { const: 'Policy' },
          teams: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                visibility: { enum: ['private', 'public'], description: 'Who can see the team.' },
              },
              required: ['name'],
            },
          },
        },
        required: ['apiVersion', 'kind'],
      },
    },
    'policy.pull': { text: DOC, baseId: 'base-1', fetchedAt: '2026-12-02T10:00:00Z', diagnostics: [] },
    'policy.validate': {
      ok: false,
      diagnostics: [
        {
          severity: 'error',
          code: 'schema',
          message: 'Unknown field "visiblity"',
          path: ['teams', 1, 'visiblity'],
          line: 11,
          column: 5,
          from: typoFrom,
          to: typoFrom + 9,
          hint: 'Did you mean "visibility"?',
        },
        {
          severity: 'warning',
          code: 'guardrail.public-write-tool',
          message: 'Public server blue-tools exposes everything-get-sum, which is not read-only',
          path: ['servers', 0],
          line: 13,
          column: 5,
        },
      ],
    },
    'policy.plan': PLAN,
    'policy.simulate': SIM,
    'policy.versions': [
      {
        hash: 'sha256:1111aaaa2222',
        parent: 'sha256:3333bbbb',
        author: 'admin@example.com',
        message: 'Open blue-tools to everyone',
        createdAt: '2026-12-02T10:05:00Z',
        gatewayId: 'gw1',
        gatewayName: 'contextforge-ci',
        origin: 'push',
        changes: 2,
      },
      {
        hash: 'sha256:3333bbbb4444',
        parent: null,
        author: 'admin@example.com',
        message: '',
        createdAt: '2026-12-02T10:00:00Z',
        gatewayId: 'gw1',
        gatewayName: 'contextforge-ci',
        origin: 'pull',
        changes: 0,
      },
    ],
    'policy.diffVersions': PLAN,
    'policy.push': result(push),
    'policy.compile': {
      target: 'toolhive-cedar',
      files: [{ name: 'blue-tools.authz.json', text: '{\n  "version": "1.0",\n  "type": "cedarv1"\n}\n' }],
      diagnostics: [],
    },
  };
  await page.route('**/api/invoke/*', async (route: Route) => {
    const method = decodeURIComponent(new URL(route.request().url()).pathname.split('/').pop() ?? '');
    if (!(method in answers)) return route.continue();
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(answers[method]) });
  });
}

async function pullAndPlan(page: Page) {
  await page.goto(gh.url + '#/policy');
  await expect(page.getByTestId('page-policy')).toBeVisible();
  await page.getByTestId('policy-pull').click();
  await expect(page.locator('.cm-lintRange-error')).toHaveText('visiblity');
  await expect(page.getByTestId('policy-problem')).toHaveCount(2);
}

test('conflict: the push shows base, live and draft side by side', async ({ page }) => {
  await mockApi(page, 'conflict');
  await pullAndPlan(page);
  // The push button stays off while there are errors; the test server's answers keep one, so
  // open the dialog through a fixed validation instead.
  await page.unroute('**/api/invoke/*');
  await mockApi(page, 'conflict');
  await page.route('**/api/invoke/policy.validate', (r) =>
    r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true, diagnostics: [] }) }),
  );
  await page.getByTestId('policy-validate').click();
  await expect(page.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');
  await page.getByTestId('policy-push').click();
  const dialog = page.getByTestId('policy-push-dialog');
  await expect(dialog.getByTestId('policy-push-count')).toHaveText('2');
  await dialog.getByTestId('policy-push-confirm').click();
  await expect(dialog.getByTestId('policy-push-result')).toHaveAttribute('data-status', 'conflict');
  const conflict = dialog.locator('[data-testid="policy-conflict"][data-key="server:blue-tools"]');
  await expect(conflict.locator('tr[data-field="visibility"]')).toContainText('"private"');
  await expect(conflict.locator('tr[data-field="visibility"]')).toHaveAttribute('data-live-changed', 'true');
  await expect(conflict.locator('tr[data-field="enabled"]')).toHaveAttribute('data-draft-changed', 'false');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'policy-conflict.png') });
});

test('failure: each step with its status', async ({ page }) => {
  await mockApi(page, 'rolled-back');
  await pullAndPlan(page);
  await page.route('**/api/invoke/policy.validate', (r) =>
    r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true, diagnostics: [] }) }),
  );
  await page.getByTestId('policy-validate').click();
  await expect(page.getByTestId('policy-status')).toHaveAttribute('data-errors', '0');
  await page.getByTestId('policy-push').click();
  await page.getByTestId('policy-push-confirm').click();
  const steps = page.getByTestId('policy-push-step');
  await expect(steps).toHaveCount(2);
  await expect(steps.nth(0)).toHaveAttribute('data-status', 'compensated');
  await expect(steps.nth(1)).toHaveAttribute('data-status', 'failed');
  await expect(steps.nth(1)).toContainText('user not found');
});

for (const theme of ['dark', 'light'] as const) {
  test(`layout at 1024×700, ${theme}`, async ({ page }) => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.addInitScript((t) => window.localStorage.setItem('gatehouse.theme', t), theme);
    await mockApi(page, 'applied');
    if (SHOTS) {
      await page.goto(gh.url + '#/policy');
      await expect(page.getByTestId('policy-editor-content')).toBeVisible();
      await page.screenshot({ path: join(SHOTS, `policy-empty-${theme}.png`) });
    }
    await pullAndPlan(page);
    // The toolbar is one row at 1024 px: Push… beside Save version…, every action on it (none hidden).
    const row = async (id: string) => {
      const b = await page.getByTestId(id).boundingBox();
      expect(b, `${id} is laid out`).not.toBeNull();
      return b!.y + b!.height / 2;
    };
    const pushRow = await row('policy-push');
    expect(Math.abs((await row('policy-save-version')) - pushRow)).toBeLessThan(4);
    for (const id of ['policy-gateway', 'policy-pull', 'policy-validate', 'policy-plan-run', 'policy-simulate'])
      expect(Math.abs((await row(id)) - pushRow), `${id} on the same row as Push…`).toBeLessThan(4);
    await expect(page.getByRole('toolbar', { name: 'Policy actions' })).toBeVisible();
    // The file actions are in a menu button, operable from the keyboard.
    const fileMenu = page.getByTestId('policy-file-menu');
    await fileMenu.focus();
    await page.keyboard.press('Enter');
    await expect(fileMenu).toHaveAttribute('aria-expanded', 'true');
    await expect(page.getByRole('menuitem', { name: 'Open file…' })).toBeFocused();
    await page.screenshot({ path: join('test-results', 'shots', `policy-toolbar-1024-${theme}.png`) });
    await expectAxeClean(page, '[data-testid="page-policy"]');
    await page.keyboard.press('ArrowDown');
    await expect(page.getByTestId('policy-save')).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(fileMenu).toHaveAttribute('aria-expanded', 'false');
    await expect(fileMenu).toBeFocused();
    await expect(page.getByRole('menu')).toHaveCount(0);
    await page.keyboard.press('ArrowDown');
    await expect(page.getByTestId('policy-open')).toBeFocused();
    await page.keyboard.press('End');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toBe('policy-contextforge-ci.yaml');
    await expect(fileMenu).toBeFocused();
    // A problem jumps to its line.
    await page.getByTestId('policy-problem').first().focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('.cm-activeLine')).toContainText('visiblity');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `policy-problems-${theme}.png`) });
    await page.getByTestId('policy-plan-run').click();
    await expect(page.getByTestId('policy-change')).toHaveCount(2);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `policy-plan-${theme}.png`) });
    await page.getByTestId('policy-tab-delta').click();
    await expect(page.locator('[data-testid="policy-delta-row"][data-change="gains"]')).toHaveCount(2);
    await expect(page).toHaveURL(/#\/policy\/gw1\/delta$/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `policy-delta-${theme}.png`) });
    await page.getByTestId('policy-simulate').click();
    await expect(page.getByTestId('policy-sim-denied')).toHaveAttribute('data-count', '12');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `policy-sim-${theme}.png`) });
    await page.getByTestId('policy-tab-versions').click();
    await expect(page.getByTestId('policy-version')).toHaveCount(2);
    for (const box of await page.getByTestId('policy-version-compare').all()) await box.check();
    await page.getByTestId('policy-versions-compare').click();
    await expect(page.getByTestId('policy-versions-diff')).toBeVisible();
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `policy-versions-${theme}.png`) });
    // Completion from the schema: a new key under a team.
    await page.getByTestId('policy-tab-compile').click();
    await page.getByTestId('policy-compile-target').selectOption('toolhive-cedar');
    await expect(page.getByTestId('policy-compile-file')).toHaveAttribute('data-name', 'blue-tools.authz.json');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `policy-compile-${theme}.png`) });
  });
}

test('schema completion offers keys and values', async ({ page }) => {
  await mockApi(page, 'applied');
  await pullAndPlan(page);
  const content = page.getByTestId('policy-editor-content');
  await content.click();
  // End of "  - name: Team Blue" line → a new key in the same team.
  await page.locator('.cm-line', { hasText: '- name: Team Blue' }).click();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('vis');
  const options = page.locator('.cm-tooltip-autocomplete li');
  await expect(options.first()).toContainText('visibility');
  // CodeMirror ignores an accept key in the first moments after the list opens.
  await page.waitForTimeout(200);
  await page.keyboard.press('Enter');
  await expect(page.locator('.cm-line', { hasText: 'visibility: ' }).first()).toBeVisible();
  await page.keyboard.press('Control+Space');
  await expect(options).toHaveText(['private', 'public']);
  await page.keyboard.press('Escape');
  // Hover on a key: its type, values and description from the schema.
  await page.locator('.cm-line', { hasText: 'visibility: private' }).first().getByText('visibility').hover();
  await expect(page.locator('.pol-hover')).toContainText('Who can see the team.');
  await expect(page.locator('.pol-hover')).toContainText('"private" | "public"');
});
