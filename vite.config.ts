import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const rendererRoot = fileURLToPath(new URL('./renderer', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/renderer', import.meta.url));

/**
 * Build gate: the renderer runs in a sandboxed page and talks only through AdminClient, so a Node
 * built-in or electron reaching the bundle is a bug, not something to polyfill.
 */
function browserOnly(): Plugin {
  return {
    name: 'gatehouse:browser-only',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id.startsWith('node:') || id === 'electron' || id.startsWith('electron/')) {
        this.error(`"${id}" must not be imported by the renderer (imported from ${importer ?? '?'})`);
      }
      return null;
    },
  };
}

export default defineConfig({
  root: rendererRoot,
  // Relative asset URLs: the same build is served over loopback HTTP and loaded from file:// by Electron.
  base: './',
  plugins: [browserOnly(), react()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2023',
    // CSP is `script-src 'self'`: no inline module-preload polyfill, no data: URIs for assets.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
