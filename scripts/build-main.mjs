// Bundles the Node-side entry points with esbuild (the renderer is built by Vite into dist/renderer):
//   electron/main/main.ts       → dist/electron/main.cjs     (CJS, Electron main; electron external)
//   electron/preload/preload.ts → dist/electron/preload.cjs  (ONE CJS file: sandboxed preloads cannot require)
//   electron/services/audit/worker-entry.ts → dist/electron/audit-worker.cjs (the desktop's audit query
//                                 and ingest threads: main.cjs requires electron, which a worker cannot load)
//   electron/cli/main.ts        → dist/cli/gatehouse.mjs     (ESM, Node 22.5+; what `gatehouse` runs,
//                                 with its cache key: see bin/cli-bundle.mjs)
import { build } from 'esbuild';
import { buildCliBundle } from '../bin/cli-bundle.mjs';
import { AUDIT_WORKER_BUILD_OPTIONS, CJS_IMPORT_META, NODE_BUNDLE_OPTIONS } from './audit-worker-bundle.mjs';
import { tsImport } from 'tsx/esm/api';

// The preload's allow-lists come from the contract itself, so they cannot drift from it.
const contract = await tsImport('../shared/api/contract.ts', import.meta.url);
const names = {
  __GATEHOUSE_METHOD_NAMES__: JSON.stringify(contract.METHOD_NAMES),
  __GATEHOUSE_EVENT_NAMES__: JSON.stringify(contract.EVENT_NAMES),
};
const common = NODE_BUNDLE_OPTIONS;
const cjsImportMeta = CJS_IMPORT_META;

const results = await Promise.allSettled([
  build({
    ...common,
    ...cjsImportMeta,
    entryPoints: ['electron/main/main.ts'],
    outfile: 'dist/electron/main.cjs',
    format: 'cjs',
    target: 'node22',
    external: ['electron', 'vite'],
  }),
  build({ ...AUDIT_WORKER_BUILD_OPTIONS, outfile: 'dist/electron/audit-worker.cjs' }),
  build({
    ...common,
    entryPoints: ['electron/preload/preload.ts'],
    outfile: 'dist/electron/preload.cjs',
    format: 'cjs',
    // Sandboxed preloads run in a renderer with a limited `require`; only electron stays external.
    platform: 'browser',
    target: 'chrome140',
    external: ['electron'],
    define: names,
  }),
  buildCliBundle({ force: true }),
]);
const failed = results.filter((r) => r.status === 'rejected');
if (failed.length > 0) {
  for (const f of failed) process.stderr.write(`${f.reason instanceof Error ? f.reason.message : String(f.reason)}\n`);
  process.stderr.write(`build-main: ${failed.length} of ${results.length} bundles failed\n`);
  process.exit(1);
}
process.stdout.write('built dist/electron/main.cjs, audit-worker.cjs, preload.cjs, dist/cli/gatehouse.mjs\n');
