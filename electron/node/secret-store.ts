import type { SecretStore } from '../services/ports.js';

/**
 * Opens the secret store for Node processes (CLI, browser mode).
 * TODO(findings/gateways): OS keyring via @napi-rs/keyring, encrypted-file fallback with a warning.
 */
export function openNodeSecretStore(_stateDir: string): SecretStore {
  return {
    kind: 'unavailable',
    get: async () => null,
    set: async () => {
      throw new Error('No secret store is configured yet.');
    },
    delete: async () => {},
  };
}
