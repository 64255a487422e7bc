import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import type {
  JsonSchemaValidator,
  JsonSchemaValidatorResult,
  jsonSchemaValidator,
} from '@modelcontextprotocol/sdk/validation/types.js';
import canonicalize from 'canonicalize';
import type {
  PromptDef,
  ResourceDef,
  ResourceTemplateDef,
  ToolDef,
  DefinitionKind,
} from '../../../shared/model/live.js';
import { readableError } from '../error-wording.js';
import { sha256 } from './command-line.js';
import { formatBytes, type LiveLimits } from './limits.js';
import { pinNames } from './pins.js';

/** What to connect to, with references already resolved (values never leave this module). */
export type ConnectTarget =
  | { kind: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | {
      kind: 'http' | 'sse';
      url: string;
      headers: Record<string, string>;
      /** A signed-in OAuth server: the SDK's provider (bearer token, refresh on 401). */
      authProvider?: OAuthClientProvider;
    };

export interface Enumeration {
  connectedVia: 'stdio' | 'http' | 'sse';
  serverInfo?: { name: string; version: string; title?: string };
  protocolVersion?: string;
  capabilities?: Record<string, unknown>;
  instructions?: string;
  tools: ToolDef[];
  prompts: PromptDef[];
  resources: ResourceDef[];
  resourceTemplates: ResourceTemplateDef[];
  /** Pin hash per `kind:name`, computed over the full (untruncated) definitions. */
  hashes: Record<string, string>;
  limits: string[];
}

/** A per-server failure with a reason fit to show (no secrets) and the stderr tail. */
export class LiveError extends Error {
  constructor(
    message: string,
    readonly stderrTail?: string,
    /** HTTP status seen when the failure was an HTTP refusal. */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'LiveError';
  }
}

export interface ConnectOptions {
  limits: LiveLimits;
  signal?: AbortSignal;
  clientInfo?: { name: string; version: string };
  /** Only initialize and the first page of tools (auth probe). */
  probeOnly?: boolean;
  /** Observes every HTTP response (status, WWW-Authenticate) for the auth probe. */
  onHttpResponse?: (url: string, status: number, wwwAuthenticate: string | null) => void;
}

/** Pin key for one definition. */
export function definitionKey(kind: DefinitionKind, name: string): string {
  return `${kind}:${name}`;
}

/** The part of a definition that is pinned, per kind (shared/reference/findings.md). */
export function pinnedShape(kind: DefinitionKind, d: Record<string, unknown>): Record<string, unknown> {
  const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));
  switch (kind) {
    case 'tool':
      return pick(['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations']);
    case 'prompt':
      return pick(['name', 'title', 'description', 'arguments']);
    case 'resource':
      return pick(['uri', 'name', 'title', 'description', 'mimeType']);
    case 'resourceTemplate':
      return pick(['uriTemplate', 'name', 'title', 'description', 'mimeType']);
    case 'instructions':
      return pick(['instructions']);
  }
}

export function pinHash(kind: DefinitionKind, d: Record<string, unknown>): string {
  return sha256(canonicalize(pinnedShape(kind, d)) ?? '');
}

/** Resolves `promise`, or rejects when `ms` passes or `signal` aborts (whichever first). */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LiveError(`${what} timed out after ${ms} ms`)), ms);
    const onAbort = () => reject(new LiveError('cancelled'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    promise
      .then(
        (v) => resolve(v),
        (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
      )
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
  });
}

/**
 * Wraps a transport to keep a hostile server within limits: counts and drops notifications past
 * the cap, counts non-JSON-RPC stdout lines and gives up past the cap, notes oversize messages,
 * and captures the negotiated protocol version.
 */
