import type { IpcRendererLike } from '../preload/bridge.js';
import type { EventTargetLike, IpcInvokeEventLike, IpcMainLike, SenderFrameLike } from './register.js';

/**
 * Test double of Electron's IPC that dispatches like Electron does: one handler per channel
 * (a second registration throws), arguments and results structured-cloned across the boundary,
 * a missing handler or a thrown error rejects with Electron's "Error invoking remote method"
 * wording, and `event.senderFrame` is the calling frame. Used by unit and contract tests only.
 */
export class FakeIpcMain implements IpcMainLike {
  readonly listeners = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => unknown>();

  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void {
    if (this.listeners.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.listeners.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.listeners.delete(channel);
  }

  async invokeFrom(frame: SenderFrameLike | null, channel: string, ...args: unknown[]): Promise<unknown> {
    const listener = this.listeners.get(channel);
    if (!listener)
      throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    const cloned = structuredClone(args);
    try {
      return structuredClone(await listener({ senderFrame: frame }, ...cloned));
    } catch (err) {
      throw new Error(`Error invoking remote method '${channel}': ${String(err)}`, { cause: err });
    }
  }
}

/** The renderer side: `ipcRenderer` of one frame. */
export class FakeIpcRenderer implements IpcRendererLike {
  private readonly on_ = new Map<string, ((event: unknown, ...args: unknown[]) => void)[]>();

  constructor(
    private readonly main: FakeIpcMain,
    readonly frame: SenderFrameLike | null,
  ) {}

  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    return this.main.invokeFrom(this.frame, channel, ...args);
  }

  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): this {
    this.on_.set(channel, [...(this.on_.get(channel) ?? []), listener]);
    return this;
  }

  deliver(channel: string, args: unknown[]): void {
    for (const l of this.on_.get(channel) ?? []) l({}, ...structuredClone(args));
  }
}

/** `webContents` of the window hosting a FakeIpcRenderer. */
export class FakeWebContents implements EventTargetLike {
  destroyed = false;
  readonly sent: { channel: string; args: unknown[] }[] = [];

  constructor(private readonly renderer: FakeIpcRenderer) {}

  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
    this.renderer.deliver(channel, args);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }
}
