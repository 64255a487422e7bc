import { hash } from 'node:crypto';
import type { ClientId, Scope, ServerEntry, Transport } from '../../../shared/model/discovery.js';
import type { FileSystemPort } from '../ports.js';
import { entriesOf, get, str, type DocFormat, type DocNode } from './document.js';
import type { Dialect } from './locations.js';
import { maskCommand, maskNoting } from '../secrets/redact.js';
import type { RawServer } from './types.js';

/**
 * Turns a parsed document into server entries, per client dialect. Every entry is normalized to one
 * shape (command/args/env or url/headers), keeps the pointer of each raw field, and carries its
 * problems instead of failing: one bad entry never sinks its siblings.
 */

export interface ExtractTarget {
  client: ClientId;
  scope: Scope;
  path: string;
  dialect: Dialect;
  general: boolean;
  /** The file's format: YAML maps keep duplicate server names visible (see mapEntries). */
  format?: DocFormat;
}

export type Extracted = { servers: RawServer[] } | { unsupported: string };

/** Keys that make an object look like a server entry (for flat `{ name: entry }` maps). */
const ENTRY_KEYS = [
  'command',
  'args',
  'url',
  'serverUrl',
  'httpUrl',
  'uri',
  'type',
  'cmd',
  'transport',
  'env',
  'headers',
];

function looksLikeEntry(n: DocNode): boolean {
  return n.kind === 'object' && n.entries.some(([k]) => ENTRY_KEYS.includes(k));
}

interface Found {
  name: string;
  node: DocNode;
  scope: Scope;
  project?: string;
  problems?: string[];
  /** 1 for the second entry of a duplicated name, 2 for the third… (keeps ids distinct). */
  duplicate?: number;
}

/** Whether duplicate names are kept (set per file by `extract`; synchronous use only). */
let keepDuplicates = false;

/**
 * A `{ name: entry }` map as servers. JSON keeps the last of duplicate names, as JSON.parse and
 * every JSON client do. A YAML map with a duplicate name is ambiguous (goose's serde_yaml and
 * Continue's parser reject the file, others keep the last one): every entry is listed, each with
 * a problem naming the other lines, so a hidden second definition cannot slip by.
 */
function mapEntries(map: DocNode, scope: Scope, project?: string): Found[] {
  const base = { scope, ...(project !== undefined ? { project } : {}) };
  if (!keepDuplicates || map.kind !== 'object') return entriesOf(map).map(([name, node]) => ({ name, node, ...base }));
  const lines = new Map<string, number[]>();
  for (const [k, v] of map.entries) {
    const l = lines.get(k);
    if (l) l.push(v.line);
    else lines.set(k, [v.line]);
  }
  const seen = new Map<string, number>();
  return map.entries.map(([name, node]) => {
    const all = lines.get(name) ?? [];
    if (all.length < 2) return { name, node, ...base };
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    const others = all.filter((_, i) => i !== n).slice(0, 5);
    return {
      name,
      node,
      ...base,
      ...(n > 0 ? { duplicate: n } : {}),
      problems: [
        `duplicate name "${name}" (the other entry is at line ${others.join(', ')}): YAML readers disagree on which entry applies (some reject the file)`,
      ],
    };
  });
}

/** A server collection that may be a `{ name: entry }` map or a `[ { name, ... } ]` list. */
function collection(n: DocNode, scope: Scope, label: string): Found[] | string {
  if (n.kind === 'object') return mapEntries(n, scope);
  if (n.kind === 'array') {
    return n.items.map((item, i) => {
      const name = str(get(item, 'name')) ?? `#${i}`;
      return {
        name,
        node: item,
        scope,
        ...(str(get(item, 'name')) ? {} : { problems: [`list item ${i} has no name`] }),
      };
    });
  }
  if (n.kind === 'null') return [];
  return `${label} is a ${n.kind}, expected an object`;
}

