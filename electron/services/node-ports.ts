// fs/promises read through `fs.promises` where used, never imported by name: loading it (and the
// readline code it pulls in) cost a one-shot CLI ~6 ms that the synchronous port never needs.
import fs, {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  watch,
} from 'node:fs';
import type { DirWatcherPort } from './discovery/watch.js';
import type { FileSystemPort } from './ports.js';

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * Read buffers reused from file to file (issue #13 item 3): a discovery reads thousands of small
 * config files, 64 at once, and a fresh 64 KiB buffer per file left the allocator's arenas
 * fragmented run after run. At most MAX_SPARE are kept (512 KiB); a file that fits one buffer is
 * decoded straight from it (no copies).
 */
const READ_CHUNK = 1 << 16;
const MAX_SPARE = 8;
const spare: Buffer[] = [];

/** The checks on the open handle's fstat, before any byte is read. */
function checkOpened(st: { isFile(): boolean; size: number }, maxBytes: number): void {
  if (!st.isFile()) throw fsError('EFTYPE', 'not a regular file');
  if (st.size > maxBytes) throw fsError('EFBIG', `file too large (${st.size} bytes)`);
}

/**
 * What a capped read has brought into one reused buffer: each read fills `buf` from `at` with at
 * most `want` bytes; a full buffer is copied out so the rest of the file can be read into it again.
 * Shared by the asynchronous and the synchronous port, so both enforce the same cap the same way.
 */
class CappedText {
  private readonly chunks: Buffer[] = [];
  private total = 0;
  at = 0;
  constructor(
    readonly buf: Buffer,
    private readonly maxBytes: number,
  ) {}
  get want(): number {
    return Math.min(this.buf.length - this.at, this.maxBytes + 1 - this.total);
  }
  add(bytesRead: number): void {
    this.at += bytesRead;
    this.total += bytesRead;
    if (this.total > this.maxBytes) throw fsError('EFBIG', `file too large (over ${this.maxBytes} bytes)`);
    if (this.at === this.buf.length) {
      this.chunks.push(Buffer.from(this.buf.subarray(0, this.at)));
      this.at = 0;
    }
  }
  text(): string {
    if (!this.chunks.length) return this.buf.toString('utf8', 0, this.at);
    if (this.at) this.chunks.push(Buffer.from(this.buf.subarray(0, this.at)));
    return Buffer.concat(this.chunks, this.total).toString('utf8');
  }
}

/**
 * Reads at most `maxBytes` of a regular file. Opened non-blocking (a character device such as
 * `/proc/kmsg` or a FIFO swapped in after the stat answers EAGAIN instead of blocking a thread
 * forever), checked with fstat on the open handle (no race with the earlier stat), and read in
 * chunks up to the cap: `/proc` and `/sys` files report size 0 but can yield gigabytes.
 */
async function readCapped(path: string, maxBytes: number): Promise<string> {
  const fh = await fs.promises.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  const pooled = maxBytes + 1 >= READ_CHUNK;
  const buf = pooled ? (spare.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK)) : Buffer.allocUnsafe(maxBytes + 1);
  try {
    checkOpened(await fh.stat(), maxBytes);
    const read = new CappedText(buf, maxBytes);
    for (;;) {
      const { bytesRead } = await fh.read(buf, read.at, read.want, null);
      if (bytesRead === 0) return read.text();
      read.add(bytesRead);
    }
  } finally {
    if (pooled && spare.length < MAX_SPARE) spare.push(buf);
    await fh.close();
  }
}

/** The real filesystem, for the CLI, browser mode and the desktop app's main process. */
export const nodeFileSystem: FileSystemPort = {
  readFile: (path, opts) =>
    opts?.maxBytes !== undefined ? readCapped(path, opts.maxBytes) : fs.promises.readFile(path, 'utf8'),
  async stat(path) {
    try {
      const s = await fs.promises.stat(path);
      return { mode: s.mode, isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
        return null;
      throw err;
    }
  },
  readdir: (path) => fs.promises.readdir(path),
};

/** The one read buffer of the synchronous port (a process reads one file at a time through it). */
let syncBuf: Buffer | undefined;

/** readCapped without the thread pool: the same checks and cap, one file at a time. */
function readCappedSync(path: string, maxBytes: number): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  try {
    checkOpened(fstatSync(fd), maxBytes);
    const read = new CappedText((syncBuf ??= Buffer.allocUnsafeSlow(READ_CHUNK)), maxBytes);
    for (;;) {
      const bytesRead = readSync(fd, read.buf, read.at, read.want, null);
      if (bytesRead === 0) return read.text();
      read.add(bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The real filesystem read synchronously, for one-shot CLI commands (`scan`, `discover`): a few
 * hundred small config files cost more in promises, thread-pool hops and 64 in-flight read buffers
 * than in reading (issue #13: ~60 ms and ~10 MB of the 2,000-server scan). Same answers and limits
 * as nodeFileSystem; never for a server, whose event loop must not wait on a slow disk.
 */
export const nodeFileSystemSync: FileSystemPort = {
  readFile: async (path, opts) =>
    opts?.maxBytes !== undefined ? readCappedSync(path, opts.maxBytes) : readFileSync(path, 'utf8'),
  async stat(path) {
    const s = statSync(path, { throwIfNoEntry: false });
    return s ? { mode: s.mode, isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size } : null;
  },
  readdir: async (path) => readdirSync(path),
  blocking: true,
};

/** Folder watches with node:fs `watch` (inotify, FSEvents, ReadDirectoryChangesW): the discovery watcher's port. */
export const nodeDirWatcher: DirWatcherPort = {
  watch(dir, onEvent, onError) {
    const w = watch(dir, { persistent: false }, (_event, name) => onEvent(name === null ? null : String(name)));
    let failed = false;
    w.on('error', (err) => {
      if (failed) return;
      failed = true;
      onError(err);
    });
    return { close: () => w.close() };
  },
};
