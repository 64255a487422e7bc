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
const { existsSync } = await import('node:fs');
const { fileURLToPath, pathToFileURL } = await import('node:url');
const source = fileURLToPath(new URL('../electron/cli/main.ts', import.meta.url));
const bundle = fileURLToPath(new URL('../dist/cli/gatehouse.mjs', import.meta.url));

async function runSource() {
  // Development: compile the TypeScript with tsx on every run (~1 s more per run).
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
}

if (!existsSync(source)) {
  // A package: only the bundled CLI ships.
  await import(pathToFileURL(bundle).href);
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
  if (ready) await import(pathToFileURL(bundle).href);
  else await runSource();
}
