import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Snyk Agent Scan (PyPI `snyk-agent-scan`, pinned in scripts/snyk/install.sh) as the peer the CLI
 * bench compares against: its `inspect` on the same home, with stdin closed so it contacts no
 * server (it declines every consent prompt), wall time and peak RSS like ours.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIME = '/usr/bin/time';
/** What /usr/bin/time reports for a child: its peak RSS and CPU time, read by timeFigures. */
export const TIME_FORMAT = 'GH_MAXRSS_KB=%M GH_CPU_S=%U+%S';

/** Peak RSS (MB) and user + system CPU time (ms) of a child run under /usr/bin/time -f TIME_FORMAT. */
export function timeFigures(stderr: string): { rssMb: number; cpuMs: number } {
  const m = /GH_MAXRSS_KB=(\d+) GH_CPU_S=([\d.]+)\+([\d.]+)/.exec(stderr);
  return m ? { rssMb: Number(m[1]) / 1024, cpuMs: (Number(m[2]) + Number(m[3])) * 1000 } : { rssMb: NaN, cpuMs: NaN };
}

export interface Peer {
  bin: string;
}

/** Installs (or finds) the pinned peer; the reason when it cannot, so the bench can say why it skipped. */
export function snykPeer(): Peer | { skipped: string } {
  const r = spawnSync('bash', [join(ROOT, 'scripts/snyk/install.sh')], { encoding: 'utf8', timeout: 300_000 });
  const bin = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !existsSync(bin))
    return {
      skipped: `snyk-agent-scan could not be installed from PyPI (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`,
    };
  return { bin };
}

export interface PeerSample {
  ms: number;
  rssMb: number;
  /** User + system CPU time (from /usr/bin/time; NaN without it). */
  cpuMs: number;
  /** Servers the peer listed for this home. */
  servers: number;
}

/** One `snyk-agent-scan inspect --json` run with HOME pointed at the synthetic home. */
export function runSnyk(peer: Peer, home: string, storage: string): PeerSample {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, USERPROFILE: home };
  const useTime = existsSync(TIME);
  const args = ['inspect', '--json', '--no-skills', '--storage-file', storage];
  const t0 = performance.now();
  const r = spawnSync(useTime ? TIME : peer.bin, useTime ? ['-f', TIME_FORMAT, peer.bin, ...args] : args, {
    env,
    encoding: 'utf8',
    input: '',
    maxBuffer: 256 << 20,
    timeout: 300_000,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`snyk-agent-scan inspect exited ${r.status}: ${r.stderr.slice(-400)}`);
  const out = JSON.parse(r.stdout) as Record<string, { servers?: unknown[] | null }>;
  const servers = Object.values(out).reduce((n, c) => n + (c.servers?.length ?? 0), 0);
  return { ms, ...timeFigures(r.stderr), servers };
}
