import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { AdminError } from '../../shared/api/errors.js';
import { SafeStorageSecretStore, type SafeStorageLike } from './safe-storage-secret-store.js';

/** A reversible stand-in for the OS cipher, recording which API (sync/async) was used. */
function fakeSafeStorage(opts: { async: boolean; available?: boolean; backend?: string; rotate?: boolean }) {
  const used: string[] = [];
  const enc = (s: string) => Buffer.from([...Buffer.from(s, 'utf8')].map((b) => b ^ 0x5a));
  const dec = (b: Buffer) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString('utf8');
  const store: SafeStorageLike = {
    isEncryptionAvailable: () => opts.available ?? true,
    encryptString: (s) => (used.push('encrypt'), enc(s)),
    decryptString: (b) => (used.push('decrypt'), dec(b)),
    getSelectedStorageBackend: () => opts.backend ?? 'gnome_libsecret',
    ...(opts.async
      ? {
          isAsyncEncryptionAvailable: async () => opts.available ?? true,
          encryptStringAsync: async (s: string) => (used.push('encryptAsync'), enc(s)),
          decryptStringAsync: async (b: Buffer) => (
            used.push('decryptAsync'),
            { result: dec(b), shouldReEncrypt: opts.rotate ?? false }
          ),
        }
      : {}),
  };
  return { store, used };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SafeStorageSecretStore', () => {
  test('round-trips through the async API and writes only ciphertext, mode 0600', async () => {
    const { store, used } = fakeSafeStorage({ async: true });
    const secrets = new SafeStorageSecretStore(store, { userData: dir, platform: 'linux' });
    assert.equal(secrets.kind, 'electron-safe-storage');
    const value = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
    await secrets.set('github', value);
    assert.equal(await secrets.get('github'), value);
    assert.equal(await secrets.get('missing'), null);
    const file = await readFile(join(dir, 'secrets.json'), 'utf8');
    assert.ok(!file.includes(value));
    assert.ok(!file.includes('0123456789abcdef'));
    if (process.platform !== 'win32') assert.equal((await stat(join(dir, 'secrets.json'))).mode & 0o777, 0o600);
    assert.deepEqual(used, ['encryptAsync', 'decryptAsync']);
    await secrets.delete('github');
    assert.equal(await secrets.get('github'), null);
  });

  test('falls back to the sync API', async () => {
    const { store, used } = fakeSafeStorage({ async: false });
    const secrets = new SafeStorageSecretStore(store, { userData: dir, platform: 'darwin' });
    await secrets.set('k', 'v');
    assert.equal(await secrets.get('k'), 'v');
    assert.deepEqual(used, ['encrypt', 'decrypt']);
  });

  test('re-encrypts when the OS asks to', async () => {
    const { store, used } = fakeSafeStorage({ async: true, rotate: true });
    const secrets = new SafeStorageSecretStore(store, { userData: dir, platform: 'linux' });
    await secrets.set('k', 'v');
    assert.equal(await secrets.get('k'), 'v');
    assert.deepEqual(used, ['encryptAsync', 'decryptAsync', 'encryptAsync']);
  });

  test('concurrent sets do not lose each other', async () => {
    const { store } = fakeSafeStorage({ async: true });
    const secrets = new SafeStorageSecretStore(store, { userData: dir, platform: 'linux' });
    await Promise.all(Array.from({ length: 10 }, (_, i) => secrets.set(`k${i}`, `v${i}`)));
    for (let i = 0; i < 10; i++) assert.equal(await secrets.get(`k${i}`), `v${i}`);
  });

  test('warns on the Linux basic_text backend; refuses to store when encryption is unavailable', async () => {
    const warnings: string[] = [];
    const basic = new SafeStorageSecretStore(fakeSafeStorage({ async: true, backend: 'basic_text' }).store, {
      userData: dir,
      platform: 'linux',
      warn: (l) => warnings.push(l),
    });
    assert.equal(basic.kind, 'electron-safe-storage:basic_text');
    assert.equal(warnings.length, 1);
    const none = new SafeStorageSecretStore(fakeSafeStorage({ async: true, available: false }).store, {
      userData: dir,
      platform: 'linux',
    });
    await assert.rejects(none.set('k', 'v'), (e: unknown) => e instanceof AdminError && e.code === 'unavailable');
  });
});
