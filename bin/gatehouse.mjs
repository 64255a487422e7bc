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
const { existsSync } = await import('node:fs');
const { fileURLToPath, pathToFileURL } = await import('node:url');
const source = fileURLToPath(new URL('../electron/cli/main.ts', import.meta.url));
if (existsSync(source)) {
  // A checkout: run the TypeScript source through tsx, so the CLI is never a stale build.
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  // A package: only the bundled CLI ships.
  await import(pathToFileURL(fileURLToPath(new URL('../dist/cli/gatehouse.mjs', import.meta.url))).href);
}
