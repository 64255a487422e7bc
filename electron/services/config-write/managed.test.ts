import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLIENT_IDS } from '../../../shared/model/discovery.js';
import { main } from '../../cli/run.js';
import { generateManaged, ManagedRefused, NO_MANAGED_FORMAT, parseAllowList } from './managed.js';
import { filesUnder } from '../../../test/support/files.js';

const GHP = 'ghp_' + 'Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0we';

const ALLOW_YAML = `servers:
  - name: github
    command: npx
    args: ["-y", "@modelcontextprotocol/server-github@1.0.0"]
    env: { GITHUB_TOKEN: "\${env:GITHUB_TOKEN}", LOG: debug }
  - name: docs
    url: https://mcp.example.com/mcp
    headers: { Authorization: "Bearer \${DOCS_TOKEN}" }
deny: [evil]
`;

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

interface DiscoveredServer {
  name: string;
  client: string;
  scope: string;
  transport: string;
  command?: string;
  args?: string[];
  url?: string;
  envKeys?: string[];
}

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gh-managed-'));
  await mkdir(join(root, 'home'));
  await writeFile(join(root, 'allow.yaml'), ALLOW_YAML);
});
after(() => rm(root, { recursive: true, force: true }));

const discoverFlags = (sys: string) => [
  '--platform',
  'linux',
  '--home',
  join(root, 'home'),
  '--system-root',
  sys,
  '--state',
  join(root, 'state'),
  '--format',
  'json',
];

async function managedServers(sys: string): Promise<DiscoveredServer[]> {
  const r = await cli('discover', ...discoverFlags(sys));
  assert.equal(r.code, 0, r.stderr);
  const servers = (JSON.parse(r.stdout) as { servers: DiscoveredServer[] }).servers;
  return servers
    .filter((s) => s.scope === 'managed')
    .sort((a, b) => (a.client + a.name).localeCompare(b.client + b.name));
}

