import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * execArgv for a worker thread started from an audit module's own file. Running from the TypeScript
 * sources, the worker needs the tsx loader too (inherited when given as --import; registered through
 * its API, e.g. GATEHOUSE_DEV=1, it is not). Bundled, the inherited flags are right.
 */
export function workerExecArgv(moduleUrl: string): string[] | undefined {
  if (!moduleUrl.endsWith('.ts') || process.execArgv.some((a) => a.includes('tsx'))) return undefined;
  // (createRequire rather than import.meta.resolve: the desktop's CJS bundle has no import.meta.)
  return [...process.execArgv, '--import', pathToFileURL(createRequire(moduleUrl).resolve('tsx')).href];
}
