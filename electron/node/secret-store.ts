import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SecretStore } from '../services/ports.js';
import { EncryptedFileSecretStore } from '../services/secrets/encrypted-file-store.js';

/**
 * The secret store for Node processes (CLI, browser mode): the OS keyring through
 * `@napi-rs/keyring` when it answers (macOS Keychain, Windows Credential Manager, Linux Secret
 * Service), else an AES-256-GCM encrypted file under the state folder, with a visible warning
 * (`kind: 'encrypted-file'`, `warning`) that the UI and CLI show.
 *
 * On Linux the keyring is pinned to the Secret Service: the kernel keyring (keyutils) the library
 * would otherwise fall back to does not survive a reboot, which would lose the fingerprint key.
 */
export const KEYRING_SERVICE = 'gatehouse';

/** The subset of `@napi-rs/keyring`'s synchronous `Entry` we use; injectable for tests. */
export interface KeyringEntry {
  getPassword(): string | null | undefined;
  setPassword(password: string): void;
  deletePassword(): boolean;
}
export type KeyringFactory = (service: string, account: string) => KeyringEntry;

export interface NodeSecretStoreOptions {
  /** Build keyring entries (default: `@napi-rs/keyring`); return null/throw to force the fallback. */
  keyring?: KeyringFactory | null;
}

export type NodeSecretStore = SecretStore & { readonly warning?: string };

/**
 * Linux: whether a D-Bus session bus, and so a Secret Service, may be reachable at all. libdbus
 * finds it through DBUS_SESSION_BUS_ADDRESS, else the socket at $XDG_RUNTIME_DIR/bus (systemd's
 * user bus), else X11 autolaunch; a graphical session (DISPLAY, WAYLAND_DISPLAY) counts too. With
 * none of them (a headless server, a container, CI) the keyring could only fail after its addon
 * was loaded (~6 ms and ~3 MB per CLI run, issue #13), so the encrypted file is used straight
 * away, with the same warning. Any sign of a bus keeps the keyring path as before.
 */
export function sessionBusPossible(
  env: Record<string, string | undefined>,
  exists: (path: string) => boolean,
  uid: number | undefined,
): boolean {
  if (env.DBUS_SESSION_BUS_ADDRESS || env.DISPLAY || env.WAYLAND_DISPLAY) return true;
  const dirs = [env.XDG_RUNTIME_DIR, uid !== undefined ? `/run/user/${uid}` : undefined];
  return dirs.some((d) => !!d && exists(`${d}/bus`));
}

function defaultKeyring(): KeyringFactory | null {
  if (process.platform === 'linux' && !sessionBusPossible(process.env, existsSync, process.getuid?.())) return null;
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@napi-rs/keyring') as {
      Entry: new (service: string, account: string, options?: { linux?: { store?: string } }) => KeyringEntry;
    };
    const options = process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined;
    return (service, account) => new mod.Entry(service, account, options);
  } catch {
    return null;
  }
}

class KeyringSecretStore implements SecretStore {
  readonly kind = 'os-keyring';
  constructor(private readonly entry: (key: string) => KeyringEntry) {}
  getSync(key: string): string | null {
    return this.entry(key).getPassword() ?? null;
  }
  setSync(key: string, value: string): void {
    this.entry(key).setPassword(value);
  }
  async get(key: string): Promise<string | null> {
    return this.getSync(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.setSync(key, value);
  }
  async delete(key: string): Promise<void> {
    try {
      this.entry(key).deletePassword();
    } catch {
      /* already gone */
    }
  }
}

/** Whether the keyring answers at all (a read of a probe entry; null = reachable and empty). */
function keyringWorks(factory: KeyringFactory): boolean {
  try {
    factory(KEYRING_SERVICE, 'probe').getPassword();
    return true;
  } catch {
    return false;
  }
}

export function openNodeSecretStore(stateDir: string, opts: NodeSecretStoreOptions = {}): NodeSecretStore {
  const factory = opts.keyring === undefined ? defaultKeyring() : opts.keyring;
  if (factory && keyringWorks(factory)) {
    // One keyring account per state folder, so test and real stores never mix.
    return new KeyringSecretStore((key) => factory(KEYRING_SERVICE, `${stateDir}#${key}`));
  }
  return new EncryptedFileSecretStore(stateDir);
}
