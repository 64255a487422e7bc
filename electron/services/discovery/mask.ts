/**
 * Masking of credentials in command arguments and URLs now lives in ONE module,
 * `electron/services/secrets/redact.ts`; this file only re-exports it for discovery's imports.
 */
export {
  isHighEntropySecret as isHighEntropy,
  isPlaceholder,
  isReference,
  looksLikeSecret,
  maskArgs,
  maskCommand,
  maskSecret,
  maskUrl,
} from '../secrets/redact.js';
