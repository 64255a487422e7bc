import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runSnyk, snykPeer, TIME_FORMAT, timeFigures, type PeerSample } from './snyk.js';
import { generateSyntheticWorkstation, type SyntheticWorkstation } from './synthetic-workstation.js';

/**
 * CLI start-up benchmark (issue #13 item 1): wall time and peak RSS of whole `gatehouse discover`
 * and `gatehouse scan` processes, as a user runs them (`bin/gatehouse.mjs`, which runs the prebuilt
 * bundle), against the development path (`GATEHOUSE_DEV=1`: TypeScript compiled by tsx on every
 * run — what every run did before the bundle was used). Two homes: a small one (~50 servers, like
 * the held-out homes) and the 2,000-server synthetic workstation. Median of a few runs each; peak
 * RSS and CPU time (user + system, steadier than wall time on a loaded machine) from /usr/bin/time
 * (the child's), so they are the CLI's own and not this process's.
 * Goal: ≤ 0.2× Snyk agent-scan's `inspect` wall time, peak RSS ≤ Snyk's (83 MB when measured for
 * the issue). Snyk runs on the same homes when it can be installed from PyPI (bench/snyk.ts),
 * alternately with `gatehouse scan` run by run, so the ratio compares runs made under the same load.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/gatehouse.mjs');
const TIME = '/usr/bin/time';

interface Sample {
  ms: number;
  rssMb: number;
  /** User + system CPU time: steadier than wall time on a loaded machine. */
  cpuMs: number;
  /** Servers listed by `discover --format json`. */
  servers?: number;
}

