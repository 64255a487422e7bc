import assert from 'node:assert/strict';
import { ADMIN_LOG_KEY_NAME } from '../services/audit/admin-log-anchor.js';
import { adminLogBinding } from '../services/audit/admin-log.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeIpcMain } from '../ipc/fake-ipc.js';
import { AuditQueryPool } from '../services/audit/query-pool.js';
import { startDesktopApp, type ElectronLike } from './app.js';
import type { PreventableEvent, SessionLike, WebContentsLike } from './security.js';
import type { MainWindowOptions } from './window.js';

/** A fake Electron that records the order of everything the composition root does. */
function fakeElectron(opts: { lock: boolean }) {
  const log: string[] = [];
  const paths = new Map<string, string>([['userData', '/nonexistent/default']]);
  const appListeners = new Map<string, (...args: unknown[]) => void>();
  const windows: FakeWindow[] = [];
  const revealed: string[] = [];
  let protocolHandler: ((r: Request) => Promise<Response> | Response) | undefined;
  const sessionState: { permission?: (wc: unknown, p: string, cb: (g: boolean) => void) => void } = {};

  class FakeContents implements WebContentsLike {
    readonly mainFrame = { url: 'gatehouse://app/index.html' };
    readonly sent: unknown[][] = [];
    windowOpen?: (d: { url: string }) => { action: 'deny' } | { action: 'allow' };
    readonly on_ = new Map<string, (e: PreventableEvent, url: string) => void>();
    setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' } | { action: 'allow' }) {
      this.windowOpen = h;
    }
    on(e: string, l: (e: PreventableEvent, url: string) => void) {
      this.on_.set(e, l);
      return this;
    }
    send(...args: unknown[]) {
      this.sent.push(args);
    }
    isDestroyed() {
      return false;
    }
  }
  class FakeWindow {
    readonly webContents = new FakeContents();
    readonly loaded: string[] = [];
    closed?: () => void;
    constructor(readonly options: MainWindowOptions) {
      log.push('new BrowserWindow');
      windows.push(this);
    }
    once() {}
    on(_e: 'closed', l: () => void) {
      this.closed = l;
    }
    show() {}
    focus() {}
    restore() {}
    isMinimized() {
      return false;
    }
    async loadURL(url: string) {
      this.loaded.push(url);
    }
  }
  const session: SessionLike = {
    setPermissionRequestHandler: (h) => {
      log.push('setPermissionRequestHandler');
      sessionState.permission = h ?? undefined;
    },
    setPermissionCheckHandler: () => void log.push('setPermissionCheckHandler'),
    webRequest: { onHeadersReceived: () => void log.push('onHeadersReceived') },
  };
  const ipcMain = new FakeIpcMain();
  const electron: ElectronLike<FakeWindow> = {
    app: {
      setPath: (n, p) => {
        log.push(`setPath ${n}`);
        paths.set(n, p);
      },
      getPath: (n) => paths.get(n)!,
      requestSingleInstanceLock: () => (log.push('requestSingleInstanceLock'), opts.lock),
      quit: () => void log.push('quit'),
      whenReady: async () => void log.push('whenReady'),
      getVersion: () => '7.7.7',
      on: ((e: string, l: (...args: unknown[]) => void) => {
        appListeners.set(e, l);
        return undefined;
      }) as ElectronLike['app']['on'],
    },
    BrowserWindow: FakeWindow,
    ipcMain,
    protocol: {
      registerSchemesAsPrivileged: () => void log.push('registerSchemesAsPrivileged'),
      handle: (_s, h) => {
        log.push('protocol.handle');
        protocolHandler = h;
      },
    },
    session: { defaultSession: session },
    shell: { openExternal: async () => {}, showItemInFolder: (p) => void revealed.push(p) },
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (s) => Buffer.from(s),
      decryptString: (b) => b.toString(),
      getSelectedStorageBackend: () => 'gnome_libsecret',
    },
  };
  return {
    electron,
    log,
    paths,
    appListeners,
    windows,
    ipcMain,
    sessionState,
    revealed,
    protocol: () => protocolHandler,
  };
}

