import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { ErrorBody } from '../../shared/api/errors.js';
import type { ErrorCode } from '../../shared/api/errors.js';
import type { EventBus } from '../services/events.js';
import type { AdminHandlers } from '../services/handlers.js';
import { defaultLog, dispatch, ERROR_STATUS, errorBody, type Log } from '../dispatch.js';
import { isMethodName, METHOD_NAMES, type EventName } from '../../shared/api/contract.js';
import { CONTENT_SECURITY_POLICY, contentTypeFor } from '../web-security.js';

/**
 * Loopback HTTP + SSE adapter for browser mode (`gatehouse serve`).
 *
 * Generated from the contract: `POST /api/invoke/<method>` for every method, `GET /api/events`
 * for every event, `GET /api/health` for liveness. Guards, in order, on every request:
 *   1. Host must be exactly `127.0.0.1:PORT`, the address printed and bound (DNS-rebinding guard;
 *      names such as `localhost` are refused too, since a name is what rebinding abuses) → 403.
 *   2. `/api/*` except health needs the per-launch token (Bearer header; `?token=` for SSE only,
 *      since EventSource cannot set headers), checked before any routing → 401.
 *   3. POSTs must come from our own origin (Origin equal to ours; without Origin,
 *      Sec-Fetch-Site must be absent, `same-origin` or `none`) → 403.
 * No CORS headers are ever sent; every response carries a strict CSP and nosniff.
 */

export interface HttpServerOptions {
  handlers: AdminHandlers;
  events: EventBus;
  /** 0 or absent: a free port. */
  port?: number;
  /** Fixed token (tests); default: 32 random bytes, base64url, per launch. */
  token?: string;
  /** Built renderer (dist/renderer); without it only /api is served. */
  staticDir?: string;
  /** Where unexpected errors are logged (default stderr). */
  log?: Log;
  /** SSE heartbeat period (default 15 s). */
  heartbeatMs?: number;
  /** Per SSE client: most bytes held for it while its socket is backed up (default 256 KiB). */
  sseMaxQueuedBytes?: number;
  /** Per SSE client: how long its socket may stay backed up before it is disconnected (default 30 s). */
  sseStallMs?: number;
}

