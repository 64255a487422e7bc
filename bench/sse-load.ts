import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRendererBuilt } from '../electron/node/renderer-assets.js';
import { generateSyntheticWorkstation } from './synthetic-workstation.js';

/**
 * SSE load against a real `gatehouse serve` process (issue #13 item 3): `slow` clients open
 * /api/events and then never read (loopback sockets with paused reads), one client reads
 * everything, and `discoveries` discovery runs publish thousands of progress and store.changed
 * events. Used by the SSE backpressure test (behaviour) and by `npm run bench -- sse` (memory).
 */

const BIN = fileURLToPath(new URL('../bin/gatehouse.mjs', import.meta.url));

export interface SseLoadOptions {
  files?: number;
  slow?: number;
  discoveries?: number;
}

export interface SlowClientResult {
  /** The server closed the stream (disconnected as a slow consumer). */
  ended: boolean;
  progressEvents: number;
  bytes: number;
  lastProgress: string | null;
}

export interface SseLoadResult {
  servers: number;
  sources: number;
  readerProgressEvents: number;
  /** Progress events the reader got with phase "done" (one per discovery run). */
  readerDoneEvents: number;
  /** store.changed events the reader got (each discovery run publishes one). */
  readerStoreChanged: number;
  /** Whether the reader's progress never went backwards within a phase. */
  readerProgressMonotonic: boolean;
  readerBytes: number;
  slow: SlowClientResult[];
  /** Server RSS (MB) before the load, at its highest (VmHWM), and after. */
  rssStartMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  appInfoMsAfter: number;
  seconds: number;
}

function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function openStream(
  port: number,
  token: string,
): Promise<{ socket: Socket; data: () => string; ended: () => boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let ended = false;
    let ready = false;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
      if (!ready && text.includes(': connected')) {
        ready = true;
        resolve({ socket, data: () => text, ended: () => ended });
      }
    });
    socket.on('close', () => (ended = true));
    socket.on('error', (err) => (ready ? (ended = true) : reject(err)));
    socket.write(
      `GET /api/events?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`,
    );
  });
}

const progressCount = (text: string) => text.split('event: discovery.progress\n').length - 1;
const progressPayloads = (text: string) =>
  text
    .split('event: discovery.progress\ndata: ')
    .slice(1)
    .map((chunk) => JSON.parse(chunk.slice(0, chunk.indexOf('\n'))) as { phase: string; done: number; total: number });
/** Within each phase of each run, `done` never decreases (a new run or phase starts over). */
const monotonic = (steps: { phase: string; done: number; total: number }[]) =>
  steps.every((s, i) => {
    const prev = steps[i - 1];
    return !prev || prev.phase !== s.phase || prev.total !== s.total || s.done >= prev.done || s.done === 0;
  });
const lastProgress = (text: string) => {
  const i = text.lastIndexOf('event: discovery.progress\ndata: ');
  return i < 0 ? null : text.slice(i + 32, text.indexOf('\n', i + 32));
};

export async function runSseLoad(opts: SseLoadOptions = {}): Promise<SseLoadResult> {
  // A stale UI would be built inside the serve process and its Vite build counted as server memory.
  await ensureRendererBuilt(() => {});
  const t0 = performance.now();
  const synth = await generateSyntheticWorkstation({ files: opts.files ?? 3000, serversPerFile: 1 });
  const state = await mkdtemp(join(tmpdir(), 'gh-sse-state-'));
  const args = [BIN, 'serve', '--platform', 'linux', '--home', synth.ws.home, '--state', state, '--port', '0'];
  for (const p of synth.ws.projects) args.push('--project', p);
  if (synth.ws.systemRoot) args.push('--system-root', synth.ws.systemRoot);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    const url = await new Promise<URL>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve printed no URL in 180 s: ${stderr}`)), 180_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(new URL(m[1]!));
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    const port = Number(url.port);
    const token = url.searchParams.get('token')!;
    const invoke = async (method: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/invoke/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${await res.text()}`);
      return res.json();
    };
    const rssStartMb = statusMb(child.pid!, 'VmRSS');
    const reader = await openStream(port, token);
    const slow = await Promise.all(Array.from({ length: opts.slow ?? 20 }, () => openStream(port, token)));
    for (const s of slow) s.socket.pause();
    for (let i = 0; i < (opts.discoveries ?? 10); i++) await invoke('discovery.run');
    const a0 = performance.now();
    await invoke('app.info');
    const appInfoMsAfter = performance.now() - a0;
    const rssPeakMb = statusMb(child.pid!, 'VmHWM');
    // Let the reader catch up, then resume the slow clients and read what the server kept for them.
    await new Promise((r) => setTimeout(r, 500));
    for (const s of slow) s.socket.resume();
    let before = -1;
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const total = slow.reduce((n, s) => n + s.data().length, 0);
      if (total === before) break;
      before = total;
    }
    const rssEndMb = statusMb(child.pid!, 'VmRSS');
    const result: SseLoadResult = {
      servers: synth.servers,
      sources: synth.files.length,
      readerProgressEvents: progressCount(reader.data()),
      readerDoneEvents: progressPayloads(reader.data()).filter((p) => p.phase === 'done').length,
      readerStoreChanged: reader.data().split('event: store.changed\n').length - 1,
      readerProgressMonotonic: monotonic(progressPayloads(reader.data())),
      readerBytes: reader.data().length,
      slow: slow.map((s) => ({
        ended: s.ended(),
        progressEvents: progressCount(s.data()),
        bytes: s.data().length,
        lastProgress: lastProgress(s.data()),
      })),
      rssStartMb,
      rssPeakMb,
      rssEndMb,
      appInfoMsAfter,
      seconds: (performance.now() - t0) / 1000,
    };
    for (const s of [reader, ...slow]) s.socket.destroy();
    return result;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(state, { recursive: true, force: true });
    await rm(synth.root, { recursive: true, force: true });
  }
}