describe('config managed: managed client policy from an allow list', () => {
  it('installs under --system-root and discovery shows the servers in managed scope', async () => {
    const sys = join(root, 'sys');
    const r = await cli(
      'config',
      'managed',
      '--allow',
      join(root, 'allow.yaml'),
      '--install',
      '--state',
      join(root, 'state'),
      '--system-root',
      sys,
      '--platform',
      'linux',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No documented managed format.*cursor/);
    // Installing system policy is recorded in the hash-chained admin log, by a real actor.
    const log = await cli('audit', 'query', '--state', join(root, 'state'), '--format', 'json');
    const entry = (
      JSON.parse(log.stdout) as { events: { 'mcp.method.name': string; 'user.id': string }[] }
    ).events.find((e) => e['mcp.method.name'] === 'config.managed.install');
    assert.ok(entry, log.stdout.slice(0, 300));
    assert.notEqual(entry['user.id'], 'admin');

    const servers = await managedServers(sys);
    assert.deepEqual(
      servers.map((s) => [s.client, s.name, s.transport, s.command ?? s.url, s.args ?? []]),
      [
        ['claude-code', 'docs', 'http', 'https://mcp.example.com/mcp', []],
        ['claude-code', 'github', 'stdio', 'npx', ['-y', '@modelcontextprotocol/server-github@1.0.0']],
        ['gemini-cli', 'docs', 'http', 'https://mcp.example.com/mcp', []],
        ['gemini-cli', 'github', 'stdio', 'npx', ['-y', '@modelcontextprotocol/server-github@1.0.0']],
      ],
    );

    // The client's own reference syntax, never a value.
    const mcp = JSON.parse(await readFile(join(sys, 'etc', 'claude-code', 'managed-mcp.json'), 'utf8'));
    assert.equal(mcp.mcpServers.github.env.GITHUB_TOKEN, '${GITHUB_TOKEN}');
    assert.equal(mcp.mcpServers.docs.headers.Authorization, 'Bearer ${DOCS_TOKEN}');
    const gemini = JSON.parse(await readFile(join(sys, 'etc', 'gemini-cli', 'settings.json'), 'utf8'));
    assert.equal(gemini.mcpServers.github.env.GITHUB_TOKEN, '$GITHUB_TOKEN');
    assert.equal(gemini.mcpServers.docs.httpUrl, 'https://mcp.example.com/mcp');
    const settings = JSON.parse(await readFile(join(sys, 'etc', 'claude-code', 'managed-settings.json'), 'utf8'));
    assert.deepEqual(settings, {
      allowedMcpServers: [
        { serverCommand: ['npx', '-y', '@modelcontextprotocol/server-github@1.0.0'] },
        { serverUrl: 'https://mcp.example.com/mcp' },
      ],
      allowManagedMcpServersOnly: true,
      deniedMcpServers: [{ serverName: 'evil' }],
    });

    // A second install refuses to overwrite; with --force it replaces and keeps a backup.
    const before = await readFile(join(sys, 'etc', 'claude-code', 'managed-mcp.json'), 'utf8');
    const again = await cli(
      'config',
      'managed',
      '--allow',
      join(root, 'allow.yaml'),
      '--install',
      '--state',
      join(root, 'state'),
      '--system-root',
      sys,
      '--platform',
      'linux',
    );
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists.*--force/);
    const forced = await cli(
      'config',
      'managed',
      '--allow',
      join(root, 'allow.yaml'),
      '--install',
      '--state',
      join(root, 'state'),
      '--force',
      '--system-root',
      sys,
      '--platform',
      'linux',
    );
    assert.equal(forced.code, 0, forced.stderr);
    const backups = (await filesUnder(sys, { missingOk: true })).filter((p) => p.includes('.gatehouse-backup-'));
    assert.equal(backups.length, 3);
    const mcpBackup = backups.find((p) => p.includes('managed-mcp.json'));
    assert.equal(await readFile(mcpBackup as string, 'utf8'), before);
    assert.equal((await managedServers(sys)).length, 4, 'backups are not read as managed config');
  });

  it('--out writes the system-relative tree for the platform and installs nothing', async () => {
    const out = join(root, 'out');
    const r = await cli('config', 'managed', '--allow', join(root, 'allow.yaml'), '--out', out, '--platform', 'darwin');
    assert.equal(r.code, 0, r.stderr);
    const files = (await filesUnder(out, { missingOk: true })).map((p) => p.slice(out.length + 1)).sort();
    assert.deepEqual(files, [
      join('Library', 'Application Support', 'ClaudeCode', 'managed-mcp.json'),
      join('Library', 'Application Support', 'ClaudeCode', 'managed-settings.json'),
      join('Library', 'Application Support', 'GeminiCli', 'settings.json'),
    ]);
    const d = await cli('discover', ...discoverFlags(out).map((f) => (f === 'linux' ? 'darwin' : f)));
    const managed = (JSON.parse(d.stdout) as { servers: DiscoveredServer[] }).servers.filter(
      (s) => s.scope === 'managed',
    );
    assert.equal(managed.length, 4);
  });

  it('refuses a literal credential, naming the field, and writes nothing', async () => {
    const out = join(root, 'refused');
    const cases: Array<[string, RegExp]> = [
      [`- { name: gh, command: npx, env: { GITHUB_TOKEN: "${GHP}" } }`, /servers\[0\] \(gh\)\.env\.GITHUB_TOKEN/],
      [`- { name: gh, command: npx, env: { API_KEY: "hunter2" } }`, /servers\[0\] \(gh\)\.env\.API_KEY/],
      [
        `- { name: r, url: "https://x.example/mcp", headers: { Authorization: "Bearer abc" } }`,
        /\.headers\.Authorization/,
      ],
      [`- { name: r, url: "https://x.example/mcp?api_key=abc123" }`, /servers\[0\] \(r\)\.url/],
      [`- { name: gh, command: npx, args: ["--token", "${GHP}"] }`, /servers\[0\] \(gh\)\.args\[1\]/],
    ];
    for (const [yaml, field] of cases) {
      await writeFile(join(root, 'bad.yaml'), yaml + '\n');
      const r = await cli('config', 'managed', '--allow', join(root, 'bad.yaml'), '--out', out);
      assert.equal(r.code, 1, yaml);
      assert.match(r.stderr, field);
      assert.match(r.stderr, /literal credential/);
      assert.ok(!r.stderr.includes(GHP) && !r.stderr.includes('hunter2'), 'the value is never echoed');
      assert.deepEqual(await filesUnder(out, { missingOk: true }), []);
    }
  });

  it('parses JSON too, and generates only for clients with a documented managed format', () => {
    const allow = parseAllowList(JSON.stringify([{ name: 'a', command: 'uvx', args: ['mcp-a==1.0'] }]));
    const files = generateManaged(allow, 'win32');
    assert.deepEqual(
      files.map((f) => f.rel.join('/')),
      [
        'Program Files/ClaudeCode/managed-mcp.json',
        'Program Files/ClaudeCode/managed-settings.json',
        'ProgramData/gemini-cli/settings.json',
      ],
    );
    const covered = new Set([...files.map((f) => f.client), ...NO_MANAGED_FORMAT]);
    assert.deepEqual([...covered].sort(), [...CLIENT_IDS].sort(), 'every client is either generated or named');
    assert.throws(() => parseAllowList('[{ "name": "a", "command": "x", "url": "https://y" }]'), ManagedRefused);
    assert.throws(() => parseAllowList('[{ "name": "a" }]'), /exactly one of command/);
  });
});
