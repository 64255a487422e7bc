import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClientId, Platform } from '../../../shared/model/discovery.js';
import { nodeFileSystem } from '../node-ports.js';
import { discover } from './discover.js';
import { APPDATA, assertServers, leaf, makeWorkstation, PLATFORMS, scanWith, type Placement } from './test-helpers.js';

/**
 * One test per client parser: the client's realistic fixture is placed where that client keeps it
 * on each platform (under a temporary home / project / system root), discovered, and checked for
 * exact paths, pointers, transports, fields and lines.
 */

interface Case {
  client: ClientId;
  placements: (p: Platform) => Placement[];
  env?: Record<string, string>;
  check: (r: Awaited<ReturnType<typeof scanWith>>, p: Platform) => void;
}

function onlySource(r: Awaited<ReturnType<typeof scanWith>>, placement: Placement, scope = 'user') {
  assert.equal(r.scan.sources.length, 1, JSON.stringify(r.scan.sources.map((s) => s.source)));
  const s = r.scan.sources[0]!;
  assert.deepEqual(s.source, { client: s.source.client, path: r.t.pathOf(placement), scope, status: 'ok' });
  return s;
}

const home = (rel: string, fixture: string): Placement => ({ where: 'home', rel, fixture });
const proj = (rel: string, fixture: string): Placement => ({ where: 'project', rel, fixture });
const sys = (rel: string, fixture: string): Placement => ({ where: 'system', rel, fixture });

