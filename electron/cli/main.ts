import { main } from './run.js';

// The CLI entry point (bin/gatehouse.mjs loads this module); everything else lives in run.ts.
process.exitCode = await main(process.argv.slice(2));
