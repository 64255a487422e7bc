import type { ClientId, Scope } from '../../../shared/model/discovery.js';
import { CLIENT_IDS } from '../../../shared/model/discovery.js';
import { ManualFix } from './fixes.js';

/**
 * What each of the 21 clients accepts as a copy/move target (shared/reference/client-configs.md):
 * its scopes, whether it takes remote servers, its reference syntax, and how one portable server is
 * written in its format (root key, entry keys, transport names). copy.ts plans the write.
 */

/** One env or header value of the server being copied: a literal or a reference to a variable. */
export interface PortableValue {
  literal?: string;
  ref?: string;
  /** `Bearer ` etc. kept in front of a reference. */
  scheme?: string;
}

/** A server in client-neutral form (what discovery normalizes every dialect to). */
export interface PortableServer {
  name: string;
  transport: 'stdio' | 'http' | 'sse';
  command?: string;
  args?: string[];
  cwd?: string;
  url?: string;
  env: Array<readonly [string, PortableValue]>;
  headers: Array<readonly [string, PortableValue]>;
}

export type TargetScope = Exclude<Scope, 'managed'>;

interface ClientSpec {
  label: string;
  scopes: readonly TargetScope[];
  /** How a reference to an environment variable is written in env/header values (none: launcher). */
  ref?: (v: string) => string;
  /** Why the client cannot take a remote server (undefined: it can). */
  noRemote?: string;
  /** Why the client cannot take an SSE server. */
  noSse?: string;
  /** Why the client cannot take a working directory. */
  noCwd?: string;
}

const envColon = (v: string) => `\${env:${v}}`;

export const CLIENTS: Record<ClientId, ClientSpec> = {
  'claude-desktop': {
    label: 'Claude Desktop',
    scopes: ['user'],
    noRemote: 'Claude Desktop adds remote servers as connectors in its settings UI, not in its config file',
  },
  'claude-code': { label: 'Claude Code', scopes: ['user', 'project'], ref: (v) => `\${${v}}` },
  cursor: { label: 'Cursor', scopes: ['user', 'project'], ref: envColon },
  vscode: { label: 'VS Code', scopes: ['user', 'project'], ref: envColon },
  'vscode-insiders': { label: 'VS Code Insiders', scopes: ['user'], ref: envColon },
  windsurf: { label: 'Windsurf', scopes: ['user'], ref: envColon },
  cline: { label: 'Cline', scopes: ['user'] },
  'roo-code': { label: 'Roo Code', scopes: ['user', 'project'] },
  'kilo-code': { label: 'Kilo Code', scopes: ['user'] },
  continue: { label: 'Continue', scopes: ['user', 'project'], ref: (v) => `\${{ secrets.${v} }}` },
  zed: { label: 'Zed', scopes: ['user', 'project'] },
  'gemini-cli': { label: 'Gemini CLI', scopes: ['user', 'project'], ref: (v) => `$${v}` },
  // Codex forwards variables with env_vars / env_http_headers / bearer_token_env_var (see codexEntry).
  codex: {
    label: 'Codex',
    scopes: ['user', 'project'],
    noSse: 'Codex speaks streamable HTTP only, not SSE',
  },
  'copilot-cli': { label: 'Copilot CLI', scopes: ['user'] },
  kiro: { label: 'Kiro', scopes: ['user', 'project'] },
  'amazon-q': { label: 'Amazon Q', scopes: ['user', 'project'] },
  'lm-studio': { label: 'LM Studio', scopes: ['user'] },
  goose: {
    label: 'goose',
    scopes: ['user'],
    noCwd: 'goose extensions have no working-directory setting',
  },
  opencode: {
    label: 'opencode',
    scopes: ['user', 'project'],
    ref: (v) => `{env:${v}}`,
    noCwd: 'opencode servers have no working-directory setting',
  },
  junie: {
    label: 'Junie',
    scopes: ['user', 'project'],
    noRemote: 'Junie starts local (stdio) servers only; its config has no remote server entry',
  },
  antigravity: { label: 'Antigravity', scopes: ['user'] },
};

/** Every client id, in the order of the contract (for usage messages). */
export const ALL_CLIENTS: readonly ClientId[] = CLIENT_IDS;

export function labelOf(c: ClientId): string {
  return CLIENTS[c].label;
}

/** Refuses a server the client cannot take at all (transport, cwd), naming the client and why. */
export function checkTakes(c: ClientId, s: PortableServer): void {
  const spec = CLIENTS[c];
  if (s.transport !== 'stdio' && spec.noRemote)
    throw new ManualFix(`${spec.label} cannot take "${s.name}": ${spec.noRemote}.`);
  if (s.transport === 'sse' && spec.noSse) throw new ManualFix(`${spec.label} cannot take "${s.name}": ${spec.noSse}.`);
  if (s.cwd && spec.noCwd)
    throw new ManualFix(`${spec.label} cannot take "${s.name}" with its working directory (${s.cwd}): ${spec.noCwd}.`);
}

/** Where the client keeps its servers (pointer of the collection, before any flat-map adjustment). */
export function rootPointerOf(c: ClientId): string {
  switch (c) {
    case 'vscode':
    case 'vscode-insiders':
      return '/servers';
    case 'zed':
      return '/context_servers';
    case 'codex':
      return '/mcp_servers';
    case 'goose':
      return '/extensions';
    case 'opencode':
      return '/mcp';
    default:
      return '/mcpServers';
  }
}

