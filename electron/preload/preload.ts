import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge.js';

// Sandboxed preload, bundled by esbuild into one CommonJS file (dist/electron/preload.cjs).
// Exposes nothing but the typed invoke/subscribe bridge; no Node or Electron object leaks.
// The name lists are injected at build time from shared/api/contract.ts (see scripts/build-main.mjs).
declare const __GATEHOUSE_METHOD_NAMES__: readonly string[];
declare const __GATEHOUSE_EVENT_NAMES__: readonly string[];

contextBridge.exposeInMainWorld(
  'gatehouse',
  createBridge(ipcRenderer, __GATEHOUSE_METHOD_NAMES__, __GATEHOUSE_EVENT_NAMES__),
);
