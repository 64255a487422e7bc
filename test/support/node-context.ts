import { join } from 'node:path';
import { createNodeContext } from '../../electron/node/runtime.js';
import { openNodeSecretStore } from '../../electron/node/secret-store.js';
import type { ServiceContext } from '../../electron/services/context.js';

/**
 * A desktop-mode context over a temp `root`: state in root/state, a linux workstation whose home
 * is `home`, no system root, the file-backed secret store without the OS keyring.
 */
export function homeContext(root: string, home: string): ServiceContext {
  const stateDir = join(root, 'state');
  return createNodeContext({
    stateDir,
    mode: 'desktop',
    workstation: { home, platform: 'linux', projects: [], systemRoot: join(root, 'none'), env: {} },
    secrets: openNodeSecretStore(stateDir, { keyring: null }),
  });
}

/**
 * A CLI-mode context (no follower, no watchers) over a temp `root`: state in `stateDir` (default
 * root itself), a linux workstation with home root/home, no system root, the file-backed secret store
 * without the OS keyring.
 */
export function cliContext(root: string, stateDir = root): ServiceContext {
  return createNodeContext({
    stateDir,
    mode: 'cli',
    workstation: { home: join(root, 'home'), platform: 'linux', projects: [], systemRoot: join(root, 'none'), env: {} },
    secrets: openNodeSecretStore(stateDir, { keyring: null }),
  });
}
