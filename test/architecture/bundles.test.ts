import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { EVENT_NAMES, METHOD_NAMES } from '../../shared/api/contract.js';

/**
 * The built bundles, run for real without an Electron binary: dist/electron/main.cjs boots in
 * Node with a recording stand-in for the `electron` module (so the CJS bundle, its import.meta
 * shim, node:sqlite and the whole composition actually load), and dist/electron/preload.cjs runs
 * in a bare VM context whose only `require` is `electron` — as in a sandboxed renderer.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let tmp: string;

before(() => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-main.mjs')], { cwd: ROOT, stdio: 'pipe' });
  tmp = mkdtempSync(join(tmpdir(), 'gh-bundles-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const FAKE_ELECTRON = String.raw`
const Module = require('node:module');
const report = { log: [], channels: [], windows: [] };
const done = (extra) => {
  process.stdout.write(JSON.stringify({ ...report, ...extra }) + '\n');
  process.exit(0);
};
let protocolHandler;
const listeners = {};
const paths = { userData: '/nonexistent' };
const fake = {
  app: {
    setPath: (n, p) => { report.log.push('setPath ' + n); paths[n] = p; },
    getPath: (n) => paths[n],
    requestSingleInstanceLock: () => (report.log.push('lock'), true),
    quit: () => report.log.push('quit'),
    exit: (code) => { report.log.push('exit ' + code); done({ exit: code }); },
    whenReady: async () => { report.log.push('ready'); },
    getVersion: () => '0.0.0-test',
    on: (e, l) => { listeners[e] = l; },
  },
  BrowserWindow: class {
    constructor(options) {
      this.options = options;
      this.webContents = {
        mainFrame: { url: 'gatehouse://app/index.html' },
        setWindowOpenHandler: () => {}, on: () => {}, send: () => {}, isDestroyed: () => false,
      };
    }
    once() {} on() {} show() {} focus() {} restore() {} isMinimized() { return false; }
    async loadURL(url) {
      const res = await protocolHandler(new Request(url));
      const info = await fake.ipcMain.handlers.get('gatehouse:invoke:app.info')(
        { senderFrame: this.webContents.mainFrame }, {});
      setTimeout(() => done({ window: { webPreferences: this.options.webPreferences, url }, protocolStatus: res.status, info }), 0);
    }
  },
  ipcMain: {
    handlers: new Map(),
    handle(channel, l) { report.channels.push(channel); this.handlers.set(channel, l); },
    removeHandler() {},
  },
  protocol: {
    registerSchemesAsPrivileged: (s) => report.log.push('scheme ' + s[0].scheme),
    handle: (scheme, h) => { protocolHandler = h; },
  },
  session: { defaultSession: {
    setPermissionRequestHandler: () => report.log.push('permissions'),
    setPermissionCheckHandler: () => {},
    webRequest: { onHeadersReceived: () => report.log.push('csp') },
  } },
  shell: { openExternal: async () => {} },
  safeStorage: { isEncryptionAvailable: () => true, encryptString: (s) => Buffer.from(s), decryptString: (b) => b.toString() },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'electron' ? fake : load.call(this, request, ...rest);
};
`;

describe('built bundles', () => {
  test('dist/electron/main.cjs boots and wires window, protocol and IPC', () => {
    const shim = join(tmp, 'fake-electron.cjs');
    writeFileSync(shim, FAKE_ELECTRON);
    const userData = join(tmp, 'userData');
    const res = spawnSync(process.execPath, ['--require', shim, join(ROOT, 'dist', 'electron', 'main.cjs')], {
      cwd: tmp,
      env: { ...process.env, GATEHOUSE_USER_DATA: userData, HOME: tmp, NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(res.status, 0, res.stderr);
    const report = JSON.parse(res.stdout.trim().split('\n').pop()!) as {
      log: string[];
      channels: string[];
      window: { url: string; webPreferences: Record<string, unknown> };
      protocolStatus: number;
      info: { ok: boolean; output: { version: string; stateDir: string; mode: string } };
      exit?: number;
    };
    assert.equal(report.exit, undefined, 'no start-up failure');
    assert.deepEqual(report.log.slice(0, 5), ['setPath userData', 'lock', 'scheme gatehouse', 'ready', 'permissions']);
    assert.deepEqual(report.channels.sort(), METHOD_NAMES.map((m) => `gatehouse:invoke:${m}`).sort());
    assert.equal(report.window.url, 'gatehouse://app/index.html');
    assert.equal(report.window.webPreferences.preload, join(ROOT, 'dist', 'electron', 'preload.cjs'));
    assert.equal(report.window.webPreferences.sandbox, true);
    assert.equal(report.window.webPreferences.contextIsolation, true);
    assert.equal(report.window.webPreferences.nodeIntegration, false);
    assert.ok([200, 404].includes(report.protocolStatus), 'served from dist/renderer (200 once the UI is built)');
    assert.equal(report.info.ok, true);
    assert.deepEqual([report.info.output.mode, report.info.output.stateDir], ['desktop', userData]);
    assert.equal(report.info.output.version, '0.0.0-test');
  });

  test('dist/electron/preload.cjs needs nothing but electron and exposes only the bridge', async () => {
    const code = readFileSync(join(ROOT, 'dist', 'electron', 'preload.cjs'), 'utf8');
    const exposed: Record<string, unknown> = {};
    const invoked: unknown[][] = [];
    let eventListener: ((e: unknown, name: string, payload: unknown) => void) | undefined;
    const electronStub = {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => (invoked.push(args), { ok: true, output: null }),
        on: (channel: string, l: typeof eventListener) => channel === 'gatehouse:event' && (eventListener = l),
      },
    };
    const required: string[] = [];
    const sandbox = {
      require: (id: string) => {
        required.push(id);
        if (id === 'electron') return electronStub;
        throw new Error(`a sandboxed preload cannot require ${id}`);
      },
      module: { exports: {} },
      exports: {},
    };
    vm.runInNewContext(code, sandbox, { filename: 'preload.cjs' });
    assert.deepEqual(required, ['electron']);
    assert.deepEqual(Object.keys(exposed), ['gatehouse']);
    const bridge = exposed.gatehouse as {
      invoke(m: string, i: unknown): Promise<unknown>;
      subscribe(e: string, l: (p: unknown) => void): () => void;
    };
    assert.deepEqual(Object.keys(bridge).sort(), ['invoke', 'subscribe']);
    for (const m of METHOD_NAMES) await bridge.invoke(m, {});
    assert.deepEqual(
      invoked.map((a) => a[0]),
      METHOD_NAMES.map((m) => `gatehouse:invoke:${m}`),
    );
    await assert.rejects(bridge.invoke('not.a.method', {}));
    for (const e of EVENT_NAMES) bridge.subscribe(e, () => {})();
    assert.throws(() => bridge.subscribe('not.an.event', () => {}));
    const got: unknown[] = [];
    bridge.subscribe('store.changed', (p) => got.push(p));
    eventListener!({}, 'store.changed', { topics: ['x'] });
    assert.deepEqual(got, [{ topics: ['x'] }]);
  });
});
