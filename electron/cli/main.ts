import { isMainThread } from 'node:worker_threads';
import { main } from './run.js';

// The CLI entry point (bin/gatehouse.mjs loads this module); everything else lives in run.ts.
// In the single-file bundle, audit query worker threads (serve) load this same file: they start the
// worker loop (query-worker.ts starts itself once evaluated), never the CLI.
if (isMainThread) process.exitCode = await main(process.argv.slice(2));
else await import('../services/audit/query-worker.js');
