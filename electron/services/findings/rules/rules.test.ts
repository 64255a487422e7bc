import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AKIA,
  ANTHROPIC,
  ASIA,
  GENERIC,
  GH_FINE,
  GHP,
  GITLAB,
  GOOGLE,
  HF,
  JWT,
  OPENAI,
  PG_PASS,
  SLACK,
  claudeCode,
  runOn,
  triples,
} from '../test/helpers.js';
import { authStatic } from './auth-static.js';
import { commandInlineShell } from './command-inline-shell.js';
import { configPermissions } from './config-permissions.js';
import { packageVulnerable } from './package-vulnerable.js';
import { runnerUnpinned } from './runner-unpinned.js';
import { secretInArgs } from './secret-in-args.js';
import { secretInUrl } from './secret-in-url.js';
import { secretLiteral } from './secret-literal.js';
import { secretProjectFile } from './secret-project-file.js';
import { secretReused } from './secret-reused.js';
import { transportPlaintext } from './transport-plaintext.js';

const S = '/mcpServers';

describe('secret.literal', () => {
  it('types provider credentials in env and headers and points at each value', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          gh: { command: 'gh-mcp', env: { GITHUB_TOKEN: GHP, GH_FINE: GH_FINE } },
          aws: { command: 'aws-mcp', env: { AWS_ACCESS_KEY_ID: AKIA, AWS_SESSION_KEY: ASIA } },
          chat: { command: 'x', env: { SLACK_BOT_TOKEN: SLACK, OPENAI_API_KEY: OPENAI, ANTHROPIC_API_KEY: ANTHROPIC } },
          goog: { command: 'x', env: { MAPS_KEY: GOOGLE, GITLAB_TOKEN: GITLAB, HF_TOKEN: HF } },
          remote: {
            type: 'http',
            url: 'https://mcp.corp.dev/mcp',
            headers: { Authorization: `Bearer ${JWT}`, 'X-Api-Key': GENERIC },
          },
          db: { command: 'x', env: { DATABASE_URL: `postgres://app:${PG_PASS}@db.corp.internal:5432/app` } },
        }),
      ],
      { rules: [secretLiteral] },
    );
    assert.deepEqual(triples(drafts), [
      `secret.literal ${S}/aws/env/AWS_ACCESS_KEY_ID aws-access-key`,
      `secret.literal ${S}/aws/env/AWS_SESSION_KEY aws-temporary-key`,
      `secret.literal ${S}/chat/env/ANTHROPIC_API_KEY anthropic-api-key`,
      `secret.literal ${S}/chat/env/OPENAI_API_KEY openai-api-key`,
      `secret.literal ${S}/chat/env/SLACK_BOT_TOKEN slack-token`,
      `secret.literal ${S}/db/env/DATABASE_URL db-connection-string`,
      `secret.literal ${S}/gh/env/GH_FINE github-fine-grained-pat`,
      `secret.literal ${S}/gh/env/GITHUB_TOKEN github-classic-pat`,
      `secret.literal ${S}/goog/env/GITLAB_TOKEN gitlab-pat`,
      `secret.literal ${S}/goog/env/HF_TOKEN hugging-face-token`,
      `secret.literal ${S}/goog/env/MAPS_KEY google-api-key`,
      `secret.literal ${S}/remote/headers/Authorization jwt`,
      `secret.literal ${S}/remote/headers/X-Api-Key generic-high-entropy`,
    ]);
    const gh = drafts.find((d) => d.secretType === 'github-classic-pat')!;
    assert.equal(gh.severity, 'critical');
    assert.equal(gh.evidence, `ghp_…${GHP.slice(-4)}`);
    assert.equal(gh.location.line, 6);
    assert.match(gh.remediation ?? '', /\$\{GITHUB_TOKEN\}/);
    assert.equal(drafts.find((d) => d.secretType === 'slack-token')!.severity, 'high');
  });

  it('ignores references, placeholders, empty values and commented-out JSONC lines', async () => {
    const jsonc = `{
  // "leaked": { "command": "x", "env": { "GITHUB_TOKEN": "${GHP}" } },
  "servers": {
    /* "OPENAI_API_KEY": "${OPENAI}" */
    "a": {
      "type": "stdio", "command": "x",
      "env": {
        "A_TOKEN": "\${input:tok}", "B_TOKEN": "\${env:B_TOKEN}", "C_TOKEN": "\${C_TOKEN}",
        "D_TOKEN": "$D_TOKEN", "E_TOKEN": "{env:E_TOKEN}", "F_TOKEN": "your-token-here",
        "G_TOKEN": "<TOKEN>", "H_TOKEN": "xxxxxxxxxxxxxxxxxxxx", "I_TOKEN": "", "J_TOKEN": "changeme",
        "K_TOKEN": "****************", "L_TOKEN": "\${L_TOKEN:-default}"
      }
    },
    "b": { "type": "http", "url": "https://mcp.corp.dev/mcp?api_key=\${env:KEY}",
           "headers": { "Authorization": "Bearer \${input:tok}", "X-Api-Key": "\${env:KEY}" } },
    // a trailing comma is fine in JSONC
  },
}`;
    const drafts = await runOn([{ where: 'home', rel: '.config/Code/User/mcp.json', text: jsonc }]);
    assert.deepEqual(
      drafts.filter((d) => d.ruleId.startsWith('secret.')),
      [],
    );
  });

  it('does not treat ordinary values under non-credential keys as secrets', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: {
            command: 'x',
            env: { LOG_LEVEL: 'Zm9vYmFyOTg3NjU0MzIxcXdlcnR5', REGION: 'eu-west-1', PATH_PREFIX: '/opt/a' },
          },
        }),
      ],
      { rules: [secretLiteral] },
    );
    assert.deepEqual(drafts, []);
  });
});