const CASES: Case[] = [
  {
    client: 'claude-desktop',
    placements: (p) => [home(`${APPDATA[p]}/Claude/claude_desktop_config.json`, 'clients/claude-desktop.json')],
    check: (r, p) => {
      onlySource(r, home(`${APPDATA[p]}/Claude/claude_desktop_config.json`, ''));
      assertServers(r.scan.servers, [
        {
          name: 'filesystem',
          client: 'claude-desktop',
          scope: 'user',
          pointer: '/mcpServers/filesystem',
          transport: 'stdio',
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/dev/Desktop'],
          envKeys: [],
          headerKeys: [],
          disabled: false,
        },
        {
          // A whole command line in `command`, quote-aware, with null args.
          name: 'memory',
          pointer: '/mcpServers/memory',
          transport: 'stdio',
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-memory', '--store', '/tmp/my store.json'],
          envKeys: ['MEMORY_FILE'],
        },
      ]);
      const mem = r.scan.servers[1]!;
      assert.deepEqual(mem.pointers.args, Array(4).fill('/mcpServers/memory/command'));
      assert.equal(mem.pointers.env.MEMORY_FILE, '/mcpServers/memory/env/MEMORY_FILE');
      const l = leaf(r.scan, '/mcpServers/filesystem/args/2')!;
      assert.equal(l.line, 5);
      assert.equal(l.key, '2');
      const text = r.scan.sources[0]!.text!;
      assert.equal(text.slice(l.offset!, l.offset! + l.length!), '"/Users/dev/Desktop"');
    },
  },
  {
    client: 'claude-code',
    placements: (p) => [
      home('.claude.json', 'clients/claude-code.json'),
      proj('.mcp.json', 'clients/cursor.json'),
      sys(
        p === 'darwin'
          ? 'Library/Application Support/ClaudeCode/managed-mcp.json'
          : p === 'win32'
            ? 'Program Files/ClaudeCode/managed-mcp.json'
            : 'etc/claude-code/managed-mcp.json',
        'clients/claude-code-managed.json',
      ),
    ],
    check: (r) => {
      const bySource = r.scan.sources.map((s) => [s.source.scope, s.source.status]);
      assert.deepEqual(bySource, [
        ['user', 'ok'],
        ['managed', 'ok'],
        ['project', 'ok'],
      ]);
      const user = r.scan.servers.filter((s) => s.entry.source.endsWith('.claude.json'));
      assertServers(user, [
        {
          name: 'github',
          scope: 'user',
          pointer: '/mcpServers/github',
          transport: 'stdio',
          envKeys: ['GITHUB_PERSONAL_ACCESS_TOKEN'],
        },
        {
          name: 'sentry',
          scope: 'user',
          pointer: '/mcpServers/sentry',
          transport: 'sse',
          url: 'https://mcp.sentry.dev/sse',
          headerKeys: ['Authorization'],
        },
        {
          name: 'db',
          scope: 'project',
          project: '/home/dev/code/api',
          pointer: '/projects/~1home~1dev~1code~1api/mcpServers/db',
          transport: 'http',
          url: 'https://db.example.com/mcp',
        },
      ]);
      const managed = r.scan.servers.filter((s) => s.entry.scope === 'managed');
      assertServers(managed, [{ name: 'corp', client: 'claude-code', pointer: '/mcpServers/corp', transport: 'http' }]);
      assert.equal(leaf(r.scan, '/projects/~1home~1dev~1code~1api/mcpServers/db/url')!.line, 20);
      // .mcp.json in the project: the cursor-style fixture (bad entry and ws entry kept, with problems).
      const project = r.scan.servers.filter((s) => s.entry.source.endsWith('.mcp.json'));
      assert.deepEqual(
        project.map((s) => [s.entry.name, s.entry.scope, s.entry.transport]),
        [
          ['linear', 'project', 'sse'],
          ['shell', 'project', 'stdio'],
          ['broken-entry', 'project', 'unknown'],
          ['ws-thing', 'project', 'unknown'],
        ],
      );
    },
  },
  {
    client: 'claude-code',
    // CLAUDE_CONFIG_DIR relocates ~/.claude.json
    placements: () => [{ where: 'home', rel: 'alt-claude/.claude.json', fixture: 'clients/claude-code-managed.json' }],
    env: { CLAUDE_CONFIG_DIR: '<root>/home/alt-claude' },
    check: (r) => {
      onlySource(r, home('alt-claude/.claude.json', ''));
      assertServers(r.scan.servers, [{ name: 'corp', scope: 'user', client: 'claude-code' }]);
    },
  },
  {
    client: 'cursor',
    placements: () => [home('.cursor/mcp.json', 'clients/cursor.json'), proj('.cursor/mcp.json', 'clients/flat.json')],
    check: (r) => {
      assert.deepEqual(
        r.scan.sources.map((s) => [s.source.scope, s.source.status]),
        [
          ['user', 'ok'],
          ['project', 'ok'],
        ],
      );
      assertServers(r.scan.servers, [
        { name: 'linear', transport: 'sse', url: 'https://mcp.linear.app/sse', headerKeys: ['Authorization'] },
        { name: 'shell', transport: 'stdio', command: 'uvx', args: ['mcp-shell', '8080', 'true'], envKeys: ['PORT'] },
        { name: 'broken-entry', transport: 'unknown', problems: ['entry is a string, expected an object'] },
        {
          name: 'ws-thing',
          pointer: '/mcpServers/ws-thing',
          transport: 'unknown',
          problems: ['transport "ws" (WebSocket) is not supported'],
        },
        // Flat { name: entry } map without a root key
        { name: 'alpha', scope: 'project', pointer: '/alpha', transport: 'stdio', command: 'alpha-server' },
        { name: 'beta', scope: 'project', pointer: '/beta', transport: 'http' },
      ]);
      assert.equal(r.scan.servers[1]!.raw.env.PORT, '8080');
    },
  },
  {
    client: 'vscode',
    placements: (p) => [
      home(`${APPDATA[p]}/Code/User/mcp.json`, 'clients/vscode.jsonc'),
      home(`${APPDATA[p]}/Code/User/settings.json`, 'clients/vscode-settings-nested.jsonc'),
      proj('.vscode/mcp.json', 'clients/vscode.jsonc'),
    ],
    check: (r) => {
      assert.equal(r.scan.sources.length, 3);
      assert.ok(r.scan.sources.every((s) => s.source.status === 'ok' && s.source.client === 'vscode'));
      assertServers(r.scan.servers, [
        {
          name: 'perplexity',
          pointer: '/servers/perplexity',
          transport: 'stdio',
          envKeys: ['PERPLEXITY_API_KEY'],
          scope: 'user',
        },
        { name: 'remote', pointer: '/servers/remote', transport: 'http', scope: 'user' },
        { name: 'fetch', pointer: '/mcp/servers/fetch', transport: 'stdio', command: 'uvx', scope: 'user' },
        { name: 'perplexity', scope: 'project' },
        { name: 'remote', scope: 'project' },
      ]);
      assert.equal(leaf(r.scan, '/servers/perplexity/env/PERPLEXITY_API_KEY')!.line, 11);
      assert.equal(leaf(r.scan, '/mcp/servers/fetch/args/0')!.line, 7);
    },
  },
  {
    client: 'vscode-insiders',
    placements: (p) => [
      home(`${APPDATA[p]}/Code - Insiders/User/settings.json`, 'clients/vscode-settings-dotted.json'),
    ],
    check: (r, p) => {
      onlySource(r, home(`${APPDATA[p]}/Code - Insiders/User/settings.json`, ''));
      assertServers(r.scan.servers, [
        {
          name: 'time',
          client: 'vscode-insiders',
          pointer: '/mcp.servers/time',
          transport: 'stdio',
          args: ['mcp-server-time'],
        },
      ]);
    },
  },
  {
    client: 'windsurf',
    placements: () => [home('.codeium/windsurf/mcp_config.json', 'clients/windsurf.json')],
    check: (r) => {
      onlySource(r, home('.codeium/windsurf/mcp_config.json', ''));
      assertServers(r.scan.servers, [
        { name: 'figma', transport: 'http', url: 'https://figma.example.com/mcp' },
        { name: 'sse-one', transport: 'sse' },
        { name: 'git', transport: 'stdio', disabled: true },
      ]);
      assert.equal(r.scan.servers[0]!.pointers.url, '/mcpServers/figma/serverUrl');
    },
  },
  {
    client: 'cline',
    placements: (p) => [
      home(
        `${APPDATA[p]}/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json`,
        'clients/cline.json',
      ),
    ],
    check: (r) => {
      assertServers(r.scan.servers, [
        { name: 'weather', client: 'cline', disabled: false, envKeys: ['OPENWEATHER_API_KEY'] },
        { name: 'off', client: 'cline', disabled: true },
      ]);
    },
  },
  {
    client: 'roo-code',
    placements: (p) => [
      home(
        `${APPDATA[p]}/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json`,
        'clients/roo-code.json',
      ),
      proj('.roo/mcp.json', 'clients/kilo-code.json'),
    ],
    check: (r) => {
      assertServers(r.scan.servers, [
        { name: 'puppeteer', client: 'roo-code', scope: 'user', transport: 'stdio' },
        { name: 'remote', client: 'roo-code', scope: 'user', transport: 'http' },
        { name: 'context7', client: 'roo-code', scope: 'project' },
      ]);
    },
  },
  {
    client: 'kilo-code',
    placements: (p) => [
      home(
        `${APPDATA[p]}/Code/User/globalStorage/kilocode.kilo-code/settings/mcp_settings.json`,
        'clients/kilo-code.json',
      ),
    ],
    check: (r) =>
      assertServers(r.scan.servers, [{ name: 'context7', client: 'kilo-code', args: ['-y', '@upstash/context7-mcp'] }]),
  },
  {
    client: 'continue',
    placements: () => [
      home('.continue/config.yaml', 'clients/continue.yaml'),
      home('.continue/config.json', 'clients/continue-legacy.json'),
      proj('.continue/mcpServers/playwright.yaml', 'clients/continue-block.yaml'),
      proj('.continue/mcpServers/claude-style.json', 'clients/kilo-code.json'),
    ],
    check: (r) => {
      assert.deepEqual(
        r.scan.sources.map((s) => [s.source.path.split('/').slice(-2).join('/'), s.source.scope, s.source.status]),
        [
          ['.continue/config.yaml', 'user', 'ok'],
          ['.continue/config.json', 'user', 'ok'],
          ['mcpServers/claude-style.json', 'project', 'ok'],
          ['mcpServers/playwright.yaml', 'project', 'ok'],
        ],
      );
      assertServers(r.scan.servers, [
        {
          name: 'SQLite',
          pointer: '/mcpServers/0',
          transport: 'stdio',
          args: ['-y', 'mcp-sqlite', '/home/dev/db.sqlite'],
          envKeys: ['LOG_LEVEL'],
        },
        { name: 'Remote', pointer: '/mcpServers/1', transport: 'sse' },
        { name: '#2', pointer: '/mcpServers/2', command: 'orphan', problems: ['list item 2 has no name'] },
        { name: '#0', pointer: '/experimental/modelContextProtocolServers/0', transport: 'stdio', command: 'uvx' },
        { name: 'context7', pointer: '/mcpServers/context7', scope: 'project' },
        { name: 'Browser search', pointer: '/mcpServers/0', scope: 'project', args: ['@playwright/mcp@latest'] },
      ]);
      const l = leaf(r.scan, '/mcpServers/0/args/2')!;
      assert.equal(l.line, 10);
      assert.equal(r.scan.sources[0]!.text!.slice(l.offset!, l.offset! + l.length!), '"/home/dev/db.sqlite"');
      assert.equal(leaf(r.scan, '/mcpServers/1/url')!.line, 15);
    },
  },
  {
    client: 'zed',
    placements: (p) => [
      home(p === 'win32' ? `${APPDATA[p]}/Zed/settings.json` : '.config/zed/settings.json', 'clients/zed.jsonc'),
      proj('.zed/settings.json', 'clients/vscode-settings-dotted.json'),
    ],
    check: (r) => {
      assert.deepEqual(
        r.scan.sources.map((s) => s.source.status),
        ['ok', 'ok'],
      );
      assertServers(r.scan.servers, [
        {
          name: 'new-form',
          pointer: '/context_servers/new-form',
          transport: 'stdio',
          command: 'npx',
          envKeys: ['TOKEN'],
        },
        {
          name: 'old-form',
          pointer: '/context_servers/old-form',
          transport: 'stdio',
          command: '/usr/local/bin/old-server',
          args: ['--verbose'],
          envKeys: ['OLD_HOME'],
        },
        { name: 'remote', transport: 'http', url: 'https://zed-remote.example.com/mcp', headerKeys: ['X-Key'] },
        {
          name: 'from-extension',
          transport: 'unknown',
          problems: ['provided by a Zed extension (command not in this file)'],
        },
      ]);
      assert.equal(r.scan.servers[1]!.pointers.command, '/context_servers/old-form/command/path');
      assert.deepEqual(r.scan.servers[1]!.pointers.args, ['/context_servers/old-form/command/args/0']);
      assert.equal(leaf(r.scan, '/context_servers/old-form/command/path')!.line, 12);
    },
  },
  {
    client: 'gemini-cli',
    placements: (p) => [
      home('.gemini/settings.json', 'clients/gemini-cli.json'),
      sys(
        p === 'darwin'
          ? 'Library/Application Support/GeminiCli/settings.json'
          : p === 'win32'
            ? 'ProgramData/gemini-cli/settings.json'
            : 'etc/gemini-cli/settings.json',
        'clients/gemini-system.json',
      ),
      proj('.gemini/settings.json', 'clients/gemini-system.json'),
    ],
    check: (r) => {
      assert.deepEqual(
        r.scan.sources.map((s) => s.source.scope),
        ['user', 'managed', 'project'],
      );
      assertServers(r.scan.servers, [
        { name: 'sse-server', transport: 'sse', url: 'http://localhost:8080/events' },
        { name: 'http-server', transport: 'http', headerKeys: ['Authorization'] },
        { name: 'python-tools', transport: 'stdio', cwd: './mcp-servers/python', envKeys: ['DATABASE_URL'] },
        { name: 'policy', scope: 'managed', transport: 'http' },
        { name: 'policy', scope: 'project', transport: 'http' },
      ]);
      assert.equal(r.scan.servers[1]!.pointers.url, '/mcpServers/http-server/httpUrl');
    },
  },
  {
    client: 'codex',
    placements: () => [
      home('.codex/config.toml', 'clients/codex.toml'),
      proj('.codex/config.toml', 'clients/codex.toml'),
    ],
    check: (r) => {
      assert.equal(r.scan.sources.length, 2);
      const user = r.scan.servers.filter((s) => s.entry.scope === 'user');
      assertServers(user, [
        {
          name: 'docs',
          pointer: '/mcp_servers/docs',
          transport: 'stdio',
          command: 'npx',
          args: ['-y', 'mcp-server-docs', 'literal arg'],
          envKeys: ['DOCS_MODE', 'TIMEOUT'],
          cwd: '/srv/docs',
        },
        { name: 'figma', transport: 'http', headerKeys: ['X-Figma-Region', 'X-Org-Id', 'Authorization'] },
        { name: 'dotted.name', pointer: '/mcp_servers/dotted.name', command: 'multi', disabled: true },
        { name: 'inline', args: ['mcp-inline', '--flag'] },
      ]);
      assert.equal(user[1]!.raw.bearerTokenEnvVar, 'FIGMA_OAUTH_TOKEN');
      assert.deepEqual(user[1]!.raw.headerEnv, { 'X-Org-Id': 'FIGMA_ORG' });
      const text = r.scan.sources[0]!.text!;
      const check = (pointer: string, line: number, token: string) => {
        const l = leaf(r.scan, pointer)!;
        assert.equal(l.line, line, pointer);
        assert.equal(text.slice(l.offset!, l.offset! + l.length!), token, pointer);
      };
      check('/mcp_servers/docs/args/2', 6, "'literal arg'");
      check('/mcp_servers/docs/env/TIMEOUT', 7, '"30"');
      check('/mcp_servers/figma/http_headers/X-Figma-Region', 13, '"us-east-1"');
      check('/mcp_servers/dotted.name/command', 17, '"""multi"""');
      check('/mcp_servers/inline/args/0', 23, '"mcp-inline"');
      check('/mcp_servers/inline/args/1', 24, '"--flag"');
      assert.equal(r.scan.servers.filter((s) => s.entry.scope === 'project').length, 4);
    },
  },
  {
    client: 'codex',
    placements: () => [{ where: 'home', rel: 'codex-alt/config.toml', fixture: 'clients/codex.toml' }],
    env: { CODEX_HOME: '<root>/home/codex-alt' },
    check: (r) => {
      onlySource(r, home('codex-alt/config.toml', ''));
      assert.equal(r.scan.servers.length, 4);
    },
  },
  {
    client: 'copilot-cli',
    placements: () => [home('.copilot/mcp-config.json', 'clients/copilot-cli.json')],
    check: (r) =>
      assertServers(r.scan.servers, [
        { name: 'playwright', client: 'copilot-cli', transport: 'stdio' },
        { name: 'remote', transport: 'http', headerKeys: ['X-Key'] },
      ]),
  },
  {
    client: 'copilot-cli',
    placements: () => [{ where: 'home', rel: 'cop/mcp-config.json', fixture: 'clients/copilot-cli.json' }],
    env: { COPILOT_HOME: '<root>/home/cop' },
    check: (r) => {
      onlySource(r, home('cop/mcp-config.json', ''));
      assert.equal(r.scan.servers.length, 2);
    },
  },
  {
    client: 'kiro',
    placements: () => [
      home('.kiro/settings/mcp.json', 'clients/kiro.json'),
      proj('.kiro/settings/mcp.json', 'clients/kiro.json'),
    ],
    check: (r) =>
      assertServers(r.scan.servers, [
        { name: 'fetch', client: 'kiro', scope: 'user', disabled: false },
        { name: 'fetch', client: 'kiro', scope: 'project' },
      ]),
  },
  {
    client: 'amazon-q',
    placements: () => [
      home('.aws/amazonq/default.json', 'clients/amazon-q.json'),
      home('.aws/amazonq/mcp.json', 'clients/kiro.json'),
      proj('.amazonq/default.json', 'clients/amazon-q.json'),
      proj('.amazonq/mcp.json', 'clients/kiro.json'),
    ],
    check: (r) => {
      assert.equal(r.scan.sources.length, 4);
      assertServers(r.scan.servers, [
        { name: 'aws-docs', client: 'amazon-q', scope: 'user' },
        { name: 'fetch', scope: 'user' },
        { name: 'aws-docs', scope: 'project' },
        { name: 'fetch', scope: 'project' },
      ]);
    },
  },
  {
    client: 'lm-studio',
    placements: () => [home('.lmstudio/mcp.json', 'clients/lm-studio.json')],
    check: (r) =>
      assertServers(r.scan.servers, [
        { name: 'hf', client: 'lm-studio', transport: 'http', headerKeys: ['Authorization'] },
      ]),
  },
  {
    client: 'goose',
    placements: (p) => [
      home(
        p === 'win32' ? `${APPDATA[p]}/Block/goose/config/config.yaml` : '.config/goose/config.yaml',
        'clients/goose.yaml',
      ),
    ],
    check: (r) => {
      assertServers(r.scan.servers, [
        {
          name: 'developer',
          pointer: '/extensions/developer',
          transport: 'unknown',
          problems: ['goose "builtin" extension runs inside goose (no separate server)'],
        },
        {
          name: 'github',
          transport: 'stdio',
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-github'],
          envKeys: ['GITHUB_PERSONAL_ACCESS_TOKEN', 'EXTRA_KEY'],
        },
        {
          name: 'remote',
          transport: 'http',
          url: 'https://goose-remote.example.com/mcp',
          disabled: true,
          headerKeys: ['X-Team'],
        },
      ]);
      assert.equal(r.scan.servers[1]!.pointers.command, '/extensions/github/cmd');
      assert.equal(r.scan.servers[2]!.pointers.url, '/extensions/remote/uri');
      assert.equal(leaf(r.scan, '/extensions/github/envs/GITHUB_PERSONAL_ACCESS_TOKEN')!.line, 13);
    },
  },
  {
    client: 'opencode',
    placements: () => [
      home('.config/opencode/opencode.json', 'clients/opencode.jsonc'),
      proj('opencode.json', 'clients/opencode.jsonc'),
    ],
    check: (r) => {
      assertServers(r.scan.servers, [
        {
          name: 'local-one',
          pointer: '/mcp/local-one',
          transport: 'stdio',
          command: 'bun',
          args: ['x', 'my-mcp-command'],
          envKeys: ['MY_ENV_VAR'],
          disabled: false,
        },
        { name: 'remote-one', transport: 'http', headerKeys: ['Authorization'], disabled: true },
        { name: 'local-one', scope: 'project' },
        { name: 'remote-one', scope: 'project' },
      ]);
      assert.equal(r.scan.servers[0]!.pointers.command, '/mcp/local-one/command/0');
      assert.deepEqual(r.scan.servers[0]!.pointers.args, ['/mcp/local-one/command/1', '/mcp/local-one/command/2']);
    },
  },
  {
    client: 'junie',
    placements: () => [
      home('.junie/mcp/mcp.json', 'clients/junie.json'),
      proj('.junie/mcp/mcp.json', 'clients/junie.json'),
    ],
    check: (r) =>
      assertServers(r.scan.servers, [
        { name: 'jetbrains', client: 'junie', scope: 'user', envKeys: ['IDE_PORT'] },
        { name: 'jetbrains', client: 'junie', scope: 'project' },
      ]),
  },
  {
    client: 'antigravity',
    placements: () => [home('.gemini/antigravity/mcp_config.json', 'clients/antigravity.json')],
    check: (r) =>
      assertServers(r.scan.servers, [
        {
          name: 'supabase',
          client: 'antigravity',
          transport: 'http',
          url: 'https://mcp.supabase.com/mcp?project_ref=abc123',
        },
        { name: 'local', transport: 'stdio' },
      ]),
  },
];

