import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, Response } from '@playwright/test';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin', 'gatehouse.mjs');

export interface ServeOptions {
  /** Folder treated as the user's home (`--home`). */
  home: string;
  /** `--platform` (default linux). */
  platform?: 'linux' | 'darwin' | 'win32';
  /** Project folders (`--project`, repeatable). */
  projects?: string[];
  /** `--system-root` (default: an empty temp folder, so the real /etc is never read). */
  systemRoot?: string;
  /** `--state`; default a fresh temp folder, removed by stop(). */
  state?: string;
  /** Extra environment for the server process. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the URL line (default 90 s: the first run may build the UI). */
  timeoutMs?: number;
}

export interface ServeHandle {
  /** The full URL printed by serve, token included: `http://127.0.0.1:PORT/?token=…`. */
  url: string;
  token: string;
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  /** The state folder in use. */
  state: string;
  /** Everything the server wrote to stderr so far (for diagnostics). */
  stderr(): string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes temp folders it created. */
  stop(): Promise<void>;
}

/**
 * Starts `node bin/gatehouse.mjs serve` (this Node, i.e. the project's Node 24) on a free loopback
 * port against fixture folders and resolves once it prints its URL line.
 *
 *   const gh = await startServe({ home: 'test/fixtures/workstation/home', projects: [...] });
 *   await page.goto(gh.url);  … ; await gh.stop();
 *
 * Reuse it from any browser spec (one server per describe block: `test.beforeAll`/`afterAll`).
 */
export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  const made: string[] = [];
  const temp = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    made.push(d);
    return d;
  };
  const state = opts.state ?? temp('gatehouse-e2e-state-');
  const systemRoot = opts.systemRoot ?? temp('gatehouse-e2e-sysroot-');
  const args = [BIN, 'serve', '--home', opts.home, '--platform', opts.platform ?? 'linux'];
  for (const p of opts.projects ?? []) args.push('--project', p);
  args.push('--system-root', systemRoot, '--state', state, '--port', '0');

  const child = spawn(process.execPath, args, {
    cwd: REPO,
    // No registry look-ups for pin suggestions: e2e talk to loopback only (unit tests cover the look-up).
    env: { ...process.env, GATEHOUSE_STATE: state, GATEHOUSE_OFFLINE: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gatehouse serve printed no URL within ${opts.timeoutMs ?? 90_000} ms.\nstderr:\n${stderr}`));
    }, opts.timeoutMs ?? 90_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)\s*$/m.exec(stdout);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gatehouse serve exited (${code ?? signal}) before printing its URL.\nstderr:\n${stderr}`));
    });
  });

  const parsed = new URL(url);
  return {
    url,
    token: parsed.searchParams.get('token') ?? '',
    baseUrl: parsed.origin,
    state,
    stderr: () => stderr,
    stop: async () => {
      await stopChild(child);
      for (const d of made) rmSync(d, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface ApiCapture {
  /** Every `/api/` response seen so far: url, status and body text (SSE streams excluded). */
  readonly responses: { url: string; status: number; body: string }[];
  /** Waits for bodies still being read. */
  settle(): Promise<void>;
}

/**
 * Records the body of every `/api/` response the page receives (except the SSE stream, which
 * never ends), so a spec can assert that no secret value ever crossed the wire:
 *
 *   const api = captureApiResponses(page);  … ; await api.settle();
 *   for (const r of api.responses) expect(r.body).not.toContain(secret);
 */
export function captureApiResponses(page: Page): ApiCapture {
  const responses: { url: string; status: number; body: string }[] = [];
  const pending: Promise<void>[] = [];
  page.on('response', (res: Response) => {
    const url = new URL(res.url());
    if (!url.pathname.startsWith('/api/') || url.pathname === '/api/events') return;
    pending.push(
      res
        .text()
        .then((body) => {
          responses.push({ url: res.url(), status: res.status(), body });
        })
        .catch(() => undefined),
    );
  });
  return {
    responses,
    settle: async () => {
      await Promise.all(pending);
    },
  };
}

export interface EventCapture {
  /** The raw SSE text received so far (`event:` / `data:` lines). */
  text(): string;
  stop(): void;
}

/**
 * Opens the SSE stream (`/api/events?token=`) from Node and keeps its raw text, so a spec can
 * check event payloads too (the page's own EventSource is not visible to `page.on('response')`).
 */
export async function captureEventStream(gh: Pick<ServeHandle, 'baseUrl' | 'token'>): Promise<EventCapture> {
  const ac = new AbortController();
  let text = '';
  const res = await fetch(`${gh.baseUrl}/api/events?token=${encodeURIComponent(gh.token)}`, { signal: ac.signal });
  if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
    } catch {
      // aborted
    }
  })();
  return { text: () => text, stop: () => ac.abort() };
}
