import { stringify as yaml } from 'yaml';
import type { ClientId } from '../../../shared/model/discovery.js';
import { tomlKey, tomlValue } from './edit.js';

/**
 * Test fixtures for copy.test.ts: one server written the way each client writes it natively (its own
 * file under a linux home, root key, entry keys and transport names, per
 * shared/reference/client-configs.md), independent of the code under test.
 */

export interface NativeServer {
  name: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
  headers?: Record<string, string>;
}

/** Each client's user-scope file, relative to a linux home. */
export const USER_FILE: Record<ClientId, string> = {
  'claude-desktop': '.config/Claude/claude_desktop_config.json',
  'claude-code': '.claude.json',
  cursor: '.cursor/mcp.json',
  vscode: '.config/Code/User/mcp.json',
  'vscode-insiders': '.config/Code - Insiders/User/mcp.json',
  windsurf: '.codeium/windsurf/mcp_config.json',
  cline: '.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json',
  'roo-code': '.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json',
  'kilo-code': '.config/Code/User/globalStorage/kilocode.kilo-code/settings/mcp_settings.json',
  continue: '.continue/config.yaml',
  zed: '.config/zed/settings.json',
  'gemini-cli': '.gemini/settings.json',
  codex: '.codex/config.toml',
  'copilot-cli': '.copilot/mcp-config.json',
  kiro: '.kiro/settings/mcp.json',
  'amazon-q': '.aws/amazonq/mcp.json',
  'lm-studio': '.lmstudio/mcp.json',
  goose: '.config/goose/config.yaml',
  opencode: '.config/opencode/opencode.json',
  junie: '.junie/mcp/mcp.json',
  antigravity: '.gemini/antigravity/mcp_config.json',
};

/** The `type` a client writes for a streamable-HTTP server (absent: inferred from the URL). */
const HTTP_TYPE: Partial<Record<ClientId, string>> = {
  'claude-code': 'http',
  vscode: 'http',
  'vscode-insiders': 'http',
  cline: 'streamableHttp',
  'roo-code': 'streamable-http',
  'kilo-code': 'streamable-http',
  'copilot-cli': 'http',
  'amazon-q': 'http',
};

function jsonEntry(c: ClientId, s: NativeServer): Record<string, unknown> {
  if (s.command !== undefined) {
    const e: Record<string, unknown> = { command: s.command, args: s.args ?? [], ...(s.env ? { env: s.env } : {}) };
    return c === 'vscode' || c === 'vscode-insiders' ? { type: 'stdio', ...e } : e;
  }
  const urlKey = c === 'windsurf' || c === 'antigravity' ? 'serverUrl' : c === 'gemini-cli' ? 'httpUrl' : 'url';
  const t = HTTP_TYPE[c];
  return { ...(t ? { type: t } : {}), [urlKey]: s.url, ...(s.headers ? { headers: s.headers } : {}) };
}

/** The file text of `servers` in client `c`'s native format; `decorate` adds comments and unrelated keys. */
export function nativeFile(c: ClientId, servers: NativeServer[], decorate = false): string {
  const comment = decorate ? '# kept as is by the copy\n' : '';
  switch (c) {
    case 'codex':
      return (
        comment +
        (decorate ? 'model = "o4"\n\n' : '') +
        servers
          .map((s) => {
            const lines = [`[mcp_servers.${tomlKey(s.name)}]`];
            if (s.command !== undefined) {
              lines.push(`command = ${tomlValue(s.command)}`, `args = ${tomlValue(s.args ?? [])}`);
              if (s.env) lines.push(`env = ${tomlValue(s.env)}`);
            } else {
              lines.push(`url = ${tomlValue(s.url)}`);
              if (s.headers) lines.push(`http_headers = ${tomlValue(s.headers)}`);
            }
            return lines.join('\n') + '\n';
          })
          .join('\n')
      );
    case 'continue': {
      const list = servers.map((s) =>
        s.command !== undefined
          ? { name: s.name, command: s.command, args: s.args ?? [], ...(s.env ? { env: s.env } : {}) }
          : {
              name: s.name,
              type: 'streamable-http',
              url: s.url,
              ...(s.headers ? { requestOptions: { headers: s.headers } } : {}),
            },
      );
      // A flow list and odd spacing that a re-serialization would change.
      const extra = decorate ? 'models:\n- name: local   # comment spacing kept\n  roles: [chat,  edit]\n' : '';
      return `${comment}name: Local\nversion: 1.0.0\nschema: v1\n${extra}${yaml({ mcpServers: list })}`;
    }
    case 'goose': {
      const extensions = Object.fromEntries(
        servers.map((s) => [
          s.name,
          s.command !== undefined
            ? { name: s.name, type: 'stdio', cmd: s.command, args: s.args ?? [], envs: s.env ?? {}, enabled: true }
            : { name: s.name, type: 'streamable_http', uri: s.url, headers: s.headers ?? {}, enabled: true },
        ]),
      );
      const extra = decorate ? 'GOOSE_PROVIDER: openai    # kept\nGOOSE_TOOLS: [a,  b]\n' : '';
      return `${comment}${extra}${yaml({ extensions })}`;
    }
    case 'opencode': {
      const mcp = Object.fromEntries(
        servers.map((s) => [
          s.name,
          s.command !== undefined
            ? { type: 'local', command: [s.command, ...(s.args ?? [])], ...(s.env ? { environment: s.env } : {}) }
            : { type: 'remote', url: s.url, ...(s.headers ? { headers: s.headers } : {}) },
        ]),
      );
      return JSON.stringify({ $schema: 'https://opencode.ai/config.json', mcp }, null, 2) + '\n';
    }
    default: {
      const root =
        c === 'vscode' || c === 'vscode-insiders' ? 'servers' : c === 'zed' ? 'context_servers' : 'mcpServers';
      const map = Object.fromEntries(servers.map((s) => [s.name, jsonEntry(c, s)]));
      const extra = decorate && (c === 'claude-code' || c === 'zed' || c === 'gemini-cli') ? { theme: 'dark' } : {};
      const body = JSON.stringify({ ...extra, [root]: map }, null, 2) + '\n';
      // JSONC clients: a comment that must survive.
      return decorate && (c === 'zed' || c === 'vscode' || c === 'vscode-insiders') ? `// kept\n${body}` : body;
    }
  }
}

/** Pointer of server `name` (the first in its file) in client `c`'s native file. */
export function nativePointer(c: ClientId, name: string): string {
  switch (c) {
    case 'codex':
      return `/mcp_servers/${name}`;
    case 'continue':
      return '/mcpServers/0';
    case 'goose':
      return `/extensions/${name}`;
    case 'opencode':
      return `/mcp/${name}`;
    case 'vscode':
    case 'vscode-insiders':
      return `/servers/${name}`;
    case 'zed':
      return `/context_servers/${name}`;
    default:
      return `/mcpServers/${name}`;
  }
}
