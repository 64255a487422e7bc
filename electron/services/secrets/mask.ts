import { maskSecret, maskUrl } from './redact.js';

export { isPlaceholder, isReference, maskSecret, maskUrl } from './redact.js';

/**
 * Masked evidence for one detected credential: `prefix…last4` for tokens, the URL with its
 * credentials masked for connection strings, the PEM header only for private keys.
 */
export function maskEvidence(value: string, secretType: string): string {
  if (secretType === 'private-key' || /-----BEGIN[ A-Z0-9]*PRIVATE KEY/.test(value)) {
    const header = /-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----/.exec(value)?.[0] ?? '-----BEGIN PRIVATE KEY-----';
    return `${header}…`;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i.test(value)) {
    const masked = maskUrl(value);
    // maskUrl masks the password; make sure nothing of the value survives verbatim beyond the host.
    return masked !== value ? masked : maskSecret(value);
  }
  return maskSecret(value);
}