export class MeteredTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  notifications = 0;
  dropped = 0;
  garbage = 0;
  protocolVersion?: string;
  failReason?: string;
  /** The server sent notifications/tools/list_changed while being enumerated. */
  toolsChanged = false;

  constructor(
    private readonly inner: Transport,
    private readonly limits: LiveLimits,
  ) {}

  get sessionId() {
    return this.inner.sessionId;
  }

  setProtocolVersion = (version: string) => {
    this.protocolVersion = version;
    this.inner.setProtocolVersion?.(version);
  };

  async start(): Promise<void> {
    this.inner.onmessage = (message, extra) => {
      const m = message as JSONRPCMessage & { id?: unknown; method?: string; result?: Record<string, unknown> };
      if (m.method !== undefined && m.id === undefined) {
        if (m.method === 'notifications/tools/list_changed') this.toolsChanged = true;
        this.notifications++;
        if (this.notifications > this.limits.maxNotifications) {
          this.dropped++;
          return;
        }
      }
      if (m.result && typeof m.result.protocolVersion === 'string' && m.result.serverInfo) {
        this.protocolVersion = m.result.protocolVersion;
      }
      this.onmessage?.(message, extra);
    };
    this.inner.onerror = (error) => {
      const msg = error.message ?? '';
      if (/ReadBuffer exceeded|exceeded the .{0,80} cap/.test(msg)) {
        this.failReason ??= `a message exceeded the ${formatBytes(this.limits.maxMessageBytes)} size cap`;
      } else if (error.name === 'SyntaxError' || error.name === 'ZodError' || /JSON|Unexpected token/.test(msg)) {
        this.garbage++;
        if (this.garbage > this.limits.maxGarbageLines) {
          this.failReason ??= `server wrote ${this.garbage} lines to stdout that are not JSON-RPC (garbage on the protocol stream)`;
          void this.inner.close().catch(() => undefined);
          return;
        }
      }
      this.onerror?.(error);
    };
    this.inner.onclose = () => this.onclose?.();
    await this.inner.start();
  }

  send(message: JSONRPCMessage, options?: Parameters<Transport['send']>[1]): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Keeps the last `max` bytes written to a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer | string) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.max && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text(): string | undefined {
    if (this.size === 0) return undefined;
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

const NO_VALIDATION: jsonSchemaValidator = {
  getValidator<T>(): JsonSchemaValidator<T> {
    return (input: unknown): JsonSchemaValidatorResult<T> => ({
      valid: true,
      data: input as T,
      errorMessage: undefined,
    });
  },
};

type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The fetch every remote connection uses: configured credentials go only to the configured origin
 * (stripped from any other), bodies are capped, and each response is reported to the observer.
 */
export function guardedFetch(
  origin: string,
  credentialHeaders: string[],
  limits: LiveLimits,
  onResponse?: ConnectOptions['onHttpResponse'],
): FetchLike {
  const lower = credentialHeaders.map((h) => h.toLowerCase());
  return async (url, init) => {
    const target = new URL(url);
    const headers = new Headers(init?.headers);
    if (target.origin !== origin) for (const h of lower) headers.delete(h);
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    onResponse?.(target.href, res.status, res.headers.get('www-authenticate'));
    if (!res.body) return res;
    const max = limits.maxMessageBytes;
    let seen = 0;
    const capped = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > max) controller.error(new Error(`response exceeded the ${formatBytes(max)} cap`));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(capped, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

function describeError(err: unknown, url?: string): string {
  const e = err as Error & { code?: unknown };
  const msg = (e?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  if (e instanceof LiveError) return msg;
  if (typeof e.code === 'string' && e.code === 'ENOENT') return `could not start: command not found (${msg})`;
  if (/Connection closed/i.test(msg)) return 'server closed the connection (exited or crashed) before answering';
  if (e.code === -32001 || /Request timed out/i.test(msg)) return 'no answer: the request timed out';
  // fetch, SDK transport and zod failures: worded once, in error-wording.ts.
  return readableError(err, url ? { url } : {});
}

function clip(text: string | undefined, limits: LiveLimits, what: string, notes: string[]): string | undefined {
  if (text === undefined || text.length <= limits.maxTextLength) return text;
  notes.push(`${what} truncated from ${formatBytes(text.length)} to ${formatBytes(limits.maxTextLength)}`);
  return text.slice(0, limits.maxTextLength) + `…[truncated ${text.length - limits.maxTextLength} characters]`;
}

function clipSchema(
  schema: Record<string, unknown> | undefined,
  limits: LiveLimits,
  what: string,
  notes: string[],
): Record<string, unknown> | undefined {
  if (schema === undefined) return undefined;
  const size = (canonicalize(schema) ?? '').length;
  if (size <= limits.maxSchemaBytes) return schema;
  notes.push(`${what} schema truncated (${formatBytes(size)})`);
  return { 'x-gatehouse-truncated': true, size };
}

type Page = { nextCursor?: string } & Record<string, unknown>;

/** Fetches every page of one list call within the item and page caps. */
async function listAll(
  client: Client,
  method: 'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list',
  key: string,
  limits: LiveLimits,
  signal: AbortSignal | undefined,
  notes: string[],
  firstPageOnly = false,
): Promise<Record<string, unknown>[]> {
  const schema = {
    'tools/list': ListToolsResultSchema,
    'prompts/list': ListPromptsResultSchema,
    'resources/list': ListResourcesResultSchema,
    'resources/templates/list': ListResourceTemplatesResultSchema,
  }[method];
  const items: Record<string, unknown>[] = [];
  const cursors = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = (await client.request({ method, params: cursor ? { cursor } : {} }, schema, {
      timeout: limits.requestTimeoutMs,
      signal,
    })) as Page;
    pages++;
    const got = (page[key] as Record<string, unknown>[] | undefined) ?? [];
    items.push(...got);
    if (items.length > limits.maxItems) {
      notes.push(`${method}: more than ${limits.maxItems} items; kept the first ${limits.maxItems}`);
      items.length = limits.maxItems;
      break;
    }
    cursor = page.nextCursor;
    if (!cursor || firstPageOnly) break;
    if (cursors.has(cursor)) {
      notes.push(`${method}: the server repeated a page cursor; stopped paginating`);
      break;
    }
    cursors.add(cursor);
    if (pages >= limits.maxPages) {
      notes.push(`${method}: stopped after ${limits.maxPages} pages`);
      break;
    }
  }
  return items;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

async function openTransport(
  target: ConnectTarget,
  opts: ConnectOptions,
  tail: Tail,
): Promise<{ client: Client; transport: MeteredTransport; via: 'stdio' | 'http' | 'sse' }> {
  const { limits, signal } = opts;
  const info = opts.clientInfo ?? { name: 'gatehouse', version: '0.1.0' };
  const connectOnce = async (inner: Transport, via: 'stdio' | 'http' | 'sse') => {
    const transport = new MeteredTransport(inner, limits);
    // Gatehouse never calls tools, so it validates no tool output: skip building an Ajv per client.
    const client = new Client(info, { capabilities: {}, jsonSchemaValidator: NO_VALIDATION });
    try {
      await withDeadline(
        client.connect(transport, { timeout: limits.connectTimeoutMs, signal }),
        limits.connectTimeoutMs + 1000,
        signal,
        'connect',
      );
    } catch (err) {
      void client.close().catch(() => undefined);
      throw Object.assign(err as Error, { meteredReason: transport.failReason });
    }
    return { client, transport, via };
  };

  if (target.kind === 'stdio') {
    const inner = new StdioClientTransport({
      command: target.command,
      args: target.args,
      env: { ...getDefaultEnvironment(), ...target.env },
      cwd: target.cwd,
      stderr: 'pipe',
      maxBufferSize: limits.maxMessageBytes,
    });
    inner.stderr?.on('data', (c: Buffer) => tail.push(c));
    return connectOnce(inner, 'stdio');
  }

  const url = new URL(target.url);
  const credentialHeaders = Object.keys(target.headers);
  if (target.authProvider) credentialHeaders.push('authorization');
  const fetchFn = guardedFetch(url.origin, credentialHeaders, limits, opts.onHttpResponse);
  const requestInit: RequestInit = { headers: target.headers };
  const authProvider = target.authProvider ? { authProvider: target.authProvider } : {};
  if (target.kind === 'sse') {
    return connectOnce(
      new SSEClientTransport(url, {
        requestInit,
        fetch: fetchFn,
        eventSourceInit: { fetch: fetchFn },
        ...authProvider,
      }),
      'sse',
    );
  }
  try {
    return await connectOnce(
      new StreamableHTTPClientTransport(url, { requestInit, fetch: fetchFn, ...authProvider }),
      'http',
    );
  } catch (err) {
    // Backwards compatibility (spec, transports): a 4xx to the initialize POST means an older
    // HTTP+SSE server; open the SSE stream with GET and use its endpoint. 401/403 are auth, not age.
    const code = err instanceof StreamableHTTPError ? err.code : undefined;
    if (code !== undefined && code >= 400 && code < 500 && code !== 401 && code !== 403) {
      return connectOnce(
        new SSEClientTransport(url, {
          requestInit,
          fetch: fetchFn,
          eventSourceInit: { fetch: fetchFn },
          ...authProvider,
        }),
        'sse',
      );
    }
    throw err;
  }
}

/**
 * Connects to one server and enumerates it: initialize, then every page of tools, prompts,
 * resources and resource templates the server advertises. Throws `LiveError` with a reason.
 */
export async function connectAndEnumerate(target: ConnectTarget, opts: ConnectOptions): Promise<Enumeration> {
  const { limits, signal } = opts;
  const tail = new Tail(limits.stderrTailBytes);
  let opened: Awaited<ReturnType<typeof openTransport>> | undefined;
  const budget = new AbortController();
  const timer = setTimeout(() => budget.abort(), limits.serverBudgetMs);
  const onAbort = () => budget.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const inner = { ...opts, signal: budget.signal };
  try {
    opened = await openTransport(target, inner, tail);
    const { client, transport, via } = opened;
    const notes: string[] = [];
    const caps = (client.getServerCapabilities() ?? {}) as Record<string, unknown>;
    const version = client.getServerVersion();
    const enumeration: Enumeration = {
      connectedVia: via,
      serverInfo: version
        ? { name: String(version.name), version: String(version.version), title: str(version.title) }
        : undefined,
      protocolVersion: transport.protocolVersion,
      capabilities: caps,
      instructions: client.getInstructions(),
      tools: [],
      prompts: [],
      resources: [],
      resourceTemplates: [],
      hashes: {},
      limits: notes,
    };
    const hashes = enumeration.hashes;
    if (enumeration.instructions !== undefined) {
      hashes[definitionKey('instructions', 'instructions')] = pinHash('instructions', {
        instructions: enumeration.instructions,
      });
      enumeration.instructions = clip(enumeration.instructions, limits, 'instructions', notes);
    }

    const optional = async (
      cap: string,
      method: 'prompts/list' | 'resources/list' | 'resources/templates/list',
      key: string,
    ): Promise<Record<string, unknown>[]> => {
      if (!caps[cap]) return [];
      try {
        return await listAll(client, method, key, limits, budget.signal, notes);
      } catch (err) {
        if (budget.signal.aborted || transport.failReason) throw err;
        if ((err as { code?: unknown }).code === -32601) return []; // method not found: not supported
        notes.push(`${method} failed: ${describeError(err, target.kind === 'stdio' ? undefined : target.url)}`);
        return [];
      }
    };

    const listTools = async () => {
      enumeration.tools = [];
      for (const k of Object.keys(hashes)) if (k.startsWith('tool:')) delete hashes[k];
      const tools = await listAll(client, 'tools/list', 'tools', limits, budget.signal, notes, opts.probeOnly);
      // A name listed twice must not let the second definition replace the first: pin each.
      const pins = pinNames(tools.map((t) => str(t.name) ?? ''));
      for (const [i, t] of tools.entries()) {
        const name = str(t.name) ?? '';
        hashes[definitionKey('tool', pins[i]!)] = pinHash('tool', t);
        enumeration.tools.push({
          name,
          title: clip(str(t.title), limits, `title of tool ${name.slice(0, 80)}`, notes),
          description: clip(str(t.description), limits, `description of tool ${name.slice(0, 80)}`, notes),
          inputSchema: clipSchema(obj(t.inputSchema), limits, `input of tool ${name.slice(0, 80)}`, notes),
          outputSchema: clipSchema(obj(t.outputSchema), limits, `output of tool ${name.slice(0, 80)}`, notes),
          annotations: obj(t.annotations),
        });
      }
    };
    if (caps.tools || opts.probeOnly) await listTools();
    if (!opts.probeOnly) {
      for (const p of await optional('prompts', 'prompts/list', 'prompts')) {
        const name = str(p.name) ?? '';
        hashes[definitionKey('prompt', name)] = pinHash('prompt', p);
        enumeration.prompts.push({
          name,
          title: clip(str(p.title), limits, `title of prompt ${name.slice(0, 80)}`, notes),
          description: clip(str(p.description), limits, `description of prompt ${name.slice(0, 80)}`, notes),
          arguments: Array.isArray(p.arguments) ? (p.arguments as Record<string, unknown>[]) : undefined,
        });
      }
      for (const r of await optional('resources', 'resources/list', 'resources')) {
        const uri = str(r.uri) ?? '';
        hashes[definitionKey('resource', uri)] = pinHash('resource', r);
        enumeration.resources.push({
          uri,
          name: str(r.name) ?? '',
          title: clip(str(r.title), limits, `title of resource ${uri.slice(0, 80)}`, notes),
          description: clip(str(r.description), limits, `description of resource ${uri.slice(0, 80)}`, notes),
          mimeType: str(r.mimeType),
        });
      }
      for (const r of await optional('resources', 'resources/templates/list', 'resourceTemplates')) {
        const uriTemplate = str(r.uriTemplate) ?? '';
        hashes[definitionKey('resourceTemplate', uriTemplate)] = pinHash('resourceTemplate', r);
        enumeration.resourceTemplates.push({
          uriTemplate,
          name: str(r.name) ?? '',
          title: clip(str(r.title), limits, `title of resource template ${uriTemplate.slice(0, 80)}`, notes),
          description: clip(
            str(r.description),
            limits,
            `description of resource template ${uriTemplate.slice(0, 80)}`,
            notes,
          ),
          mimeType: str(r.mimeType),
        });
      }
    }
    if (transport.toolsChanged && !opts.probeOnly) {
      // Re-check on notifications/tools/list_changed: what counts is the list after the change.
      transport.toolsChanged = false;
      notes.push('the server signalled tools/list_changed while being enumerated; tools were listed again');
      await listTools();
    }
    if (transport.dropped > 0) {
      notes.push(
        `server sent ${transport.notifications} notifications; ${transport.dropped} past the cap of ${limits.maxNotifications} were dropped`,
      );
    }
    if (transport.garbage > 0) notes.push(`server wrote ${transport.garbage} non-JSON-RPC line(s) to stdout`);
    return enumeration;
  } catch (err) {
    const meteredReason = opened?.transport.failReason ?? (err as { meteredReason?: string }).meteredReason;
    let reason = meteredReason ?? describeError(err, target.kind === 'stdio' ? undefined : target.url);
    if (signal?.aborted) reason = 'cancelled';
    else if (budget.signal.aborted) reason = `gave up after the ${limits.serverBudgetMs} ms per-server budget`;
    // Let the stderr pipe drain so the tail includes the server's last words.
    await new Promise((r) => setImmediate(r));
    const status = err instanceof StreamableHTTPError ? err.code : undefined;
    throw new LiveError(reason, tail.text(), status);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (opened) void closeQuietly(opened.client);
  }
}

const closing = new Set<Promise<void>>();

async function closeQuietly(client: Client): Promise<void> {
  const p = client.close().catch(() => undefined);
  closing.add(p);
  await p;
  closing.delete(p);
}

/** Waits for connections being closed (processes being stopped) in the background. */
export async function settleClosing(): Promise<void> {
  await Promise.all([...closing]);
}
