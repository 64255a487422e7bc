#!/usr/bin/env node
// Entry point of the `gatehouse` CLI. Kept dependency-free so the Node version check runs first.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 5)) {
  process.stderr.write(
    `gatehouse: needs Node.js 22.5 or newer (node:sqlite); this is Node ${process.versions.node}.\n` +
      "Run it through npm (npx gatehouse …), which uses the project's Node 24, or install Node 24.\n",
  );
  process.exit(2);
}
// `serve` is long-running. Two settings keep its memory flat under load (npm run bench -- sse):
// a smaller young generation (4 MB semi-spaces instead of V8's 16 MB), and glibc's allocator told
// to use fewer arenas and hand freed memory back (file reads on libuv's threads otherwise leave
// fragmented arenas that only grow). Both are read when the process starts, so it re-executes
// itself with them (same pid, no child; where process.execve is missing, e.g. Windows, it runs as is).
// --expose-gc: serve collects once after each discovery run (serve.ts), whose parse results
// otherwise sit in the old generation as garbage until it grows far past the live heap.
const SERVE_HEAP_FLAG = '--max-semi-space-size=4';
if (
  process.argv[2] === 'serve' &&
  !process.execArgv.includes(SERVE_HEAP_FLAG) &&
  typeof process.execve === 'function'
) {
  const env = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072', ...process.env };
  process.execve(
    process.execPath,
    [process.execPath, SERVE_HEAP_FLAG, '--expose-gc', ...process.execArgv, ...process.argv.slice(1)],
    env,
  );
}
// One-shot scans: V8 grows the young generation (up to 16 MB semi-spaces) while a scan allocates.
// Kept at its initial size, the 2,000-server scan peaks ~25 MB lower and the 50-server scan stays
// under Snyk's 82 MB (80-82 MB without); the price is more scavenges, ~10-15% more CPU on the
// 2,000-server home (issue #13, `npm run bench -- cli`). The growth factor, unlike the size limits,
// is read when the young generation would grow, so it is set here without re-executing.
// The optimizing compilers (Maglev, TurboFan) start on code that has run a few hundred times; in a
// scan of a few hundred milliseconds their compiles (background threads, memory of their own) do
// not pay back. Deferred 100×, the 2,000-server scan peaks ~17 MB lower (~110 → ~93 MB) with ~10%
// less CPU; a 16,000-server home runs long enough to be optimized as before (same time).
// `npm run bench -- cli` (issue #13). Like the growth factor, read when tiering up: set here.
const oneShotScan = process.argv[2] === 'scan' || process.argv[2] === 'discover';
if (oneShotScan) {
  loadNodeModulesFirst();
  const { setFlagsFromString } = process.getBuiltinModule('node:v8');
  setFlagsFromString('--semi-space-growth-factor=1');
  for (const [flag, v8Default] of [
    ['maglev', 400],
    ['maglev-osr', 100],
    ['turbofan', 3000],
    ['osr', 500],
  ])
    setFlagsFromString(`--invocation-count-for-${flag}=${v8Default * 100}`);
}
// Built-ins as CommonJS modules: an ESM import of node:fs builds a facade that runs its lazy
// getters (fs/promises and more: ~2 MB, a few ms). process.getBuiltinModule is Node 22.3+.
const { existsSync } = process.getBuiltinModule('node:fs');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');
const source = fileURLToPath(new URL('../electron/cli/main.ts', import.meta.url));
// This is the main thread (worker threads load the bundle, never this file): main.ts reads this
// instead of loading node:worker_threads to ask.
globalThis[Symbol.for('gatehouse.cli.startedByBin')] = true;
const bundle = fileURLToPath(new URL('../dist/cli/gatehouse.mjs', import.meta.url));

/**
 * Runs the bundle with V8's compile cache (Node 22.1+) in dist/cli/.compile-cache: compiled code of
 * the bundle's modules, reused while their text is unchanged (Node checks each module's source hash,
 * so a rebuilt chunk is compiled afresh; buildCliBundle also empties the folder). It holds code only,
 * never data. ~10% less CPU per run (issue #13). Where dist/ is read-only the cache is simply off.
 */
async function runBundle() {
  try {
    process
      .getBuiltinModule('node:module')
      .enableCompileCache?.(fileURLToPath(new URL('../dist/cli/.compile-cache', import.meta.url)));
  } catch {
    // no cache: same behaviour, compiled each run
  }
  if (oneShotScan) compileEagerly();
  await import(pathToFileURL(bundle).href);
}

/**
 * The cache holds what V8 compiled when a module was first compiled: its top level, not the
 * functions compiled later when first called, which every run compiled again (lazily). Compiled
 * eagerly (`--no-lazy`), the bundle's modules go into the cache whole: the 2,000-server scan ~9%
 * less CPU and wall time, the 50-server scan ~8%, for ~1 MB more peak RSS (bytecode of functions
 * a scan never calls) and a cache of ~1.1 MB instead of ~0.3 MB (issue #13, alternated runs).
 */
function compileEagerly() {
  const { setFlagsFromString } = process.getBuiltinModule('node:v8');
  setFlagsFromString('--no-lazy');
  // The command's own modules only: run.ts calls this once the command is loaded, so what a scan
  // loads later for some options (--connect: the live scanner, Node's http and tls) compiles lazily,
  // as before.
  globalThis[Symbol.for('gatehouse.cli.commandLoaded')] = () => setFlagsFromString('--lazy');
}

/**
 * Node's own modules come with compiled code that V8 turns down once any V8 flag has changed (its
 * flag hash no longer matches): loaded after the flags above, node:crypto and node:sqlite took
 * ~16-28 ms instead of ~7 (~33 ms under --no-lazy). So the ones a scan needs are loaded before any
 * flag is set; any other is only slower to load.
 */
function loadNodeModulesFirst() {
  try {
    for (const m of ['node:crypto', 'node:sqlite', 'node:os', 'node:async_hooks', 'node:module', 'node:v8'])
      process.getBuiltinModule(m);
    void process.getBuiltinModule('node:util').parseArgs;
    new (process.getBuiltinModule('node:async_hooks').AsyncLocalStorage)();
    performance.now();
    process.getBuiltinModule('node:crypto').hash('sha256', '');
    // stdout and stderr: their streams (net for a pipe, tty, fs for a file) are made on first use.
    void process.stdout;
    void process.stderr;
  } catch {
    // A Node without one of them (node:sqlite behind a flag on early 22.x): the CLI reports it.
  }
}

async function runSource() {
  // Development: compile the TypeScript with tsx on every run (~1 s more per run).
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
}

if (!existsSync(source)) {
  // A package: only the bundled CLI ships.
  await runBundle();
} else if (process.env.GATEHOUSE_DEV === '1') {
  await runSource();
} else {
  // A checkout: run the prebuilt bundle, rebuilt first when the sources changed since it was built
  // (`npm ci` builds it through the `prepare` script), so the CLI is never a stale build.
  const { bundleIsFresh, buildCliBundle } = await import('./cli-bundle.mjs');
  let ready = bundleIsFresh();
  if (!ready) {
    if (process.stderr.isTTY) process.stderr.write('gatehouse: building the CLI (the sources changed)…\n');
    try {
      await buildCliBundle();
      ready = true;
    } catch (err) {
      process.stderr.write(
        `gatehouse: could not build the CLI bundle (${err instanceof Error ? err.message : String(err)}); running the sources through tsx.\n`,
      );
    }
  }
  if (ready) await runBundle();
  else await runSource();
}
