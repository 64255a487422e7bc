// esbuild options shared by scripts/build-main.mjs and the tests that start the bundles they build.
import { NODE_BUNDLE_OPTIONS } from '../bin/cli-bundle.mjs';

export { NODE_BUNDLE_OPTIONS };

/**
 * In the CJS bundles, `import.meta.url` (modules that locate package.json, the worker modules that
 * start their own file) becomes the bundle's own file URL.
 */
export const CJS_IMPORT_META = {
  define: { 'import.meta.url': '__gatehouseImportMetaUrl' },
  banner: { js: "const __gatehouseImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/**
 * The desktop's audit worker threads (queries and imports), built to dist/electron/audit-worker.cjs:
 * main.cjs requires electron, which a worker thread cannot load. Give it an `outfile`.
 */
export const AUDIT_WORKER_BUILD_OPTIONS = {
  ...NODE_BUNDLE_OPTIONS,
  ...CJS_IMPORT_META,
  entryPoints: ['electron/services/audit/worker-entry.ts'],
  format: 'cjs',
  target: 'node22',
};
