import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Platform } from '../../shared/model/discovery.js';
import type { ServiceContext } from '../services/context.js';
import { EventBus } from '../services/events.js';
import { nodeFileSystem } from '../services/node-ports.js';
import { hasSyncAccess, openAdminLogSync } from '../services/audit/admin-log-anchor.js';
import { systemClock, type FileSystemPort, type SecretStore, type WorkstationPort } from '../services/ports.js';
import { openDatabase } from '../services/store/database.js';

/**
 * Composition root for Node processes (CLI, browser-mode server, Electron main): picks the real
 * ports and opens the store. Tests build their own contexts from the same pieces.
 */

export function defaultStateDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.GATEHOUSE_STATE) return env.GATEHOUSE_STATE;
  const home = homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Gatehouse');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Gatehouse');
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'gatehouse');
}

export function currentPlatform(): Platform {
  const p = process.platform;
  return p === 'darwin' || p === 'win32' ? p : 'linux';
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

export interface NodeContextOptions {
  stateDir: string;
  workstation?: Partial<WorkstationPort>;
  mode: ServiceContext['mode'];
  secrets: SecretStore;
  /** The filesystem discovery reads (default: nodeFileSystem, asynchronous). */
  fs?: FileSystemPort;
}

export function createNodeContext(opts: NodeContextOptions): ServiceContext {
  const workstation: WorkstationPort = {
    home: opts.workstation?.home ?? homedir(),
    platform: opts.workstation?.platform ?? currentPlatform(),
    projects: opts.workstation?.projects ?? [],
    systemRoot: opts.workstation?.systemRoot ?? '',
    env: opts.workstation?.env ?? process.env,
  };
  const db = openDatabase(join(opts.stateDir, 'gatehouse.db'));
  // The admin-log key must be bound before the first append. Node stores are synchronous
  // underneath, so it is done here and every root built on this (CLI, serve, tests) has it;
  // with an async-only store (the desktop's safeStorage) the root awaits openAdminLog itself.
  if (hasSyncAccess(opts.secrets)) openAdminLogSync(db, opts.secrets);
  return {
    db,
    events: new EventBus(),
    clock: systemClock,
    fs: opts.fs ?? nodeFileSystem,
    workstation,
    secrets: opts.secrets,
    stateDir: opts.stateDir,
    mode: opts.mode,
    version: packageVersion(),
  };
}
