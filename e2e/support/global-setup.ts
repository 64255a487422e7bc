import { ensureRendererBuilt } from '../../electron/node/renderer-assets.js';

/**
 * Builds the UI once before any worker starts: every spec's `gatehouse serve` would otherwise
 * rebuild a missing or stale dist/renderer on its own, and two parallel builds race on emptyOutDir.
 */
export default async function globalSetup(): Promise<void> {
  await ensureRendererBuilt((line) => process.stderr.write(line + '\n'));
}
