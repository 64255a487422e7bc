import { APP_ENTRY_URL } from './origin.js';
import { hardenWebContents, WEB_PREFERENCES, type OpenExternal, type WebContentsLike } from './security.js';

/** The one main window: hardened webPreferences, the sandboxed preload, the app-protocol page. */

export interface MainWindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  backgroundColor: string;
  webPreferences: typeof WEB_PREFERENCES & { preload: string };
}

export interface FrameRef {
  readonly url: string;
}

export interface BrowserWindowLike {
  webContents: WebContentsLike & {
    readonly mainFrame: FrameRef;
    send(channel: string, ...args: unknown[]): void;
    isDestroyed(): boolean;
  };
  once(event: 'ready-to-show', listener: () => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  loadURL(url: string): Promise<void>;
}

export type BrowserWindowCtor<W extends BrowserWindowLike> = new (options: MainWindowOptions) => W;

export function mainWindowOptions(preloadPath: string): MainWindowOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'Gatehouse',
    backgroundColor: '#15171a',
    webPreferences: { ...WEB_PREFERENCES, preload: preloadPath },
  };
}

export function createMainWindow<W extends BrowserWindowLike>(
  BrowserWindow: BrowserWindowCtor<W>,
  preloadPath: string,
  openExternal: OpenExternal,
): W {
  const win = new BrowserWindow(mainWindowOptions(preloadPath));
  hardenWebContents(win.webContents, openExternal);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY_URL).catch((err: unknown) => {
    process.stderr.write(`gatehouse: could not load the UI: ${err instanceof Error ? err.message : String(err)}\n`);
  });
  return win;
}
