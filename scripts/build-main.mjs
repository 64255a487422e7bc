// Bundles the Node-side entry points with esbuild (the renderer is built by Vite into dist/renderer):
//   electron/main/main.ts       → dist/electron/main.cjs     (CJS, Electron main; electron external)
//   electron/preload/preload.ts → dist/electron/preload.cjs  (ONE CJS file: sandboxed preloads cannot require)
//   electron/services/audit/worker-entry.ts → dist/electron/audit-worker.cjs (the desktop's audit query
//                                 and ingest threads: main.cjs requires electron, which a worker cannot load)
//   electron/cli/main.ts        → dist/cli/gatehouse.mjs     (ESM, Node 22.5+; what `gatehouse` runs,
//                                 with its cache key: see bin/cli-bundle.mjs)
import { build } from 'esbuild';
import { buildCliBundle } from '../bin/cli-bundle.mjs';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));
// The preload's allow-lists come from the contract itself, so they cannot drift from it.
const contract = await tsImport('../shared/api/contract.ts', import.meta.url);
const names = {
  __GATEHOUSE_METHOD_NAMES__: JSON.stringify(contract.METHOD_NAMES),
  __GATEHOUSE_EVENT_NAMES__: JSON.stringify(contract.EVENT_NAMES),
};
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  sourcemap: false,
  legalComments: 'none',
  // Prefer ESM builds: some deps (jsonc-parser) ship a UMD `main` whose dynamic requires break bundling.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
};
// In the CJS bundles, `import.meta.url` (used by modules that locate package.json) becomes the
// bundle's own file URL.
const cjsImportMeta = {
  define: { 'import.meta.url': '__gatehouseImportMetaUrl' },
  banner: { js: "const __gatehouseImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

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
  build({
    ...common,
    ...cjsImportMeta,
    entryPoints: ['electron/services/audit/worker-entry.ts'],
    outfile: 'dist/electron/audit-worker.cjs',
    format: 'cjs',
    target: 'node22',
  }),
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
