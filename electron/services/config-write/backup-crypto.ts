import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretStore } from '../ports.js';

/** Secret-store key of the per-install backup key (32 random bytes, hex). */
export const BACKUP_KEY_NAME = 'config-write.backup-key';

/**
 * Every backup of a config file is encrypted, not only those known to hold a literal: the detectors
 * cannot prove a file holds no credential, and the files we fix are exactly the ones that did. A
 * masked backup could not restore the file byte for byte, so encryption it is: AES-256-GCM
 * (authenticated: a tampered backup fails to decrypt instead of restoring altered bytes), a random
 * 96-bit IV per backup, the change id and file path as associated data (a backup cannot be replayed
 * onto another file), and the key in the OS secret store, so a copy of the database alone reveals
 * nothing. No key, no backup, no write: the writer fails closed when the store cannot give one.
 */
export async function loadBackupKey(secrets: SecretStore): Promise<Buffer> {
  const existing = await secrets.get(BACKUP_KEY_NAME);
  if (existing && /^[0-9a-f]{64}$/.test(existing)) return Buffer.from(existing, 'hex');
  const key = randomBytes(32);
  await secrets.set(BACKUP_KEY_NAME, key.toString('hex'));
  const check = await secrets.get(BACKUP_KEY_NAME);
  if (check !== key.toString('hex')) throw new Error('the secret store did not keep the backup key');
  return key;
}

export function sealBackup(key: Buffer, data: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(data), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

export function openBackup(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
}
