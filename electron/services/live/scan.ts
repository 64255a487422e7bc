import { dirname, isAbsolute, resolve } from 'node:path';
import type { ServerEntry } from '../../../shared/model/discovery.js';
import type { LiveScanSummary, LiveStatus, PinChange, ServerSnapshot } from '../../../shared/model/live.js';
import type { RawServer } from '../discovery/types.js';
import type { FindingDraft } from '../findings/types.js';
import type { Clock } from '../ports.js';
import type { Database } from '../store/database.js';
import { commandLineHash, serverIdentity } from './command-line.js';
import { connectAndEnumerate, LiveError, settleClosing, type Enumeration } from './connect.js';
import { resolveList, resolveMap, resolveValue, type EnvSource } from './env.js';
import { liveFindings, type ScannedServer } from './integrity.js';
import { DEFAULT_CONCURRENCY, DEFAULT_LIMITS, type LiveLimits } from './limits.js';
import { comparePins } from './pins.js';
import { probeAndEnumerateRemote, type AuthProbe } from './remote.js';
import { LiveStore } from './store.js';

export interface LiveProgress {
  scanId: number;
  serverId: string;
  name: string;
  status: LiveStatus;
  done: number;
  total: number;
  error?: string;
}

export interface LiveScanOptions {
  servers: RawServer[];
  /** The admin's environment, for `${VAR}` references. */
  env: EnvSource;
  /** `stored`: only stdio servers with a stored consent start. `run`: consent for this run only (`--yes`). */
  consent: 'stored' | 'run';
  /** Limit the scan to these server ids. */
  serverIds?: string[];
  /** Connect to remote servers (default true). */
  remote?: boolean;
  concurrency?: number;
  limits?: Partial<LiveLimits>;
  signal?: AbortSignal;
  /**
   * Bait-and-switch check: list each server a second time under its owning client's name and
   * compare tool hashes (doubles the connections; off by default).
   */
  baitCheck?: boolean;
  /** Per-server cancellation: called with each server's controller while it runs. */
  register?: (serverId: string, controller: AbortController | null) => void;
  onProgress?: (p: LiveProgress) => void;
}

export interface ScannedServerResult extends ScannedServer {
  probe?: AuthProbe;
  commandHash?: string;
}

export interface LiveScanResult {
  summary: LiveScanSummary;
  servers: ScannedServerResult[];
  drafts: FindingDraft[];
  /** Pending (unaccepted) pin changes of the scanned servers. */
  changes: PinChange[];
}

/** Masks known credential values (resolved env and header values) wherever a server echoes them. */
export function redactor(values: Iterable<string>): (text: string) => string {
  const list = [...new Set([...values].filter((v) => v.length >= 6))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const v of list) out = out.split(v).join(v.length > 12 ? `${v.slice(0, 4)}…${v.slice(-4)}` : '****');
    return out;
  };
}

/** How each client introduces itself (clientInfo.name), for the bait-and-switch check. */
const CLIENT_INFO: Partial<Record<string, string>> = {
  'claude-desktop': 'claude-ai',
  'claude-code': 'claude-code',
  cursor: 'cursor-vscode',
  vscode: 'Visual Studio Code',
  'vscode-insiders': 'Visual Studio Code - Insiders',
  windsurf: 'windsurf-client',
  'gemini-cli': 'gemini-cli-mcp-client',
  codex: 'codex-mcp-client',
};

export function clientInfoOf(client: string): { name: string; version: string } {
  return { name: CLIENT_INFO[client] ?? client, version: '1.0.0' };
}

