import { basename, dirname } from 'node:path';
import type { FileSystemPort, WorkstationPort } from '../ports.js';
import { locate } from './locations.js';

/**
 * Keeps the inventory current while the console is open: the folders holding the config files
 * discovery reads (found or only looked for) are watched, non-recursively, and an event naming one
 * of those files — or a missing folder on the way to one — re-runs discovery, debounced. No timer
 * polls anything and nothing walks the home folder.
 *
 * Folders, not files, are watched: editors that save by writing a temp file and renaming it over
 * the original replace the inode, which a watch on the file itself would lose. A missing folder is
 * watched through its nearest existing ancestor (for the name of the next path component), and the
 * set of watched folders is recomputed after every re-discovery.
 */

/** One watched folder. */
export interface WatchHandle {
  close(): void;
}

/** The OS's folder watch (node:fs `watch` on a directory), injected so services stay testable. */
export interface DirWatcherPort {
  /**
   * Watches one folder (not recursive). `onEvent` receives the entry name the OS reports (null
   * when it does not say); `onError` is called once when the watch fails (folder removed…).
   */
  watch(dir: string, onEvent: (name: string | null) => void, onError: (err: Error) => void): WatchHandle;
}

export interface ConfigWatchOptions {
  workstation: WorkstationPort;
  fs: Pick<FileSystemPort, 'stat'>;
  watcher: DirWatcherPort;
  /** Re-discovers (and records) the inventory; runs once per burst of relevant events. */
  onChange: () => Promise<unknown>;
  /** Quiet time after the last relevant event before re-discovering (default 150 ms). */
  debounceMs?: number;
  /** At most this many folders are watched (default 256); folders of found files come first. */
  maxWatchers?: number;
  /** A failed re-discovery or watch (the watcher keeps going). */
  onError?: (err: Error) => void;
}

/** Which entries of one folder matter. */
interface Interest {
  names: Set<string>;
  /** Extensions of folder locations (Continue's `.continue/mcpServers/*.yaml`): any such entry matters. */
  extensions: Set<string>;
  /** A config file of this folder exists now (watched first when capped). */
  found: boolean;
}

/**
 * Folder watches are cheap (one inotify watch, FSEvents stream or directory handle each) but not
 * free: a workstation with hundreds of project folders keeps the first 256, found files first.
 */
export const DEFAULT_MAX_WATCHERS = 256;

export class ConfigWatcher {
  private readonly handles = new Map<string, WatchHandle>();
  private interests = new Map<string, Interest>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Folders left unwatched because of the cap (last computation). */
  skipped = 0;

  constructor(private readonly opts: ConfigWatchOptions) {}

  /** Opens the watches. */
  async start(): Promise<void> {
    await this.retarget();
  }

  /** Closes every watch and cancels a pending re-discovery (one in flight finishes). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const h of this.handles.values()) h.close();
    this.handles.clear();
  }

  /** The folders watched now. */
  get watched(): string[] {
    return [...this.handles.keys()].sort();
  }

