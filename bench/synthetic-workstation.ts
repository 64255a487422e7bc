import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { WorkstationPort } from '../electron/services/ports.js';
import { rng as prng } from '../test/support/rng.js';

/**
 * A synthetic Linux workstation for benchmarks (and for other capabilities' benchmarks): config
 * files of many clients in every shape (JSON, JSONC, TOML, YAML; maps, lists, flat maps; stdio and
 * remote entries), spread over the home and a set of project folders, with planted fake
 * credentials in env values, headers, args and URLs. Deterministic for a given seed.
 */

export interface PlantedCredential {
  provider: string;
  value: string;
  /** Absolute path of the file it is in. */
  path: string;
  /** Where in the entry: env | header | arg | url. */
  place: 'env' | 'header' | 'arg' | 'url';
}

export interface SyntheticWorkstation {
  root: string;
  ws: WorkstationPort;
  files: string[];
  servers: number;
  planted: PlantedCredential[];
}

export interface SyntheticOptions {
  /** Folder to create it in (default: a new temp folder). */
  root?: string;
  files?: number;
  serversPerFile?: number;
  /** One server in N gets a planted credential (default 6, a few hundred for 2,000 servers). */
  credentialEvery?: number;
  seed?: number;
}

type Shape = 'mcpServers' | 'vscode' | 'zed' | 'continue' | 'gemini' | 'codex' | 'goose' | 'opencode';

/** Project-scope files, by shape (relative to a project folder). */
const PROJECT_FILES: Array<[string, Shape]> = [
  ['.mcp.json', 'mcpServers'],
  ['.cursor/mcp.json', 'mcpServers'],
  ['.vscode/mcp.json', 'vscode'],
  ['.roo/mcp.json', 'mcpServers'],
  ['.zed/settings.json', 'zed'],
  ['.gemini/settings.json', 'gemini'],
  ['.codex/config.toml', 'codex'],
  ['.kiro/settings/mcp.json', 'mcpServers'],
  ['.amazonq/mcp.json', 'mcpServers'],
  ['opencode.json', 'opencode'],
  ['.junie/mcp/mcp.json', 'mcpServers'],
  ['.continue/mcpServers/servers.yaml', 'continue'],
];

/** User-scope files (relative to the home), by shape. */
const USER_FILES: Array<[string, Shape]> = [
  ['.config/Claude/claude_desktop_config.json', 'mcpServers'],
  ['.claude.json', 'mcpServers'],
  ['.cursor/mcp.json', 'mcpServers'],
  ['.config/Code/User/mcp.json', 'vscode'],
  ['.config/Code - Insiders/User/mcp.json', 'vscode'],
  ['.codeium/windsurf/mcp_config.json', 'mcpServers'],
  ['.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json', 'mcpServers'],
  ['.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json', 'mcpServers'],
  ['.config/Code/User/globalStorage/kilocode.kilo-code/settings/mcp_settings.json', 'mcpServers'],
  ['.continue/config.yaml', 'continue'],
  ['.config/zed/settings.json', 'zed'],
  ['.gemini/settings.json', 'gemini'],
  ['.codex/config.toml', 'codex'],
  ['.copilot/mcp-config.json', 'mcpServers'],
  ['.kiro/settings/mcp.json', 'mcpServers'],
  ['.aws/amazonq/mcp.json', 'mcpServers'],
  ['.lmstudio/mcp.json', 'mcpServers'],
  ['.config/goose/config.yaml', 'goose'],
  ['.config/opencode/opencode.json', 'opencode'],
  ['.junie/mcp/mcp.json', 'mcpServers'],
  ['.gemini/antigravity/mcp_config.json', 'mcpServers'],
];

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

interface Server {
  name: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
  headers?: Record<string, string>;
  disabled?: boolean;
}