describe('secret.in-args', () => {
  it('points at the argument element: --flag=value, --flag value, NAME=value, header args, URLs in args', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: { command: 'npx', args: ['-y', 'srv@1.0.0', `--api-key=${ANTHROPIC}`] },
          b: { command: 'srv', args: ['--token', GITLAB] },
          c: { command: 'docker', args: ['run', '-e', `GITHUB_TOKEN=${GHP}`, 'img:1.2'] },
          d: { command: 'mcp-remote', args: ['https://mcp.corp.dev', '--header', `Authorization: Bearer ${GENERIC}`] },
          e: { command: 'pg-mcp', args: [`postgresql://app:${PG_PASS}@db.corp.internal:5432/app`] },
        }),
      ],
      { rules: [secretInArgs, secretLiteral] },
    );
    assert.deepEqual(triples(drafts), [
      `secret.in-args ${S}/a/args/2 anthropic-api-key`,
      `secret.in-args ${S}/b/args/1 gitlab-pat`,
      `secret.in-args ${S}/c/args/2 github-classic-pat`,
      `secret.in-args ${S}/d/args/2 generic-high-entropy`,
      `secret.in-args ${S}/e/args/0 db-connection-string`,
    ]);
    assert.ok(drafts.every((d) => !JSON.stringify(d).includes(GITLAB)));
  });

  it('finds a credential in the middle of a one-string command line or args string, not only in its last word', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          f: { command: `mytool --api-key ${GENERIC} serve` },
          g: { command: 'srv', args: `--token ${GITLAB} --verbose` as unknown as string[] },
          h: { command: 'srv', args: `--api-key ${GENERIC} --verbose` as unknown as string[] },
        }),
      ],
      { rules: [secretInArgs, secretLiteral] },
    );
    assert.deepEqual(triples(drafts), [
      `secret.in-args ${S}/f/command generic-high-entropy`,
      `secret.in-args ${S}/g/args gitlab-pat`,
      `secret.in-args ${S}/h/args generic-high-entropy`,
    ]);
    assert.ok(drafts.every((d) => !JSON.stringify(d).includes(GENERIC) && !JSON.stringify(d).includes(GITLAB)));
  });

  it('does not flag ordinary arguments, references or placeholders', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: {
            command: 'srv',
            args: ['--token', '${GITLAB_TOKEN}', '--api-key=$API_KEY', '--dir', '/home/dev/projects'],
          },
          b: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem@2026.8.31', '/tmp'] },
          c: { command: 'srv', args: ['--password', '<PASSWORD>', '--key', 'your-key-here'] },
        }),
      ],
      { rules: [secretInArgs] },
    );
    assert.deepEqual(drafts, []);
  });
});

