import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * Who is reporting: a stable machine id, the OS user and the hostname.
 *
 * The machine id is derived, never the raw OS id: on Linux /etc/machine-id (or the D-Bus copy) is
 * hashed with an application label (as systemd recommends for app-specific ids), so it is stable
 * across reinstalls of Gatehouse and across users. Elsewhere, or when that file is missing, a random
 * id is created once in the state folder. Imaged machines that share /etc/machine-id, and tests,
 * pass `--machine-id`.
 */
export interface MachineIdentity {
  machineId: string;
  hostname: string;
  osUser: string;
}

export const MACHINE_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

export function stableMachineId(stateDir: string, files = ['/etc/machine-id', '/var/lib/dbus/machine-id']): string {
  for (const f of files) {
    try {
      const raw = readFileSync(f, 'utf8').trim();
      if (/^[0-9a-f]{32}$/i.test(raw)) {
        return 'm-' + createHash('sha256').update(`gatehouse-fleet:${raw.toLowerCase()}`).digest('hex').slice(0, 32);
      }
    } catch {
      // next
    }
  }
  const file = join(stateDir, 'machine-id');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (MACHINE_ID_PATTERN.test(id)) return id;
  }
  const id = 'm-' + randomUUID().replace(/-/g, '');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, id + '\n', { mode: 0o600 });
  return id;
}

export function machineIdentity(stateDir: string, override?: string): MachineIdentity {
  if (override !== undefined && !MACHINE_ID_PATTERN.test(override)) {
    throw new Error(`--machine-id must be 1-128 characters of A-Z a-z 0-9 . _ : @ - (got ${JSON.stringify(override)})`);
  }
  let osUser: string;
  try {
    osUser = userInfo().username;
  } catch {
    osUser = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
  return { machineId: override ?? stableMachineId(stateDir), hostname: hostname(), osUser };
}
