import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiscoveryResult } from '../../shared/model/discovery.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs `gatehouse discover --format json` over the same folders a spec serves, as the oracle of
 * what the UI must show (the CLI and the UI sit on the same service).
 */
export function discoverJson(opts: {
  home: string;
  platform?: string;
  projects?: string[];
  systemRoot: string;
}): DiscoveryResult {
  const args = [join(REPO, 'bin', 'gatehouse.mjs'), 'discover', '--format', 'json', '--home', opts.home];
  args.push('--platform', opts.platform ?? 'linux', '--system-root', opts.systemRoot);
  for (const p of opts.projects ?? []) args.push('--project', p);
  const out = execFileSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return DiscoveryResult.parse(JSON.parse(out));
}
