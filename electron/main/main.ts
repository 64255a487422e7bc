import { app, BrowserWindow, ipcMain, protocol, safeStorage, session, shell } from 'electron';
import { startDesktopApp } from './app.js';

// Electron main entry, bundled by scripts/build-main.mjs into dist/electron/main.cjs.
startDesktopApp({ app, BrowserWindow, ipcMain, protocol, session, shell, safeStorage }, { mainDir: __dirname }).catch(
  (err: unknown) => {
    process.stderr.write(
      `gatehouse: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    app.exit(1);
  },
);
