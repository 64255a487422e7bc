import { CONTENT_SECURITY_POLICY } from '../web-security.js';
import { APP_ORIGIN } from './origin.js';

/**
 * Every security setting of the desktop app, in one place to review.
 *
 * - Renderer: context isolation, sandbox, no Node integration, web security on, no webviews.
 * - Content: a strict CSP (no inline script, no remote origins) on every app response, both from
 *   the app protocol handler and from the session's `onHeadersReceived`.
 * - Navigation: `window.open` denied; in-app navigation and redirects away from the app denied;
 *   http(s) links to allow-listed hosts open in the system browser, everything else is dropped.
 * - Permissions: every request and check denied (camera, notifications, clipboard, HID, …).
 * - IPC: only the main window's top frame, showing the app's own origin, may call.
 */

/** The app's CSP: the one policy browser mode serves too (`electron/web-security.ts`). */
export const APP_CSP = CONTENT_SECURITY_POLICY;

/** Hosts whose http(s) links may be opened in the system browser. */
export const EXTERNAL_HOST_ALLOW_LIST: readonly string[] = [
  'modelcontextprotocol.io',
  'github.com',
  'docs.github.com',
  'code.visualstudio.com',
  'docs.anthropic.com',
];

export const WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  spellcheck: false,
});

/** True for http(s) URLs whose host is on the allow-list (exact host, no credentials, default port). */
export function isAllowedExternalUrl(raw: string, allowList: readonly string[] = EXTERNAL_HOST_ALLOW_LIST): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:') return false;
  if (url.username || url.password || url.port) return false;
  return allowList.includes(url.hostname.toLowerCase());
}

/** True for URLs on the app's own origin (`gatehouse://app/…`). */
export function isAppUrl(raw: string): boolean {
  try {
    // Compared by parts: outside Chromium a custom scheme's URL.origin is "null".
    const url = new URL(raw);
    return `${url.protocol}//${url.host}` === APP_ORIGIN && !url.username && !url.password;
  } catch {
    return false;
  }
}

// ---- structural views of the Electron objects this module hardens (real ones satisfy them) ----

export interface PreventableEvent {
  preventDefault(): void;
}

export interface WebContentsLike {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  on(event: 'will-navigate' | 'will-redirect', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
}

export interface SessionLike {
  setPermissionRequestHandler(
    handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
  webRequest: {
    onHeadersReceived(
      listener: (
        details: { url: string; responseHeaders?: Record<string, string[]> },
        callback: (response: { responseHeaders?: Record<string, string[]>; cancel?: boolean }) => void,
      ) => void,
    ): void;
  };
}

export type OpenExternal = (url: string) => Promise<void> | void;

/** Opens an allow-listed link in the system browser; returns whether it did. */
export function openIfAllowed(url: string, openExternal: OpenExternal, log: (line: string) => void): boolean {
  if (!isAllowedExternalUrl(url)) {
    log(`gatehouse: blocked link to a host outside the allow-list`);
    return false;
  }
  void Promise.resolve(openExternal(url)).catch(() => log('gatehouse: could not open the system browser'));
  return true;
}

/** Denies new windows, navigation, redirects away from the app, and webviews on one webContents. */
export function hardenWebContents(
  contents: WebContentsLike,
  openExternal: OpenExternal,
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): void {
  contents.setWindowOpenHandler(({ url }) => {
    openIfAllowed(url, openExternal, log);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    if (!isAppUrl(url)) openIfAllowed(url, openExternal, log);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Denies every permission request and check; adds the CSP to every response the session sees. */
export function hardenSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-security-policy') delete headers[k];
    headers['Content-Security-Policy'] = [APP_CSP];
    headers['X-Content-Type-Options'] = ['nosniff'];
    callback({ responseHeaders: headers });
  });
}

export interface FrameLike {
  readonly url: string;
}

/**
 * The IPC trusted-sender check: the frame must be the main window's top frame (not a subframe,
 * not another window) and must be showing the app's own origin.
 */
export function createTrustedSenderCheck(getMainFrame: () => FrameLike | null): (frame: FrameLike | null) => boolean {
  return (frame) => {
    if (!frame) return false;
    const main = getMainFrame();
    if (!main || frame !== main) return false;
    return isAppUrl(frame.url);
  };
}
