import { isMainThread } from 'node:worker_threads';
import { main } from './run.js';

// The CLI entry point (bin/gatehouse.mjs loads this module); everything else lives in run.ts.
// In the bundle, worker threads (audit queries) load this same file: they must not run the CLI.
if (isMainThread) process.exitCode = await main(process.argv.slice(2));
