import { AsyncLocalStorage } from 'node:async_hooks';
import type { StoredSuppression } from '../findings/store.js';
import type { TeamSuppression } from './types.js';

/**
 * The team store's suppressions for the duration of one request. The findings and scope-finding
 * read paths are synchronous over the local store (FindingsRepository.suppressions() is their one
 * read point); a handler that uses a team store loads the shared suppressions once, asynchronously,
 * and runs the synchronous code inside this scope, so every read in that request sees the team's
 * suppressions and nothing is copied into the local store.
 */
const scope = new AsyncLocalStorage<ReadonlyMap<string, StoredSuppression & { version: string }>>();

export function sharedSuppressions(): ReadonlyMap<string, StoredSuppression & { version: string }> | undefined {
  return scope.getStore();
}

export function withSharedSuppressions<T>(list: readonly TeamSuppression[], fn: () => T): T {
  const map = new Map(
    list.map((s) => [
      s.id,
      {
        id: s.id,
        key: s.id,
        ruleId: s.ruleId,
        file: s.file,
        pointer: s.pointer,
        ...(s.fingerprint ? { fingerprint: s.fingerprint } : {}),
        reason: s.reason,
        createdAt: s.createdAt,
        ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
        actor: s.actor,
        version: s.version,
      },
    ]),
  );
  return scope.run(map, fn);
}
