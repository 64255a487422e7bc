// The prebuilt CLI bundle (dist/cli/gatehouse.mjs) and the cache key that says whether it is
// still the build of the sources in this checkout. Plain JavaScript without dependencies (esbuild is
// imported only to build), so bin/gatehouse.mjs can check freshness in a few milliseconds.
//
// The key is the list of files esbuild read for the last build (its metafile, minus node_modules),
// plus the lockfiles, the package manifest and this file, each with its size and mtime and a hash of
// all their contents. Fresh when every size and mtime matches; when some differ (a checkout, a
// touch) the contents decide, so only a real change rebuilds. A change that adds an import changes
// the importing file, so new files are covered too.
//
// `node bin/cli-bundle.mjs` builds the bundle when stale (the root package's `prepare` script, which
// `npm ci` and `npm install` run); `--force` builds it regardless.
import { createRequire } from 'node:module';

// Built-ins through require: bin/gatehouse.mjs loads this module on every run, and an ESM import of
// node:fs or node:crypto builds a facade that runs their lazy getters (fs/promises, webcrypto…).
const require = createRequire(import.meta.url);
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const { fileURLToPath, pathToFileURL } = require('node:url');

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE = join(ROOT, 'dist', 'cli', 'gatehouse.mjs');
/**
 * Lazily loaded chunks (one per command and shared module groups), named by content hash, next to
 * the entry: modules find the checkout from their own URL (`../../package.json`), so every output
 * file must sit at the entry's depth.
 */
const CHUNKS = join(ROOT, 'dist', 'cli');
const CHUNK = /^[\w.-]+-[A-Z0-9]{8}\.mjs$/;
const STAMP = `${BUNDLE}.key.json`;
const LOCK = `${BUNDLE}.lock`;
/** Inputs outside the bundle's own sources that change what it contains. */
const EXTRA_INPUTS = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'bin/cli-bundle.mjs'];

/**
 * Node built-ins (`node:fs`, `node:util`…) are bundled as `process.getBuiltinModule(…)` calls instead
 * of ESM imports. An ESM import of a built-in builds a namespace facade that reads every export,
 * which runs the built-in's lazy getters: `node:fs` loads fs/promises and more, `node:util` its
 * MIME and text helpers, `node:http` all of undici (~5-15 MB and several ms per run, issue #13).
 * Here only the exports the bundle imports are read (builtinModuleSource).
 */
const builtinsByName = {
  name: 'builtins-by-name',
  setup(build) {
    // One module per importer: each reads the names its importer uses, when its importer is
    // evaluated (one shared module would read every name any command imports, at start-up).
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'import-statement'
        ? { path: `${args.path}#${relative(ROOT, args.importer).split('\\').join('/')}`, namespace: 'node-builtin' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: builtinModuleSource(args.path.slice(0, args.path.indexOf('#'))),
      loader: 'js',
    }));
  },
};

/**
 * A built-in as an ES module whose named exports read the built-in's export of that name once, when
 * the importer is evaluated: a pure call each, so esbuild drops every name the importer does not
 * use. (As `module.exports = …`, esbuild's CommonJS interop copied all the built-in's properties
 * into a wrapper at each import, which materialized lazy ones: node:util's setTraceSigInt alone
 * took ~4.5 ms of every run, issue #13.) A lazy export that is costly and not always needed
 * (fs.promises loads fs/promises) is read from the default import where it is used
 * (services/node-ports.ts). `default` is the module.
 */
function builtinModuleSource(specifier) {
  const names = Object.keys(require(specifier)).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
  const read = (n) => `export const ${n} = /* @__PURE__ */ (() => m.${n})();`;
  return [
    `const m = process.getBuiltinModule(${JSON.stringify(specifier)});`,
    'export default m;',
    ...names.map(read),
  ].join('\n');
}