describe('secret.in-url', () => {
  it('flags query credentials and userinfo passwords at the URL field', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: { type: 'http', url: `https://mcp.corp.dev/sse?token=${GHP}` },
          b: { type: 'http', url: `https://admin:${PG_PASS}@mcp.corp.dev/mcp` },
          c: { type: 'sse', url: `https://mcp.corp.dev/sse?api_key=${GENERIC}&region=eu` },
        }),
      ],
      { rules: [secretInUrl, secretLiteral] },
    );
    assert.deepEqual(triples(drafts), [
      `secret.in-url ${S}/a/url github-classic-pat`,
      `secret.in-url ${S}/b/url url-credentials`,
      `secret.in-url ${S}/c/url generic-high-entropy`,
    ]);
    assert.match(drafts.find((d) => d.location.pointer.endsWith('/b/url'))!.remediation ?? '', /header/);
  });

  it('does not flag URLs without credentials or with references', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: { type: 'http', url: 'https://mcp.corp.dev/mcp?region=eu&page=2' },
          b: { type: 'http', url: 'https://${USER}:${PASS}@mcp.corp.dev/mcp' },
          c: { type: 'http', url: 'https://mcp.corp.dev/mcp?api_key=${API_KEY}' },
          d: { type: 'http', url: '' },
        }),
      ],
      { rules: [secretInUrl, secretLiteral] },
    );
    assert.deepEqual(drafts, []);
  });
});

describe('secret.project-file', () => {
  const project = (text: string) => ({ where: 'project' as const, rel: '.mcp.json', text });
  const file = JSON.stringify({ mcpServers: { ci: { command: 'x', env: { GITLAB_TOKEN: GITLAB } } } }, null, 2);

  it('is critical when the file is tracked in a git work tree, medium when git ignores it, high without git', async () => {
    const tracked = await runOn([project(file)], {
      rules: [secretProjectFile, secretLiteral],
      git: async (files) => new Map(files.map((f) => [f, { workTree: '/repo', ignored: false }])),
    });
    assert.deepEqual(triples(tracked), [`secret.project-file ${S}/ci/env/GITLAB_TOKEN gitlab-pat`]);
    assert.equal(tracked[0]!.severity, 'critical');
    const ignored = await runOn([project(file)], {
      rules: [secretProjectFile],
      git: async (files) => new Map(files.map((f) => [f, { workTree: '/repo', ignored: true }])),
    });
    assert.equal(ignored[0]!.severity, 'medium');
    const none = await runOn([project(file)], {
      rules: [secretProjectFile],
      git: async (files) => new Map(files.map((f) => [f, { workTree: null, ignored: false }])),
    });
    assert.equal(none[0]!.severity, 'high');
  });

  it('does not flag a project file that only holds references', async () => {
    const drafts = await runOn(
      [project(JSON.stringify({ mcpServers: { ci: { command: 'x', env: { GITLAB_TOKEN: '${GITLAB_TOKEN}' } } } }))],
      {
        rules: [secretProjectFile],
      },
    );
    assert.deepEqual(drafts, []);
  });
});

describe('secret.reused', () => {
  it('groups the same credential across servers and clients (one finding per use)', async () => {
    const drafts = await runOn(
      [
        claudeCode({ a: { command: 'x', env: { GITHUB_TOKEN: GHP } }, b: { command: 'y', args: ['--token', GHP] } }),
        {
          where: 'home',
          rel: '.cursor/mcp.json',
          text: JSON.stringify({ mcpServers: { c: { command: 'z', env: { GH: GHP } } } }),
        },
        {
          where: 'home',
          rel: '.gemini/settings.json',
          text: JSON.stringify({ mcpServers: { d: { command: 'z', env: { OTHER: GITLAB } } } }),
        },
      ],
      { rules: [secretReused] },
    );
    assert.deepEqual(triples(drafts), [
      `secret.reused ${S}/a/env/GITHUB_TOKEN github-classic-pat`,
      `secret.reused ${S}/b/args/1 github-classic-pat`,
      `secret.reused ${S}/c/env/GH github-classic-pat`,
    ]);
    assert.equal(new Set(drafts.map((d) => d.fingerprint)).size, 1);
    assert.match(drafts[0]!.message, /also used by/);
  });

  it('does not flag distinct credentials or one credential used once', async () => {
    const drafts = await runOn(
      [claudeCode({ a: { command: 'x', env: { T: GHP } }, b: { command: 'y', env: { T: GITLAB } } })],
      {
        rules: [secretReused],
      },
    );
    assert.deepEqual(drafts, []);
  });
});

describe('config.permissions', () => {
  const file = claudeCode({ a: { command: 'x', env: { GITHUB_TOKEN: GHP } } });

  it('flags a credential file readable by group or others', async () => {
    const drafts = await runOn([file], { rules: [configPermissions], modes: { '.claude.json': 0o644 } });
    assert.deepEqual(triples(drafts), ['config.permissions']);
    assert.equal(drafts[0]!.evidence, 'mode 0644');
    assert.equal(drafts[0]!.location.pointer, '');
  });

  it('does not flag 0600 files, files without credentials, or Windows', async () => {
    assert.deepEqual(await runOn([file], { rules: [configPermissions], modes: { '.claude.json': 0o600 } }), []);
    const clean = claudeCode({ a: { command: 'x', env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } } });
    assert.deepEqual(await runOn([clean], { rules: [configPermissions], modes: { '.claude.json': 0o666 } }), []);
  });
});

