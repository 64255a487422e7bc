import {
  closeSync,
  constants,
  fstatSync,
  // fs/promises read through `fs.promises` where used, not imported: bundled, loading it (and the
  // readline code it pulls in) cost a one-shot CLI ~6 ms that the synchronous port never needs.
  promises as fsp,
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

/**
 * Reads at most `maxBytes` of a regular file. Opened non-blocking (a character device such as
 * `/proc/kmsg` or a FIFO swapped in after the stat answers EAGAIN instead of blocking a thread
 * forever), checked with fstat on the open handle (no race with the earlier stat), and read in
 * chunks up to the cap: `/proc` and `/sys` files report size 0 but can yield gigabytes.
 */
async function readCapped(path: string, maxBytes: number): Promise<string> {
  const fh = await fsp.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  const pooled = maxBytes + 1 >= READ_CHUNK;
  const buf = pooled ? (spare.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK)) : Buffer.allocUnsafe(maxBytes + 1);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw fsError('EFTYPE', 'not a regular file');
    if (st.size > maxBytes) throw fsError('EFBIG', `file too large (${st.size} bytes)`);
    const chunks: Buffer[] = [];
    let total = 0;
    let inBuf = 0;
    for (;;) {
      const want = Math.min(buf.length - inBuf, maxBytes + 1 - total);
      const { bytesRead } = await fh.read(buf, inBuf, want, null);
      if (bytesRead === 0) break;
      inBuf += bytesRead;
      total += bytesRead;
      if (total > maxBytes) throw fsError('EFBIG', `file too large (over ${maxBytes} bytes)`);
      if (inBuf === buf.length) {
        // Full: keep a copy and read the rest into the same buffer.
        chunks.push(Buffer.from(buf.subarray(0, inBuf)));
        inBuf = 0;
      }
    }
    if (!chunks.length) return buf.toString('utf8', 0, inBuf);
    if (inBuf) chunks.push(Buffer.from(buf.subarray(0, inBuf)));
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    if (pooled && spare.length < MAX_SPARE) spare.push(buf);
    await fh.close();
  }
}

/** The real filesystem, for the CLI, browser mode and the desktop app's main process. */
export const nodeFileSystem: FileSystemPort = {
  readFile: (path, opts) =>
    opts?.maxBytes !== undefined ? readCapped(path, opts.maxBytes) : fsp.readFile(path, 'utf8'),
  async stat(path) {
    try {
      const s = await fsp.stat(path);
      return { mode: s.mode, isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
        return null;
      throw err;
    }
  },
  readdir: (path) => fsp.readdir(path),
};

/** The one read buffer of the synchronous port (a process reads one file at a time through it). */
let syncBuf: Buffer | undefined;

/** readCapped without the thread pool: the same checks and cap, one file at a time. */
function readCappedSync(path: string, maxBytes: number): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw fsError('EFTYPE', 'not a regular file');
    if (st.size > maxBytes) throw fsError('EFBIG', `file too large (${st.size} bytes)`);
    const buf = (syncBuf ??= Buffer.allocUnsafeSlow(READ_CHUNK));
    const chunks: Buffer[] = [];
    let total = 0;
    let inBuf = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, inBuf, Math.min(buf.length - inBuf, maxBytes + 1 - total), null);
      if (bytesRead === 0) break;
      inBuf += bytesRead;
      total += bytesRead;
      if (total > maxBytes) throw fsError('EFBIG', `file too large (over ${maxBytes} bytes)`);
      if (inBuf === buf.length) {
        chunks.push(Buffer.from(buf.subarray(0, inBuf)));
        inBuf = 0;
      }
    }
    if (!chunks.length) return buf.toString('utf8', 0, inBuf);
    if (inBuf) chunks.push(Buffer.from(buf.subarray(0, inBuf)));
    return Buffer.concat(chunks, total).toString('utf8');
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