function runCli(args: string[], dev: boolean): Sample {
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_DEV: dev ? '1' : '' };
  delete env.NODE_OPTIONS;
  const useTime = existsSync(TIME);
  const argv = useTime ? ['-f', TIME_FORMAT, process.execPath, BIN, ...args] : [BIN, ...args];
  const t0 = performance.now();
  const r = spawnSync(useTime ? TIME : process.execPath, argv, { env, encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = performance.now() - t0;
  // discover exits 0; scan exits 1 when it has findings (it always has on these homes).
  if (r.status !== 0 && r.status !== 1) throw new Error(`gatehouse ${args[0]} exited ${r.status}: ${r.stderr}`);
  if (!r.stdout.includes('"servers"') && !r.stdout.includes('"findings"'))
    throw new Error(`gatehouse ${args[0]}: unexpected output ${r.stdout.slice(0, 200)}`);
  const servers = args[0] === 'discover' ? (JSON.parse(r.stdout) as { servers: unknown[] }).servers.length : undefined;
  return { ms, ...timeFigures(r.stderr), ...(servers !== undefined ? { servers } : {}) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function measure(args: string[], dev: boolean, runs: number): Sample {
  runCli(args, dev); // warm-up: OS file cache, and the bundle cache on a first run
  const samples = Array.from({ length: runs }, () => runCli(args, dev));
  return {
    ms: median(samples.map((s) => s.ms)),
    rssMb: Math.max(...samples.map((s) => s.rssMb)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    ...(samples[0]?.servers !== undefined ? { servers: samples[0].servers } : {}),
  };
}

/**
 * `gatehouse scan` and the peer run alternately, run by run (after a warm-up of each), so both see
 * the same machine: on a shared machine, measuring one after the other skewed the ratio by the
 * load of the moment.
 */
function measureScanAndPeer(
  scan: () => Sample,
  peer: () => PeerSample,
  runs: number,
): { scan: Sample; peer: PeerSample } {
  scan();
  peer();
  const ours: Sample[] = [];
  const theirs: PeerSample[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(scan());
    theirs.push(peer());
  }
  return {
    scan: {
      ms: median(ours.map((s) => s.ms)),
      rssMb: Math.max(...ours.map((s) => s.rssMb)),
      cpuMs: median(ours.map((s) => s.cpuMs)),
    },
    peer: {
      ms: median(theirs.map((s) => s.ms)),
      rssMb: Math.max(...theirs.map((s) => s.rssMb)),
      cpuMs: median(theirs.map((s) => s.cpuMs)),
      servers: theirs[0]!.servers,
    },
  };
}

function flags(synth: SyntheticWorkstation, state: string): string[] {
  const f = ['--platform', 'linux', '--home', synth.ws.home, '--state', state, '--format', 'json'];
  for (const p of synth.ws.projects) f.push('--project', p);
  if (synth.ws.systemRoot) f.push('--system-root', synth.ws.systemRoot);
  return f;
}

export async function benchCli(runs = 5): Promise<Record<string, string | number>> {
  const homes: Array<[string, SyntheticWorkstation]> = [
    ['small home', await generateSyntheticWorkstation({ files: 10, serversPerFile: 5, seed: 7 })],
    ['2,000-server home', await generateSyntheticWorkstation()],
  ];
  const state = await mkdtemp(join(tmpdir(), 'gh-cli-bench-'));
  const out: Record<string, string | number> = {};
  const peer = snykPeer();
  try {
    for (const [label, synth] of homes) {
      const sampled: Record<string, Sample> = {};
      for (const command of ['discover', 'scan']) {
        const args = [command, ...flags(synth, join(state, label.replace(/\W+/g, '-')))];
        const bundle = measure(args, false, runs);
        const dev = measure(args, true, runs);
        sampled[command] = bundle;
        const key = `${command}, ${label} (${synth.servers})`;
        out[`${key}: bundle ms / MB`] = `${bundle.ms.toFixed(0)} / ${bundle.rssMb.toFixed(0)}`;
        out[`${key}: tsx (dev) ms / MB`] = `${dev.ms.toFixed(0)} / ${dev.rssMb.toFixed(0)}`;
        out[`${key}: bundle ÷ tsx`] =
          `${(bundle.ms / dev.ms).toFixed(2)}× time, ${(bundle.rssMb / dev.rssMb).toFixed(2)}× RSS`;
        out[`${key}: RSS ≤ 83 MB`] = bundle.rssMb <= 83 ? 'yes' : 'no';
      }
      // The peer on the same home: Snyk Agent Scan's `inspect` (it contacts no server here).
      const key = `snyk inspect, ${label} (${synth.servers})`;
      if ('skipped' in peer) {
        out[key] = `skipped: ${peer.skipped}`;
        continue;
      }
      const storage = join(state, `snyk-${label.replace(/\W+/g, '-')}.json`);
      const scanArgs = ['scan', ...flags(synth, join(state, label.replace(/\W+/g, '-')))];
      const paired = measureScanAndPeer(
        () => runCli(scanArgs, false),
        () => runSnyk(peer, synth.ws.home, storage),
        runs,
      );
      const { scan, peer: snyk } = paired;
      out[`${key}: ms / CPU ms / MB`] = `${snyk.ms.toFixed(0)} / ${snyk.cpuMs.toFixed(0)} / ${snyk.rssMb.toFixed(0)}`;
      out[`${key}: servers found (gatehouse / snyk)`] =
        `${sampled.discover?.servers ?? '?'} / ${snyk.servers} of ${synth.servers} (snyk reads the home only; project files need its CONFIG_FILE arguments)`;
      out[`${key}: gatehouse scan ms / CPU ms / MB, run alternately with snyk`] =
        `${scan.ms.toFixed(0)} / ${scan.cpuMs.toFixed(0)} / ${scan.rssMb.toFixed(0)}`;
      out[`${key}: gatehouse scan ÷ snyk (goal ≤ 0.2×)`] =
        `${(scan.ms / snyk.ms).toFixed(2)}× time, ${(scan.cpuMs / snyk.cpuMs).toFixed(2)}× CPU, ${(scan.rssMb / snyk.rssMb).toFixed(2)}× RSS`;
      out[`${key}: time goal met (≤ 0.2×)`] = scan.ms <= 0.2 * snyk.ms ? 'yes' : 'no';
      out[`${key}: gatehouse RSS ≤ snyk's`] = scan.rssMb <= snyk.rssMb ? 'yes' : 'no';
    }
    out.runs = `${runs} (median wall; max RSS)`;
    return out;
  } finally {
    await rm(state, { recursive: true, force: true });
    for (const [, s] of homes) await rm(s.root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchCli();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(50)} ${v}\n`);
}