describe('transport.plaintext', () => {
  it('flags http:// on a non-loopback host at the URL pointer', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: { type: 'http', url: 'http://mcp.corp.internal:8080/mcp' },
          b: { type: 'sse', url: 'http://10.0.0.7/sse' },
        }),
      ],
      { rules: [transportPlaintext] },
    );
    assert.deepEqual(triples(drafts), [`transport.plaintext ${S}/a/url`, `transport.plaintext ${S}/b/url`]);
  });

  it('does not flag https or loopback hosts', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: { type: 'http', url: 'https://mcp.corp.internal/mcp' },
          b: { type: 'http', url: 'http://localhost:3000/mcp' },
          c: { type: 'http', url: 'http://127.0.0.1:3000/mcp' },
          d: { type: 'http', url: 'http://[::1]:3000/mcp' },
        }),
      ],
      { rules: [transportPlaintext] },
    );
    assert.deepEqual(drafts, []);
  });
});

describe('auth.static', () => {
  const file = claudeCode({
    a: { type: 'http', url: 'https://mcp.corp.dev/mcp', headers: { Authorization: `Bearer ${GENERIC}` } },
    b: { type: 'http', url: 'https://mcp.other.dev/mcp', headers: { Authorization: '${TOKEN}' } },
    c: { type: 'http', url: 'https://mcp.plain.dev/mcp' },
  });

  it('does nothing without probe data', async () => {
    assert.deepEqual(await runOn([file], { rules: [authStatic] }), []);
  });

  it('flags a static header on a server that advertises OAuth', async () => {
    // Probe results are keyed by server id; every server here advertises OAuth.
    const all = new Proxy(new Map(), {
      get: (target, prop) =>
        prop === 'get'
          ? () => ({ advertisesOAuth: true, authMode: 'oauth' })
          : prop === 'size'
            ? 1
            : Reflect.get(target, prop),
    });
    const drafts = await runOn([file], { rules: [authStatic], probes: all });
    assert.deepEqual(triples(drafts), [
      `auth.static ${S}/a/headers/Authorization`,
      `auth.static ${S}/b/headers/Authorization`,
    ]);
  });
});

describe('runner.unpinned', () => {
  it('flags npx/uvx/pipx/docker without an exact version or digest, at the spec argument', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
          b: { command: 'npx', args: ['-y', '@playwright/mcp@latest'] },
          c: { command: 'uvx', args: ['mcp-server-fetch'] },
          d: { command: 'pipx', args: ['run', 'mcp-server-git>=1.0'] },
          e: { command: 'docker', args: ['run', '-i', '--rm', '-e', 'TOKEN', 'ghcr.io/acme/mcp:latest'] },
          f: { command: 'npx -y some-mcp-server' },
          g: { command: 'npx', args: ['-y', 'srv@^1.2.0'] },
        }),
      ],
      { rules: [runnerUnpinned] },
    );
    assert.deepEqual(triples(drafts), [
      `runner.unpinned ${S}/a/args/1`,
      `runner.unpinned ${S}/b/args/1`,
      `runner.unpinned ${S}/c/args/0`,
      `runner.unpinned ${S}/d/args/1`,
      `runner.unpinned ${S}/e/args/5`,
      `runner.unpinned ${S}/f/command`,
      `runner.unpinned ${S}/g/args/1`,
    ]);
  });

  it('does not flag pinned versions, digests, local paths or plain binaries', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory@2026.8.31'] },
          b: { command: 'uvx', args: ['mcp-server-fetch==2026.11.11'] },
          c: { command: 'uvx', args: ['--from', 'mcp-server-git==2026.11.11', 'mcp-server-git'] },
          d: { command: 'docker', args: ['run', '-i', 'ghcr.io/acme/mcp@sha256:' + 'a'.repeat(64)] },
          e: { command: 'docker', args: ['run', '-i', 'ghcr.io/acme/mcp:1.4.2'] },
          f: { command: 'npx', args: ['./local-server'] },
          g: { command: '/usr/local/bin/mcp-server', args: ['--stdio'] },
        }),
      ],
      { rules: [runnerUnpinned] },
    );
    assert.deepEqual(drafts, []);
  });
});

