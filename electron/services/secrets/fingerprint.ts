import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type { SecretStore } from '../ports.js';

/** Secret-store key of the per-install fingerprint key. */
export const FINGERPRINT_KEY_NAME = 'findings.fingerprint-key';

/**
 * Keyed fingerprints of credentials: HMAC-SHA256 with a per-install random key kept in the secret
 * store, so equal credentials can be grouped (reuse) and suppressions survive rescans without the
 * value, or an unkeyed hash of it, ever being stored.
 */
export type Fingerprinter = (value: string) => string;

export async function loadFingerprintKey(secrets: SecretStore): Promise<Buffer> {
  const existing = await secrets.get(FINGERPRINT_KEY_NAME);
  if (existing && /^[0-9a-f]{64}$/.test(existing)) return Buffer.from(existing, 'hex');
  const key = randomBytes(32);
  await secrets.set(FINGERPRINT_KEY_NAME, key.toString('hex'));
  return key;
}

export function fingerprinter(key: Buffer): Fingerprinter {
  // The key object once: given a Buffer, createHmac imports the key again on every call.
  const keyObject = createSecretKey(key);
  // 128 bits of the HMAC is plenty for grouping; `hs1:` names the scheme so it can evolve.
  return (value) => 'hs1:' + createHmac('sha256', keyObject).update(value, 'utf8').digest('hex').slice(0, 32);
}

export async function openFingerprinter(secrets: SecretStore): Promise<Fingerprinter> {
  return fingerprinter(await loadFingerprintKey(secrets));
}
