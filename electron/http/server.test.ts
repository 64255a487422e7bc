import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AdminError } from '../../shared/api/errors.js';
import { EventBus } from '../services/events.js';
import type { AdminHandlers } from '../services/handlers.js';
import {
  CONTENT_SECURITY_POLICY,
  MAX_BODY_BYTES,
  startHttpServer,
  tokensEqual,
  type HttpServerHandle,
} from './server.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http rather than fetch, so tests can send any Host / Origin / Sec-Fetch-Site header. */
function raw(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: { host: `127.0.0.1:${port}`, ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const SECRET = 'sk-live-0123456789abcdefghijSECRETVALUE';
const logs: string[] = [];
const events = new EventBus();
let brokenOutput = false;
let explode = false;

const handlers = new Proxy(
  {
    'app.info': async () => {
      if (explode) throw new Error(`database exploded while reading ${SECRET}`);
      return {
        name: 'gatehouse' as const,
        version: '1.2.3',
        mode: 'browser' as const,
        platform: 'linux',
        nodeVersion: process.versions.node,
        stateDir: '/tmp/x',
        canReveal: false,
      };
    },
    'discovery.latest': async () => (brokenOutput ? ({ bogus: true } as never) : null),
    'discovery.run': async () => {
      throw new AdminError('conflict', 'A discovery run is already in progress.');
    },
  },
  {
    get(target, name: string) {
      if (name in target) return target[name as keyof typeof target];
      return async () => {
        throw new Error(`database exploded while reading ${SECRET}`);
      };
    },
  },
) as unknown as AdminHandlers;

let server: HttpServerHandle;
let staticDir: string;
let outside: string;
const auth = () => ({ authorization: `Bearer ${server.token}`, 'content-type': 'application/json' });

before(async () => {
  staticDir = await mkdtemp(join(tmpdir(), 'gh-static-'));
  outside = await mkdtemp(join(tmpdir(), 'gh-outside-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Gatehouse</title>');
  await mkdir(join(staticDir, 'assets'));
  await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(staticDir, 'assets', 'app.css'), 'body{}');
  await writeFile(join(outside, 'secret.txt'), SECRET);
  await symlink(join(outside, 'secret.txt'), join(staticDir, 'assets', 'link.txt'));
  server = await startHttpServer({ handlers, events, staticDir, log: (l) => logs.push(l) });
});

after(async () => {
  await server.close();
  await rm(staticDir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('startHttpServer', () => {
  test('prints a loopback URL with a 32-byte base64url token and picks a free port', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    assert.ok(server.port > 0);
    assert.equal(Buffer.from(server.token, 'base64url').length, 32);
  });

  test('each launch gets a different token', async () => {
    const other = await startHttpServer({ handlers, events });
    try {
      assert.notEqual(other.token, server.token);
      assert.notEqual(other.port, server.port);
    } finally {
      await other.close();
    }
  });

  test('tokensEqual is exact', () => {
    assert.ok(tokensEqual('abc', 'abc'));
    assert.ok(!tokensEqual('abd', 'abc'));
    assert.ok(!tokensEqual('ab', 'abc'));
    assert.ok(!tokensEqual('', 'abc'));
  });

  test('health answers without a token; other /api paths need it, existing or not', async () => {
    assert.equal((await raw(server.port, { path: '/api/health' })).status, 200);
    for (const path of ['/api/invoke/app.info', '/api/invoke/no.such', '/api/nothing', '/api', '/api/events']) {
      const res = await raw(server.port, {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 401, path);
      assert.deepEqual(JSON.parse(res.body).error.code, 'unauthorized');
    }
    const wrong = server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A');
    const res = await raw(server.port, {
      method: 'POST',
      path: '/api/invoke/app.info',
      headers: { authorization: `Bearer ${wrong}` },
      body: '{}',
    });
    assert.equal(res.status, 401);
    // The query token is accepted for the event stream only.
    const q = await raw(server.port, {
      method: 'POST',
      path: `/api/invoke/app.info?token=${server.token}`,
      body: '{}',
    });
    assert.equal(q.status, 401);
  });

  test('invokes a method with a valid token; unknown method is 404', async () => {
    const ok = await raw(server.port, { method: 'POST', path: '/api/invoke/app.info', headers: auth(), body: '{}' });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).version, '1.2.3');
    assert.equal(ok.headers['cache-control'], 'no-store');
    assert.equal(ok.headers['access-control-allow-origin'], undefined);
    const empty = await raw(server.port, { method: 'POST', path: '/api/invoke/app.info', headers: auth() });
    assert.equal(empty.status, 200, 'an empty body is {}');
    const unknown = await raw(server.port, {
      method: 'POST',
      path: '/api/invoke/no.such',
      headers: auth(),
      body: '{}',
    });
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).error.code, 'not-found');
    const get = await raw(server.port, { path: '/api/invoke/app.info', headers: auth() });
    assert.equal(get.status, 405);
  });

  test('bad input is 400 naming the field; malformed JSON is 400; wrong content type 415', async () => {
    const bad = await raw(server.port, {
      method: 'POST',
      path: '/api/invoke/app.info',
      headers: auth(),
      body: '{"verbose":true}',
    });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).error.code, 'bad-request');
    assert.match(JSON.parse(bad.body).error.message, /verbose/);
    const notObject = await raw(server.port, {
      method: 'POST',
      path: '/api/invoke/app.info',
      headers: auth(),
      body: '42',
    });
    assert.equal(notObject.status, 400);
    const malformed = await raw(server.port, {
      method: 'POST',
      path: '/api/invoke/app.info',
      headers: auth(),
      body: '{',
    });
    assert.equal(malformed.status, 400);
    assert.match(JSON.parse(malformed.body).error.message, /not valid JSON/);
    const form = await raw(server.port, {
      method: 'POST',
      path: '/api/invoke/app.info',
      headers: { ...auth(), 'content-type': 'text/plain' },
      body: '{}',
    });
    assert.equal(form.status, 415);
  });

  test('bodies over the cap are 413', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) });
    const res = await raw(server.port, { method: 'POST', path: '/api/invoke/app.info', headers: auth(), body: big });
    assert.equal(res.status, 413);
  });

  test('AdminError keeps its code; unexpected errors are a generic 500 and the log masks secrets', async () => {
    const conflict = await raw(server.port, {
      method: 'POST',
      path: '/api/invoke/discovery.run',
      headers: auth(),
      body: '{}',
    });
    assert.equal(conflict.status, 409);
    assert.deepEqual(JSON.parse(conflict.body), {
      error: { code: 'conflict', message: 'A discovery run is already in progress.' },
    });
    logs.length = 0;
    explode = true;
    const boom = await raw(server.port, {
      method: 'POST',
      path: '/api/invoke/app.info',
      headers: auth(),
      body: '{}',
    }).finally(() => (explode = false));
    assert.equal(boom.status, 500);
    assert.equal(JSON.parse(boom.body).error.code, 'internal');
    assert.ok(!boom.body.includes(SECRET));
    assert.ok(!boom.body.includes('database exploded'));
    assert.ok(logs.some((l) => l.includes('database exploded')));
    assert.ok(logs.every((l) => !l.includes(SECRET)));
  });

  test('output that breaks the contract is a 500', async () => {
    brokenOutput = true;
    try {
      const res = await raw(server.port, {
        method: 'POST',
        path: '/api/invoke/discovery.latest',
        headers: auth(),
        body: '{}',
      });
      assert.equal(res.status, 500);
      assert.equal(JSON.parse(res.body).error.code, 'internal');
    } finally {
      brokenOutput = false;
    }
  });

  test('Host must be the loopback address and port, for every path', async () => {
    for (const host of [
      'evil.example:' + server.port,
      `127.0.0.1:${server.port + 1}`,
      '127.0.0.1',
      `[::1]:${server.port}`,
    ]) {
      for (const path of ['/', '/index.html', '/api/health', '/api/invoke/app.info']) {
        const res = await raw(server.port, { path, headers: { ...auth(), host } });
        assert.equal(res.status, 403, `${host} ${path}`);
      }
    }
    // Only the bound address is accepted: a name (even localhost) is what DNS rebinding abuses.
    const localhost = await raw(server.port, { path: '/api/health', headers: { host: `localhost:${server.port}` } });
    assert.equal(localhost.status, 403);
    const exact = await raw(server.port, { path: '/api/health', headers: { host: `127.0.0.1:${server.port}` } });
    assert.equal(exact.status, 200);
    const badEscape = await raw(server.port, {
      path: '/api/invoke/%E0%A4%A',
      headers: { ...auth(), host: `127.0.0.1:${server.port}` },
    });
    assert.equal(badEscape.status, 400);
  });

  test('POSTs from another origin are refused, with or without Origin', async () => {
    const cases: [Record<string, string>, number][] = [
      [{ origin: 'http://evil.example' }, 403],
      [{ origin: `http://127.0.0.1:${server.port + 1}` }, 403],
      [{ origin: 'null' }, 403],
      [{ 'sec-fetch-site': 'cross-site' }, 403],
      [{ 'sec-fetch-site': 'same-site' }, 403],
      [{ origin: `http://127.0.0.1:${server.port}` }, 409],
      [{ origin: `http://localhost:${server.port}` }, 403],
      [{ 'sec-fetch-site': 'same-origin' }, 409],
      [{}, 409],
    ];
    for (const [headers, status] of cases) {
      const res = await raw(server.port, {
        method: 'POST',
        path: '/api/invoke/discovery.run',
        headers: { ...auth(), ...headers },
        body: '{}',
      });
      assert.equal(res.status, status, JSON.stringify(headers));
    }
  });

  test('serves the UI with security headers, content types and no traversal', async () => {
    const index = await raw(server.port, { path: '/?token=abc' });
    assert.equal(index.status, 200);
    assert.match(index.body, /<title>Gatehouse/);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.equal(index.headers['referrer-policy'], 'no-referrer');
    assert.equal(
      (await raw(server.port, { path: '/assets/app.js' })).headers['content-type'],
      'text/javascript; charset=utf-8',
    );
    assert.equal(
      (await raw(server.port, { path: '/assets/app.css' })).headers['content-type'],
      'text/css; charset=utf-8',
    );
    for (const path of [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2f..%2fetc%2fpasswd',
      '/assets/link.txt',
      '/..%5c..%5cetc%5cpasswd',
    ]) {
      const res = await raw(server.port, { path });
      // Either refused, or normalized back inside the UI folder (the app shell), never the file.
      assert.ok(
        res.status === 404 || res.status === 400 || /<title>Gatehouse/.test(res.body),
        `${path} → ${res.status}`,
      );
      assert.ok(!res.body.includes('root:') && !res.body.includes(SECRET), path);
    }
    assert.equal((await raw(server.port, { path: '/index.html', method: 'POST' })).status, 405);
    const api401 = await raw(server.port, { path: '/api/nothing' });
    assert.equal(api401.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  });

  test('SSE forwards every bus event, needs the token, and cleans up on close', async () => {
    const denied = await raw(server.port, { path: '/api/events?token=nope' });
    assert.equal(denied.status, 401);
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${server.port}/api/events?token=${server.token}`, {
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const first = await reader.read(); // the "connected" comment: the subscription exists now
    text += decoder.decode(first.value);
    events.emit('store.changed', { topics: ['discovery'] });
    while (!text.includes('event: store.changed')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    assert.match(text, /event: store\.changed\ndata: \{"topics":\["discovery"\]\}\n\n/);
    controller.abort();
    await reader.cancel().catch(() => {});
  });

  test('SSE sends heartbeats and also takes the Authorization header', async () => {
    const quick = await startHttpServer({ handlers, events, heartbeatMs: 30 });
    try {
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${quick.port}/api/events`, {
        headers: { authorization: `Bearer ${quick.token}` },
        signal: controller.signal,
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes(': heartbeat')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      assert.ok(text.includes(': heartbeat'));
      controller.abort();
    } finally {
      await quick.close();
    }
  });

  test('close() ends open event streams', async () => {
    const s = await startHttpServer({ handlers, events });
    const res = await fetch(`http://127.0.0.1:${s.port}/api/events?token=${s.token}`);
    const reader = res.body!.getReader();
    await reader.read();
    await s.close();
    let done = false;
    while (!done) done = (await reader.read()).done;
    assert.ok(done);
  });
});