export async function generateSyntheticWorkstation(opts: SyntheticOptions = {}): Promise<SyntheticWorkstation> {
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'gh-synth-')));
  const fileCount = opts.files ?? 200;
  const perFile = opts.serversPerFile ?? 10;
  const every = opts.credentialEvery ?? 6;
  const rnd = prng(opts.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const rand = (n: number, alphabet = ALNUM) => Array.from({ length: n }, () => pick([...alphabet])).join('');

  const home = join(root, 'home');
  const system = join(root, 'system');
  const projectCount = Math.max(1, Math.ceil((fileCount - USER_FILES.length) / PROJECT_FILES.length));
  const projects = Array.from({ length: projectCount }, (_, i) =>
    join(root, 'projects', `p${String(i).padStart(3, '0')}`),
  );

  const targets: Array<[string, Shape]> = USER_FILES.map(([rel, shape]) => [join(home, rel), shape]);
  for (const p of projects) for (const [rel, shape] of PROJECT_FILES) targets.push([join(p, rel), shape]);
  targets.length = Math.min(targets.length, fileCount);

  const planted: PlantedCredential[] = [];
  const providers: Array<[string, () => string]> = [
    ['github', () => `ghp_${rand(36)}`],
    ['aws', () => `AKIA${rand(16, UPPER_NUM)}`],
    ['openai', () => `sk-proj-${rand(48)}`],
    ['slack', () => `xoxb-${rand(12, '0123456789')}-${rand(13, '0123456789')}-${rand(24)}`],
    ['gitlab', () => `glpat-${rand(20)}`],
    ['google', () => `AIza${rand(35)}`],
    ['huggingface', () => `hf_${rand(34)}`],
  ];
  const refs = ['${GITHUB_TOKEN}', '${env:API_KEY}', '${input:tok}', 'your-token-here', '$TOKEN', '{env:KEY}'];

  let serial = 0;
  const makeServer = (path: string): Server => {
    const n = serial++;
    const name = `srv-${n}`;
    const remote = n % 3 === 0;
    const s: Server = remote
      ? { name, url: `https://mcp${n}.example.com/${n % 2 ? 'mcp' : 'sse'}`, headers: { 'X-Client': 'bench' } }
      : {
          name,
          command: pick(['npx', 'uvx', 'node', 'docker', 'python3']),
          args: ['-y', `@example/mcp-server-${n}`, '--port', String(3000 + (n % 1000))],
          env: { LOG_LEVEL: 'info', TOKEN: pick(refs) },
        };
    if (n % 11 === 0) s.disabled = true;
    if (n % every === 0) {
      const [provider, make] = providers[n % providers.length]!;
      const value = make();
      if (remote) {
        if (n % 2) {
          s.headers = { ...s.headers, Authorization: `Bearer ${value}` };
          planted.push({ provider, value, path, place: 'header' });
        } else {
          s.url = `${s.url}?api_key=${value}`;
          planted.push({ provider, value, path, place: 'url' });
        }
      } else if (n % 2) {
        s.env = { ...s.env, SECRET_TOKEN: value };
        planted.push({ provider, value, path, place: 'env' });
      } else {
        s.args = [...(s.args ?? []), '--api-key', value];
        planted.push({ provider, value, path, place: 'arg' });
      }
    }
    return s;
  };

  await Promise.all(
    targets.map(async ([path, shape], i) => {
      const servers = Array.from({ length: perFile }, () => makeServer(path));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, render(shape, servers, i));
    }),
  );
  await mkdir(system, { recursive: true });

  return {
    root,
    ws: { home, platform: 'linux', projects, systemRoot: system, env: {} },
    files: targets.map(([p]) => p),
    servers: targets.length * perFile,
    planted,
  };
}

// ---------------------------------------------------------------- rendering per shape

function jsonEntry(s: Server, style: 'plain' | 'gemini' | 'windsurf'): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (s.command) {
    e.command = s.command;
    e.args = s.args;
    e.env = s.env;
  } else {
    e[style === 'gemini' ? 'httpUrl' : style === 'windsurf' ? 'serverUrl' : 'url'] = s.url;
    e.headers = s.headers;
  }
  if (s.disabled) e.disabled = true;
  return e;
}

