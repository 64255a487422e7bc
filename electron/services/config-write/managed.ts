import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ClientId, Platform } from '../../../shared/model/discovery.js';
import { genericCredential } from '../secrets/detect.js';
import { maskArgs, maskCommand, maskUrl } from '../secrets/redact.js';
import { urlCarriesCredentials } from '../findings/rules/transport-plaintext.js';
import { nodeWritableFs, tempPathFor, type WritableFs } from './fs.js';

/**
 * Managed client policy, workstation side: from an allow list of servers, the enterprise-managed
 * files the clients document (shared/reference/client-configs.md, and Claude Code's managed-MCP
 * page for the managed-settings allow/deny lists), written to an output folder or — only when asked
 * — installed under the platform's system location. Clients without a documented managed format get
 * nothing and are named in NO_MANAGED_FORMAT.
 */

/** Clients with no documented enterprise-managed MCP file (nothing is generated for them). */
export const NO_MANAGED_FORMAT: readonly ClientId[] = [
  'claude-desktop',
  'cursor',
  'vscode',
  'vscode-insiders',
  'windsurf',
  'cline',
  'roo-code',
  'kilo-code',
  'continue',
  'zed',
  'codex',
  'copilot-cli',
  'kiro',
  'amazon-q',
  'lm-studio',
  'goose',
  'opencode',
  'junie',
  'antigravity',
];

