import { join as nativeJoin, posix, win32 } from 'node:path';
import type { ClientId, Scope } from '../../../shared/model/discovery.js';
import type { WorkstationPort } from '../ports.js';
import type { DocFormat } from './document.js';

/**
 * Where each client keeps its MCP configuration (shared/reference/client-configs.md), resolved for
 * the workstation's platform under its home, its projects and its system root.
 */

/** How a file's content is read into server entries (see extract.ts). */
export type Dialect =
  | 'mcpServers' // { mcpServers: { name: entry } } or a flat { name: entry } map
  | 'claude-json' // ~/.claude.json: top-level mcpServers + projects[path].mcpServers
  | 'vscode' // { servers: { name: entry } }
  | 'vscode-settings' // settings.json: "mcp": { "servers" } or "mcp.servers"
  | 'zed' // settings.json: context_servers
  | 'continue' // config.yaml / block files: mcpServers: [ { name, ... } ]
  | 'gemini' // settings.json: mcpServers, url = SSE, httpUrl = streamable HTTP
  | 'codex' // config.toml: [mcp_servers.<name>]
  | 'goose' // config.yaml: extensions
  | 'opencode'; // opencode.json: mcp

export interface Location {
  client: ClientId;
  scope: Scope;
  path: string;
  format: DocFormat;
  dialect: Dialect;
  /** Whether a file without any MCP section is fine (a general settings file) or unsupported. */
  general: boolean;
}

/** A folder whose matching files are each a config source (Continue's `.continue/mcpServers/`). */
export interface FolderLocation extends Omit<Location, 'path' | 'format'> {
  dir: string;
  extensions: string[];
}

function formatOf(path: string): DocFormat {
  if (/\.toml$/i.test(path)) return 'toml';
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  return 'json';
}

export function pathJoiner(platform: WorkstationPort['platform']): (...parts: string[]) => string {
  // On a real machine the home matches the OS; when inspecting another OS's layout under a fixture
  // home, the native join keeps the paths usable on this machine.
  if (process.platform === 'win32') return platform === 'win32' ? win32.join : nativeJoin;
  return posix.join;
}

