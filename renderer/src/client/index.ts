import type { AdminClient, PreloadBridge } from '../../../shared/api/client.js';
import { HttpAdminClient, takeToken } from './http-client.js';
import { createIpcClient } from './ipc-client.js';

declare global {
  interface Window {
    /** Exposed by the Electron preload (desktop mode only). */
    gatehouse?: PreloadBridge;
  }
}

export type ClientMode = 'desktop' | 'browser';

/**
 * Picks the AdminClient at start-up: Electron IPC when the preload bridge exists (desktop app),
 * loopback HTTP+SSE otherwise (browser mode, `gatehouse serve`).
 */
export function createAdminClient(): { client: AdminClient; mode: ClientMode; hasToken: boolean } {
  if (window.gatehouse) return { client: createIpcClient(window.gatehouse), mode: 'desktop', hasToken: true };
  const token = takeToken();
  return { client: new HttpAdminClient({ token }), mode: 'browser', hasToken: token !== null };
}

export { HttpAdminClient, takeToken } from './http-client.js';
export * from './query.js';
