import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretStore } from '../ports.js';

/**
 * Fallback secret store when no OS keyring is available: one AES-256-GCM encrypted JSON map
 * (`secrets.enc`) under the state folder, with its 256-bit key in `secrets.key` (mode 0600).
 * Anyone who can read the account's files can decrypt it, hence the warning the UI and CLI show.
 */
export const ENCRYPTED_FILE_KIND = 'encrypted-file';

export function encryptedFileWarning(stateDir: string): string {
  return (
    `No OS keyring is available, so Gatehouse keeps its secrets in an encrypted file (${join(stateDir, 'secrets.enc')}) ` +
    `whose key sits next to it (${join(stateDir, 'secrets.key')}, mode 0600). Anyone who can read your account's files ` +
    'can decrypt them; install and unlock a Secret Service keyring (GNOME Keyring, KWallet) to use the OS keyring instead.'
  );
}

interface Envelope {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

export class EncryptedFileSecretStore implements SecretStore {
  readonly kind = ENCRYPTED_FILE_KIND;
  readonly warning: string;
  private readonly keyFile: string;
  private readonly dataFile: string;
  private cache: Map<string, string> | undefined;

  constructor(private readonly stateDir: string) {
    this.keyFile = join(stateDir, 'secrets.key');
    this.dataFile = join(stateDir, 'secrets.enc');
    this.warning = encryptedFileWarning(stateDir);
  }

  private key(): Buffer {
    if (existsSync(this.keyFile)) {
      const k = Buffer.from(readFileSync(this.keyFile, 'utf8').trim(), 'base64');
      if (k.length !== 32) throw new Error(`The secret store key ${this.keyFile} is damaged (expected 32 bytes).`);
      return k;
    }
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const k = randomBytes(32);
    writeFileSync(this.keyFile, k.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(this.keyFile, 0o600);
    return k;
  }

  private load(): Map<string, string> {
    if (this.cache) return this.cache;
    if (!existsSync(this.dataFile)) return (this.cache = new Map());
    const env = JSON.parse(readFileSync(this.dataFile, 'utf8')) as Envelope;
    const decipher = createDecipheriv('aes-256-gcm', this.key(), Buffer.from(env.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]).toString('utf8');
    this.cache = new Map(Object.entries(JSON.parse(plain) as Record<string, string>));
    return this.cache;
  }

  private save(map: Map<string, string>): void {
    const key = this.key();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(Object.fromEntries(map)), 'utf8'), cipher.final()]);
    const env: Envelope = {
      v: 1,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    const tmp = `${this.dataFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(env), { mode: 0o600 });
    renameSync(tmp, this.dataFile);
    this.cache = map;
  }

  getSync(key: string): string | null {
    return this.load().get(key) ?? null;
  }

  setSync(key: string, value: string): void {
    const map = new Map(this.load());
    map.set(key, value);
    this.save(map);
  }

  async get(key: string): Promise<string | null> {
    return this.getSync(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.setSync(key, value);
  }

  async delete(key: string): Promise<void> {
    const map = new Map(this.load());
    if (map.delete(key)) this.save(map);
  }
}
