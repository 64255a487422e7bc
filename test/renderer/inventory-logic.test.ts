import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerEntry } from '../../shared/model/discovery.js';
import { parseHash, routeHref } from '../../renderer/src/app/router.js';
import { EMPTY_FILTERS } from '../../renderer/src/app/ui-store.js';
import { commonDir, serverTarget } from '../../renderer/src/lib/labels.js';
import { filterServers, sortServers } from '../../renderer/src/pages/inventory/filter.js';

function server(p: Partial<ServerEntry> & Pick<ServerEntry, 'id' | 'name' | 'client'>): ServerEntry {
  return {
    scope: 'user',
    source: `/home/u/${p.client}.json`,
    pointer: `/mcpServers/${p.name}`,
    transport: 'stdio',
    envKeys: [],
    headerKeys: [],
    disabled: false,
    ...p,
  };
}

const SERVERS: ServerEntry[] = [
  server({
    id: 'a',
    name: 'github',
    client: 'cursor',
    command: 'npx',
    args: ['-y', 'server-github'],
    envKeys: ['GITHUB_TOKEN'],
  }),
  server({
    id: 'b',
    name: 'Sentry',
    client: 'claude-code',
    transport: 'http',
    url: 'https://mcp.sentry.dev/mcp',
    headerKeys: ['Authorization'],
  }),
  server({
    id: 'c',
    name: 'db',
    client: 'vscode',
    scope: 'project',
    command: 'node',
    args: ['db server.js'],
    disabled: true,
  }),
  server({ id: 'd', name: 'server10', client: 'cursor', command: 'x' }),
  server({ id: 'e', name: 'server9', client: 'cursor', command: 'x' }),
];

test('text filter matches any visible field and key names, all terms required, case-insensitive', () => {
  const ids = (text: string) => filterServers(SERVERS, { ...EMPTY_FILTERS, text }).map((s) => s.id);
  assert.deepEqual(ids('github'), ['a']);
  assert.deepEqual(ids('GITHUB_token'), ['a']);
  assert.deepEqual(ids('authorization'), ['b']);
  assert.deepEqual(ids('sentry.dev'), ['b']);
  assert.deepEqual(ids('Claude Code'), ['b']);
  assert.deepEqual(ids('cursor server'), ['a', 'd', 'e']);
  assert.deepEqual(ids('cursor nothing'), []);
  assert.deepEqual(ids('  '), ['a', 'b', 'c', 'd', 'e']);
});

test('client, scope and transport filters combine', () => {
  const f = (p: Partial<typeof EMPTY_FILTERS>) => filterServers(SERVERS, { ...EMPTY_FILTERS, ...p }).map((s) => s.id);
  assert.deepEqual(f({ client: 'cursor' }), ['a', 'd', 'e']);
  assert.deepEqual(f({ scope: 'project' }), ['c']);
  assert.deepEqual(f({ transport: 'http' }), ['b']);
  assert.deepEqual(f({ client: 'cursor', transport: 'http' }), []);
});

test('sort is natural, case-insensitive, reversible and stable on ties', () => {
  const names = (key: 'name' | 'client' | 'disabled', dir: 'asc' | 'desc') =>
    sortServers(SERVERS, { key, dir }).map((s) => s.name);
  assert.deepEqual(names('name', 'asc'), ['db', 'github', 'Sentry', 'server9', 'server10']);
  assert.deepEqual(names('name', 'desc'), ['server10', 'server9', 'Sentry', 'github', 'db']);
  // Ties on client fall back to name.
  assert.deepEqual(names('client', 'asc'), ['Sentry', 'github', 'server9', 'server10', 'db']);
  assert.equal(names('disabled', 'desc')[0], 'db');
});

test('serverTarget shows the URL, or the command with args quoted when they hold spaces', () => {
  assert.equal(serverTarget(SERVERS[0]!), 'npx -y server-github');
  assert.equal(serverTarget(SERVERS[1]!), 'https://mcp.sentry.dev/mcp');
  assert.equal(serverTarget(SERVERS[2]!), 'node "db server.js"');
  assert.equal(serverTarget({}), '');
});

test('commonDir finds the shared folder only when it is at least two levels deep', () => {
  assert.equal(commonDir(['/home/u/.claude.json', '/home/u/.cursor/mcp.json']), '/home/u');
  assert.equal(commonDir(['/home/u/.claude.json', '/etc/claude-code/managed-mcp.json']), '');
  assert.equal(commonDir(['C:\\Users\\me\\a.json', 'C:\\Users\\me\\b\\c.json']), 'C:\\Users\\me');
  assert.equal(commonDir([]), '');
});

test('hash routes parse and round-trip, with URI-encoded parameters', () => {
  assert.deepEqual(parseHash(''), { page: 'overview', params: [] });
  assert.deepEqual(parseHash('#/findings'), { page: 'findings', params: [] });
  assert.deepEqual(parseHash(routeHref('servers', 'a/b c')), { page: 'servers', params: ['a/b c'] });
  assert.deepEqual(parseHash('#/servers/%E0%A4%A'), { page: 'servers', params: ['%E0%A4%A'] });
});