describe('command.inline-shell', () => {
  it('flags shells and interpreters with inline scripts, at the script argument, without echoing it', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: { command: 'sh', args: ['-c', 'cd /srv && exec node server.js'] },
          b: { command: 'bash', args: ['-lc', `TOKEN=${GHP} node s.js`] },
          c: { command: 'node', args: ['-e', 'require("./s").start()'] },
          d: { command: 'python3', args: ['-c', 'import s; s.main()'] },
          e: { command: 'powershell', args: ['-NoProfile', '-Command', 'Start-Server'] },
          f: { command: 'sh', args: ['-c', 'curl -fsSL https://get.example.dev/mcp | sh'] },
          g: { command: 'cmd', args: ['/c', 'npx srv'] },
        }),
      ],
      { rules: [commandInlineShell] },
    );
    assert.deepEqual(triples(drafts), [
      `command.inline-shell ${S}/a/args/1`,
      `command.inline-shell ${S}/b/args/1`,
      `command.inline-shell ${S}/c/args/1`,
      `command.inline-shell ${S}/d/args/1`,
      `command.inline-shell ${S}/e/args/2`,
      `command.inline-shell ${S}/f/args/1`,
      `command.inline-shell ${S}/g/args/1`,
    ]);
    assert.equal(drafts.find((d) => d.location.pointer.endsWith('/f/args/1'))!.severity, 'high');
    assert.ok(
      drafts.every((d) => !JSON.stringify(d).includes(GHP) && !JSON.stringify(d).includes('exec node server.js')),
    );
  });

  it('does not flag direct executables or scripts run from files', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          a: { command: 'node', args: ['/srv/server.js'] },
          b: { command: 'python3', args: ['-m', 'mcp_server'] },
          c: { command: 'bash', args: ['/srv/start.sh'] },
        }),
      ],
      { rules: [commandInlineShell] },
    );
    assert.deepEqual(drafts, []);
  });
});

describe('package.vulnerable', () => {
  it('flags pinned versions inside an advisory range', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem@2025.3.28', '/tmp'] },
          remote: { command: 'npx', args: ['mcp-remote@0.1.15', 'https://mcp.corp.dev'] },
          git: { command: 'uvx', args: ['mcp-server-git==2026.11.4'] },
        }),
      ],
      { rules: [packageVulnerable] },
    );
    assert.deepEqual(triples(drafts), [
      `package.vulnerable ${S}/fs/args/1`,
      `package.vulnerable ${S}/git/args/0`,
      `package.vulnerable ${S}/remote/args/0`,
    ]);
    const fs = drafts.find((d) => d.server === 'fs')!;
    assert.match(fs.message, /CVE-2025-53109/);
    assert.equal(drafts.find((d) => d.server === 'remote')!.severity, 'critical');
  });

  it('does not flag fixed or unpinned versions', async () => {
    const drafts = await runOn(
      [
        claudeCode({
          fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem@2.3.0'] },
          remote: { command: 'npx', args: ['mcp-remote@0.1.16'] },
          latest: { command: 'npx', args: ['mcp-remote'] },
        }),
      ],
      { rules: [packageVulnerable] },
    );
    assert.deepEqual(drafts, []);
  });
});

describe('formats', () => {
  it('finds credentials at exact pointers in TOML and YAML files', async () => {
    const toml = `[mcp_servers.gh]\ncommand = "gh-mcp"\nargs = ["--token", "${GHP}"]\n\n[mcp_servers.gh.env]\nSLACK_TOKEN = "${SLACK}"\n`;
    const yaml = `mcpServers:\n  - name: hf\n    command: hf-mcp\n    env:\n      HF_TOKEN: ${HF}\n`;
    const drafts = await runOn(
      [
        { where: 'home', rel: '.codex/config.toml', text: toml },
        { where: 'home', rel: '.continue/config.yaml', text: yaml },
      ],
      { rules: [secretLiteral, secretInArgs] },
    );
    assert.deepEqual(drafts.map((d) => [d.ruleId, d.location.pointer, d.location.line, d.secretType]).sort(), [
      ['secret.in-args', '/mcp_servers/gh/args/1', 3, 'github-classic-pat'],
      ['secret.literal', '/mcpServers/0/env/HF_TOKEN', 5, 'hugging-face-token'],
      ['secret.literal', '/mcp_servers/gh/env/SLACK_TOKEN', 6, 'slack-token'],
    ]);
  });
});
