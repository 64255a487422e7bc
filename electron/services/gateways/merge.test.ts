import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerEntry } from '../../../shared/model/discovery.js';
import type { GatewaySnapshot } from '../../../shared/model/gateway.js';
import { maskUrl } from '../secrets/redact.js';
import { mergeInventory, normalizeUpstreamUrl } from './merge.js';

test('URL normalization folds loopback aliases, default ports and trailing slashes', () => {
  assert.equal(normalizeUpstreamUrl('http://127.0.0.1:8080/mcp/'), normalizeUpstreamUrl('http://localhost:8080/mcp'));
  assert.equal(normalizeUpstreamUrl('https://Example.com/mcp'), 'https://example.com:443/mcp');
  assert.notEqual(normalizeUpstreamUrl('http://localhost:1/a'), normalizeUpstreamUrl('http://localhost:1/b'));
  assert.equal(normalizeUpstreamUrl('not a url'), undefined);
});

const entry = (id: string, url?: string): ServerEntry => ({
  id,
  name: `ws-${id}`,
  client: 'cursor',
  scope: 'user',
  source: '/home/u/.cursor/mcp.json',
  pointer: `/mcpServers/${id}`,
  transport: url ? 'http' : 'stdio',
  url,
  command: url ? undefined : 'npx',
  envKeys: [],
  headerKeys: [],
  disabled: false,
});

const snap: GatewaySnapshot = {
  gatewayId: 'g1',
  gatewayName: 'cf',
  kind: 'contextforge',
  baseUrl: 'http://127.0.0.1:4444',
  fetchedAt: '2026-01-01T00:00:00Z',
  upstreams: [
    {
      id: 'u1',
      name: 'everything',
      url: 'http://localhost:9000/mcp',
      transport: 'STREAMABLEHTTP',
      enabled: true,
      reachable: true,
      visibility: 'public',
      authType: 'bearer',
      toolCount: 1,
    },
    {
      id: 'u2',
      name: 'other',
      url: 'https://mcp.example.com/sse',
      transport: 'SSE',
      enabled: true,
      reachable: true,
      visibility: 'team',
      teamId: 't',
      authType: 'none',
      toolCount: 0,
    },
  ],
  tools: [
    {
      id: 'x',
      name: 'everything-echo',
      originalName: 'echo',
      upstreamId: 'u1',
      description: '',
      visibility: 'public',
      enabled: true,
    },
  ],
  servers: [
    { id: 'vs1', name: 'red', description: '', visibility: 'team', teamId: 't', enabled: true, toolIds: ['x'] },
  ],
  teams: [{ id: 't', name: 'Team Red', slug: 'red', personal: false, visibility: 'private', memberCount: 1 }],
  members: [],
  users: [],
  roles: [],
  assignments: [],
  tokens: [],
  warnings: [],
};

test('workstation entries and gateway upstreams on the same URL are one row; virtual servers listed', () => {
  const inv = mergeInventory(
    [entry('a', 'http://127.0.0.1:9000/mcp/'), entry('b'), entry('c', 'http://localhost:4444/servers/vs1/mcp')],
    [snap],
  );
  const merged = inv.servers.find((s) => s.sources.length === 2)!;
  assert.deepEqual(
    merged.sources.map((s) => s.kind),
    ['workstation', 'gateway'],
  );
  assert.deepEqual(
    merged.tools.map((t) => t.name),
    ['echo'],
  );
  assert.equal(inv.servers.length, 4, 'a, b (stdio), c (via gateway), other');
  assert.deepEqual(inv.servers.find((s) => s.sources[0]?.kind === 'workstation' && s.name === 'ws-c')?.viaGateway, {
    gatewayId: 'g1',
    serverId: 'vs1',
  });
  assert.equal(inv.servers.find((s) => s.name === 'other')?.transport, 'sse');
  assert.deepEqual(
    inv.virtualServers.map((v) => [v.name, v.teamName, v.visibility, v.tools.length]),
    [['red', 'Team Red', 'team', 1]],
  );
});

test('upstream URLs with credentials: masked the same way on both sides, still one row, nothing leaks', () => {
  const raw = 'https://tok3nUser:Pa55w0rd-Upstream@mcp.example.org/t/Xy7pQ2rT9kLm3NvB/mcp?api_key=abc123&region=eu';
  // What discovery stores for the workstation entry and what the ContextForge adapter keeps for the upstream.
  const masked = maskUrl(raw);
  for (const secret of ['Pa55w0rd-Upstream', 'Xy7pQ2rT9kLm3NvB', 'abc123']) assert.ok(!masked.includes(secret), masked);
  const upstream = { ...snap.upstreams[1]!, id: 'u3', name: 'creds', url: masked };
  const inv = mergeInventory([entry('w', masked)], [{ ...snap, upstreams: [upstream] }]);
  const row = inv.servers.find((s) => s.sources.length === 2);
  assert.ok(row, 'workstation entry and upstream merge on the masked URL');
  assert.ok(!JSON.stringify(inv).includes('Pa55w0rd-Upstream'));
  assert.equal(normalizeUpstreamUrl(masked), normalizeUpstreamUrl(maskUrl(raw)));
});
