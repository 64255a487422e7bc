import type { Platform } from '../../shared/model/discovery.js';

/**
 * Injected ports: everything a service needs from the outside world. The desktop app, the CLI,
 * the browser-mode server and the tests each build their own; services never reach for globals.
 */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Read-only filesystem access, enough for discovery (node:fs/promises satisfies it). */
export interface FileSystemPort {
  /**
   * Reads a regular file as UTF-8. With `maxBytes`, reads at most that many bytes and fails with
   * code `EFBIG` beyond it, whatever the file claims as its size (`/proc` files say 0); it also
   * fails (`EFTYPE`) on anything but a regular file and never blocks on a device or FIFO.
   */
  readFile(path: string, opts?: { maxBytes?: number }): Promise<string>;
  /** Mode bits and kind, or null when the path does not exist. */
  stat(path: string): Promise<{ mode: number; isFile: boolean; isDirectory: boolean; size: number } | null>;
  readdir(path: string): Promise<string[]>;
  /**
   * True when the reads complete before they return (the CLI's port): concurrent reads would
   * overlap nothing, only keep more files' parse trees alive at once, so discovery reads one at a time.
   */
  readonly blocking?: boolean;
}

/** Where discovery looks: the home folder, OS, projects and the prefix of managed paths. */
export interface WorkstationPort {
  home: string;
  platform: Platform;
  projects: string[];
  /** Prefix prepended to managed/system paths (`/etc/...`, `C:\Program Files\...`); '' on a real machine. */
  systemRoot: string;
  /** Environment used to resolve relocations such as CODEX_HOME and CLAUDE_CONFIG_DIR. */
  env: Record<string, string | undefined>;
}

/** Secret values live only here (OS keyring, Electron safeStorage, or an encrypted file). */
export interface SecretStore {
  readonly kind: string;
  /** Shown by the UI and CLI when the store is weaker than an OS keyring (e.g. an encrypted file). */
  readonly warning?: string;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Synchronous access, offered only by stores that are synchronous underneath (the Node OS
   * keyring and encrypted-file stores). Used once when a context is opened, to bind the admin-log
   * key before the first (synchronous) append; see services/audit/admin-log-anchor.ts.
   */
  getSync?(key: string): string | null;
  setSync?(key: string, value: string): void;
}

/** Publishes service events to whichever adapter is attached (IPC or SSE). */
export interface EventSink {
  emit(event: string, payload: unknown): void;
}

/**
 * Desktop-only OS shell actions (Electron `shell`), provided by electron/main; absent in browser
 * mode and the CLI. Services check for it and answer `unavailable` without it.
 */
export interface DesktopShell {
  /** Opens the OS file manager at the file's folder with the file selected. */
  showItemInFolder(path: string): void;
  /** Opens an http(s) URL in the system browser (sign-in pages of identity providers). */
  openExternal?(url: string): Promise<void>;
}