for (const c of CASES) {
  describe(`discovery: ${c.client}${c.env ? ` (${Object.keys(c.env).join(', ')})` : ''}`, () => {
    for (const p of PLATFORMS) {
      test(p, async () => {
        const r = await scanWith(p, c.placements(p), c.env);
        assert.ok(r.scan.servers.every((s) => s.entry.client === c.client));
        for (const s of r.scan.servers) {
          assert.match(s.entry.id, /^[0-9a-f]{16}$/);
          assert.equal(s.entry.source, r.scan.sources.find((x) => x.source.path === s.entry.source)?.source.path);
        }
        c.check(r, p);
      });
    }
  });
}

test('every client id in the reference is covered by a case', async () => {
  const { CLIENT_IDS } = await import('../../../shared/model/discovery.js');
  assert.deepEqual([...new Set(CASES.map((c) => c.client))].sort(), [...CLIENT_IDS].sort());
});

test('server ids are stable across scans and differ by pointer', async () => {
  const t = await makeWorkstation('linux', [home('.cursor/mcp.json', 'clients/cursor.json')]);
  try {
    const a = (await discover(t.ws, nodeFileSystem)).servers.map((s) => s.entry.id);
    const b = (await discover(t.ws, nodeFileSystem)).servers.map((s) => s.entry.id);
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, a.length);
  } finally {
    await t.cleanup();
  }
});