  /** Settles once no re-discovery is pending or running (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.running || this.timer) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, this.opts.debounceMs ?? 150));
    }
  }

  private relevant(dir: string, name: string | null): boolean {
    const i = this.interests.get(dir);
    if (!i) return false;
    if (name === null) return true; // the OS did not say which entry: assume it may be ours
    const entry = basename(name);
    if (i.names.has(entry)) return true;
    const lower = entry.toLowerCase();
    return [...i.extensions].some((e) => lower.endsWith(e));
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, this.opts.debounceMs ?? 150);
  }

  private fire(): void {
    if (this.running) {
      this.again = true; // one more run after this one: the event may have come after its read
      return;
    }
    this.running = (async () => {
      try {
        await this.opts.onChange();
      } catch (err) {
        this.opts.onError?.(err as Error);
      }
      if (!this.stopped) await this.retarget();
    })().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.fire();
      }
    });
  }

  /** Recomputes the folders of interest and opens/closes watches to match. */
  private async retarget(): Promise<void> {
    const interests = await interestsOf(this.opts.workstation, this.opts.fs);
    if (this.stopped) return;
    const max = this.opts.maxWatchers ?? DEFAULT_MAX_WATCHERS;
    const ordered = [...interests.entries()].sort(
      ([a, ia], [b, ib]) => Number(ib.found) - Number(ia.found) || a.length - b.length || a.localeCompare(b),
    );
    const keep = new Map(ordered.slice(0, max));
    this.skipped = Math.max(0, ordered.length - max);
    this.interests = keep;
    for (const [dir, h] of this.handles) {
      if (!keep.has(dir)) {
        h.close();
        this.handles.delete(dir);
      }
    }
    for (const dir of keep.keys()) {
      if (this.handles.has(dir)) continue;
      try {
        const h = this.opts.watcher.watch(
          dir,
          (name) => {
            if (this.relevant(dir, name)) this.schedule();
          },
          (err) => {
            // The folder went away (or the OS dropped the watch): forget it and look again.
            this.handles.get(dir)?.close();
            this.handles.delete(dir);
            this.opts.onError?.(err);
            this.schedule();
          },
        );
        this.handles.set(dir, h);
      } catch (err) {
        this.opts.onError?.(err as Error);
      }
    }
  }
}

/** Starts watching; `stop()` on the result releases every watch. */
export async function watchConfigFiles(opts: ConfigWatchOptions): Promise<ConfigWatcher> {
  const w = new ConfigWatcher(opts);
  await w.start();
  return w;
}

/**
 * For every config location: the folder to watch and the entry name that matters there — the
 * file's own folder when it exists, else the nearest existing ancestor and the next component.
 */
async function interestsOf(ws: WorkstationPort, fs: Pick<FileSystemPort, 'stat'>): Promise<Map<string, Interest>> {
  const { files, folders } = locate(ws);
  const out = new Map<string, Interest>();
  const at = (dir: string) => {
    let i = out.get(dir);
    if (!i) out.set(dir, (i = { names: new Set(), extensions: new Set(), found: false }));
    return i;
  };
  const isDir = new Map<string, Promise<boolean>>();
  const dirExists = (d: string) => {
    let p = isDir.get(d);
    if (!p)
      isDir.set(
        d,
        (p = fs.stat(d).then(
          (s) => !!s?.isDirectory,
          () => false,
        )),
      );
    return p;
  };
  /** The nearest existing folder at or above `dir`, and the entry under it leading to `dir`. */
  const anchor = async (dir: string): Promise<{ dir: string; entry?: string } | undefined> => {
    let child: string | undefined;
    let d = dir;
    for (let depth = 0; depth < 64; depth++) {
      if (await dirExists(d)) return { dir: d, ...(child !== undefined ? { entry: child } : {}) };
      const up = dirname(d);
      if (up === d) return undefined;
      child = basename(d);
      d = up;
    }
    return undefined;
  };
  for (const f of files) {
    const dir = dirname(f.path);
    const a = await anchor(dir);
    if (!a) continue;
    const i = at(a.dir);
    if (a.entry === undefined) {
      i.names.add(basename(f.path));
      if (!i.found) i.found = (await fs.stat(f.path).catch(() => null))?.isFile ?? false;
    } else i.names.add(a.entry);
  }
  for (const f of folders) {
    const a = await anchor(f.dir);
    if (!a) continue;
    const i = at(a.dir);
    if (a.entry === undefined) for (const e of f.extensions) i.extensions.add(e.toLowerCase());
    else i.names.add(a.entry);
    // The folder itself appearing or going away, seen from its parent.
    if (a.entry === undefined) {
      const parent = await anchor(dirname(f.dir));
      if (parent?.entry === undefined && parent) at(parent.dir).names.add(basename(f.dir));
    }
  }
  return out;
}