export function locate(ws: WorkstationPort): { files: Location[]; folders: FolderLocation[] } {
  const join = pathJoiner(ws.platform);
  const home = ws.home;
  const env = ws.env;
  const p = ws.platform;
  const appdata =
    p === 'darwin'
      ? join(home, 'Library', 'Application Support')
      : p === 'win32'
        ? join(home, 'AppData', 'Roaming')
        : join(home, '.config');
  const xdg = join(home, '.config');
  const sys = (...parts: string[]) => join(ws.systemRoot || '/', ...parts);
  const files: Location[] = [];
  const folders: FolderLocation[] = [];
  const add = (client: ClientId, scope: Scope, path: string, dialect: Dialect, general = false) =>
    files.push({ client, scope, path, format: formatOf(path), dialect, general });

  // ---- user scope
  add('claude-desktop', 'user', join(appdata, 'Claude', 'claude_desktop_config.json'), 'mcpServers', true);
  const claudeDir = env.CLAUDE_CONFIG_DIR ? env.CLAUDE_CONFIG_DIR : home;
  add('claude-code', 'user', join(claudeDir, '.claude.json'), 'claude-json', true);
  add('cursor', 'user', join(home, '.cursor', 'mcp.json'), 'mcpServers');
  for (const [client, dir] of [
    ['vscode', 'Code'],
    ['vscode-insiders', 'Code - Insiders'],
  ] as const) {
    add(client, 'user', join(appdata, dir, 'User', 'mcp.json'), 'vscode');
    add(client, 'user', join(appdata, dir, 'User', 'settings.json'), 'vscode-settings', true);
  }
  add('windsurf', 'user', join(home, '.codeium', 'windsurf', 'mcp_config.json'), 'mcpServers');
  const globalStorage = join(appdata, 'Code', 'User', 'globalStorage');
  add(
    'cline',
    'user',
    join(globalStorage, 'saoudrizwan.claude-dev', 'settings', 'cline_mcp_settings.json'),
    'mcpServers',
  );
  add(
    'roo-code',
    'user',
    join(globalStorage, 'rooveterinaryinc.roo-cline', 'settings', 'mcp_settings.json'),
    'mcpServers',
  );
  add('kilo-code', 'user', join(globalStorage, 'kilocode.kilo-code', 'settings', 'mcp_settings.json'), 'mcpServers');
  add('continue', 'user', join(home, '.continue', 'config.yaml'), 'continue', true);
  add('continue', 'user', join(home, '.continue', 'config.json'), 'continue', true);
  add(
    'zed',
    'user',
    p === 'win32' ? join(appdata, 'Zed', 'settings.json') : join(xdg, 'zed', 'settings.json'),
    'zed',
    true,
  );
  add('gemini-cli', 'user', join(home, '.gemini', 'settings.json'), 'gemini', true);
  const codexHome = env.CODEX_HOME ? env.CODEX_HOME : join(home, '.codex');
  add('codex', 'user', join(codexHome, 'config.toml'), 'codex', true);
  const copilotHome = env.COPILOT_HOME ? env.COPILOT_HOME : join(home, '.copilot');
  add('copilot-cli', 'user', join(copilotHome, 'mcp-config.json'), 'mcpServers');
  add('kiro', 'user', join(home, '.kiro', 'settings', 'mcp.json'), 'mcpServers');
  add('amazon-q', 'user', join(home, '.aws', 'amazonq', 'default.json'), 'mcpServers', true);
  add('amazon-q', 'user', join(home, '.aws', 'amazonq', 'mcp.json'), 'mcpServers');
  add('lm-studio', 'user', join(home, '.lmstudio', 'mcp.json'), 'mcpServers');
  add(
    'goose',
    'user',
    p === 'win32' ? join(appdata, 'Block', 'goose', 'config', 'config.yaml') : join(xdg, 'goose', 'config.yaml'),
    'goose',
    true,
  );
  add('opencode', 'user', join(xdg, 'opencode', 'opencode.json'), 'opencode', true);
  add('opencode', 'user', join(xdg, 'opencode', 'opencode.jsonc'), 'opencode', true);
  add('junie', 'user', join(home, '.junie', 'mcp', 'mcp.json'), 'mcpServers');
  add('antigravity', 'user', join(home, '.gemini', 'antigravity', 'mcp_config.json'), 'mcpServers');

  // ---- managed / system scope
  add(
    'claude-code',
    'managed',
    p === 'darwin'
      ? sys('Library', 'Application Support', 'ClaudeCode', 'managed-mcp.json')
      : p === 'win32'
        ? sys('Program Files', 'ClaudeCode', 'managed-mcp.json')
        : sys('etc', 'claude-code', 'managed-mcp.json'),
    'mcpServers',
  );
  // Newer Claude Code builds on Windows read ProgramData; the reference names Program Files.
  if (p === 'win32') add('claude-code', 'managed', sys('ProgramData', 'ClaudeCode', 'managed-mcp.json'), 'mcpServers');
  add(
    'gemini-cli',
    'managed',
    p === 'darwin'
      ? sys('Library', 'Application Support', 'GeminiCli', 'settings.json')
      : p === 'win32'
        ? sys('ProgramData', 'gemini-cli', 'settings.json')
        : sys('etc', 'gemini-cli', 'settings.json'),
    'gemini',
    true,
  );

  // ---- project scope
  for (const dir of ws.projects) {
    add('claude-code', 'project', join(dir, '.mcp.json'), 'mcpServers');
    add('cursor', 'project', join(dir, '.cursor', 'mcp.json'), 'mcpServers');
    add('vscode', 'project', join(dir, '.vscode', 'mcp.json'), 'vscode');
    add('roo-code', 'project', join(dir, '.roo', 'mcp.json'), 'mcpServers');
    add('zed', 'project', join(dir, '.zed', 'settings.json'), 'zed', true);
    add('gemini-cli', 'project', join(dir, '.gemini', 'settings.json'), 'gemini', true);
    add('codex', 'project', join(dir, '.codex', 'config.toml'), 'codex', true);
    add('kiro', 'project', join(dir, '.kiro', 'settings', 'mcp.json'), 'mcpServers');
    add('amazon-q', 'project', join(dir, '.amazonq', 'default.json'), 'mcpServers', true);
    add('amazon-q', 'project', join(dir, '.amazonq', 'mcp.json'), 'mcpServers');
    add('opencode', 'project', join(dir, 'opencode.json'), 'opencode', true);
    add('opencode', 'project', join(dir, 'opencode.jsonc'), 'opencode', true);
    add('junie', 'project', join(dir, '.junie', 'mcp', 'mcp.json'), 'mcpServers');
    folders.push({
      client: 'continue',
      scope: 'project',
      dir: join(dir, '.continue', 'mcpServers'),
      extensions: ['.yaml', '.yml', '.json'],
      dialect: 'continue',
      general: false,
    });
  }

  // The same file can be reached twice (a project folder that is the home): keep the first.
  const seen = new Set<string>();
  return {
    files: files.filter((f) => {
      const k = `${f.client}\0${f.path}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    }),
    folders,
  };
}

export function formatForPath(path: string): DocFormat {
  return formatOf(path);
}
