import { adminMethods, type EventName, METHOD_NAMES } from '../../shared/api/contract.js';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_PREFIX } from '../../shared/api/client.js';
import type { EventBus } from '../services/events.js';
import type { AdminHandlers } from '../services/handlers.js';
import { defaultLog, dispatch, errorBody, type DispatchResult, type Log } from '../dispatch.js';

/**
 * IPC adapter: one `ipcMain.handle` per contract method, generated from `adminMethods`.
 *
 * WIRE PROTOCOL (the preload and `renderer/src/client/ipc-client.ts` follow this):
 *
 * - Invoke: the renderer calls `ipcRenderer.invoke('gatehouse:invoke:<method>', input)` with
 *   exactly ONE argument, the method's input object.
 * - The handler NEVER rejects. It always resolves with an envelope (structured-clone safe):
 *     `{ ok: true, output }`                          — output validated with the method's output schema
 *     `{ ok: false, error: { code, message } }`       — `code` is an `ErrorCode` from shared/api/errors.ts
 *   (A rejected invoke would reach the renderer as a bare Error with Electron's
 *   "Error invoking remote method" prefix and no code, so errors travel as data instead.)
 *   The preload passes the envelope through unchanged; the renderer client throws
 *   `new AdminError(code, message)` for `ok: false` and returns `output` otherwise.
 * - Codes: `forbidden` when the sender is not the app's own top-level window, `bad-request` for
 *   a wrong argument count or input failing the schema (message names the field), `internal`
 *   when the service fails unexpectedly or breaks the output contract, otherwise the service's
 *   own `AdminError` code. Unknown methods have no channel at all (the preload refuses them).
 * - Events: main sends `webContents.send('gatehouse:event', eventName, payload)` for every
 *   EventBus event; the preload fans them out to `subscribe(eventName, listener)` callbacks.
 */

/** The part of an Electron `WebFrameMain` the trusted-sender check needs. */
export interface SenderFrameLike {
  readonly url: string;
}

/** The part of `IpcMainInvokeEvent` the adapter reads. */
export interface IpcInvokeEventLike {
  readonly senderFrame: SenderFrameLike | null;
}

/** Structural `ipcMain`: Electron's satisfies it, and tests pass a fake that dispatches like it. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** Structural `webContents` for event forwarding. */
export interface EventTargetLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export type IpcEnvelope = DispatchResult;

export function invokeChannel(method: string): string {
  return `${IPC_INVOKE_PREFIX}${method}`;
}

/**
 * Registers a handler for every contract method; returns a function that removes them all.
 * `isTrustedSender` decides whether a frame may call at all (see `electron/main/security.ts`).
 */
export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  handlers: AdminHandlers,
  isTrustedSender: (frame: SenderFrameLike | null) => boolean,
  log: Log = defaultLog,
): () => void {
  const channels: string[] = [];
  for (const name of METHOD_NAMES) {
    const channel = invokeChannel(name);
    ipcMain.handle(channel, async (event, ...args): Promise<IpcEnvelope> => {
      if (!isTrustedSender(event.senderFrame)) {
        log(`gatehouse: refused IPC ${name} from an untrusted frame`);
        return { ok: false, ...errorBody('forbidden', 'This caller is not allowed to use Gatehouse.') };
      }
      if (args.length !== 1) {
        return { ok: false, ...errorBody('bad-request', `${name} takes exactly one argument (got ${args.length}).`) };
      }
      return dispatch(handlers, name, args[0], log);
    });
    channels.push(channel);
  }
  return () => {
    for (const c of channels) ipcMain.removeHandler(c);
  };
}

/** Forwards every EventBus event to one window; returns the unsubscribe function. */
export function forwardEvents(events: EventBus, target: EventTargetLike): () => void {
  return events.subscribe((event: EventName, payload: unknown) => {
    if (target.isDestroyed()) return;
    target.send(IPC_EVENT_CHANNEL, event, payload);
  });
}

/** Contract method names that have IPC channels (for tests and the preload's allow-list). */
export const IPC_METHODS: readonly string[] = Object.keys(adminMethods);
