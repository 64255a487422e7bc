import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { PLATFORMS } from '../../shared/model/enums.js';
import type { WorkstationPort } from '../services/ports.js';
import { defaultStateDir } from '../node/runtime.js';
import { UsageError } from './usage-error.js';

/** Environment variables that move a client's config folder (client-configs.md). */
const CONFIG_RELOCATIONS = ['CODEX_HOME', 'CLAUDE_CONFIG_DIR', 'COPILOT_HOME'];

/** Flags every command that looks at the workstation shares. */
export const discoveryFlags = {
  home: { type: 'string' },
  platform: { type: 'string' },
  project: { type: 'string', multiple: true },
  'system-root': { type: 'string' },
  state: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const DISCOVERY_FLAGS_HELP = `  --home DIR           treat DIR as the user's home (default: your home)
  --platform P         linux | darwin | win32: resolve that OS's paths under the home
  --project DIR        a project folder to inspect for project-scope files (repeatable)
  --system-root DIR    prefix for managed/system paths (default: none)
  --state DIR          local store (default: OS app-data folder, or $GATEHOUSE_STATE)`;

/** `--gateway NAME` (repeatable) for discover/scan: include a configured gateway. */
export const gatewayFlag = { gateway: { type: 'string', multiple: true } } as const;
export const GATEWAY_FLAG_HELP =
  '  --gateway NAME       also read configured gateway NAME (repeatable; see `gatehouse gateway add`)';

export interface DiscoveryFlagValues {
  home?: string;
  platform?: string;
  project?: string[];
  'system-root'?: string;
  state?: string;
}

export function workstationFrom(values: DiscoveryFlagValues): Partial<WorkstationPort> {
  const ws: Partial<WorkstationPort> = {};
  if (values.home !== undefined) {
    ws.home = resolve(values.home);
    // Another home means another user's layout: this shell's config relocations describe *this*
    // user, so they must not redirect it. The rest of the environment still resolves references.
    const env = { ...process.env };
    for (const k of CONFIG_RELOCATIONS) delete env[k];
    ws.env = env;
  }
  if (values.platform !== undefined) {
    const p = PLATFORMS.find((x) => x === values.platform);
    if (!p) throw new UsageError(`--platform must be linux, darwin or win32 (got "${values.platform}")`);
    ws.platform = p;
  }
  if (values.project) ws.projects = values.project.map((p) => resolve(p));
  if (values['system-root'] !== undefined) ws.systemRoot = resolve(values['system-root']);
  return ws;
}

export function stateDirFrom(values: { state?: string }): string {
  return values.state !== undefined ? resolve(values.state) : defaultStateDir();
}

export function formatFrom<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--format must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}
