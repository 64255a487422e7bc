import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_DIST = join(ROOT, 'dist', 'renderer');
const RENDERER_SRC = join(ROOT, 'renderer');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/**
 * The folder of the built UI. In a checkout the UI is built (Vite) when it is missing or older
 * than its sources, so `npx gatehouse serve` works right after `npm ci`.
 */
export async function ensureRendererBuilt(log: (line: string) => void): Promise<string> {
  const index = join(RENDERER_DIST, 'index.html');
  const haveSources = existsSync(RENDERER_SRC);
  const stale =
    !existsSync(index) ||
    (haveSources && newestMtime(RENDERER_SRC) > statSync(index).mtimeMs) ||
    (haveSources && newestMtime(join(ROOT, 'shared')) > statSync(index).mtimeMs);
  if (!stale) return RENDERER_DIST;
  if (!haveSources) throw new Error(`The UI is not built and its sources are absent (looked for ${index}).`);
  log('gatehouse: building the UI (first run or sources changed)…');
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  return RENDERER_DIST;
}
