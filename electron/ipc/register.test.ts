import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EVENT_NAMES, METHOD_NAMES } from '../../shared/api/contract.js';
import { AdminError } from '../../shared/api/errors.js';
import { createIpcClient } from '../../renderer/src/client/ipc-client.js';
import { createBridge } from '../preload/bridge.js';
import { EventBus } from '../services/events.js';
import type { AdminHandlers } from '../services/handlers.js';
import { FakeIpcMain, FakeIpcRenderer, FakeWebContents } from './fake-ipc.js';
import { forwardEvents, registerIpcHandlers } from './register.js';

const appFrame = { url: 'gatehouse://app/index.html' };
const info = {
  name: 'gatehouse' as const,
  version: '9.9.9',
  mode: 'desktop' as const,
  platform: 'linux',
  nodeVersion: '24.0.0',
  stateDir: '/s',
  canReveal: false,
};
let calls = 0;
const handlers = new Proxy(
  {
    'app.info': async () => {
      calls++;
      return info;
    },
    'discovery.run': async () => {
      throw new AdminError('conflict', 'busy');
    },
    'discovery.latest': async () => ({ wrong: 1 }),
  },
  {
    get(target, name: string) {
      if (name in target) return target[name as keyof typeof target];
      return async () => {
        throw new TypeError('unexpected');
      };
    },
  },
) as unknown as AdminHandlers;

function setup() {
  const main = new FakeIpcMain();
  const logs: string[] = [];
  const dispose = registerIpcHandlers(
    main,
    handlers,
    (frame) => frame === appFrame,
    (l) => logs.push(l),
  );
  return { main, logs, dispose };
}

describe('registerIpcHandlers', () => {
  test('registers exactly one channel per contract method, and removes them', () => {
    const { main, dispose } = setup();
    assert.deepEqual([...main.listeners.keys()].sort(), METHOD_NAMES.map((m) => `gatehouse:invoke:${m}`).sort());
    dispose();
    assert.equal(main.listeners.size, 0);
  });

  test('answers trusted callers with an ok envelope', async () => {
    const { main } = setup();
    assert.deepEqual(await main.invokeFrom(appFrame, 'gatehouse:invoke:app.info', {}), { ok: true, output: info });
  });

  test('refuses untrusted senders before reaching the service', async () => {
    const { main, logs } = setup();
    const before = calls;
    for (const frame of [null, { url: 'gatehouse://app/index.html' }, { url: 'https://evil.example/' }]) {
      const res = await main.invokeFrom(frame, 'gatehouse:invoke:app.info', {});
      assert.deepEqual(res, {
        ok: false,
        error: { code: 'forbidden', message: 'This caller is not allowed to use Gatehouse.' },
      });
    }
    assert.equal(calls, before);
    assert.equal(logs.length, 3);
  });

  test('validates argument count and input, naming the field', async () => {
    const { main } = setup();
    const none = (await main.invokeFrom(appFrame, 'gatehouse:invoke:app.info')) as {
      ok: boolean;
      error: { code: string };
    };
    assert.equal(none.error.code, 'bad-request');
    const two = (await main.invokeFrom(appFrame, 'gatehouse:invoke:app.info', {}, {})) as { error: { code: string } };
    assert.equal(two.error.code, 'bad-request');
    const bad = (await main.invokeFrom(appFrame, 'gatehouse:invoke:app.info', { extra: 1 })) as {
      error: { code: string; message: string };
    };
    assert.equal(bad.error.code, 'bad-request');
    assert.match(bad.error.message, /extra/);
  });

  test('maps AdminError codes, contract-breaking output and unexpected errors', async () => {
    const { main, logs } = setup();
    assert.deepEqual(await main.invokeFrom(appFrame, 'gatehouse:invoke:discovery.run', {}), {
      ok: false,
      error: { code: 'conflict', message: 'busy' },
    });
    const broken = (await main.invokeFrom(appFrame, 'gatehouse:invoke:discovery.latest', {})) as {
      error: { code: string };
    };
    assert.equal(broken.error.code, 'internal');
    assert.ok(logs.some((l) => l.includes('breaks the contract')));
  });

  test('forwardEvents sends every bus event on gatehouse:event until unsubscribed or destroyed', () => {
    const main = new FakeIpcMain();
    const renderer = new FakeIpcRenderer(main, appFrame);
    const wc = new FakeWebContents(renderer);
    const bus = new EventBus();
    const stop = forwardEvents(bus, wc);
    bus.emit('store.changed', { topics: ['discovery'] });
    assert.deepEqual(wc.sent, [{ channel: 'gatehouse:event', args: ['store.changed', { topics: ['discovery'] }] }]);
    wc.destroyed = true;
    bus.emit('store.changed', { topics: ['x'] });
    assert.equal(wc.sent.length, 1);
    wc.destroyed = false;
    stop();
    bus.emit('store.changed', { topics: ['y'] });
    assert.equal(wc.sent.length, 1);
  });
});

describe('preload bridge + renderer IPC client over the fake IPC', () => {
  function stack(frame = appFrame) {
    const { main } = setup();
    const renderer = new FakeIpcRenderer(main, frame);
    const bridge = createBridge(renderer, METHOD_NAMES, EVENT_NAMES);
    return { main, renderer, bridge, client: createIpcClient(bridge) };
  }

  test('the bridge has only invoke and subscribe, and is frozen', () => {
    const { bridge } = stack();
    assert.deepEqual(Object.keys(bridge).sort(), ['invoke', 'subscribe']);
    assert.ok(Object.isFrozen(bridge));
  });

  test('the bridge refuses names outside the contract before anything reaches IPC', async () => {
    const { bridge } = stack();
    await assert.rejects(bridge.invoke('no.such', {}), /Unknown Gatehouse method/);
    await assert.rejects(bridge.invoke('__proto__', {}), /Unknown Gatehouse method/);
    assert.throws(() => bridge.subscribe('no.such', () => {}), /Unknown Gatehouse event/);
  });

  test('the client returns outputs and throws AdminError with the code', async () => {
    const { client } = stack();
    assert.deepEqual(await client.invoke('app.info', {}), info);
    await assert.rejects(client.invoke('discovery.run', {}), (err: unknown) => {
      assert.ok(err instanceof AdminError);
      assert.equal(err.code, 'conflict');
      return true;
    });
    const untrusted = stack({ url: 'gatehouse://app/index.html' });
    await assert.rejects(
      untrusted.client.invoke('app.info', {}),
      (err: unknown) => err instanceof AdminError && err.code === 'forbidden',
    );
  });

  test('subscribe delivers validated payloads and unsubscribes', () => {
    const { renderer, client } = stack();
    const got: unknown[] = [];
    const off = client.subscribe('store.changed', (p) => got.push(p));
    renderer.deliver('gatehouse:event', ['store.changed', { topics: ['a'] }]);
    renderer.deliver('gatehouse:event', ['store.changed', { topics: 'not-an-array' }]);
    renderer.deliver('gatehouse:event', ['discovery.progress', { phase: 'done', done: 1, total: 1 }]);
    off();
    renderer.deliver('gatehouse:event', ['store.changed', { topics: ['b'] }]);
    assert.deepEqual(got, [{ topics: ['a'] }]);
  });
});