function find(root: DocNode, t: ExtractTarget): Found[] | string {
  if (root.kind === 'null') return [];
  if (root.kind !== 'object') return `the document is a ${root.kind}, expected an object`;
  const scope = t.scope;
  switch (t.dialect) {
    case 'claude-json': {
      const out: Found[] = [];
      const top = get(root, 'mcpServers');
      if (top) {
        const c = collection(top, scope, 'mcpServers');
        if (typeof c === 'string') return c;
        out.push(...c);
      }
      const projects = get(root, 'projects');
      if (projects?.kind === 'object') {
        for (const [dir, proj] of entriesOf(projects)) {
          const servers = get(proj, 'mcpServers');
          if (servers?.kind === 'object') out.push(...mapEntries(servers, 'project', dir));
        }
      }
      return out;
    }
    case 'vscode': {
      const servers = get(root, 'servers');
      if (servers) return collection(servers, scope, 'servers');
      const legacy = get(root, 'mcpServers');
      if (legacy) {
        const c = collection(legacy, scope, 'mcpServers');
        if (typeof c === 'string') return c;
        return c.map((f) => ({ ...f, problems: [...(f.problems ?? []), 'VS Code reads "servers", not "mcpServers"'] }));
      }
      if (get(root, 'inputs') || root.entries.length === 0) return [];
      return 'no "servers" object';
    }
    case 'vscode-settings': {
      const out: Found[] = [];
      const nested = get(get(root, 'mcp'), 'servers');
      if (nested) {
        const c = collection(nested, scope, 'mcp.servers');
        if (typeof c === 'string') return c;
        out.push(...c);
      }
      const dotted = get(root, 'mcp.servers');
      if (dotted) {
        const c = collection(dotted, scope, '"mcp.servers"');
        if (typeof c === 'string') return c;
        out.push(...c);
      }
      return out;
    }
    case 'zed':
      return optional(root, 'context_servers', scope, t);
    case 'gemini':
      return optional(root, 'mcpServers', scope, t);
    case 'codex':
      return optional(root, 'mcp_servers', scope, t);
    case 'goose': {
      // `platform` extensions (todo, chatrecall, extensionmanager…) are goose's own in-process
      // tools, not MCP servers: nothing to inventory or govern.
      const all = optional(root, 'extensions', scope, t);
      if (typeof all === 'string') return all;
      return all.filter((f) => str(get(f.node, 'type'))?.toLowerCase() !== 'platform');
    }
    case 'opencode':
      return optional(root, 'mcp', scope, t);
    case 'continue': {
      const servers = get(root, 'mcpServers');
      if (servers) return collection(servers, scope, 'mcpServers');
      const legacy = get(get(root, 'experimental'), 'modelContextProtocolServers');
      if (legacy) return collection(legacy, scope, 'experimental.modelContextProtocolServers');
      if (t.general) return [];
      return 'no "mcpServers" list';
    }
    case 'mcpServers': {
      const servers = get(root, 'mcpServers');
      if (servers) return collection(servers, scope, 'mcpServers');
      if (t.general || root.entries.length === 0) return [];
      // Some files are a flat { name: entry } map without a root key.
      const values = entriesOf(root).map(([, v]) => v);
      if (values.every((v) => v.kind === 'object') && values.some(looksLikeEntry)) return mapEntries(root, scope);
      return 'no "mcpServers" object and not a map of server entries';
    }
  }
}

function optional(root: DocNode, key: string, scope: Scope, t: ExtractTarget): Found[] | string {
  const n = get(root, key);
  if (!n) return t.general ? [] : `no "${key}" section`;
  return collection(n, scope, key);
}

export function serverId(client: string, source: string, pointer: string): string {
  // One-shot hash (Node 21.7+): same digest as createHash().update().digest(), without the stream object.
  return hash('sha256', `${client}\0${source}\0${pointer}`, 'hex').slice(0, 16);
}

export async function extract(root: DocNode, t: ExtractTarget, fs: FileSystemPort): Promise<Extracted> {
  keepDuplicates = t.format === 'yaml';
  let found: Found[] | string;
  try {
    found = find(root, t);
  } finally {
    keepDuplicates = false;
  }
  if (typeof found === 'string') return { unsupported: found };
  const servers = await Promise.all(found.map((f) => normalize(f, t, fs)));
  return { servers };
}