/** Renders one value in the client's syntax; a reference without a syntax is refused. */
function renderer(c: ClientId, what: string): (k: string, v: PortableValue) => string {
  const spec = CLIENTS[c];
  return (k, v) => {
    if (v.literal !== undefined) return v.literal;
    if (!spec.ref)
      throw new ManualFix(
        `${spec.label} has no reference syntax for ${what} values: Gatehouse cannot keep ${k} out of its file. Prefer OAuth if the server offers it, or run the server behind a gateway that injects the credential.`,
      );
    return `${v.scheme ?? ''}${spec.ref(v.ref!)}`;
  };
}

function mapOf(
  pairs: PortableServer['env'],
  render: (k: string, v: PortableValue) => string,
): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(pairs.map(([k, v]) => [k, render(k, v)]));
}

/** Adds the optional keys that are set. */
function withOptional(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) base[k] = v;
  return base;
}

/**
 * The target entry for a server whose env references the client can express (copy.ts wraps the
 * others with the launcher first). Throws ManualFix when a value cannot be written.
 */
export function renderEntry(c: ClientId, s: PortableServer): Record<string, unknown> {
  checkTakes(c, s);
  if (c === 'codex') return codexEntry(s);
  const env = mapOf(s.env, renderer(c, 'env'));
  const headers = mapOf(s.headers, renderer(c, 'header'));
  const args = s.args ?? [];
  const stdio = s.transport === 'stdio';
  switch (c) {
    case 'continue':
      return stdio
        ? withOptional({ name: s.name, type: 'stdio', command: s.command, args }, { env, cwd: s.cwd })
        : withOptional(
            { name: s.name, type: s.transport === 'sse' ? 'sse' : 'streamable-http', url: s.url },
            { requestOptions: headers ? { headers } : undefined },
          );
    case 'goose':
      return stdio
        ? {
            name: s.name,
            type: 'stdio',
            cmd: s.command,
            args,
            envs: env ?? {},
            enabled: true,
            timeout: 300,
          }
        : withOptional(
            {
              name: s.name,
              type: s.transport === 'sse' ? 'sse' : 'streamable_http',
              uri: s.url,
              envs: {},
              enabled: true,
              timeout: 300,
            },
            { headers },
          );
    case 'opencode':
      return stdio
        ? withOptional({ type: 'local', command: [s.command, ...args] }, { environment: env, enabled: true })
        : withOptional({ type: 'remote', url: s.url }, { headers, enabled: true });
    case 'gemini-cli':
      return stdio
        ? withOptional({ command: s.command, args }, { env, cwd: s.cwd })
        : withOptional({ [s.transport === 'sse' ? 'url' : 'httpUrl']: s.url }, { headers });
    default:
      break;
  }
  if (stdio) {
    const e = withOptional({ command: s.command, args }, { env, cwd: s.cwd });
    if (c === 'vscode' || c === 'vscode-insiders') return { type: 'stdio', ...e };
    if (c === 'copilot-cli') return { type: 'local', ...e, tools: ['*'] };
    if (c === 'zed') return { source: 'custom', ...e };
    return e;
  }
  const urlKey = c === 'windsurf' || c === 'antigravity' ? 'serverUrl' : 'url';
  const e = withOptional({ [urlKey]: s.url }, { headers });
  const sse = s.transport === 'sse';
  switch (c) {
    case 'claude-code':
    case 'vscode':
    case 'vscode-insiders':
    case 'amazon-q':
      return { type: s.transport, ...e };
    case 'copilot-cli':
      return { type: s.transport, ...e, tools: ['*'] };
    case 'cline':
      return { type: sse ? 'sse' : 'streamableHttp', ...e };
    case 'roo-code':
    case 'kilo-code':
      return { type: sse ? 'sse' : 'streamable-http', ...e };
    default:
      // Cursor, Windsurf, Zed, Kiro, LM Studio, Antigravity: the transport follows from the URL.
      return e;
  }
}

/** Codex: literals inline; references through env_vars (same name only) and the header-env keys. */
function codexEntry(s: PortableServer): Record<string, unknown> {
  if (s.transport === 'stdio') {
    const entry: Record<string, unknown> = { command: s.command, args: s.args ?? [] };
    const lit: Record<string, string> = {};
    const vars: string[] = [];
    for (const [k, v] of s.env) {
      if (v.literal !== undefined) lit[k] = v.literal;
      else if (v.ref === k) vars.push(k);
      else
        throw new ManualFix(
          `Codex forwards variables by their own name: ${k} references ${v.ref}. Rename one of them first.`,
        );
    }
    if (Object.keys(lit).length) entry.env = lit;
    if (vars.length) entry.env_vars = vars;
    if (s.cwd) entry.cwd = s.cwd;
    return entry;
  }
  const entry: Record<string, unknown> = { url: s.url };
  const lit: Record<string, string> = {};
  const envH: Record<string, string> = {};
  for (const [k, v] of s.headers) {
    if (v.literal !== undefined) lit[k] = v.literal;
    else if (k.toLowerCase() === 'authorization' && v.scheme?.toLowerCase().startsWith('bearer'))
      entry.bearer_token_env_var = v.ref;
    else if (!v.scheme) envH[k] = v.ref!;
    else throw new ManualFix(`Codex cannot prefix a header reference (${k}).`);
  }
  if (Object.keys(lit).length) entry.http_headers = lit;
  if (Object.keys(envH).length) entry.env_http_headers = envH;
  return entry;
}

/** Whether env references are expressed in the file (else a stdio server goes through the launcher). */
export function hasEnvReferences(c: ClientId): boolean {
  return c === 'codex' || CLIENTS[c].ref !== undefined;
}
