import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, chown, lstat, mkdir, open, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The write side of the filesystem, as a port: the writer never touches node:fs itself, so tests
 * can inject a full disk or an I/O error at any step and check that the original stays intact.
 */
export interface FileStat {
  size: number;
  mtimeMs: number;
  mode: number;
  uid: number;
  gid: number;
  isFile: boolean;
  isSymbolicLink: boolean;
}

export interface WritableFs {
  /** lstat (a symlink is reported as such, not followed); null when the path does not exist. */
  lstat(path: string): Promise<FileStat | null>;
  readBytes(path: string): Promise<Buffer>;
  /** Whether this process may write the path (access W_OK). */
  canWrite(path: string): Promise<boolean>;
  /** Creates `path` exclusively with `mode`, writes `data`, fsyncs and closes it. */
  writeNewSynced(path: string, data: Buffer, mode: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates a folder and its parents (mode 0700 for the new ones). */
  mkdirp(path: string): Promise<void>;
  /** Removes an empty folder (fails when it is not empty). */
  rmdir(path: string): Promise<void>;
  /** fsync a folder so a rename inside it is durable (best effort where unsupported). */
  syncDir(path: string): Promise<void>;
  /** The effective uid of this process (undefined on Windows). */
  uid(): number | undefined;
}

export const nodeWritableFs: WritableFs = {
  async lstat(path) {
    try {
      const s = await lstat(path);
      return {
        size: s.size,
        mtimeMs: s.mtimeMs,
        mode: s.mode,
        uid: s.uid,
        gid: s.gid,
        isFile: s.isFile(),
        isSymbolicLink: s.isSymbolicLink(),
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
  },
  readBytes: (path) => readFile(path),
  async canWrite(path) {
    try {
      await access(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  async writeNewSynced(path, data, mode) {
    const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off);
        off += bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  chmod: (path, mode) => chmod(path, mode),
  chown: (path, uid, gid) => chown(path, uid, gid),
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  async mkdirp(path) {
    await mkdir(path, { recursive: true, mode: 0o700 });
  },
  rmdir: (path) => rmdir(path),
  async syncDir(path) {
    try {
      const fh = await open(path, constants.O_RDONLY);
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch {
      // Windows cannot open a folder for fsync; the rename is still atomic there.
    }
  },
  uid: () => (typeof process.geteuid === 'function' ? process.geteuid() : undefined),
};

/** A temp file name beside `file` (same folder, so the final rename is atomic). */
export function tempPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.gatehouse-${randomBytes(6).toString('hex')}.tmp`);
}