function render(shape: Shape, servers: Server[], i: number): string {
  const map = (f: (s: Server) => unknown) => Object.fromEntries(servers.map((s) => [s.name, f(s)]));
  switch (shape) {
    case 'mcpServers':
      // Every fourth file is a flat { name: entry } map; the rest use the mcpServers root key.
      if (i % 4 === 3)
        return JSON.stringify(
          map((s) => jsonEntry(s, 'plain')),
          null,
          2,
        );
      return JSON.stringify({ mcpServers: map((s) => jsonEntry(s, i % 5 === 0 ? 'windsurf' : 'plain')) }, null, 2);
    case 'gemini':
      return JSON.stringify({ theme: 'Default', mcpServers: map((s) => jsonEntry(s, 'gemini')) }, null, 2);
    case 'vscode': {
      const body = JSON.stringify(
        {
          inputs: [{ type: 'promptString', id: 'tok', password: true }],
          servers: map((s) => ({ type: s.command ? 'stdio' : 'http', ...jsonEntry(s, 'plain') })),
        },
        null,
        2,
      );
      // JSONC: a comment and trailing commas.
      return `// generated\n${body.replace(/"\n(\s*)}/g, '",\n$1}')}`;
    }
    case 'zed':
      return `// zed\n${JSON.stringify(
        {
          theme: 'One Dark',
          context_servers: map((s) =>
            s.command
              ? i % 2
                ? { command: { path: s.command, args: s.args, env: s.env } }
                : { command: s.command, args: s.args, env: s.env }
              : { url: s.url, headers: s.headers },
          ),
        },
        null,
        2,
      )}`;
    case 'opencode':
      return JSON.stringify(
        {
          $schema: 'https://opencode.ai/config.json',
          mcp: map((s) =>
            s.command
              ? { type: 'local', command: [s.command, ...(s.args ?? [])], environment: s.env, enabled: !s.disabled }
              : { type: 'remote', url: s.url, headers: s.headers, enabled: !s.disabled },
          ),
        },
        null,
        2,
      );
    case 'codex':
      return (
        'model = "gpt-5"\n\n' +
        servers
          .map((s) => {
            const lines = [`[mcp_servers.${s.name}]`];
            if (s.command) {
              lines.push(`command = ${JSON.stringify(s.command)}`, `args = ${JSON.stringify(s.args)}`);
              lines.push(
                `env = { ${Object.entries(s.env ?? {})
                  .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
                  .join(', ')} }`,
              );
            } else {
              lines.push(`url = ${JSON.stringify(s.url)}`);
              lines.push(
                `http_headers = { ${Object.entries(s.headers ?? {})
                  .map(([k, v]) => `${JSON.stringify(k)} = ${JSON.stringify(v)}`)
                  .join(', ')} }`,
              );
            }
            if (s.disabled) lines.push('enabled = false');
            return lines.join('\n');
          })
          .join('\n\n') +
        '\n'
      );
    case 'continue':
      return (
        'name: bench\nversion: 1.0.0\nschema: v1\nmcpServers:\n' +
        servers
          .map((s) => {
            const l = [`  - name: ${s.name}`];
            if (s.command) {
              l.push(
                `    command: ${s.command}`,
                '    args:',
                ...(s.args ?? []).map((a) => `      - ${JSON.stringify(a)}`),
              );
              l.push('    env:', ...Object.entries(s.env ?? {}).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`));
            } else {
              l.push(
                '    type: streamable-http',
                `    url: ${JSON.stringify(s.url)}`,
                '    requestOptions:',
                '      headers:',
              );
              l.push(...Object.entries(s.headers ?? {}).map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`));
            }
            return l.join('\n');
          })
          .join('\n') +
        '\n'
      );
    case 'goose':
      return (
        'GOOSE_PROVIDER: openai\nextensions:\n' +
        servers
          .map((s) => {
            const l = [
              `  ${s.name}:`,
              `    name: ${s.name}`,
              `    enabled: ${s.disabled ? 'false' : 'true'}`,
              '    timeout: 300',
            ];
            if (s.command) {
              l.push(
                '    type: stdio',
                `    cmd: ${s.command}`,
                '    args:',
                ...(s.args ?? []).map((a) => `      - ${JSON.stringify(a)}`),
              );
              l.push('    envs:', ...Object.entries(s.env ?? {}).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`));
            } else {
              l.push('    type: streamable_http', `    uri: ${JSON.stringify(s.url)}`, '    headers:');
              l.push(...Object.entries(s.headers ?? {}).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`));
            }
            return l.join('\n');
          })
          .join('\n') +
        '\n'
      );
  }
}