/**
 * secretlint's duplicate-message filter, replaced by a linear one with the same result
 * (electron/cli/secretlint-dedup.ts says why). Its import is relative inside @secretlint/core,
 * which `alias` does not reach.
 */
const secretlintDedup = {
  name: 'secretlint-dedup',
  setup(build) {
    build.onResolve({ filter: /\/filter-duplicated-process\.js$/ }, (args) =>
      /[\\/]@secretlint[\\/]core[\\/]/.test(args.importer)
        ? { path: join(ROOT, 'electron', 'cli', 'secretlint-dedup.ts') }
        : undefined,
    );
  },
};

/** esbuild options of the CLI bundle (scripts/build-main.mjs builds the same). */
/** What every Node-side bundle shares (the CLI here; the desktop's in scripts/build-main.mjs). */
export const NODE_BUNDLE_OPTIONS = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  sourcemap: false,
  legalComments: 'none',
  // Prefer ESM builds: some deps (jsonc-parser) ship a UMD `main` whose dynamic requires break bundling.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
};

export const CLI_BUILD_OPTIONS = {
  ...NODE_BUNDLE_OPTIONS,
  entryPoints: ['electron/cli/main.ts'],
  format: 'esm',
  // Code splitting: each command's dynamic import becomes its own chunk, so `gatehouse --help` or
  // `discover` does not parse and hold the code of serve, fleet (pg) or the live scanner.
  splitting: true,
  entryNames: 'gatehouse',
  chunkNames: '[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  target: 'node22',
  // vite builds the UI from a checkout only; tsx is a dev loader; the keyring is a native addon.
  // cedar-wasm is loaded at run time through createRequire (its nodejs build reads its .wasm from
  // its own folder), so it stays in node_modules and out of the bundle by construction.
  external: ['vite', 'tsx', 'tsx/*', '@napi-rs/keyring', 'electron', '@cedar-policy/cedar-wasm'],
  // secretlint's trace logger: a no-op stand-in (electron/cli/debug-stub.ts says why).
  // yaml: its ES module build (the same code as its CommonJS `node` build, which esbuild would
  // pick for platform node). As CommonJS, every `isMap(node)`… went through a getter of esbuild's
  // interop object (~15% of YAML parsing in a scan's profile) and all of yaml was evaluated at
  // start-up, stringifiers included; as ESM it is scope-hoisted and tree-shaken (issue #13).
  // @secretlint/profiler: a no-op stand-in too (electron/cli/secretlint-profiler-stub.ts says why);
  // its duplicate-message filter: a linear one (plugin secretlintDedup).
  alias: {
    debug: './electron/cli/debug-stub.ts',
    '@secretlint/profiler': './electron/cli/secretlint-profiler-stub.ts',
    yaml: './node_modules/yaml/browser/index.js',
  },
  plugins: [builtinsByName, secretlintDedup],
  banner: {
    js: "import { createRequire as __gatehouseCreateRequire } from 'node:module'; const require = __gatehouseCreateRequire(import.meta.url);",
  },
};

/**
 * Size and mtime of each input. Every run checks this: `ROOT + p` rather than path.join (its first
 * calls cost a few ms), and a missing file is no exception to build and throw.
 */
function fingerprint(paths) {
  const out = [];
  for (const p of paths) {
    const s = statSync(ROOT + p, { throwIfNoEntry: false });
    out.push(s ? [p, s.size, s.mtimeMs] : [p, -1, 0]);
  }
  return out;
}

function contentHash(paths) {
  // node:crypto only here: the usual check (sizes and mtimes match) never needs it.
  const h = require('node:crypto').createHash('sha256');
  for (const p of paths) {
    h.update(`${p}\0`);
    try {
      h.update(readFileSync(join(ROOT, p)));
    } catch {
      h.update('\0missing\0');
    }
  }
  return h.digest('hex');
}

