import { main } from './run.js';

// The CLI entry point (bin/gatehouse.mjs loads this module); everything else lives in run.ts.
// In the single-file bundle, audit worker threads (serve's queries and imports) load this same file:
// they start their loop (worker-entry.ts: each worker module starts itself), never the CLI.

/**
 * Set by bin/gatehouse.mjs, which only a process's main thread runs: then the CLI need not load
 * node:worker_threads to ask (~3 ms of every run, issue #13). Anything else asks it.
 */
const STARTED_BY_BIN = Symbol.for('gatehouse.cli.startedByBin');

function isMainThread(): boolean {
  if ((globalThis as Record<symbol, unknown>)[STARTED_BY_BIN] === true) return true;
  return process.getBuiltinModule('node:worker_threads').isMainThread;
}

if (isMainThread()) process.exitCode = await main(process.argv.slice(2));
else await import('../services/audit/worker-entry.js');
