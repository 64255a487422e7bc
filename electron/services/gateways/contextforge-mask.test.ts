import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ContextForgeAdapter } from './contextforge.js';

/** A stand-in ContextForge answering `/v1/gateways` with upstreams whose URLs carry credentials. */
const UPSTREAMS = [
  { id: 'a', name: 'creds', url: 'https://svc:Pa55w0rd-Upstream@mcp.example.org/mcp?api_key=abc123&region=eu' },
  { id: 'b', name: 'path-token', url: 'https://hooks.example.org/t/Xy7pQ2rT9kLm3NvB/sse#access_token=frag-tok-1' },
  { id: 'c', name: 'plain', url: 'http://localhost:9000/mcp' },
];

let server: Server;
let baseUrl: string;

before(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/v1/gateways')) res.end(JSON.stringify(UPSTREAMS));
    else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server.close());

test('upstream URLs are masked where the adapter reads them', async () => {
  const cf = new ContextForgeAdapter({
    id: 'g',
    name: 'cf',
    kind: 'contextforge',
    baseUrl,
    authType: 'none',
    timeoutMs: 5000,
  });
  const ups = await cf.listUpstreams();
  const text = JSON.stringify(ups);
  for (const secret of ['Pa55w0rd-Upstream', 'abc123', 'Xy7pQ2rT9kLm3NvB', 'frag-tok-1']) {
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  }
  assert.deepEqual(
    ups.map((u) => u.url),
    [
      'https://svc:…ream@mcp.example.org/mcp?api_key=****&region=eu',
      'https://hooks.example.org/t/…3NvB/sse#access_token=****',
      'http://localhost:9000/mcp',
    ],
  );
});
