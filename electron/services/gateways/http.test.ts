import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GatewayError, HttpClient } from './http.js';

function listen(server: Server): Promise<number> {
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok((server.address() as AddressInfo).port)));
}

describe('gateway HTTP client', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));
  async function serve(handler: RequestListener): Promise<string> {
    const s = createHttpServer(handler);
    servers.push(s);
    return `http://127.0.0.1:${await listen(s)}`;
  }

  test('retries idempotent reads on 503 with backoff, then succeeds', async () => {
    let hits = 0;
    const base = await serve((_req, res) => {
      hits++;
      if (hits < 3) res.writeHead(503).end('busy');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const c = new HttpClient({ baseUrl: base, timeoutMs: 2000, attempts: 3, backoffMs: 10 });
    const r = await c.get('/x');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { ok: true });
    assert.equal(hits, 3);
  });

  test('gives up after the last attempt and returns the 5xx', async () => {
    let hits = 0;
    const base = await serve((_req, res) => {
      hits++;
      res.writeHead(502).end();
    });
    const r = await new HttpClient({ baseUrl: base, timeoutMs: 2000, attempts: 2, backoffMs: 5 }).get('/x');
    assert.equal(r.status, 502);
    assert.equal(hits, 2);
  });

  test('times out a silent server', async () => {
    const base = await serve(() => {
      /* never answers */
    });
    const c = new HttpClient({ baseUrl: base, timeoutMs: 300, attempts: 1 });
    await assert.rejects(c.get('/slow'), (e: unknown) => e instanceof GatewayError && e.kind === 'timeout');
  });

  test('sends the authorization header and never puts it in errors', async () => {
    let seen = '';
    const base = await serve((req, _res) => {
      seen = req.headers.authorization ?? '';
      req.socket.destroy();
    });
    const c = new HttpClient({ baseUrl: base, timeoutMs: 1000, attempts: 1, authorization: 'Bearer sekret-value-123' });
    await assert.rejects(c.get('/x'), (e: unknown) => e instanceof GatewayError && !e.message.includes('sekret'));
    assert.equal(seen, 'Bearer sekret-value-123');
  });

  describe('TLS', () => {
    let dir = '';
    let base = '';
    let ca = '';
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gh-tls-'));
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
      const s = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"tls":true}');
      });
      servers.push(s as unknown as Server);
      base = `https://127.0.0.1:${await listen(s as unknown as Server)}`;
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('an untrusted certificate is an error that names the problem', async () => {
      const c = new HttpClient({ baseUrl: base, timeoutMs: 2000, attempts: 3 });
      await assert.rejects(c.get('/'), (e: unknown) => {
        assert.ok(e instanceof GatewayError);
        assert.equal(e.kind, 'tls');
        assert.match(e.message, /SELF_SIGNED|certificate/i);
        assert.match(e.message, /CA file/);
        return true;
      });
    });

    test('the connection CA file makes it trusted', async () => {
      const r = await new HttpClient({ baseUrl: base, timeoutMs: 2000, ca }).get('/');
      assert.deepEqual(r.body, { tls: true });
    });
  });
});
