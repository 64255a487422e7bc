import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { acquireSingleInstance } from './single-instance.js';
import { applyUserDataOverride, bundlePaths } from './paths.js';
import {
  APP_CSP,
  createTrustedSenderCheck,
  hardenSession,
  hardenWebContents,
  isAllowedExternalUrl,
  type PreventableEvent,
  type SessionLike,
  type WebContentsLike,
} from './security.js';
import { createMainWindow, type MainWindowOptions } from './window.js';

/** Records what the hardening code does to a webContents. */
class FakeWebContents implements WebContentsLike {
  openHandler: ((d: { url: string }) => { action: 'deny' } | { action: 'allow' }) | null = null;
  readonly listeners = new Map<string, (event: PreventableEvent, url: string) => void>();
  readonly mainFrame = { url: 'gatehouse://app/index.html' };
  readonly sent: unknown[][] = [];
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' } | { action: 'allow' }): void {
    this.openHandler = h;
  }
  on(event: string, listener: (event: PreventableEvent, url: string) => void): this {
    this.listeners.set(event, listener);
    return this;
  }
  fire(event: string, url = ''): boolean {
    let prevented = false;
    this.listeners.get(event)!({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
  send(...args: unknown[]) {
    this.sent.push(args);
  }
  isDestroyed() {
    return false;
  }
}

function hardened() {
  const wc = new FakeWebContents();
  const opened: string[] = [];
  const logs: string[] = [];
  hardenWebContents(
    wc,
    (u) => void opened.push(u),
    (l) => logs.push(l),
  );
  return { wc, opened, logs };
}

describe('webContents hardening', () => {
  test('window.open is always denied; allow-listed https links go to the system browser', () => {
    const { wc, opened } = hardened();
    assert.deepEqual(wc.openHandler!({ url: 'https://github.com/modelcontextprotocol' }), { action: 'deny' });
    assert.deepEqual(wc.openHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
    assert.deepEqual(wc.openHandler!({ url: 'file:///etc/passwd' }), { action: 'deny' });
    assert.deepEqual(opened, ['https://github.com/modelcontextprotocol']);
  });

  test('in-app navigation is prevented; redirects away from the app too; webviews never attach', () => {
    const { wc, opened } = hardened();
    assert.ok(wc.fire('will-navigate', 'gatehouse://app/other.html'));
    assert.ok(wc.fire('will-navigate', 'https://modelcontextprotocol.io/docs'));
    assert.ok(wc.fire('will-navigate', 'https://evil.example/'));
    assert.deepEqual(opened, ['https://modelcontextprotocol.io/docs']);
    assert.ok(wc.fire('will-redirect', 'https://evil.example/'));
    assert.ok(!wc.fire('will-redirect', 'gatehouse://app/index.html'));
    assert.ok(wc.fire('will-attach-webview'));
  });

  test('the external allow-list is exact', () => {
    assert.ok(isAllowedExternalUrl('https://github.com/x'));
    assert.equal(isAllowedExternalUrl('http://modelcontextprotocol.io/'), false, 'plain http is never opened');
    for (const url of [
      'https://github.com.evil.example/',
      'https://evilgithub.com/',
      'https://user:pw@github.com/',
      'https://github.com:8443/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'gatehouse://app/index.html',
      'not a url',
    ]) {
      assert.ok(!isAllowedExternalUrl(url), url);
    }
  });
});

describe('session hardening', () => {
  function fakeSession() {
    const s = {
      request: null as null | ((wc: unknown, p: string, cb: (g: boolean) => void) => void),
      check: null as null | ((wc: unknown, p: string) => boolean),
      headers: null as null | Parameters<SessionLike['webRequest']['onHeadersReceived']>[0],
    };
    const session: SessionLike = {
      setPermissionRequestHandler: (h) => void (s.request = h),
      setPermissionCheckHandler: (h) => void (s.check = h),
      webRequest: { onHeadersReceived: (l) => void (s.headers = l) },
    };
    hardenSession(session);
    return s;
  }

  test('every permission request and check is denied', () => {
    const s = fakeSession();
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'hid', 'unknown']) {
      let granted: boolean | undefined;
      s.request!({}, p, (g) => (granted = g));
      assert.equal(granted, false, p);
      assert.equal(s.check!({}, p), false, p);
    }
  });

  test('the CSP replaces whatever a response carried', () => {
    const s = fakeSession();
    let out: Record<string, string[]> | undefined;
    s.headers!(
      {
        url: 'gatehouse://app/index.html',
        responseHeaders: { 'content-security-policy': ['script-src *'], 'X-A': ['1'] },
      },
      (r) => (out = r.responseHeaders),
    );
    assert.deepEqual(out!['Content-Security-Policy'], [APP_CSP]);
    assert.equal(out!['content-security-policy'], undefined);
    assert.deepEqual(out!['X-A'], ['1']);
    assert.match(APP_CSP, /default-src 'none'/);
    assert.match(APP_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(APP_CSP, /unsafe-inline|unsafe-eval|https?:|\*/);
  });
});

describe('trusted sender', () => {
  test('only the main window top frame on the app origin', () => {
    const main = { url: 'gatehouse://app/index.html' };
    let current: { url: string } | null = main;
    const check = createTrustedSenderCheck(() => current);
    assert.ok(check(main));
    assert.ok(!check(null));
    assert.ok(!check({ url: 'gatehouse://app/index.html' }), 'a subframe or another window');
    main.url = 'https://evil.example/';
    assert.ok(!check(main), 'the main frame after navigating away');
    main.url = 'file:///tmp/x.html';
    assert.ok(!check(main));
    main.url = 'gatehouse://app/index.html';
    current = null;
    assert.ok(!check(main), 'no window');
  });
});

describe('main window', () => {
  test('webPreferences are locked down, the sandboxed preload is set and the app URL loads', async () => {
    const created: { opts: MainWindowOptions; win: FakeWindow }[] = [];
    class FakeWindow {
      readonly webContents = new FakeWebContents();
      readonly loaded: string[] = [];
      readonly onceL = new Map<string, () => void>();
      shown = false;
      constructor(opts: MainWindowOptions) {
        created.push({ opts, win: this });
      }
      once(e: 'ready-to-show', l: () => void) {
        this.onceL.set(e, l);
      }
      on() {}
      show() {
        this.shown = true;
      }
      focus() {}
      restore() {}
      isMinimized() {
        return false;
      }
      async loadURL(url: string) {
        this.loaded.push(url);
      }
    }
    const win = createMainWindow(FakeWindow, '/app/dist/electron/preload.cjs', () => {});
    const { opts } = created[0]!;
    assert.deepEqual(
      {
        contextIsolation: opts.webPreferences.contextIsolation,
        sandbox: opts.webPreferences.sandbox,
        nodeIntegration: opts.webPreferences.nodeIntegration,
        webSecurity: opts.webPreferences.webSecurity,
        webviewTag: opts.webPreferences.webviewTag,
        allowRunningInsecureContent: opts.webPreferences.allowRunningInsecureContent,
        preload: opts.webPreferences.preload,
      },
      {
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        webviewTag: false,
        allowRunningInsecureContent: false,
        preload: '/app/dist/electron/preload.cjs',
      },
    );
    assert.equal(opts.show, false);
    assert.deepEqual(win.loaded, ['gatehouse://app/index.html']);
    assert.ok(win.webContents.openHandler, 'window.open handler installed');
    assert.ok(win.webContents.listeners.has('will-navigate'));
    win.onceL.get('ready-to-show')!();
    assert.ok(win.shown);
  });
});

describe('app paths and single instance', () => {
  test('GATEHOUSE_USER_DATA overrides userData', () => {
    const paths = new Map([['userData', '/home/u/.config/Gatehouse']]);
    const app = {
      setPath: (n: 'userData', p: string) => void paths.set(n, p),
      getPath: (n: 'userData') => paths.get(n)!,
    };
    assert.equal(applyUserDataOverride(app, {}), '/home/u/.config/Gatehouse');
    assert.equal(applyUserDataOverride(app, { GATEHOUSE_USER_DATA: '/tmp/gh-test' }), '/tmp/gh-test');
    assert.deepEqual(bundlePaths('/r/dist/electron'), {
      preload: '/r/dist/electron/preload.cjs',
      auditWorker: '/r/dist/electron/audit-worker.cjs',
      renderer: '/r/dist/renderer',
    });
  });

  test('a second instance quits; the first focuses its window on second-instance', () => {
    const events = new Map<string, () => void>();
    let quit = 0;
    const second = { requestSingleInstanceLock: () => false, quit: () => void quit++, on: () => {} };
    assert.equal(
      acquireSingleInstance(second, () => null),
      false,
    );
    assert.equal(quit, 1);
    const first = {
      requestSingleInstanceLock: () => true,
      quit: () => void quit++,
      on: (e: string, l: () => void) => void events.set(e, l),
    };
    let focused = 0;
    let restored = 0;
    assert.equal(
      acquireSingleInstance(first, () => ({
        isMinimized: () => true,
        restore: () => void restored++,
        focus: () => void focused++,
      })),
      true,
    );
    events.get('second-instance')!();
    assert.deepEqual([quit, restored, focused], [1, 1, 1]);
  });
});