/** True when dist/cli/gatehouse.mjs was built from the sources as they are now. */
export function bundleIsFresh() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
    statSync(BUNDLE);
  } catch {
    return false;
  }
  if (!Array.isArray(stamp.files) || typeof stamp.hash !== 'string' || stamp.hash === 'edited-during-build')
    return false;
  const paths = stamp.files.map((f) => f[0]);
  const now = fingerprint(paths);
  if (now.every((f, i) => f[1] === stamp.files[i][1] && f[2] === stamp.files[i][2])) return true;
  if (contentHash(paths) !== stamp.hash) return false;
  // Same contents, new mtimes (a checkout or a touch): remember them, so the next check is cheap.
  try {
    writeAtomic(STAMP, JSON.stringify({ ...stamp, files: now }));
  } catch {
    // read-only install: the content check keeps working
  }
  return true;
}

function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds dist/cli/gatehouse.mjs and its key. Concurrent callers (parallel test files, two shells)
 * serialize on a lock folder; whoever waited finds the bundle fresh and does not build again.
 */
export async function buildCliBundle({ force = false } = {}) {
  mkdirSync(join(ROOT, 'dist', 'cli'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // A lock older than two minutes is left over from a killed build.
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000 || Date.now() > deadline) rmSync(LOCK, { recursive: true, force: true });
      else sleep(100);
    }
  }
  try {
    if (!force && bundleIsFresh()) return false;
    const { build } = await import('esbuild');
    const tmp = join(ROOT, 'dist', 'cli', `.build-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    const started = Date.now();
    let result;
    try {
      result = await build({ ...CLI_BUILD_OPTIONS, outdir: tmp, metafile: true });
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    // Files only: not node_modules, nor a plugin's virtual module (`node-builtin:node:fs`).
    const sources = Object.keys(result.metafile.inputs).filter(
      (p) => !p.split(/[\\/]/).includes('node_modules') && !/^[\w-]{2,}:/.test(p),
    );
    const paths = [...sources.map((p) => relative(ROOT, join(ROOT, p)).split('\\').join('/')), ...EXTRA_INPUTS];
    // The key is taken after the build; a file edited while esbuild ran may not be in the bundle, so
    // such a build is keyed as stale and the next run builds again.
    const files = fingerprint(paths);
    const hash = files.some((f) => f[2] >= started - 1) ? 'edited-during-build' : contentHash(paths);
    // Chunks first (content-hashed names: a CLI still running the previous entry keeps finding its
    // own), then the entry in one rename, so a reader never sees an entry without its chunks.
    const built = new Set(readdirSync(tmp).filter((n) => n !== 'gatehouse.mjs'));
    for (const name of built) renameSync(join(tmp, name), join(CHUNKS, name));
    renameSync(join(tmp, 'gatehouse.mjs'), BUNDLE);
    rmSync(tmp, { recursive: true, force: true });
    writeAtomic(STAMP, JSON.stringify({ files, hash }));
    removeOldChunks(built);
    // V8's compile cache of earlier chunks (bin/gatehouse.mjs): entries are per file name, and
    // chunks are named by content hash, so each build would otherwise add a set.
    rmSync(join(CHUNKS, '.compile-cache'), { recursive: true, force: true });
    return true;
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Chunks of earlier builds, once no CLI started from them can still be loading them (an hour). */
function removeOldChunks(keep) {
  const cutoff = Date.now() - 3_600_000;
  for (const name of readdirSync(CHUNKS)) {
    if (keep.has(name) || !CHUNK.test(name)) continue;
    const p = join(CHUNKS, name);
    try {
      if (statSync(p).mtimeMs < cutoff) rmSync(p, { force: true });
    } catch {
      // removed by a concurrent build
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  const built = await buildCliBundle({ force: process.argv.includes('--force') });
  process.stdout.write(
    built
      ? `built dist/cli/gatehouse.mjs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`
      : 'dist/cli/gatehouse.mjs is up to date\n',
  );
}
