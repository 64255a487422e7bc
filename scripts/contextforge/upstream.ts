/**
 * A real upstream MCP server for the gateway tests: @modelcontextprotocol/server-everything from
 * node_modules, over Streamable HTTP, bound to 127.0.0.1 only and protected by a bearer token (the
 * "shared upstream credential" the gateway holds). Prints `listening <port>` once ready.
 *
 *   UPSTREAM_TOKEN=... npx tsx scripts/contextforge/upstream.ts [port]
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
// server-everything has no exports map; its server factory is a plain ESM module.
import { createServer } from '@modelcontextprotocol/server-everything/dist/server/index.js';

const token = process.env.UPSTREAM_TOKEN;
if (!token) {
  process.stderr.write('UPSTREAM_TOKEN is required\n');
  process.exit(2);
}
const port = Number(process.argv[2] ?? process.env.PORT ?? 0);

interface Session {
  transport: StreamableHTTPServerTransport;
  cleanup: (id?: string) => void;
}
const sessions = new Map<string, Session>();

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function fail(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

const http = createHttpServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/health') {
      res.writeHead(200).end('ok');
      return;
    }
    if (url.pathname !== '/mcp') return fail(res, 404, 'not found');
    if (req.headers.authorization !== `Bearer ${token}`) return fail(res, 401, 'missing or wrong bearer token');
    const sid = req.headers['mcp-session-id'];
    const sessionId = typeof sid === 'string' ? sid : undefined;
    try {
      if (req.method === 'POST') {
        const body = await readJson(req);
        const existing = sessionId ? sessions.get(sessionId) : undefined;
        if (existing) return await existing.transport.handleRequest(req, res, body);
        if (sessionId) return fail(res, 404, 'unknown session');
        const { server, cleanup } = createServer();
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, { transport, cleanup });
          },
        });
        transport.onclose = () => {
          const id = transport.sessionId;
          if (id && sessions.delete(id)) cleanup(id);
        };
        await server.connect(transport);
        await transport.handleRequest(req, res, body);
        return;
      }
      const existing = sessionId ? sessions.get(sessionId) : undefined;
      if (!existing) return fail(res, 400, 'no valid session id');
      await existing.transport.handleRequest(req, res);
    } catch (err) {
      if (!res.headersSent) fail(res, 500, (err as Error).message);
    }
  })();
});

http.listen(port, '127.0.0.1', () => {
  const addr = http.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : port}\n`);
});
const stop = () => {
  http.close(() => process.exit(0));
  http.closeAllConnections(); // the gateway keeps sessions open; do not wait for them
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
