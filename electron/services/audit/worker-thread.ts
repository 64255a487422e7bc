import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { pathToFileURL } from 'node:url';

/** What the audit worker threads (queries, ingest) share: their start-up arguments and priority. */

/** Extra exec arguments for a worker started from the TypeScript sources (undefined: inherit). */
export function workerExecArgv(moduleUrl: string): string[] | undefined {
  // Running from the sources, the worker needs the tsx loader too (inherited when given as
  // --import; registered through its API, e.g. GATEHOUSE_DEV=1, it is not).
  if (!moduleUrl.endsWith('.ts') || process.execArgv.some((a) => a.includes('tsx'))) return undefined;
  // (createRequire rather than import.meta.resolve: the desktop's CJS bundle has no import.meta.)
  return [...process.execArgv, '--import', pathToFileURL(createRequire(moduleUrl).resolve('tsx')).href];
}

/**
 * Lowers this worker thread below the serving thread (issue #13 item 2): on 2 cores a busy worker
 * would otherwise share the CPU evenly with the event loop and delay its answers. On Linux the nice
 * value is per thread and setpriority(0) means this thread; elsewhere it would lower the whole
 * process, so it is left alone.
 */
export function lowerThreadPriority(nice: number | undefined): void {
  if (process.platform !== 'linux' || !nice) return;
  try {
    setPriority(0, nice);
  } catch {
    /* not allowed here: run at normal priority */
  }
}
