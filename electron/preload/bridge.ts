import { IPC_EVENT_CHANNEL, IPC_INVOKE_PREFIX, type PreloadBridge } from '../../shared/api/client.js';

/**
 * The bridge the preload exposes as `window.gatehouse`: only `invoke` and `subscribe`, with every
 * method and event name checked against the contract before anything reaches IPC. The wire
 * protocol (envelopes, one argument) is documented at the top of `electron/ipc/register.ts`.
 */

/** The part of Electron's `ipcRenderer` the bridge uses (so it is testable without Electron). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * `methods`/`events` are the contract's name lists. The bundled preload receives them as
 * build-time constants (scripts/build-main.mjs reads them from shared/api/contract.ts), so the
 * sandboxed preload stays a few kilobytes instead of carrying zod and every schema.
 */
export function createBridge(
  ipc: IpcRendererLike,
  methods: readonly string[],
  events: readonly string[],
): PreloadBridge {
  const methodSet = new Set(methods);
  const eventSet = new Set(events);
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  ipc.on(IPC_EVENT_CHANNEL, (_event, name, payload) => {
    if (typeof name !== 'string') return;
    for (const l of listeners.get(name) ?? []) {
      try {
        l(payload);
      } catch {
        // One failing listener must not stop the others.
      }
    }
  });
  return Object.freeze({
    invoke(method: string, input: unknown): Promise<unknown> {
      if (typeof method !== 'string' || !methodSet.has(method)) {
        return Promise.reject(new Error(`Unknown Gatehouse method "${String(method)}".`));
      }
      // Exactly one argument crosses, whatever the caller passed.
      return ipc.invoke(`${IPC_INVOKE_PREFIX}${method}`, input);
    },
    subscribe(event: string, listener: (payload: unknown) => void): () => void {
      if (typeof event !== 'string' || !eventSet.has(event))
        throw new Error(`Unknown Gatehouse event "${String(event)}".`);
      if (typeof listener !== 'function') throw new Error('subscribe needs a listener function.');
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
  });
}
