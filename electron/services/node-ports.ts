import { readdir, readFile, stat } from 'node:fs/promises';
import type { FileSystemPort } from './ports.js';

/** The real filesystem, for the CLI, browser mode and the desktop app's main process. */
export const nodeFileSystem: FileSystemPort = {
  readFile: (path) => readFile(path, 'utf8'),
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
