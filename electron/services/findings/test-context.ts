import { join } from 'node:path';
import { createNodeContext } from '../../node/runtime.js';
import { openNodeSecretStore } from '../../node/secret-store.js';
import type { ServiceContext } from '../context.js';
import type { Clock } from '../ports.js';

/**
 * A real service context for findings tests: SQLite and the encrypted-file secret store under
 * `root/state`, a linux workstation whose home is `root/home`, no projects, no managed files, an
 * empty environment and the given clock.
 */
export function findingsTestContext(root: string, clock: Clock): ServiceContext {
  const stateDir = join(root, 'state');
  const base = createNodeContext({
    stateDir,
    mode: 'browser',
    workstation: { home: join(root, 'home'), platform: 'linux', projects: [], systemRoot: join(root, 'none'), env: {} },
    secrets: openNodeSecretStore(stateDir, { keyring: null }),
  });
  return { ...base, clock };
}
