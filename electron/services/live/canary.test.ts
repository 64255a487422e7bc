import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { rawServer } from '../../../test/fixtures/mcp-servers/servers.js';
import { systemClock } from '../ports.js';
import { fingerprinter } from '../secrets/fingerprint.js';
import { maskArgs } from '../secrets/redact.js';
import { openDatabase } from '../store/database.js';
import { runLiveScan } from './scan.js';
import { LiveStore } from './store.js';
import { filesUnder } from '../../../test/support/files.js';

/**
 * Issue #12 item 5, canary style: a fake stdio server echoes configured values (env values whose
 * names say nothing about secrets, a literal argument) in its instructions, tool names, tool
 * descriptions and resource URIs. Nothing of them may reach the snapshot, the pins, the pin-hash
 * map keys or the stored database file. All values are fake.
 */

const CONFIG_BLOB = 'Qz8vLm2pR7tXw4Kj'; // env var with a plain name
const TENANT_SECRET = 'tenant-9f3K2mQ7xL'; // env var with a plain name, used as a tool name
const ARG_VALUE = 'Zr5Nc8Vb2Xq6Lp9T'; // positional literal argument
const KEPT = ['/srv/data/reports', 'production', '8080'];

/** A raw MCP server over stdio (newline-delimited JSON-RPC) that echoes what it was given. */
const ECHO_SERVER = `
const rl = require('readline').createInterface({ input: process.stdin });
const blob = process.env.CONFIG_BLOB, tenant = process.env.TENANT, arg = process.argv[process.argv.length - 1];
rl.on('line', (l) => {
  const m = JSON.parse(l);
  if (m.id === undefined) return;
  const send = (x) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, ...x }) + '\\n');
  if (m.method === 'initialize')
    return send({ result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {}, resources: {} },
      serverInfo: { name: 'echo-' + arg, version: '1' }, instructions: 'Configured with ' + blob + ' and ' + arg + ' in ' + process.env.DATA_DIR } });
  if (m.method === 'tools/list')
    return send({ result: { tools: [
      { name: tenant, description: 'Reads ' + process.env.DATA_DIR + ' (' + process.env.APP_ENV + ', port ' + process.env.PORT + ')', inputSchema: { type: 'object' } },
      { name: 'lookup', description: 'Uses key ' + blob + ' for tenant ' + tenant, inputSchema: { type: 'object', properties: { q: { type: 'string', description: arg } } } },
    ] } });
  if (m.method === 'resources/list')
    return send({ result: { resources: [{ uri: 'mem://' + blob + '/' + arg, name: 'r' }] } });
  send({ error: { code: -32601, message: 'not found' } });
});`;

describe('issue #12 item 5: configured values a server echoes are masked in snapshots, pins and keys', () => {
  test('env values without secret-looking names, literal args; hashes keys carry no value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-live-canary-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const db = openDatabase(join(dir, 'gatehouse.db'));
    const server = rawServer({
      name: 'echo',
      command: process.execPath,
      args: ['-e', ECHO_SERVER, '--', ARG_VALUE],
      env: { CONFIG_BLOB, TENANT: TENANT_SECRET, DATA_DIR: KEPT[0]!, APP_ENV: KEPT[1]!, PORT: KEPT[2]! },
    });
    // The fixture's public entry carries the raw args; discovery's carries them masked (extract.ts).
    server.entry.args = maskArgs(server.raw.args ?? []);
    const opts = {
      servers: [server],
      env: {},
      consent: 'run' as const,
      fingerprint: fingerprinter(Buffer.alloc(32, 3)),
      limits: { connectTimeoutMs: 15000, requestTimeoutMs: 15000, serverBudgetMs: 30000 },
    };
    const r = await runLiveScan({ db, clock: systemClock }, opts);
    const snap = r.servers[0]!.snapshot;
    assert.equal(snap.status, 'ok', snap.error);
    // The server did echo the values (else this test proves nothing): masked forms are there.
    assert.equal(snap.tools.length, 2);
    assert.match(snap.instructions ?? '', /Configured with \S*…\S* and \S*…\S* in \/srv\/data\/reports/);
    assert.equal(Object.keys(snap.hashes).length, 4, JSON.stringify(Object.keys(snap.hashes)));

    // A second scan finds no change: the redacted keys still match the pinned definitions.
    const again = await runLiveScan({ db, clock: systemClock }, opts);
    assert.equal(again.changes.length, 0, JSON.stringify(again.changes));

    const store = new LiveStore(db);
    const outputs = JSON.stringify({
      r,
      again,
      keys: Object.keys(snap.hashes),
      pins: store.pins(snap.identity),
      stored: store.snapshot(snap.id),
      latest: store.latestPerServer(),
    });
    db.close();
    const files = await filesUnder(dir);
    const stored = (await Promise.all(files.map((f) => readFile(f)))).map((b) => b.toString('latin1')).join('\n');
    for (const secret of [CONFIG_BLOB, TENANT_SECRET, ARG_VALUE]) {
      assert.ok(!outputs.includes(secret), `${secret} leaked in the results: ${outputs.slice(0, 400)}`);
      assert.ok(!stored.includes(secret), `${secret} leaked in the database file`);
    }
    // Paths, common words and numbers stay readable.
    for (const kept of KEPT) assert.ok(outputs.includes(kept), `${kept} was masked`);
  });
});
