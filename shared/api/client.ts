import type { AdminEvents, EventName, MethodInput, MethodName, MethodOutput } from './contract.js';

/**
 * What the renderer (and any other front end) talks to: one interface, implemented over Electron
 * IPC in the desktop app and over loopback HTTP+SSE in browser mode.
 */
export interface AdminClient {
  invoke<K extends MethodName>(method: K, input: MethodInput<K>): Promise<MethodOutput<K>>;
  subscribe<E extends EventName>(event: E, listener: (payload: AdminEvents[E]) => void): () => void;
}

/** The bridge the preload exposes on `window.gatehouse` (structured-clone safe). */
export interface PreloadBridge {
  invoke(method: string, input: unknown): Promise<unknown>;
  subscribe(event: string, listener: (payload: unknown) => void): () => void;
}

/** IPC channel names: one prefix, so main and preload can reject anything else. */
export const IPC_INVOKE_PREFIX = 'gatehouse:invoke:';
export const IPC_EVENT_CHANNEL = 'gatehouse:event';