export interface HttpServerHandle {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 1024 * 1024;

export { CONTENT_SECURITY_POLICY };

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison (hashing first so lengths never leak through timing). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  if (!res.req.complete) {
    // Answered before the body was read (refused early, or too large): drain it and close, so a
    // keep-alive client never sends its next request into a half-read stream.
    res.setHeader('Connection', 'close');
    res.req.resume();
  }
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  sendJson(res, status, ErrorBody.parse(errorBody(code, message)));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES)
    throw new HttpError(413, 'bad-request', `Request body exceeds ${MAX_BODY_BYTES} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'bad-request', `Request body exceeds ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServerHandle> {
  const token = opts.token ?? generateToken();
  const log = opts.log ?? defaultLog;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const staticRoot = opts.staticDir ? await realpath(opts.staticDir).catch(() => resolve(opts.staticDir!)) : undefined;
  const sseMaxQueuedBytes = opts.sseMaxQueuedBytes ?? 256 * 1024;
  const sseStallMs = opts.sseStallMs ?? 30_000;
  const streams = new Set<SseClient>();
  let port = 0;
  // One subscription for all SSE clients: each event is serialized once, then fanned out.
  let eventId = 0;
  const unsubscribe = opts.events.subscribe((event, payload) => {
    if (streams.size === 0) return;
    const data = event === 'store.changed' ? (payload as { topics: string[] }) : JSON.stringify(payload);
    const id = ++eventId;
    // The frame's bytes are built once and the same Buffer is written to every client that keeps up:
    // no per-client string → UTF-8 copy held by each socket's pending write (issue #13 item 3).
    let bytes: Buffer | undefined;
    const frame = () =>
      (bytes ??= Buffer.from(sseFrame(event, typeof data === 'string' ? data : JSON.stringify(data), id)));
    const latest = latestKey(event, payload);
    for (const c of streams) c.send(event, data, id, frame, latest);
  });

  const allowedHosts = () => [`127.0.0.1:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  function hasValidToken(req: IncomingMessage, url: URL, allowQuery: boolean): boolean {
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) return tokensEqual(auth.slice(7).trim(), token);
    const q = allowQuery ? url.searchParams.get('token') : null;
    return q !== null && tokensEqual(q, token);
  }

  function isSameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined) return allowedOrigins().includes(origin);
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  }

  async function handleInvoke(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendError(res, 405, 'bad-request', 'Use POST for /api/invoke.');
    }
    // Every invoke is a POST, so mutating and read-only methods alike pass the Origin check.
    if (!isSameOrigin(req)) return sendError(res, 403, 'forbidden', 'Cross-origin request refused.');
    if (!isMethodName(name)) return sendError(res, 404, 'not-found', `Unknown method "${name}".`);
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      return sendError(res, 415, 'bad-request', 'Send the input as application/json.');
    }
    const text = await readBody(req);
    let input: unknown = {};
    if (text.trim() !== '') {
      try {
        input = JSON.parse(text);
      } catch {
        return sendError(res, 400, 'bad-request', 'The request body is not valid JSON.');
      }
    }
    const result = await dispatch(opts.handlers, name, input, log);
    if (result.ok) return sendJson(res, 200, result.output);
    return sendJson(res, ERROR_STATUS[result.error.code], { error: result.error });
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') return sendError(res, 405, 'bad-request', 'Use GET for /api/events.');
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n: connected\n\n');
    const client = new SseClient(res, sseMaxQueuedBytes);
    streams.add(client);
    // A reconnect (EventSource sends the last id it saw) may have missed events while it was away,
    // e.g. after being disconnected as a slow consumer: tell it every topic changed, so it refetches.
    if (req.headers['last-event-id'] !== undefined) client.send('store.changed', ALL_TOPICS_FRAME);
    const heartbeat = setInterval(
      () => {
        if (client.stalledFor() > sseStallMs) client.disconnect();
        else client.heartbeat();
      },
      Math.min(heartbeatMs, sseStallMs),
    );
    heartbeat.unref();
    const cleanup = () => {
      clearInterval(heartbeat);
      streams.delete(client);
    };
    req.once('close', cleanup);
    res.once('close', cleanup);
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendError(res, 405, 'bad-request', 'Only GET and HEAD are served here.');
    }
    if (!staticRoot) return sendError(res, 404, 'not-found', 'No UI is served by this instance.');
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return sendError(res, 400, 'bad-request', 'Malformed path.');
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return sendError(res, 400, 'bad-request', 'Malformed path.');
    const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    let file = resolve(staticRoot, relative);
    if (file !== staticRoot && !file.startsWith(staticRoot + sep))
      return sendError(res, 404, 'not-found', 'Not found.');
    let info = await stat(file).catch(() => null);
    if (!info && extname(relative) === '') {
      // Client-side routes fall back to the app shell.
      file = join(staticRoot, 'index.html');
      info = await stat(file).catch(() => null);
    }
    if (!info || !info.isFile()) return sendError(res, 404, 'not-found', 'Not found.');
    // Symlinks must not lead outside the UI folder either.
    const real = await realpath(file);
    if (!real.startsWith(staticRoot + sep)) return sendError(res, 404, 'not-found', 'Not found.');
    res.writeHead(200, {
      'Content-Type': contentTypeFor(extname(real)),
      'Content-Length': info.size,
      'Cache-Control': extname(real) === '.html' ? 'no-store' : 'no-cache',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(real).pipe(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const host = req.headers.host;
    if (host === undefined || !allowedHosts().includes(host)) {
      return sendError(res, 403, 'forbidden', 'Host not allowed.');
    }
    const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), `http://${host}`);
    const { pathname } = url;
    if (pathname === '/api' || pathname.startsWith('/api/')) {
      res.setHeader('Cache-Control', 'no-store');
      if (pathname === '/api/health') {
        if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'bad-request', 'Use GET.');
        return sendJson(res, 200, { ok: true });
      }
      const isEvents = pathname === '/api/events';
      if (!hasValidToken(req, url, isEvents)) return sendError(res, 401, 'unauthorized', 'Missing or invalid token.');
      if (isEvents) return handleEvents(req, res);
      const prefix = '/api/invoke/';
      if (pathname.startsWith(prefix)) {
        let method: string;
        try {
          method = decodeURIComponent(pathname.slice(prefix.length));
        } catch {
          return sendError(res, 400, 'bad-request', 'Malformed method name.');
        }
        return handleInvoke(req, res, method);
      }
      return sendError(res, 404, 'not-found', 'Unknown API path.');
    }
    return handleStatic(req, res, pathname);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (!res.headersSent) sendError(res, err.status, err.code, err.message);
        req.resume();
        return;
      }
      log(`gatehouse: HTTP ${req.method ?? '?'} request failed: ${err instanceof Error ? err.name : typeof err}`);
      if (!res.headersSent) sendError(res, 500, 'internal', 'Internal error.');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolveClose) => {
        unsubscribe();
        for (const s of streams) s.end();
        streams.clear();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

/** Every topic the renderer keys queries by (the method prefixes). */
const ALL_TOPICS_FRAME = { topics: [...new Set(METHOD_NAMES.map((m) => m.split('.')[0] ?? m))] };

function sseFrame(event: string | null, data: string, id?: number): string {
  return event === null ? `${data}\n\n` : `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`;
}

/**
 * Events where only the latest matters: while a client is backed up, a newer one replaces the older
 * of the same thing — per event name, and per `id` when the payload names one (two sources' import
 * progress: one's `done` is never replaced by the other's `storing`). Undefined: every one is kept.
 */
function latestKey(event: string, payload: unknown): string | undefined {
  if (!event.endsWith('.progress')) return undefined;
  const id = payload && typeof payload === 'object' ? (payload as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? `${event}#id:${id}` : event;
}

/**
 * One SSE client with a bounded queue. Frames are written straight to the socket while it keeps
 * up; once the socket is backed up (write() returned false) they are held here until 'drain',
 * coalesced: `store.changed` topics merge into one event and each `*.progress` event keeps only
 * its latest payload. A client whose held frames pass `maxQueuedBytes`, or whose socket stays
 * backed up too long (the heartbeat checks), is disconnected: EventSource reconnects by itself and
 * is then told that every topic changed. So a client that stops reading costs at most the socket's
 * buffer plus `maxQueuedBytes`, however many events are published.
 */
class SseClient {
  private readonly held = new Map<
    string,
    { event: string; data: string | Set<string>; id?: number; latest?: string }
  >();
  private heldBytes = 0;
  private seq = 0;
  private stalledSince: number | null = null;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxQueuedBytes: number,
  ) {
    res.on('drain', () => this.flush());
    res.once('close', () => {
      this.closed = true;
      this.held.clear();
    });
  }

  /**
   * `data`: the JSON text, or the topics of a `store.changed` (merged while held). `frame`: the
   * event's bytes shared by all clients, written as they are when this one keeps up.
   */
  send(
    event: EventName,
    data: string | { topics: string[] },
    id?: number,
    frame?: () => Buffer,
    latest?: string,
  ): void {
    if (this.closed) return;
    if (this.stalledSince === null) {
      if (frame) this.writeFrame(frame());
      else this.write(event, typeof data === 'string' ? data : JSON.stringify(data), id);
      return;
    }
    if (typeof data !== 'string') {
      const prev = this.held.get(event)?.data;
      const topics = prev instanceof Set ? prev : new Set<string>();
      for (const t of data.topics) {
        if (topics.has(t)) continue;
        topics.add(t);
        this.heldBytes += t.length + 3;
      }
      this.held.set(event, { event, data: topics, id });
    } else {
      const key = latest ?? `${event}#${++this.seq}`;
      const prev = this.held.get(key)?.data;
      if (typeof prev === 'string') this.heldBytes -= prev.length + event.length + 32;
      this.held.set(key, { event, data, id, latest });
      this.heldBytes += data.length + event.length + 32;
    }
    if (this.heldBytes > this.maxQueuedBytes) this.disconnect();
  }

  heartbeat(): void {
    if (!this.closed && this.stalledSince === null) this.write(null, ': heartbeat');
  }

  /** Milliseconds the socket has been backed up (0 when it keeps up). */
  stalledFor(): number {
    return this.stalledSince === null ? 0 : Date.now() - this.stalledSince;
  }

  disconnect(): void {
    if (this.closed) return;
    this.closed = true;
    this.held.clear();
    this.heldBytes = 0;
    this.res.destroy();
  }

  end(): void {
    this.closed = true;
    this.res.end();
  }

  private write(event: string | null, data: string, id?: number): void {
    this.writeFrame(sseFrame(event, data, id));
  }

  private writeFrame(frame: string | Buffer): void {
    if (!this.res.write(frame)) this.stalledSince ??= Date.now();
  }

  private flush(): void {
    if (this.closed) return;
    this.stalledSince = null;
    const frames = [...this.held.values()];
    this.held.clear();
    this.heldBytes = 0;
    for (const f of frames) {
      const data = f.data instanceof Set ? JSON.stringify({ topics: [...f.data] }) : f.data;
      // Once backed up again, the rest is held (and coalesced) again.
      if (this.stalledSince === null) this.write(f.event, data, f.id);
      else
        this.send(
          f.event as EventName,
          f.data instanceof Set ? { topics: [...f.data] } : data,
          f.id,
          undefined,
          f.latest,
        );
    }
  }
}
