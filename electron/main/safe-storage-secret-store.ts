import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { AdminError } from '../../shared/api/errors.js';
import type { SecretStore } from '../services/ports.js';

/**
 * SecretStore for the desktop app over Electron `safeStorage`: values are encrypted with the OS
 * (Keychain, DPAPI, libsecret/kwallet) and only ciphertext is written, to `secrets.json` under
 * userData (mode 0600, atomic rename). Uses the async API when present, the sync one otherwise.
 * On Linux with the `basic_text` backend (no keyring) the "encryption" is a hard-coded key, so
 * it warns once and reports kind `electron-safe-storage:basic_text`.
 */

/** The part of Electron's `safeStorage` used here (the real one satisfies it). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  isAsyncEncryptionAvailable?(): Promise<boolean>;
  encryptStringAsync?(plainText: string): Promise<Buffer>;
  decryptStringAsync?(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  getSelectedStorageBackend?(): string;
}

const SecretFile = z.object({ version: z.literal(1), entries: z.record(z.string(), z.string()) });
type SecretFile = z.infer<typeof SecretFile>;

export const SECRET_FILE_NAME = 'secrets.json';

export interface SafeStorageSecretStoreOptions {
  userData: string;
  platform?: NodeJS.Platform;
  warn?: (line: string) => void;
}

export class SafeStorageSecretStore implements SecretStore {
  readonly kind: string;
  /** Shown by the UI and CLI next to anything that stores a secret (SecretStore.warning). */
  readonly warning?: string;
  private readonly file: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly safeStorage: SafeStorageLike,
    opts: SafeStorageSecretStoreOptions,
  ) {
    this.file = join(opts.userData, SECRET_FILE_NAME);
    const platform = opts.platform ?? process.platform;
    const backend = platform === 'linux' ? safeStorage.getSelectedStorageBackend?.() : undefined;
    if (backend === 'basic_text') {
      this.warning =
        'No OS keyring found (safeStorage backend basic_text): stored secrets are only obfuscated. ' +
        'Install and unlock a Secret Service (gnome-keyring, KWallet) to encrypt them.';
      (opts.warn ?? ((l) => process.stderr.write(l + '\n')))(`gatehouse: ${this.warning}`);
      this.kind = 'electron-safe-storage:basic_text';
    } else {
      this.kind = 'electron-safe-storage';
    }
  }

  async get(key: string): Promise<string | null> {
    const data = await this.load();
    const encoded = data.entries[key];
    if (encoded === undefined) return null;
    const cipher = Buffer.from(encoded, 'base64');
    if (this.safeStorage.decryptStringAsync) {
      const { result, shouldReEncrypt } = await this.safeStorage.decryptStringAsync(cipher);
      if (shouldReEncrypt) await this.set(key, result);
      return result;
    }
    return this.safeStorage.decryptString(cipher);
  }

  async set(key: string, value: string): Promise<void> {
    await this.assertAvailable();
    const cipher = this.safeStorage.encryptStringAsync
      ? await this.safeStorage.encryptStringAsync(value)
      : this.safeStorage.encryptString(value);
    await this.update((data) => {
      data.entries[key] = cipher.toString('base64');
    });
  }

  async delete(key: string): Promise<void> {
    await this.update((data) => {
      delete data.entries[key];
    });
  }

  private async assertAvailable(): Promise<void> {
    const available = this.safeStorage.isAsyncEncryptionAvailable
      ? await this.safeStorage.isAsyncEncryptionAvailable()
      : this.safeStorage.isEncryptionAvailable();
    if (!available)
      throw new AdminError('unavailable', 'OS encryption (safeStorage) is not available on this machine.');
  }

  private async load(): Promise<SecretFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw err;
    }
    const parsed = SecretFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw new AdminError('internal', `The secret store file ${this.file} is damaged.`);
    return parsed.data;
  }

  /** Read-modify-write, serialized so concurrent sets do not lose each other. */
  private update(change: (data: SecretFile) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const data = await this.load();
      change(data);
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(data), { mode: 0o600 });
      await rename(tmp, this.file);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