/** Polls until `ok` holds (start-up work the app does not await), with a deadline. */
async function waitFor(ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let userData: string;
before(async () => {
  userData = await mkdtemp(join(tmpdir(), 'gh-desktop-'));
});
after(async () => {
  await rm(userData, { recursive: true, force: true });
});

describe('startDesktopApp', () => {
  test('wires a hardened window to the services in the right order', async () => {
    const f = fakeElectron({ lock: true });
    // Config folder watches (recorded, not real): opened at start, all closed on quit.
    const watches = new Set<string>();
    const started = await startDesktopApp(f.electron, {
      mainDir: '/opt/gatehouse/dist/electron',
      env: { GATEHOUSE_USER_DATA: userData },
      discoverOnStart: false,
      watchConfigs: true,
      dirWatcher: {
        watch: (dir) => {
          watches.add(dir);
          return { close: () => void watches.delete(dir) };
        },
      },
    });
    assert.ok(started);
    try {
      await waitFor(() => watches.size > 0);
      const order = (s: string) => f.log.indexOf(s);
      assert.ok(order('setPath userData') < order('requestSingleInstanceLock'), 'userData before the lock');
      assert.ok(order('registerSchemesAsPrivileged') < order('whenReady'), 'scheme before ready');
      assert.ok(order('whenReady') < order('setPermissionRequestHandler'));
      assert.ok(order('protocol.handle') < order('new BrowserWindow'));
      assert.equal(f.paths.get('userData'), userData);
      assert.equal(started.ctx.stateDir, userData);
      assert.equal(started.ctx.mode, 'desktop');
      assert.equal(started.ctx.version, '7.7.7');
      assert.equal(started.ctx.secrets.kind, 'electron-safe-storage');
      // The admin-log key is bound (from the async safeStorage store) before any handler can append.
      assert.ok(adminLogBinding(started.ctx.db), 'admin-log key bound at start-up');
      assert.match((await started.ctx.secrets.get(ADMIN_LOG_KEY_NAME)) ?? '', /^[0-9a-f]{64}$/);

      const win = f.windows[0]!;
      assert.equal(f.windows.length, 1);
      assert.equal(win.options.webPreferences.preload, '/opt/gatehouse/dist/electron/preload.cjs');
      assert.equal(win.options.webPreferences.sandbox, true);
      assert.equal(win.options.webPreferences.contextIsolation, true);
      assert.equal(win.options.webPreferences.nodeIntegration, false);
      assert.deepEqual(win.loaded, ['gatehouse://app/index.html']);
      assert.ok(f.appListeners.has('web-contents-created'), 'every webContents gets hardened');
      assert.ok(f.appListeners.has('second-instance'));

      let granted: boolean | undefined;
      f.sessionState.permission!({}, 'media', (g) => (granted = g));
      assert.equal(granted, false);

      // IPC answers the main window's frame only, with real services behind it.
      const info = (await f.ipcMain.invokeFrom(win.webContents.mainFrame, 'gatehouse:invoke:app.info', {})) as {
        ok: boolean;
        output: { mode: string; stateDir: string };
      };
      assert.equal(info.ok, true);
      assert.deepEqual([info.output.mode, info.output.stateDir], ['desktop', userData]);
      const refused = (await f.ipcMain.invokeFrom(
        { url: 'gatehouse://app/index.html' },
        'gatehouse:invoke:app.info',
        {},
      )) as {
        ok: boolean;
      };
      assert.equal(refused.ok, false);

      // Reveal in folder: main provides the shell, the services accept only discovered config sources.
      const infoOut = info.output as { canReveal?: boolean };
      assert.equal(infoOut.canReveal, true);
      const source = join(userData, 'home', '.cursor', 'mcp.json');
      started.ctx.db
        .prepare(
          'INSERT INTO discovery_runs (started_at, duration_ms, options_json, source_count, server_count, result_json) VALUES (?, 1, ?, 1, 0, ?)',
        )
        .run(
          new Date().toISOString(),
          '{}',
          JSON.stringify({ sources: [{ client: 'cursor', path: source, scope: 'user', status: 'ok' }], servers: [] }),
        );
      const reveal = (path: string) =>
        f.ipcMain.invokeFrom(win.webContents.mainFrame, 'gatehouse:invoke:app.reveal', { path }) as Promise<{
          ok: boolean;
          error?: { code: string };
        }>;
      assert.equal((await reveal(source)).ok, true);
      const other = await reveal('/etc/passwd');
      assert.equal(other.ok, false);
      assert.equal(other.error?.code, 'forbidden');
      assert.deepEqual(f.revealed, [source]);

      // Audit queries run on the worker pool (as in serve), not on the main process's thread.
      const pool = started.ctx.auditQueries;
      assert.ok(pool instanceof AuditQueryPool, 'the desktop opts in to the audit query pool');
      await pool.whenReady();
      assert.ok(pool.threadIds.length >= 1);
      const before = pool.answeredByWorkers;
      const facets = (await f.ipcMain.invokeFrom(win.webContents.mainFrame, 'gatehouse:invoke:audit.facets', {})) as {
        ok: boolean;
      };
      assert.equal(facets.ok, true);
      assert.equal(pool.answeredByWorkers, before + 1, 'answered by a worker thread');

      // Service events reach the window.
      started.ctx.events.emit('store.changed', { topics: ['t'] });
      assert.deepEqual(win.webContents.sent, [['gatehouse:event', 'store.changed', { topics: ['t'] }]]);

      // The app protocol serves only from dist/renderer next to the bundle (nothing exists here).
      const res = await f.protocol()!(new Request('gatehouse://app/index.html'));
      assert.equal(res.status, 404);
    } finally {
      f.appListeners.get('will-quit')?.();
    }
    assert.equal(f.ipcMain.listeners.size, 0, 'IPC handlers removed on quit');
    assert.equal(watches.size, 0, 'config watches released on quit');
    await assert.rejects(started.ctx.auditQueries!.run('count', {}), /closed/, 'audit workers stopped on quit');
  });

  test('a second instance quits before doing anything else', async () => {
    const f = fakeElectron({ lock: false });
    const started = await startDesktopApp(f.electron, { mainDir: '/x', env: { GATEHOUSE_USER_DATA: userData } });
    assert.equal(started, null);
    assert.deepEqual(f.log, ['setPath userData', 'requestSingleInstanceLock', 'quit']);
  });
});