/** Lists the server again as its real client would introduce itself; records definitions that differ. */
async function baitCheck(snap: ServerSnapshot, again: () => Promise<Enumeration>): Promise<void> {
  try {
    const second = await again();
    const keys = new Set(
      [...Object.keys(snap.hashes), ...Object.keys(second.hashes)].filter((k) => k.startsWith('tool:')),
    );
    const differ = [...keys].filter((k) => snap.hashes[k] !== second.hashes[k]).sort();
    snap.clientDependent = differ;
  } catch (err) {
    snap.limits.push(`bait-and-switch check could not list the server again: ${(err as Error).message}`);
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Where a stdio server runs: its configured cwd (relative to the config file), or the project folder. */
function cwdOf(s: RawServer, resolved: string | undefined): string | undefined {
  if (resolved) return isAbsolute(resolved) ? resolved : resolve(dirname(s.entry.source), resolved);
  return s.entry.project;
}

function emptySnapshot(s: RawServer, scanId: number, at: string, status: LiveStatus): ServerSnapshot {
  return {
    id: 0,
    scanId,
    serverId: s.entry.id,
    identity: serverIdentity(s),
    client: s.entry.client,
    serverName: s.entry.name,
    source: s.entry.source,
    transport: s.entry.transport,
    at,
    durationMs: 0,
    status,
    tools: [],
    prompts: [],
    resources: [],
    resourceTemplates: [],
    hashes: {},
    unresolvedEnv: [],
    limits: [],
  };
}

function fill(snap: ServerSnapshot, e: Enumeration): void {
  snap.status = 'ok';
  snap.connectedVia = e.connectedVia;
  if (e.serverInfo) snap.serverInfo = e.serverInfo;
  if (e.protocolVersion) snap.protocolVersion = e.protocolVersion;
  if (e.capabilities) snap.capabilities = e.capabilities;
  if (e.instructions !== undefined) snap.instructions = e.instructions;
  snap.tools = e.tools;
  snap.prompts = e.prompts;
  snap.resources = e.resources;
  snap.resourceTemplates = e.resourceTemplates;
  snap.hashes = e.hashes;
  snap.limits.push(...e.limits);
}

/**
 * One live scan: connects to each selected server (stdio only with consent), enumerates it under
 * limits and bounded concurrency, stores a snapshot per server, compares pins and produces the
 * live findings. Per-server failures are outcomes, never exceptions.
 */
export async function runLiveScan(
  deps: { db: Database; clock: Clock },
  opts: LiveScanOptions,
): Promise<LiveScanResult> {
  const store = new LiveStore(deps.db);
  const limits: LiveLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const startedAt = deps.clock.now().toISOString();
  const t0 = performance.now();
  const scanId = store.startScan(startedAt);
  const selected = opts.serverIds ? opts.servers.filter((s) => opts.serverIds!.includes(s.entry.id)) : opts.servers;
  const results: ScannedServerResult[] = new Array(selected.length);
  let done = 0;
  const progress = (s: RawServer, status: LiveStatus, error?: string) =>
    opts.onProgress?.({
      scanId,
      serverId: s.entry.id,
      name: s.entry.name,
      status,
      done,
      total: selected.length,
      ...(error ? { error } : {}),
    });

  await pool(selected, opts.concurrency ?? DEFAULT_CONCURRENCY, async (s, i) => {
    const at = deps.clock.now().toISOString();
    const snap = emptySnapshot(s, scanId, at, 'skipped');
    const result: ScannedServerResult = { entry: s.entry, snapshot: snap };
    results[i] = result;
    const st = performance.now();
    const controller = new AbortController();
    let redact = (t: string) => t;
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (opts.signal?.aborted) {
        snap.status = 'cancelled';
        snap.error = 'cancelled';
        return;
      }
      const client = s.entry.client;
      const unresolved = new Set<string>();
      if (s.entry.disabled) {
        snap.error = 'disabled in the client configuration';
        return;
      }
      if (s.entry.transport === 'stdio') {
        const hash = commandLineHash(s);
        result.commandHash = hash;
        snap.authMode = 'n/a';
        if (opts.consent !== 'run' && !store.consent(hash)) {
          snap.status = 'needs-consent';
          snap.error = 'waiting for consent to start this command';
          return;
        }
        const command = resolveValue(s.raw.command ?? '', opts.env, client);
        command.unresolved.forEach((n) => unresolved.add(n));
        const args = resolveList(s.raw.args ?? [], opts.env, client, unresolved);
        const env = resolveMap(s.raw.env, opts.env, client, unresolved);
        redact = redactor(Object.values(env));
        const cwdRaw = s.raw.cwd !== undefined ? resolveValue(s.raw.cwd, opts.env, client) : undefined;
        cwdRaw?.unresolved.forEach((n) => unresolved.add(n));
        snap.unresolvedEnv = [...unresolved].sort();
        if (!command.value) {
          snap.status = 'error';
          snap.error = 'no command configured';
          return;
        }
        opts.register?.(s.entry.id, controller);
        progress(s, 'connecting');
        const target = { kind: 'stdio' as const, command: command.value, args, env, cwd: cwdOf(s, cwdRaw?.value) };
        const enumeration = await connectAndEnumerate(target, { limits, signal: controller.signal });
        fill(snap, enumeration);
        if (opts.baitCheck)
          await baitCheck(snap, () =>
            connectAndEnumerate(target, { limits, signal: controller.signal, clientInfo: clientInfoOf(client) }),
          );
      } else if (s.entry.transport === 'http' || s.entry.transport === 'sse') {
        if (opts.remote === false) {
          snap.error = 'remote servers not selected';
          return;
        }
        const url = resolveValue(s.raw.url ?? '', opts.env, client);
        url.unresolved.forEach((n) => unresolved.add(n));
        const headers = resolveMap(s.raw.headers, opts.env, client, unresolved);
        redact = redactor(Object.values(headers).flatMap((v) => [v, ...v.split(/\s+/)]));
        snap.unresolvedEnv = [...unresolved].sort();
        if (!url.value) {
          snap.status = 'error';
          snap.error = 'no URL configured';
          return;
        }
        opts.register?.(s.entry.id, controller);
        progress(s, 'connecting');
        const remote = await probeAndEnumerateRemote(s.entry.transport, url.value, headers, limits, controller.signal);
        result.probe = remote.probe;
        snap.authMode = remote.probe.mode;
        const { mode: _mode, ...probe } = remote.probe;
        snap.authProbe = probe;
        if (remote.enumeration) fill(snap, remote.enumeration);
        else throw remote.error ?? new LiveError('unreachable');
        if (opts.baitCheck) {
          const target = {
            kind: s.entry.transport,
            url: url.value,
            headers: remote.probe.mode === 'none' ? {} : headers,
          };
          await baitCheck(snap, () =>
            connectAndEnumerate(target, { limits, signal: controller.signal, clientInfo: clientInfoOf(client) }),
          );
        }
      } else {
        snap.error = `transport ${s.entry.transport} is not supported for live connections`;
      }
    } catch (err) {
      const e = err instanceof LiveError ? err : new LiveError((err as Error).message ?? String(err));
      snap.status = controller.signal.aborted || e.message === 'cancelled' ? 'cancelled' : 'error';
      snap.error = snap.status === 'cancelled' ? 'cancelled' : redact(e.message);
      if (e.stderrTail) snap.stderrTail = redact(e.stderrTail);
      if (snap.unresolvedEnv.length && snap.status === 'error') {
        snap.error += ` (unresolved environment references: ${snap.unresolvedEnv.join(', ')})`;
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      opts.register?.(s.entry.id, null);
      snap.durationMs = performance.now() - st;
      snap.id = store.insertSnapshot(snap);
      done++;
      progress(s, snap.status, snap.error);
    }
  });

  const now = deps.clock.now().toISOString();
  const changes: PinChange[] = [];
  for (const r of results) changes.push(...comparePins(store, r.snapshot, now));
  const count = (st: LiveStatus) => results.filter((r) => r.snapshot.status === st).length;
  const summary: LiveScanSummary = {
    id: scanId,
    startedAt,
    durationMs: performance.now() - t0,
    servers: results.length,
    ok: count('ok'),
    errors: count('error'),
    needsConsent: count('needs-consent'),
    cancelled: count('cancelled'),
  };
  store.finishScan(summary);
  // Let background closes (process stops) settle so no child outlives the scan for long.
  await Promise.race([settleClosing(), new Promise((r) => setTimeout(r, 5000).unref())]);
  return { summary, servers: results, drafts: liveFindings(results, changes), changes };
}

/** The entry a server id refers to, for callers holding only stored (masked) entries. */
export function entryById(servers: RawServer[], id: string): ServerEntry | undefined {
  return servers.find((s) => s.entry.id === id)?.entry;
}