/** A refusal with a message naming the offending field; nothing was written. */
export class ManagedRefused extends Error {}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const AllowedServerSchema = z
  .object({
    name: z.string().regex(NAME, 'name: letters, digits, "_", "." or "-" (1–64)'),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    url: z.string().min(1).optional(),
    type: z.enum(['stdio', 'http', 'sse']).optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type AllowedServer = z.infer<typeof AllowedServerSchema>;

const AllowFileSchema = z.union([
  z.array(AllowedServerSchema),
  z
    .object({
      servers: z.array(AllowedServerSchema),
      /** Server names to put in Claude Code's deniedMcpServers. */
      deny: z.array(z.string().regex(NAME)).optional(),
    })
    .strict(),
]);

export interface AllowList {
  servers: AllowedServer[];
  deny: string[];
}

/** A credential reference in the allow file: `${VAR}`, `${env:VAR}` or `$VAR`. */
const REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
const CREDENTIAL_NAME = /token|secret|passw|api[-_]?key|apikey|auth|credential|private[-_]?key|cookie|session/i;

function stripRefs(value: string): string {
  return value.replace(REF, '');
}

/** Refuses a literal credential anywhere in a server: env, headers, args, command, url. */
function refuseLiterals(s: AllowedServer, i: number): void {
  const at = (field: string) => `servers[${i}] (${s.name}).${field}`;
  const refuse = (field: string, why: string): never => {
    throw new ManagedRefused(
      `${at(field)} holds a literal credential (${why}); write a reference such as \${VAR} instead — ` +
        'managed files are copied to every workstation and must never carry a secret',
    );
  };
  for (const [kind, map] of [
    ['env', s.env],
    ['headers', s.headers],
  ] as const) {
    for (const [key, value] of Object.entries(map ?? {})) {
      const stripped = stripRefs(value);
      const hasRef = stripped !== value;
      // What is left beside the references (an auth scheme such as "Bearer " is not a credential).
      const rest = hasRef ? stripped.replace(/^\s*(bearer|basic|token)\b/i, '').trim() : value;
      if (rest && genericCredential(rest, key, kind === 'headers'))
        refuse(`${kind}.${key}`, 'it looks like a secret value');
      // A credential-named key must be a reference (a bare "Bearer " prefix around it is fine).
      if (!hasRef && CREDENTIAL_NAME.test(key) && rest.trim() !== '')
        refuse(`${kind}.${key}`, `"${key}" names a credential and its value is not a reference`);
      if (kind === 'headers' && /^authorization$/i.test(key) && !hasRef)
        refuse(`${kind}.${key}`, 'an Authorization header must be a reference');
    }
  }
  const args = s.args ?? [];
  const masked = maskArgs(args.map(stripRefs));
  masked.forEach((m, j) => {
    if (m !== stripRefs(args[j] ?? '')) refuse(`args[${j}]`, 'it looks like a secret value');
  });
  if (s.command && maskCommand(stripRefs(s.command)) !== stripRefs(s.command))
    refuse('command', 'it looks like a secret value');
  if (s.url) {
    const u = stripRefs(s.url);
    if (maskUrl(u) !== u || (urlCarriesCredentials(u) && u === s.url))
      refuse('url', 'credentials in the URL (userinfo or a key/token query parameter)');
  }
}

/** Parses and checks an allow file (JSON or YAML). Throws ManagedRefused with the field named. */
export function parseAllowList(text: string, source = 'allow file'): AllowList {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ManagedRefused(`${source} is neither JSON nor YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = AllowFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new ManagedRefused(
      `${source}: ${where}: ${issue?.message ?? 'invalid'} (expected a list of {name, command, args, env} or {name, url, headers}, or {servers: [...], deny: [...]})`,
    );
  }
  const servers = Array.isArray(parsed.data) ? parsed.data : parsed.data.servers;
  const deny = Array.isArray(parsed.data) ? [] : (parsed.data.deny ?? []);
  const seen = new Set<string>();
  servers.forEach((s, i) => {
    if (seen.has(s.name)) throw new ManagedRefused(`servers[${i}].name: "${s.name}" appears twice`);
    seen.add(s.name);
    if (!!s.command === !!s.url)
      throw new ManagedRefused(`servers[${i}] (${s.name}): give exactly one of command (stdio) or url (remote)`);
    if (s.command && (s.headers || s.type === 'http' || s.type === 'sse'))
      throw new ManagedRefused(`servers[${i}] (${s.name}).headers/type: a stdio server takes command, args and env`);
    if (s.url && (s.args || s.env || s.type === 'stdio'))
      throw new ManagedRefused(`servers[${i}] (${s.name}).args/env: a remote server takes url, type and headers`);
    refuseLiterals(s, i);
  });
  return { servers, deny };
}

/** One generated file. `rel` is its path under the system root on the target platform. */
export interface ManagedFile {
  client: ClientId;
  /** What the file does, for the report. */
  purpose: string;
  rel: string[];
  content: string;
}

function relPaths(platform: Platform): { claude: string[]; gemini: string[] } {
  switch (platform) {
    case 'darwin':
      return {
        claude: ['Library', 'Application Support', 'ClaudeCode'],
        gemini: ['Library', 'Application Support', 'GeminiCli'],
      };
    case 'win32':
      return { claude: ['Program Files', 'ClaudeCode'], gemini: ['ProgramData', 'gemini-cli'] };
    default:
      return { claude: ['etc', 'claude-code'], gemini: ['etc', 'gemini-cli'] };
  }
}

function mapRefs(value: string, to: (name: string) => string): string {
  return value.replace(REF, (_m, a?: string, b?: string, c?: string) => to((a ?? b ?? c) as string));
}

function mapRecord(r: Record<string, string> | undefined, to: (n: string) => string) {
  return r ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, mapRefs(v, to)])) : undefined;
}

function entryFor(s: AllowedServer, to: (n: string) => string, gemini: boolean): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (s.command) {
    if (!gemini) e.type = 'stdio';
    e.command = mapRefs(s.command, to);
    e.args = (s.args ?? []).map((a) => mapRefs(a, to));
    const env = mapRecord(s.env, to);
    if (env) e.env = env;
  } else if (s.url) {
    const url = mapRefs(s.url, to);
    // Gemini CLI: `url` is SSE, `httpUrl` streamable HTTP (client-configs.md).
    if (gemini) e[s.type === 'sse' ? 'url' : 'httpUrl'] = url;
    else {
      e.type = s.type === 'sse' ? 'sse' : 'http';
      e.url = url;
    }
    const headers = mapRecord(s.headers, to);
    if (headers) e.headers = headers;
  }
  return e;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** The managed files for an allow list on a platform (pure). */
export function generateManaged(allow: AllowList, platform: Platform): ManagedFile[] {
  const p = relPaths(platform);
  const claudeRef = (n: string) => `\${${n}}`;
  const geminiRef = (n: string) => `$${n}`;
  const claudeServers = Object.fromEntries(allow.servers.map((s) => [s.name, entryFor(s, claudeRef, false)]));
  const geminiServers = Object.fromEntries(allow.servers.map((s) => [s.name, entryFor(s, geminiRef, true)]));
  const allowed = allow.servers.map((s) =>
    s.command
      ? { serverCommand: [mapRefs(s.command, claudeRef), ...(s.args ?? []).map((a) => mapRefs(a, claudeRef))] }
      : { serverUrl: mapRefs(s.url as string, claudeRef) },
  );
  const settings: Record<string, unknown> = { allowedMcpServers: allowed, allowManagedMcpServersOnly: true };
  if (allow.deny.length) settings.deniedMcpServers = allow.deny.map((serverName) => ({ serverName }));
  return [
    {
      client: 'claude-code',
      purpose: 'the fixed set of MCP servers every user gets (users cannot add others)',
      rel: [...p.claude, 'managed-mcp.json'],
      content: json({ mcpServers: claudeServers }),
    },
    {
      client: 'claude-code',
      purpose: 'allowedMcpServers (by command / URL) with allowManagedMcpServersOnly, deniedMcpServers',
      rel: [...p.claude, 'managed-settings.json'],
      content: json(settings),
    },
    {
      client: 'gemini-cli',
      purpose: 'system settings: mcpServers (system settings override user and project settings)',
      rel: [...p.gemini, 'settings.json'],
      content: json({ mcpServers: geminiServers }),
    },
  ];
}

export interface WrittenFile {
  client: ClientId;
  purpose: string;
  path: string;
  /** Where the previous file was kept (install with --force over an existing file). */
  backup?: string;
}

async function writeAtomic(fs: WritableFs, path: string, data: Buffer, mode: number): Promise<void> {
  // Not fs.mkdirp (0700): a managed folder must be readable by every user the clients run as.
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = tempPathFor(path);
  try {
    await fs.writeNewSynced(tmp, data, mode);
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.unlink(tmp).catch(() => {});
    throw err;
  }
  await fs.syncDir(dirname(path));
}

/**
 * Writes the files under `root` at their system-relative paths: an output folder (a staging tree to
 * copy to the system root, e.g. by device management), or the system root itself when installing.
 * When installing, an existing file is refused unless `force`, and then kept as a backup beside it.
 */
export async function writeManaged(
  files: ManagedFile[],
  root: string,
  opts: { install: boolean; force: boolean; now?: () => Date },
  fs: WritableFs = nodeWritableFs,
): Promise<WrittenFile[]> {
  const targets = files.map((f) => ({ f, path: join(root, ...f.rel) }));
  const existing: string[] = [];
  for (const t of targets) {
    const st = await fs.lstat(t.path);
    if (st && (st.isSymbolicLink || !st.isFile))
      throw new ManagedRefused(`${t.path} is not a regular file; left as is`);
    if (st && opts.install && !opts.force) existing.push(t.path);
  }
  if (existing.length)
    throw new ManagedRefused(
      `a managed file already exists (${existing.join(', ')}); nothing was written — pass --force to replace it (a backup is kept)`,
    );
  const stamp = (opts.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-');
  const out: WrittenFile[] = [];
  for (const { f, path } of targets) {
    let backup: string | undefined;
    if (opts.install && (await fs.lstat(path))) {
      backup = join(dirname(path), `${basename(path)}.gatehouse-backup-${stamp}`);
      await writeAtomic(fs, backup, await fs.readBytes(path), 0o600);
    }
    // World-readable: the clients run as every user and must read the managed files.
    await writeAtomic(fs, path, Buffer.from(f.content, 'utf8'), 0o644);
    out.push({ client: f.client, purpose: f.purpose, path, ...(backup ? { backup } : {}) });
  }
  return out;
}
