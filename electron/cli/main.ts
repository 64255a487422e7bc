import { isMainThread } from 'node:worker_threads';
import { main } from './run.js';

// The CLI entry point (bin/gatehouse.mjs loads this module); everything else lives in run.ts.
// In the single-file bundle, audit worker threads (serve's queries and imports) load this same file:
// they start their loop (worker-entry.ts: each worker module starts itself), never the CLI.
if (isMainThread) process.exitCode = await main(process.argv.slice(2));
else await import('../services/audit/worker-entry.js');
