import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fingerprinter, loadFingerprintKey, FINGERPRINT_KEY_NAME } from '../services/secrets/fingerprint.js';
import { openNodeSecretStore, sessionBusPossible, type KeyringEntry } from './secret-store.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const broken = () => {
  throw new Error("Couldn't access platform storage: AccessDenied");
};

describe('openNodeSecretStore', () => {
  it('falls back to an AES-256-GCM file with a 0600 key and a visible warning when the keyring fails', async () => {
    const store = openNodeSecretStore(dir, { keyring: broken });
    assert.equal(store.kind, 'encrypted-file');
    assert.match(store.warning ?? '', /encrypted file .*secrets\.enc.*secrets\.key/);
    await store.set('a', 'value-one-7f3a');
    await store.set('b', 'value-two-9c1d');
    assert.equal(await store.get('a'), 'value-one-7f3a');
    assert.equal(((await stat(join(dir, 'secrets.key'))).mode & 0o777).toString(8), '600');
    assert.equal(((await stat(join(dir, 'secrets.enc'))).mode & 0o777).toString(8), '600');
    const raw = await readFile(join(dir, 'secrets.enc'), 'utf8');
    assert.ok(!raw.includes('value-one-7f3a') && !raw.includes('value-two'));
    // A new process (new instance) reads the same values.
    const again = openNodeSecretStore(dir, { keyring: null });
    assert.equal(await again.get('b'), 'value-two-9c1d');
    await again.delete('a');
    assert.equal(await openNodeSecretStore(dir, { keyring: null }).get('a'), null);
  });

  it('refuses a tampered file (GCM authentication)', async () => {
    const store = openNodeSecretStore(dir, { keyring: null });
    await store.set('k', 'v');
    const env = JSON.parse(await readFile(join(dir, 'secrets.enc'), 'utf8')) as { data: string };
    const bytes = Buffer.from(env.data, 'base64');
    bytes[0] = bytes[0]! ^ 1;
    await writeFile(join(dir, 'secrets.enc'), JSON.stringify({ ...env, data: bytes.toString('base64') }));
    await assert.rejects(openNodeSecretStore(dir, { keyring: null }).get('k'));
  });

  it('uses the OS keyring when it answers, one account per state folder', async () => {
    const entries = new Map<string, string>();
    const keyring = (service: string, account: string): KeyringEntry => ({
      getPassword: () => entries.get(`${service}/${account}`) ?? null,
      setPassword: (p) => void entries.set(`${service}/${account}`, p),
      deletePassword: () => entries.delete(`${service}/${account}`),
    });
    const store = openNodeSecretStore(dir, { keyring });
    assert.equal(store.kind, 'os-keyring');
    assert.equal(store.warning, undefined);
    await store.set('x', 'y');
    assert.equal(entries.get(`gatehouse/${dir}#x`), 'y');
    assert.equal(await store.get('x'), 'y');
    await store.delete('x');
    assert.equal(await store.get('x'), null);
  });
});

describe('sessionBusPossible (Linux: whether the keyring addon is worth loading)', () => {
  const none = () => false;
  it('is false only without any session bus address, socket or graphical session', () => {
    assert.equal(sessionBusPossible({}, none, 1000), false);
    assert.equal(sessionBusPossible({ XDG_RUNTIME_DIR: '/run/user/1000' }, none, 1000), false);
  });
  it('is true with any sign of a bus (address, runtime-dir socket, /run/user socket, display)', () => {
    assert.equal(sessionBusPossible({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, none, 1000), true);
    assert.equal(sessionBusPossible({ DISPLAY: ':0' }, none, 1000), true);
    assert.equal(sessionBusPossible({ WAYLAND_DISPLAY: 'wayland-0' }, none, 1000), true);
    const seen: string[] = [];
    const at = (want: string) => (p: string) => (seen.push(p), p === want);
    assert.equal(sessionBusPossible({ XDG_RUNTIME_DIR: '/tmp/rt' }, at('/tmp/rt/bus'), 1000), true);
    assert.equal(sessionBusPossible({}, at('/run/user/1000/bus'), 1000), true);
    assert.equal(sessionBusPossible({}, at('/run/user/1000/bus'), undefined), false);
    assert.ok(seen.includes('/tmp/rt/bus') && seen.includes('/run/user/1000/bus'));
  });
});

describe('fingerprint key', () => {
  it('is created once per install and gives stable keyed fingerprints', async () => {
    const store = openNodeSecretStore(dir, { keyring: null });
    const k1 = await loadFingerprintKey(store);
    const k2 = await loadFingerprintKey(openNodeSecretStore(dir, { keyring: null }));
    assert.deepEqual(k1, k2);
    assert.match((await store.get(FINGERPRINT_KEY_NAME)) ?? '', /^[0-9a-f]{64}$/);
    const fp = fingerprinter(k1);
    assert.equal(fp('secret'), fp('secret'));
    assert.notEqual(fp('secret'), fp('secret2'));
    assert.notEqual(fp('secret'), fingerprinter(Buffer.alloc(32, 9))('secret'));
    assert.match(fp('secret'), /^hs1:[0-9a-f]{32}$/);
  });
});
