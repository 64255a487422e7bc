import { pathToFileURL } from 'node:url';
import { refreshInventory } from '../services/discovery/refresh.js';
import { ConfigWatcher, type DirWatcherPort } from '../services/discovery/watch.js';
import { runFindingsScan } from '../services/findings/service.js';
import { nodeDirWatcher } from '../services/node-ports.js';
import { createAdminHandlers } from '../services/admin-service.js';
import type { ServiceContext } from '../services/context.js';
import { createNodeContext } from '../node/runtime.js';
import { openAdminLog } from '../services/audit/admin-log-anchor.js';
import { openFileIngest } from '../services/audit/ingest-port.js';
import { writeTurnsBuffer } from '../services/store/write-turns.js';
import { openAuditQueries } from '../services/audit/query-pool.js';
import { AuditStore } from '../services/audit/store.js';
import { forwardEvents, registerIpcHandlers, type IpcMainLike } from '../ipc/register.js';
import { applyUserDataOverride, bundlePaths, type AppPathsLike } from './paths.js';
import { registerAppScheme, serveApp, type ProtocolLike } from './protocol.js';
import { SafeStorageSecretStore, type SafeStorageLike } from './safe-storage-secret-store.js';
import {
  createTrustedSenderCheck,
  hardenSession,
  hardenWebContents,
  type SessionLike,
  type WebContentsLike,
} from './security.js';
import { acquireSingleInstance, type SingleInstanceAppLike } from './single-instance.js';
import { createMainWindow, type BrowserWindowCtor, type BrowserWindowLike } from './window.js';

/**
 * Desktop composition root: wires Electron to the services. Takes the Electron modules as a
 * structural parameter so the wiring (order, security settings, IPC) is unit-tested with fakes;
 * `main.ts` passes the real ones.
 */

