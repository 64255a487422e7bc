import { constants, watch } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import type { DirWatcherPort } from './discovery/watch.js';
import type { FileSystemPort } from './ports.js';

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * Reads at most `maxBytes` of a regular file. Opened non-blocking (a character device such as
 * `/proc/kmsg` or a FIFO swapped in after the stat answers EAGAIN instead of blocking a thread
 * forever), checked with fstat on the open handle (no race with the earlier stat), and read in
 * chunks up to the cap: `/proc` and `/sys` files report size 0 but can yield gigabytes.
 */
async function readCapped(path: string, maxBytes: number): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw fsError('EFTYPE', 'not a regular file');
    if (st.size > maxBytes) throw fsError('EFBIG', `file too large (${st.size} bytes)`);
    // Buffers sized by the fstat size (one byte more, to see growth), filled in place: a config
    // file is one read plus the read that sees its end (a 64 KiB buffer and a copy per file was
    // much of a 200-file scan's read time). Size 0 (/proc) reads 64 KiB at a time.
    const chunks: Buffer[] = [];
    let total = 0;
    let buf = Buffer.allocUnsafe(Math.min(st.size > 0 ? st.size + 1 : 1 << 16, maxBytes + 1));
    let filled = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, filled, Math.min(buf.length - filled, maxBytes + 1 - total), null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      total += bytesRead;
      if (total > maxBytes) throw fsError('EFBIG', `file too large (over ${maxBytes} bytes)`);
      if (filled === buf.length) {
        chunks.push(buf);
        buf = Buffer.allocUnsafe(Math.min(1 << 16, maxBytes + 1 - total));
        filled = 0;
      }
    }
    if (filled > 0) chunks.push(buf.subarray(0, filled));
    return (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The real filesystem, for the CLI, browser mode and the desktop app's main process. */
export const nodeFileSystem: FileSystemPort = {
  readFile: (path, opts) => (opts?.maxBytes !== undefined ? readCapped(path, opts.maxBytes) : readFile(path, 'utf8')),
  async stat(path) {
    try {
      const s = await stat(path);
      return { mode: s.mode, isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
        return null;
      throw err;
    }
  },
  readdir: (path) => readdir(path),
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
