import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';

/**
 * Desktop e2e: the real Electron binary running the bundled main + preload + renderer.
 * The binary comes from ELECTRON_OVERRIDE_DIST_PATH (a folder holding an Electron 45 build, or
 * the executable itself); electron's own postinstall download is not used. Without it the whole
 * file is skipped with that reason.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function electronBinary(): string | null {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!override || !existsSync(override)) return null;
  if (statSync(override).isFile()) return override;
  const name =
    process.platform === 'darwin'
      ? 'Electron.app/Contents/MacOS/Electron'
      : process.platform === 'win32'
        ? 'electron.exe'
        : 'electron';
  const candidate = join(override, name);
  return existsSync(candidate) ? candidate : null;
}

const binary = electronBinary();
test.skip(
  !binary,
  'No Electron binary: set ELECTRON_OVERRIDE_DIST_PATH to a folder with an Electron 45 build ' +
    '(the npm postinstall download of electron is not available here).',
);

let app: ElectronApplication;
let page: Page;
let userData: string;

test.beforeAll(async () => {
  // The renderer is built by the global setup; main and preload are bundled here.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-main.mjs')], { cwd: ROOT, stdio: 'inherit' });
  userData = mkdtempSync(join(tmpdir(), 'gh-electron-e2e-'));
  app = await electron.launch({
    executablePath: binary!,
    // Chromium refuses to start its sandbox as root (CI containers); everything else stays on.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ROOT],
    cwd: ROOT,
    env: { ...process.env, GATEHOUSE_USER_DATA: userData, ELECTRON_ENABLE_LOGGING: '1' },
  });
  page = await app.firstWindow();
  await page.waitForLoadState('domcontentloaded');
});

test.afterAll(async () => {
  await app?.close();
  if (userData) rmSync(userData, { recursive: true, force: true });
});

test('the window loads the app from its own origin', async () => {
  await expect(page).toHaveTitle(/Gatehouse/);
  expect(page.url()).toMatch(/^gatehouse:\/\/app\//);
  await expect(page.locator('#root > *').first()).toBeVisible();
  expect(app.windows()).toHaveLength(1);
});

test('window.gatehouse exposes only invoke and subscribe; no Node globals', async () => {
  const surface = await page.evaluate(() => {
    const w = window as unknown as Record<string, unknown>;
    return {
      keys: Object.keys((w.gatehouse ?? {}) as object).sort(),
      require: typeof w.require,
      process: typeof w.process,
      module: typeof w.module,
      Buffer: typeof w.Buffer,
      ipcRenderer: typeof w.ipcRenderer,
      electron: typeof w.electron,
    };
  });
  expect(surface).toEqual({
    keys: ['invoke', 'subscribe'],
    require: 'undefined',
    process: 'undefined',
    module: 'undefined',
    Buffer: 'undefined',
    ipcRenderer: 'undefined',
    electron: 'undefined',
  });
});

test('the bridge answers contract methods and refuses anything else', async () => {
  const info = await page.evaluate(() => window.gatehouse!.invoke('app.info', {}));
  expect(info).toMatchObject({
    ok: true,
    output: { name: 'gatehouse', mode: 'desktop', stateDir: userData, canReveal: true },
  });
  const unknown = await page.evaluate(() =>
    window.gatehouse!.invoke('shell.exec', {}).then(
      () => 'resolved',
      (e: Error) => e.message,
    ),
  );
  expect(unknown).toMatch(/Unknown Gatehouse method/);
  const bad = await page.evaluate(() => window.gatehouse!.invoke('app.info', { extra: 1 }));
  expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
});

test('the renderer is isolated from the bridge internals; new windows and navigation are denied', async () => {
  // webPreferences themselves are pinned by electron/main/*.test.ts; here, their effects.
  const isolated = await page.evaluate(() => {
    const bridge = window.gatehouse as unknown as Record<string, unknown>;
    try {
      bridge.invoke = () => 'hijacked';
    } catch {
      // frozen: assignment throws in strict code
    }
    return Object.isFrozen(bridge) && typeof bridge.invoke === 'function' && bridge.invoke !== undefined;
  });
  expect(isolated).toBe(true);
  const opened = await page.evaluate(() => window.open('https://example.com/') === null);
  expect(opened).toBe(true);
  await page.evaluate(() => {
    window.location.href = 'https://example.com/';
  });
  await page.waitForTimeout(300);
  expect(page.url()).toMatch(/^gatehouse:\/\/app\//);
  expect(app.windows()).toHaveLength(1);
});

test('the CSP blocks inline script', async () => {
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.head.appendChild(s);
    await new Promise((r) => setTimeout(r, 50));
    return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
  });
  expect(ran).toBe(false);
});

test('every permission is denied', async () => {
  const state = await page.evaluate(async () => (await navigator.permissions.query({ name: 'geolocation' })).state);
  expect(state).not.toBe('granted');
});