export interface DesktopAppLike extends AppPathsLike, SingleInstanceAppLike {
  whenReady(): Promise<void>;
  getVersion(): string;
  on(event: 'second-instance', listener: () => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
  on(event: 'will-quit', listener: () => void): unknown;
  on(event: 'activate', listener: () => void): unknown;
  on(event: 'web-contents-created', listener: (event: unknown, contents: WebContentsLike) => void): unknown;
}

export interface ElectronLike<W extends BrowserWindowLike = BrowserWindowLike> {
  app: DesktopAppLike;
  BrowserWindow: BrowserWindowCtor<W>;
  ipcMain: IpcMainLike;
  protocol: ProtocolLike;
  session: { readonly defaultSession: SessionLike };
  shell: { openExternal(url: string): Promise<void>; showItemInFolder(fullPath: string): void };
  safeStorage: SafeStorageLike;
}

export interface DesktopOptions {
  /** Folder of the bundled main (dist/electron), where preload.cjs lives. */
  mainDir: string;
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  /** Run discovery once at start-up (default true), as `gatehouse serve` does. */
  discoverOnStart?: boolean;
  /** Watch the config files and refresh the inventory on change (default: as discoverOnStart). */
  watchConfigs?: boolean;
  /** Folder watches (default node:fs); tests inject their own. */
  dirWatcher?: DirWatcherPort;
}

export interface DesktopApp<W extends BrowserWindowLike> {
  ctx: ServiceContext;
  window: W;
}

/**
 * Starts the desktop app. Resolves to null when another instance already runs (this one quits).
 * Order matters: userData override → single-instance lock → privileged scheme → ready →
 * session hardening → protocol → services → IPC → window.
 */
export async function startDesktopApp<W extends BrowserWindowLike>(
  electron: ElectronLike<W>,
  opts: DesktopOptions,
): Promise<DesktopApp<W> | null> {
  const { app } = electron;
  const env = opts.env ?? process.env;
  const userData = applyUserDataOverride(app, env);
  let window: W | null = null;
  if (!acquireSingleInstance(app, () => window)) return null;
  registerAppScheme(electron.protocol);
  const openExternal = (url: string) => electron.shell.openExternal(url);
  // Every webContents ever created (including ones we did not create) gets the navigation guards.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, openExternal));

  await app.whenReady();
  hardenSession(electron.session.defaultSession);
  const paths = bundlePaths(opts.mainDir);
  serveApp(electron.protocol, paths.renderer);

  const secrets = new SafeStorageSecretStore(electron.safeStorage, { userData, platform: opts.platform });
  const ctx = createNodeContext({ stateDir: userData, mode: 'desktop', secrets });
  ctx.version = app.getVersion();
  // safeStorage is async-only: bind the admin-log key (and anchor) before any handler can append.
  await openAdminLog(ctx.db, ctx.secrets, ctx.clock).catch((err: unknown) => {
    process.stderr.write(
      `gatehouse: the admin-log key could not be loaded from the secret store (${err instanceof Error ? err.message : typeof err}); admin actions are logged unkeyed, or, once the log is keyed, refused until the key loads (tried again at each)\n`,
    );
  });
  // Audit queries and large imports on worker threads with their own connections, as `gatehouse
  // serve` runs them: a slow facets query or a 1M-event import never blocks the main process (IPC,
  // the window). Bundled, the workers are their own file (main.cjs requires electron, which a worker
  // thread cannot load); from the sources (tests), the pool's and the port's own modules are.
  const workerUrl = import.meta.url.endsWith('.ts') ? undefined : pathToFileURL(paths.auditWorker);
  const log = (line: string) => process.stderr.write(line + '\n');
  const auditStore = new AuditStore(ctx.db);
  const auditQueries = openAuditQueries(ctx.db, auditStore, { workerUrl, log });
  ctx.auditQueries = auditQueries;
  const writeTurns = writeTurnsBuffer();
  const auditIngest = openFileIngest(ctx.db, auditStore, { workerUrl, log, turns: writeTurns });
  Object.assign(ctx, { auditIngest, writeTurns });
  // The services decide which paths may be revealed (app.reveal); main only provides the action.
  ctx.shell = {
    showItemInFolder: (p) => electron.shell.showItemInFolder(p),
    openExternal: (u) => electron.shell.openExternal(u),
  };
  const disposeIpc = registerIpcHandlers(
    electron.ipcMain,
    createAdminHandlers(ctx),
    createTrustedSenderCheck(() => (window ? window.webContents.mainFrame : null)),
  );

  window = createMainWindow(electron.BrowserWindow, paths.preload, openExternal);
  const stopEvents = forwardEvents(ctx.events, window.webContents);
  window.on('closed', () => {
    stopEvents();
    window = null;
  });
  let watcher: ConfigWatcher | undefined;
  let quitting = false;
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    quitting = true;
    watcher?.stop();
    disposeIpc();
    // The workers hold their own read connections; stopping them does not wait for the main one.
    void auditQueries.close();
    // A running import stops at its open batch (rolled back; the next sync resumes after it).
    void auditIngest.close();
    ctx.db.close();
  });
  if (opts.watchConfigs ?? opts.discoverOnStart ?? true) {
    // Config edits show up in the inventory without a rescan (folder watches, no polling).
    watcher = new ConfigWatcher({
      workstation: ctx.workstation,
      fs: ctx.fs,
      watcher: opts.dirWatcher ?? nodeDirWatcher,
      onChange: () => refreshInventory(ctx),
      onError: (err) => process.stderr.write(`gatehouse: config watch: ${err.name}\n`),
    });
    void watcher.start().then(
      () => {
        if (quitting) watcher?.stop();
      },
      (err: unknown) =>
        process.stderr.write(`gatehouse: config watch failed: ${err instanceof Error ? err.name : typeof err}\n`),
    );
  }
  if (opts.discoverOnStart ?? true) {
    // Discovery and the static findings scan (~0.3 s for 2,000 servers) so both pages open with data.
    void runFindingsScan(ctx).catch((err: unknown) => {
      process.stderr.write(`gatehouse: start-up scan failed: ${err instanceof Error ? err.name : typeof err}\n`);
    });
  }
  return { ctx, window };
}
