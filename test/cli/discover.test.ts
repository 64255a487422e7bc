import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { plantedCredentials, WORKSTATION } from '../../electron/services/discovery/test-helpers.js';

/** `gatehouse discover` as a subprocess, against the workstation fixtures. */

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'gatehouse.mjs');
const HOMES = join(ROOT, 'test', 'fixtures', 'discovery', 'homes');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Relocations must come from the test, not from the machine running it.
  for (const k of ['CODEX_HOME', 'CLAUDE_CONFIG_DIR', 'COPILOT_HOME', 'GATEHOUSE_STATE']) delete env[k];
  return env;
}

function gatehouse(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let state: string;
before(async () => {
  state = await mkdtemp(join(tmpdir(), 'gh-cli-state-'));
});
after(async () => {
  await rm(state, { recursive: true, force: true });
});

const linuxArgs = () => [
  'discover',
  '--home',
  join(WORKSTATION, 'home'),
  '--platform',
  'linux',
  '--project',
  join(WORKSTATION, 'project'),
  '--system-root',
  join(WORKSTATION, 'system'),
  '--state',
  state,
];

const SOURCE_KEYS = ['client', 'path', 'scope', 'status', 'error', 'line'];
const SERVER_REQUIRED = [
  'id',
  'name',
  'client',
  'scope',
  'source',
  'pointer',
  'transport',
  'envKeys',
  'headerKeys',
  'disabled',
];
const SERVER_OPTIONAL = ['command', 'args', 'url', 'cwd', 'project', 'problems'];

describe('gatehouse discover (linux workstation fixture)', () => {
  let run: Run;
  let doc: { sources: Array<Record<string, unknown>>; servers: Array<Record<string, unknown>> };
  before(async () => {
    run = await gatehouse([...linuxArgs(), '--format', 'json']);
    doc = JSON.parse(run.stdout) as typeof doc;
  });

  test('exits 0 and prints exactly one JSON document with sources and servers', () => {
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.deepEqual(Object.keys(doc), ['sources', 'servers']);
    assert.equal(run.stdout.trim(), JSON.stringify(doc, null, 2));
  });

  test('sources: every existing config file with its status', () => {
    assert.equal(doc.sources.length, 23);
    for (const s of doc.sources) {
      for (const k of Object.keys(s)) assert.ok(SOURCE_KEYS.includes(k), k);
      assert.match(String(s.path), new RegExp(`^${WORKSTATION.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));
      assert.ok(['user', 'project', 'managed'].includes(String(s.scope)));
    }
    assert.deepEqual(
      doc.sources.filter((s) => s.status !== 'ok'),
      [
        {
          client: 'cursor',
          path: join(WORKSTATION, 'home', '.cursor', 'mcp.json'),
          scope: 'user',
          status: 'parse-error',
          error: 'unexpected content after the end of the document (JSON)',
          line: 9,
        },
      ],
    );
    assert.deepEqual(
      doc.sources
        .filter((s) => s.scope !== 'user')
        .map((s) => [s.client, s.scope, String(s.path).slice(WORKSTATION.length)]),
      [
        ['claude-code', 'managed', '/system/etc/claude-code/managed-mcp.json'],
        ['claude-code', 'project', '/project/.mcp.json'],
        ['vscode', 'project', '/project/.vscode/mcp.json'],
      ],
    );
  });

  test('servers: the exact shape, one per configured entry', () => {
    assert.equal(doc.servers.length, 39);
    const clients = new Set(doc.servers.map((s) => s.client));
    assert.equal(clients.size, 18); // 19 clients have files; cursor's is broken
    for (const s of doc.servers) {
      for (const k of SERVER_REQUIRED) assert.ok(k in s, `${String(s.name)} lacks ${k}`);
      for (const k of Object.keys(s)) assert.ok(SERVER_REQUIRED.includes(k) || SERVER_OPTIONAL.includes(k), k);
      assert.match(String(s.id), /^[0-9a-f]{16}$/);
      assert.ok(['stdio', 'http', 'sse', 'unknown'].includes(String(s.transport)));
      assert.ok(String(s.pointer).startsWith('/'));
      assert.ok(String(s.source).startsWith(WORKSTATION));
    }
    const find = (client: string, name: string) => doc.servers.find((s) => s.client === client && s.name === name);
    assert.deepEqual(find('claude-code', 'postgres'), {
      id: find('claude-code', 'postgres')!.id,
      name: 'postgres',
      client: 'claude-code',
      scope: 'project',
      source: join(WORKSTATION, 'home', '.claude.json'),
      pointer: '/projects/~1home~1dev~1code~1webapp/mcpServers/postgres',
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-postgres', 'postgresql://app:…e-77@localhost:5432/app'],
      envKeys: [],
      headerKeys: [],
      disabled: false,
      project: '/home/dev/code/webapp',
    });
    assert.deepEqual(find('codex', 'aws-docs')?.envKeys, ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']);
    assert.equal(find('codex', 'old-tool')?.disabled, true);
    assert.equal(find('gemini-cli', 'events')?.transport, 'sse');
    assert.equal(find('continue', 'hf-hub')?.pointer, '/mcpServers/1');
    assert.equal(find('vscode', 'fetch')?.pointer, '/mcp/servers/fetch');
    assert.equal(find('cline', 'anthropic-proxy')?.args?.toString(), '/opt/mcp/proxy.js,--api-key=sk-ant…eWIX');
  });

  test('no planted credential value appears in stdout (json and table)', async () => {
    const planted = await plantedCredentials();
    assert.ok(planted.length >= 14);
    const table = await gatehouse(linuxArgs());
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /39 server\(s\) in 23 config file\(s\); 1 file\(s\) with problems/);
    for (const secret of planted) {
      assert.ok(!run.stdout.includes(secret), `json leaks ${secret.slice(0, 6)}…`);
      assert.ok(!table.stdout.includes(secret), `table leaks ${secret.slice(0, 6)}…`);
    }
  });
});

describe('gatehouse discover: other platforms via fixtures', () => {
  const platformRun = (p: 'darwin' | 'win32') =>
    gatehouse([
      'discover',
      '--format',
      'json',
      '--platform',
      p,
      '--home',
      join(HOMES, p, 'home'),
      '--project',
      join(HOMES, p, 'project'),
      '--system-root',
      join(HOMES, p, 'system'),
      '--state',
      state,
    ]);

  test('darwin: ~/Library/Application Support paths and the macOS managed file', async () => {
    const r = await platformRun('darwin');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      sources: Array<{ client: string; path: string; scope: string }>;
      servers: unknown[];
    };
    assert.deepEqual(
      doc.sources.map((s) => [s.client, s.scope, s.path.slice(join(HOMES, 'darwin').length)]),
      [
        ['claude-desktop', 'user', '/home/Library/Application Support/Claude/claude_desktop_config.json'],
        ['cursor', 'user', '/home/.cursor/mcp.json'],
        ['vscode', 'user', '/home/Library/Application Support/Code/User/mcp.json'],
        ['zed', 'user', '/home/.config/zed/settings.json'],
        ['claude-code', 'managed', '/system/Library/Application Support/ClaudeCode/managed-mcp.json'],
      ],
    );
    assert.equal(doc.servers.length, 13);
  });

  test('win32: AppData/Roaming paths, Program Files managed file, Windows command lines', async () => {
    const r = await platformRun('win32');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      sources: Array<{ client: string; path: string; scope: string }>;
      servers: Array<{ name: string; command?: string; args?: string[] }>;
    };
    assert.deepEqual(
      doc.sources.map((s) => [s.client, s.scope, s.path.slice(join(HOMES, 'win32').length)]),
      [
        ['claude-desktop', 'user', '/home/AppData/Roaming/Claude/claude_desktop_config.json'],
        ['zed', 'user', '/home/AppData/Roaming/Zed/settings.json'],
        ['codex', 'user', '/home/.codex/config.toml'],
        ['goose', 'user', '/home/AppData/Roaming/Block/goose/config/config.yaml'],
        ['claude-code', 'managed', '/system/Program Files/ClaudeCode/managed-mcp.json'],
        ['vscode', 'project', '/project/.vscode/mcp.json'],
      ],
    );
    const node = doc.servers.find((s) => s.name === 'node-tool');
    assert.equal(node?.command, 'C:\\Program Files\\nodejs\\node.exe');
    assert.deepEqual(node?.args, ['C:\\tools\\mcp\\server.js', '--verbose']);
    assert.equal(doc.servers.length, 16);
  });
});

describe('gatehouse discover: usage errors', () => {
  test('a bad --platform exits 2 with a clear message', async () => {
    const r = await gatehouse(['discover', '--platform', 'beos', '--state', state]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--platform must be linux, darwin or win32 \(got "beos"\)/);
  });

  test('an unknown flag exits 2 and names the flag', async () => {
    const r = await gatehouse(['discover', '--bogus', '--state', state]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--bogus/);
    assert.match(r.stderr, /Usage:/);
  });

  test('a bad --format exits 2', async () => {
    const r = await gatehouse(['discover', '--format', 'xml', '--state', state, '--home', join(WORKSTATION, 'home')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--format must be one of table, json/);
  });
});
