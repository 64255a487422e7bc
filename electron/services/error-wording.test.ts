import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { readableError } from './error-wording.js';

/** Real failures (Node's fetch, the MCP SDK over a real HTTP server) worded for the admin. */
describe('readableError', () => {
  let server: Server;
  let base = '';
  let closedPort = 0;
  before(async () => {
    server = createServer((req, res) => {
      const status = Number(new URL(req.url ?? '/', 'http://x').pathname.slice(1)) || 404;
      res.writeHead(status, { 'content-type': 'text/plain' }).end('nope');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
  });
  after(() => server.close());

  async function sdkError(url: string): Promise<unknown> {
    const client = new Client({ name: 't', version: '1' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    } catch (err) {
      return err;
    } finally {
      await client.close().catch(() => undefined);
    }
    throw new Error('connected unexpectedly');
  }

  it('"fetch failed" on a closed port names the host, the port and the next step', async () => {
    const url = `http://127.0.0.1:${closedPort}/mcp`;
    const err = await fetch(url).catch((e: unknown) => e);
    assert.match(String((err as Error).message), /fetch failed/);
    const text = readableError(err, { url });
    assert.match(text, new RegExp(`127\\.0\\.0\\.1:${closedPort} refused the connection`));
    assert.match(text, new RegExp(`port ${closedPort}`));
    assert.doesNotMatch(text, /fetch failed/);
  });

  it('the SDK\'s "Streamable HTTP error: Error POSTing…" becomes what the status means', async () => {
    for (const [status, want] of [
      [403, /refused access \(HTTP 403\).*permission/],
      [404, /no MCP endpoint at this path \(HTTP 404\)/],
      [401, /requires authentication \(HTTP 401\)/],
      [500, /server error \(HTTP 500\)/],
    ] as const) {
      const url = `${base}/${status}`;
      const err = await sdkError(url);
      const raw = (err as Error).message;
      const text = readableError(err, { url });
      assert.match(text, want, `${status}: ${raw} → ${text}`);
      assert.doesNotMatch(text, /Error POSTing|Streamable HTTP error/);
    }
  });

  it('MCP errors, invalid URLs and zod issue arrays are sentences', () => {
    const denied = readableError(new McpError(0, 'Access denied'));
    assert.match(denied, /^The server refused the request: Access denied \(MCP error 0\)\. Check/);
    assert.doesNotMatch(denied, /^MCP error/);
    let invalid: unknown;
    try {
      new URL('http//nope');
    } catch (e) {
      invalid = e;
    }
    assert.equal(readableError(invalid), 'The URL is not valid. Use http(s)://host[:port]/path.');
    const zodJson = new Error('[\n  {\n    "code": "invalid_union",\n    "errors": [],\n    "path": []\n  }\n]');
    assert.match(readableError(zodJson), /not valid MCP/);
    assert.match(
      readableError(new Error('404 from GET /version'), { url: 'http://127.0.0.1:9/' }),
      /^127\.0\.0\.1:9 has no GET \/version \(HTTP 404\): this URL may not be a ContextForge gateway/,
    );
    // Already readable messages pass through.
    assert.equal(readableError(new Error('Connected as a@b')), 'Connected as a@b');
  });
});
