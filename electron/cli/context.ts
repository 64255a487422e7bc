import { createNodeContext } from '../node/runtime.js';
import { openNodeSecretStore } from '../node/secret-store.js';
import { nodeFileSystemSync } from '../services/node-ports.js';
import type { ServiceContext } from '../services/context.js';
import { stateDirFrom, workstationFrom, type DiscoveryFlagValues } from './common-options.js';

/**
 * The service context a command runs with: the store under `--state` (or the default state folder),
 * the workstation the discovery flags describe (none given: this user's), and the Node secret store
 * of that state folder. The caller closes `ctx.db`. One-shot commands read files synchronously
 * (nodeFileSystemSync); `serve` (mode browser) keeps the asynchronous reads.
 */
export function contextFrom(values: DiscoveryFlagValues, mode: ServiceContext['mode'] = 'cli'): ServiceContext {
  const stateDir = stateDirFrom(values);
  const workstation = workstationFrom(values);
  return createNodeContext({
    stateDir,
    workstation,
    mode,
    secrets: openNodeSecretStore(stateDir),
    ...(mode === 'cli' ? { fs: nodeFileSystemSync } : {}),
  });
}
