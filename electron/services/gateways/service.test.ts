import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdminError } from '../../../shared/api/errors.js';
import type { ServiceContext } from '../context.js';
import { EventBus } from '../events.js';
import { nodeFileSystem } from '../node-ports.js';
import type { SecretStore } from '../ports.js';
import { openDatabase } from '../store/database.js';
import { addGateway, updateGateway } from './service.js';

function memorySecrets(): SecretStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    kind: 'memory',
    values,
    get: async (k) => values.get(k) ?? null,
    set: async (k, v) => void values.set(k, v),
    delete: async (k) => void values.delete(k),
  };
}

function context(): ServiceContext & { secrets: ReturnType<typeof memorySecrets> } {
  return {
    db: openDatabase(':memory:'),
    events: new EventBus(),
    clock: { now: () => new Date('2026-11-28T00:00:00Z') },
    fs: nodeFileSystem,
    workstation: { home: '/nonexistent', platform: 'linux', projects: [], systemRoot: '', env: {} },
    secrets: memorySecrets(),
    stateDir: '/nonexistent',
    mode: 'cli',
    version: '0.0.0',
  };
}

const TOKEN = 'cf-test-token-0123456789abcdef';

test('a credential never follows the connection to another origin', async () => {
  const ctx = context();
  const gw = await addGateway(ctx, { name: 'cf', baseUrl: 'https://gw.example.test', secret: TOKEN });
  await assert.rejects(
    updateGateway(ctx, { id: gw.id, baseUrl: 'https://elsewhere.example.test' }),
    (e: unknown) => e instanceof AdminError && e.code === 'bad-request' && /enter the credential again/.test(e.message),
  );
  // Same origin, other path: fine. Another origin with a new credential: fine.
  await updateGateway(ctx, { id: gw.id, baseUrl: 'https://gw.example.test/api' });
  const moved = await updateGateway(ctx, {
    id: gw.id,
    baseUrl: 'https://new.example.test',
    secret: 'another-token-0123456789',
  });
  assert.equal(moved.baseUrl, 'https://new.example.test');
  ctx.db.close();
});

test('plain http is refused for non-loopback gateways, allowed on loopback', async () => {
  const ctx = context();
  await assert.rejects(
    addGateway(ctx, { name: 'plain', baseUrl: 'http://gw.example.test', secret: TOKEN }),
    /must use https:\/\/ for a non-loopback host/,
  );
  const local = await addGateway(ctx, { name: 'local', baseUrl: 'http://127.0.0.1:4444', secret: TOKEN });
  assert.equal(local.baseUrl, 'http://127.0.0.1:4444');
  assert.ok(!JSON.stringify(local).includes(TOKEN), 'the connection never carries the credential');
  ctx.db.close();
});

test('an update names only what changes: replacing the token keeps the timeout and the auth type', async () => {
  const ctx = context();
  const gw = await addGateway(ctx, {
    name: 'cf-basic',
    baseUrl: 'https://gw.example.test',
    authType: 'basic',
    username: 'ops',
    secret: TOKEN,
    timeoutMs: 9000,
  });
  const after = await updateGateway(ctx, { id: gw.id, secret: 'another-password-123' });
  assert.equal(after.timeoutMs, 9000);
  assert.equal(after.authType, 'basic');
  assert.equal(after.username, 'ops');
  assert.equal(ctx.secrets.values.get(`gateway:${gw.id}`), 'another-password-123');
});