// ---------------------------------------------------------------- entry normalization

const TYPE_MAP: Record<string, Transport> = {
  stdio: 'stdio',
  local: 'stdio',
  command: 'stdio',
  http: 'http',
  'streamable-http': 'http',
  streamable_http: 'http',
  streamablehttp: 'http',
  'streamable-https': 'http',
  remote: 'http',
  sse: 'sse',
};

/** Split a command line quote-aware (POSIX-like quotes; backslash only escapes quotes and spaces). */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && /["' ]/.test(line[i + 1] ?? '')) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

interface Acc {
  command?: string;
  commandPtr?: string;
  args: string[];
  argPtrs: string[];
  env: Record<string, string>;
  envPtrs: Record<string, string>;
  envKeys: string[];
  envSeen: Set<string>;
  headers: Record<string, string>;
  headerPtrs: Record<string, string>;
  headerKeys: string[];
  headerSeen: Set<string>;
  problems: string[];
}

/** Record a key name once (a Set beside the list: an env of 100k keys stays linear). */
function addKey(acc: Acc, which: 'env' | 'headers', k: string) {
  const seen = which === 'env' ? acc.envSeen : acc.headerSeen;
  if (seen.has(k)) return;
  seen.add(k);
  (which === 'env' ? acc.envKeys : acc.headerKeys).push(k);
}

function scalarString(n: DocNode): string | undefined {
  if (n.kind === 'string') return n.value;
  if (n.kind === 'number' || n.kind === 'boolean') return String(n.value);
  if (n.kind === 'null') return '';
  return undefined;
}

function readArgs(n: DocNode | undefined, acc: Acc, label: string) {
  if (!n || n.kind === 'null') return;
  if (n.kind === 'string') {
    acc.problems.push(`${label} is a string, expected a list`);
    for (const a of splitCommandLine(n.value)) {
      acc.args.push(a);
      acc.argPtrs.push(n.pointer);
    }
    return;
  }
  if (n.kind !== 'array') {
    acc.problems.push(`${label} is a ${n.kind}, expected a list`);
    return;
  }
  n.items.forEach((item, i) => {
    const s = scalarString(item);
    if (s === undefined) acc.problems.push(`${label}[${i}] is a ${item.kind}, ignored`);
    else {
      acc.args.push(s);
      acc.argPtrs.push(item.pointer);
    }
  });
}

function readMap(n: DocNode | undefined, acc: Acc, which: 'env' | 'headers', label: string) {
  if (!n || n.kind === 'null') return;
  if (n.kind !== 'object') {
    acc.problems.push(`${label} is a ${n.kind}, expected an object`);
    return;
  }
  for (const [k, v] of entriesOf(n)) {
    addKey(acc, which, k);
    const s = scalarString(v);
    if (s === undefined) {
      acc.problems.push(`${label}.${k} is a ${v.kind}, ignored`);
      continue;
    }
    if (which === 'env') {
      acc.env[k] = s;
      acc.envPtrs[k] = v.pointer;
    } else {
      acc.headers[k] = s;
      acc.headerPtrs[k] = v.pointer;
    }
  }
}

async function readCommand(n: DocNode | undefined, acc: Acc, fs: FileSystemPort) {
  if (!n || n.kind === 'null') return;
  if (n.kind === 'array') {
    // opencode: command is [program, ...args]
    const [first, ...rest] = n.items;
    if (first) {
      const s = scalarString(first);
      if (s !== undefined) {
        acc.command = s;
        acc.commandPtr = first.pointer;
      } else acc.problems.push('command[0] is not a string');
    }
    rest.forEach((item) => {
      const s = scalarString(item);
      if (s !== undefined) {
        acc.args.push(s);
        acc.argPtrs.push(item.pointer);
      }
    });
    return;
  }
  if (n.kind === 'object') {
    // Zed's older form: command: { path, args, env }
    const path = get(n, 'path');
    if (path?.kind === 'string') {
      acc.command = path.value;
      acc.commandPtr = path.pointer;
    } else acc.problems.push('command object has no "path"');
    readArgs(get(n, 'args'), acc, 'command.args');
    readMap(get(n, 'env'), acc, 'env', 'command.env');
    return;
  }
  if (n.kind !== 'string') {
    acc.problems.push(`command is a ${n.kind}, expected a string`);
    return;
  }
  const line = n.value;
  acc.commandPtr = n.pointer;
  if (!/\s/.test(line.trim())) {
    acc.command = line.trim() === line ? line : line.trim();
    return;
  }
  // A whole command line in `command`: split it, unless it names an existing file (C:\Program Files\…).
  const exists = await fs.stat(line).catch(() => null);
  if (exists?.isFile) {
    acc.command = line;
    return;
  }
  const win = /^([A-Za-z]:\\.*?\.(?:exe|cmd|bat|com))(?:\s+(.*))?$/is.exec(line.trim());
  const parts = win ? [win[1] ?? '', ...splitCommandLine(win[2] ?? '')] : splitCommandLine(line);
  const [program, ...rest] = parts;
  acc.command = program ?? '';
  // The split arguments come before any `args` of the entry (concat, not `unshift(...rest)`: a
  // spread of a 130k-word command line overflows the stack).
  acc.args = rest.concat(acc.args);
  acc.argPtrs = new Array<string>(rest.length).fill(n.pointer).concat(acc.argPtrs);
}

async function normalize(f: Found, t: ExtractTarget, fs: FileSystemPort): Promise<RawServer> {
  const node = f.node;
  const pointer = node.pointer;
  const acc: Acc = {
    args: [],
    argPtrs: [],
    env: {},
    envPtrs: {},
    envKeys: [],
    envSeen: new Set(),
    headers: {},
    headerPtrs: {},
    headerKeys: [],
    headerSeen: new Set(),
    problems: [...(f.problems ?? [])],
  };
  let transport: Transport = 'unknown';
  let url: string | undefined;
  let urlPtr: string | undefined;
  let cwd: string | undefined;
  let disabled = false;
  const raw: RawServer['raw'] = { env: acc.env, headers: acc.headers };

  if (node.kind !== 'object') {
    acc.problems.push(`entry is a ${node.kind}, expected an object`);
  } else {
    // Continue's legacy form nests the fields under `transport: { type, command, args, env, url }`.
    const transportNode = get(node, 'transport');
    const e = transportNode?.kind === 'object' ? transportNode : node;
    const cmdNode = t.dialect === 'goose' ? (get(e, 'cmd') ?? get(e, 'command')) : get(e, 'command');
    // Args first so a split command line can prepend its own.
    readArgs(get(e, 'args'), acc, 'args');
    await readCommand(cmdNode, acc, fs);
    readMap(get(e, 'env'), acc, 'env', 'env');
    readMap(get(e, 'envs'), acc, 'env', 'envs');
    readMap(get(e, 'environment'), acc, 'env', 'environment');
    const envKeyList = get(e, 'env_keys'); // goose: names of env vars kept in the keyring
    if (envKeyList?.kind === 'array') {
      for (const k of envKeyList.items) if (k.kind === 'string') addKey(acc, 'env', k.value);
    }
    readMap(get(e, 'headers'), acc, 'headers', 'headers');
    readMap(get(e, 'http_headers'), acc, 'headers', 'http_headers');
    readMap(get(get(e, 'requestOptions'), 'headers'), acc, 'headers', 'requestOptions.headers'); // Continue
    const envHeaders = get(e, 'env_http_headers'); // codex: header -> env var name
    if (envHeaders?.kind === 'object') {
      raw.headerEnv = {};
      for (const [k, v] of entriesOf(envHeaders)) {
        addKey(acc, 'headers', k);
        if (v.kind === 'string') raw.headerEnv[k] = v.value;
      }
    }
    const bearer = str(get(e, 'bearer_token_env_var'));
    if (bearer !== undefined) {
      raw.bearerTokenEnvVar = bearer;
      addKey(acc, 'headers', 'Authorization');
    }
    const cwdNode = get(e, 'cwd');
    if (cwdNode?.kind === 'string') cwd = cwdNode.value;

    let urlKey: string | undefined;
    for (const key of ['url', 'serverUrl', 'httpUrl', 'uri']) {
      const u = get(e, key);
      if (!u) continue;
      if (u.kind === 'string') {
        if (url === undefined) {
          url = u.value;
          urlPtr = u.pointer;
          urlKey = key;
        }
      } else acc.problems.push(`${key} is a ${u.kind}, expected a string`);
    }

    const typeNode = get(e, 'type') ?? (transportNode?.kind === 'string' ? transportNode : undefined);
    const type = typeNode ? scalarString(typeNode) : undefined;
    if (type !== undefined) {
      const mapped = TYPE_MAP[type.toLowerCase()];
      if (mapped) transport = mapped;
      else if (/^(?:ws|wss|websocket)$/i.test(type))
        acc.problems.push(`transport "${type.toLowerCase()}" (WebSocket) is not supported`);
      else if (type === 'builtin' || type === 'frontend' || type === 'inline_python') {
        acc.problems.push(`goose "${type}" extension runs inside goose (no separate server)`);
      } else acc.problems.push(`unrecognized type "${maskCommand(type)}"`);
    } else if (acc.command !== undefined) transport = 'stdio';
    else if (url !== undefined) {
      if (t.dialect === 'gemini') transport = urlKey === 'httpUrl' ? 'http' : 'sse';
      else transport = /\/sse\/?(?:[?#].*)?$/i.test(url) ? 'sse' : 'http';
    } else if (t.dialect === 'zed' && (get(e, 'settings') || str(get(e, 'source')) === 'extension')) {
      acc.problems.push('provided by a Zed extension (command not in this file)');
    } else acc.problems.push('no command or url');
    if (transport === 'stdio' && acc.command === undefined) acc.problems.push('stdio entry without a command');
    if ((transport === 'http' || transport === 'sse') && url === undefined)
      acc.problems.push(`${transport} entry without a url`);

    const disabledNode = get(e, 'disabled') ?? get(node, 'disabled');
    const enabledNode = get(e, 'enabled') ?? get(node, 'enabled');
    disabled =
      (disabledNode?.kind === 'boolean' && disabledNode.value === true) ||
      (enabledNode?.kind === 'boolean' && enabledNode.value === false);
  }

  if (acc.command !== undefined) raw.command = acc.command;
  if (acc.args.length || acc.command !== undefined) raw.args = acc.args;
  if (url !== undefined) raw.url = url;
  if (cwd !== undefined) raw.cwd = cwd;

  const entry: ServerEntry = {
    id: serverId(t.client, t.path, f.duplicate ? `${pointer}#${f.duplicate}` : pointer),
    name: f.name,
    client: t.client,
    scope: f.scope,
    source: t.path,
    pointer,
    transport,
    envKeys: acc.envKeys,
    headerKeys: acc.headerKeys,
    disabled,
  };
  // Masked once: what each masking hid goes to the detector with the server (RawServer.hidden).
  const hidden: RawServer['hidden'] = {};
  if (acc.command !== undefined) {
    const m = maskNoting({ field: 'command', value: acc.command });
    entry.command = m.masked;
    hidden.command = m.hidden;
  }
  if (raw.args) {
    const m = maskNoting({ field: 'args', args: raw.args });
    entry.args = m.map((a) => a.masked);
    hidden.args = m.map((a) => a.hidden);
  }
  if (url !== undefined) {
    const m = maskNoting({ field: 'url', value: url });
    entry.url = m.masked;
    hidden.url = m.hidden;
  }
  if (cwd !== undefined) entry.cwd = cwd;
  if (f.project !== undefined) entry.project = f.project;
  if (acc.problems.length) entry.problems = acc.problems;

  const pointers: RawServer['pointers'] = { env: acc.envPtrs, headers: acc.headerPtrs };
  if (acc.commandPtr !== undefined) pointers.command = acc.commandPtr;
  if (raw.args) pointers.args = acc.argPtrs;
  if (urlPtr !== undefined) pointers.url = urlPtr;
  return { entry, raw, hidden, pointers };
}
