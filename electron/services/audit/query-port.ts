import type { AuditStore } from './store.js';

/**
 * The read side of the audit store as a port: the store's own query functions, called by name, so
 * the serving process can run them on worker threads (query-pool.ts) while the CLI and tests run
 * them inline. Dispatch is generic over the names: a new parameter of a query function flows through
 * without touching this file.
 */
export const AUDIT_QUERY_NAMES = [
  'query',
  'count',
  'get',
  'facets',
  'histogram',
  'replayPlan',
  'replayTuples',
] as const;
export type AuditQueryName = (typeof AUDIT_QUERY_NAMES)[number];

type QueryFn<K extends AuditQueryName> = AuditStore[K] extends (...args: infer A) => infer R
  ? { args: A; result: R }
  : never;
export type AuditQueryArgs<K extends AuditQueryName> = QueryFn<K>['args'];
export type AuditQueryResult<K extends AuditQueryName> = QueryFn<K>['result'];

export interface AuditQueries {
  /** Queries that can run at the same time (1 inline): work cut into this many parts runs in parallel. */
  readonly parallelism: number;
  run<K extends AuditQueryName>(name: K, ...args: AuditQueryArgs<K>): Promise<AuditQueryResult<K>>;
  close(): Promise<void>;
}

export function isAuditQueryName(name: unknown): name is AuditQueryName {
  return typeof name === 'string' && (AUDIT_QUERY_NAMES as readonly string[]).includes(name);
}

/** Calls `store[name](...args)` (the one place the name → function dispatch happens). */
export function callAuditQuery<K extends AuditQueryName>(
  store: AuditStore,
  name: K,
  args: AuditQueryArgs<K>,
): AuditQueryResult<K> {
  const fn = store[name] as (...a: AuditQueryArgs<K>) => AuditQueryResult<K>;
  return fn.apply(store, args);
}

/** Queries on the caller's own connection (CLI, tests, in-memory stores). */
export function inlineAuditQueries(store: AuditStore): AuditQueries {
  return {
    parallelism: 1,
    run: async (name, ...args) => callAuditQuery(store, name, args),
    close: async () => undefined,
  };
}
