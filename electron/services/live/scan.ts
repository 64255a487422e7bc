import type { LiveScanSummary, LiveStatus, PinChange, ServerSnapshot } from '../../../shared/model/live.js';
import type { RawServer } from '../discovery/types.js';
import type { FindingDraft } from '../findings/types.js';
import type { Clock } from '../ports.js';
import type { Database } from '../store/database.js';
import type { Fingerprinter } from '../secrets/fingerprint.js';
import { ephemeralFingerprinter, resolveCommandLine, serverIdentity } from './command-line.js';
import { consentStateOf, oauthSessionKey, originAndPath } from './consent.js';
import { connectProvider, refreshIfNeeded, SessionExpiredError, tokenValues } from './oauth/flow.js';
import { OAuthSessions } from './oauth/sessions.js';
import type { SecretStore } from '../ports.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { connectAndEnumerate, LiveError, settleClosing, type ConnectTarget, type Enumeration } from './connect.js';
import { resolveMap, resolveValue, type EnvSource } from './env.js';
import { liveFindings, type ScannedServer } from './integrity.js';
import { DEFAULT_CONCURRENCY, DEFAULT_LIMITS, type LiveLimits } from './limits.js';
import { comparePins, pinNames } from './pins.js';
import { redactDeep, redactGeneric, knownValues, urlSecrets } from './redaction.js';
import { probeAndEnumerateRemote, type AuthProbe } from './remote.js';
import { LiveStore } from './store.js';
import { servingWrite, type WriteTurnsBuffer } from '../store/write-turns.js';

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
  /**
   * `stored`: stdio servers and project-file remote servers are touched only with a stored consent
   * (or, for remote ones, a trusted project folder). `run`: consent for this run only (`--yes`).
   */
  consent: 'stored' | 'run';
  /** The workstation's project folders (names the folder a project trust covers). */
  projects?: readonly string[];
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
  /** Consent key (per-install fingerprint key); default: a key for this process only. */
  fingerprint?: Fingerprinter;
  /** Working directory of stdio servers with neither cwd nor project (default: the home folder). */
  home?: string;
  /** The secret store of OAuth sessions (signed-in remote servers connect with their tokens). */
  secrets?: SecretStore;
  /** Per-server cancellation: called with each server's controller while it runs. */
  register?: (serverId: string, controller: AbortController | null) => void;
  onProgress?: (p: LiveProgress) => void;
}

export interface ScannedServerResult extends ScannedServer {
  probe?: AuthProbe;
  /** Stdio: the consent key (server identity + command line). */
  commandHash?: string;
  /** Consent this server needed, and how it was covered. */
  consent?: { kind: 'stdio' | 'remote'; key: string; required: boolean; viaProject: boolean };
}

export interface LiveScanResult {
  summary: LiveScanSummary;
  servers: ScannedServerResult[];
  drafts: FindingDraft[];
  /** Pending (unaccepted) pin changes of the scanned servers. */
  changes: PinChange[];
}

export { CHANGED_SINCE_CONSENT, URL_CHANGED_SINCE_CONSENT, LEGACY_CONSENT } from './consent.js';

/** Shown for an OAuth-protected server nobody signed in to yet. */
export const NEEDS_SIGN_IN =
  'the server requires OAuth sign-in: use "Sign in" on the server page (or `gatehouse server login SERVER_ID`)';

/**
 * A remote server with a stored OAuth session: refreshed before expiry through the SDK, then
 * enumerated with the SDK's provider (bearer token; on a 401 the SDK refreshes once). A refused
 * refresh or token marks the session expired. Undefined when the server has no session.
 */
async function connectSignedIn(
  s: RawServer,
  kind: 'http' | 'sse',
  url: string,
  headers: Record<string, string>,
  deps: {
    db: Database;
    clock: Clock;
    secrets: SecretStore;
    fingerprint: Fingerprinter;
    limits: LiveLimits;
    signal: AbortSignal;
    mask: (values: string[]) => void;
  },
): Promise<{ enumeration?: Enumeration; expired?: string; target: ConnectTarget } | undefined> {
  const originPath = originAndPath(url);
  if (!originPath) return undefined;
  const key = oauthSessionKey(s, originPath, deps.fingerprint);
  const oauthDeps = { db: deps.db, secrets: deps.secrets, now: () => deps.clock.now(), limits: deps.limits };
  const provider = await connectProvider(oauthDeps, key);
  if (!provider) return undefined;
  deps.mask(tokenValues(provider.data));
  const target: ConnectTarget = { kind, url, headers, authProvider: provider };
  const sessions = new OAuthSessions(deps.db);
  try {
    await refreshIfNeeded(oauthDeps, provider, url);
    deps.mask(tokenValues(provider.data));
    const enumeration = await connectAndEnumerate(target, { limits: deps.limits, signal: deps.signal });
    deps.mask(tokenValues(provider.data));
    return { enumeration, target };
  } catch (err) {
    deps.mask(tokenValues(provider.data));
    const status = err instanceof LiveError ? err.httpStatus : undefined;
    const unauthorized =
      err instanceof SessionExpiredError ||
      err instanceof UnauthorizedError ||
      status === 401 ||
      /Unauthorized|session expired/i.test((err as Error).message ?? '');
    if (!unauthorized) throw err;
    sessions.markExpired(key);
    return {
      expired:
        err instanceof SessionExpiredError
          ? err.message
          : 'session expired (the server refused the token): sign in again',
      target,
    };
  }
}

type Prepared =
  | { skip: string }
  | {
      target: ConnectTarget;
      /** Set when the target cannot run (no command / URL). */
      missing?: string;
      commandHash?: string;
      unresolved: string[];
      redact: (t: string) => string;
      redactKnown?: (t: string) => string;
    };

/**
 * Resolves one server's connection target, and its redactor: every resolved value that differs
 * from what is written, every secret-position argument, secret env/header values and the URL's
 * credentials; then the generic pass.
 */
function prepare(s: RawServer, opts: LiveScanOptions, fingerprint: Fingerprinter): Prepared {
  const client = s.entry.client;
  if (s.entry.transport === 'stdio') {
    const line = resolveCommandLine(s, { env: opts.env, fingerprint, ...(opts.home ? { home: opts.home } : {}) });
    const { redact, redactKnown } = redactors(line.secrets);
    return {
      target: { kind: 'stdio', command: line.command, args: line.args, env: line.env, cwd: line.cwd },
      ...(line.command ? {} : { missing: 'no command configured' }),
      commandHash: line.hash,
      unresolved: line.unresolved,
      redact,
      redactKnown,
    };
  }
  if (s.entry.transport === 'http' || s.entry.transport === 'sse') {
    if (opts.remote === false) return { skip: 'remote servers not selected' };
    const unresolved = new Set<string>();
    const literalUrl = s.raw.url ?? '';
    const url = resolveValue(literalUrl, opts.env, client);
    url.unresolved.forEach((n) => unresolved.add(n));
    const headers = resolveMap(s.raw.headers, opts.env, client, unresolved);
    const secrets = [...urlSecrets(url.value)];
    const target = withUserinfoAsBasic(url.value, headers);
    if (url.value !== literalUrl) secrets.push(url.value);
    // Header values are credentials or carry them (`Bearer x`): the value and each of its words.
    for (const v of Object.values(target.headers)) secrets.push(v, ...v.split(/\s+/));
    const { redact, redactKnown } = redactors(secrets);
    return {
      target: { kind: s.entry.transport, ...target },
      ...(url.value ? {} : { missing: 'no URL configured' }),
      unresolved: [...unresolved].sort(),
      redact,
      redactKnown,
    };
  }
  return { skip: `transport ${s.entry.transport} is not supported for live connections` };
}

/**
 * `https://user:pass@host/…`: fetch refuses URLs with credentials, so they travel as HTTP Basic
 * (what clients do with userinfo) unless an Authorization header is configured; the URL loses them.
 */
function withUserinfoAsBasic(
  url: string,
  headers: Record<string, string>,
): { url: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, headers };
  }
  if (!u.username && !u.password) return { url, headers };
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const hasAuth = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  return {
    url: u.href,
    headers: hasAuth
      ? headers
      : { ...headers, Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` },
  };
}

function redactors(secrets: string[]): { redact: (t: string) => string; redactKnown: (t: string) => string } {
  const known = knownValues(secrets);
  return { redact: (t) => redactGeneric(known(t)), redactKnown: known };
}

/**
 * Masks what a server could echo: error, stderr tail and notes through the full redactor; the
 * definitions' display copies (pins hash the originals) through the known values only.
 */
function redactSnapshot(
  snap: ServerSnapshot,
  redact: (t: string) => string,
  known: ((t: string) => string) | undefined,
): void {
  if (snap.error) snap.error = redact(snap.error);
  if (snap.stderrTail) snap.stderrTail = redact(snap.stderrTail);
  snap.limits = snap.limits.map(redact);
  if (snap.authProbe?.resourceMetadataUrl)
    snap.authProbe.resourceMetadataUrl = redact(snap.authProbe.resourceMetadataUrl);
  if (!known) return;
  const rawToolPins = pinNames(snap.tools.map((t) => t.name));
  if (snap.serverInfo) snap.serverInfo = redactDeep(snap.serverInfo, known);
  if (snap.instructions !== undefined) snap.instructions = known(snap.instructions);
  snap.tools = redactDeep(snap.tools, known);
  snap.prompts = redactDeep(snap.prompts, known);
  snap.resources = redactDeep(snap.resources, known);
  snap.resourceTemplates = redactDeep(snap.resourceTemplates, known);
  redactKeys(snap, rawToolPins, known);
}

/**
 * The pin-hash map and the bait-check list are keyed by `kind:name`, names the server chose (a
 * tool named after a configured value, a resource URI carrying a token): the keys are renamed to
 * the redacted names the snapshot shows, so no key carries a value and pins still match the
 * definitions (`definitionsOf` keys the redacted copies the same way).
 */
function redactKeys(snap: ServerSnapshot, rawToolPins: readonly string[], known: (t: string) => string): void {
  const shownToolPins = pinNames(snap.tools.map((t) => t.name));
  const renamed = new Map<string, string>();
  rawToolPins.forEach((p, i) => renamed.set(`tool:${p}`, `tool:${shownToolPins[i] ?? known(p)}`));
  const rename = (key: string): string => {
    const known2 = renamed.get(key);
    if (known2 !== undefined) return known2;
    const sep = key.indexOf(':');
    return sep < 0 ? known(key) : `${key.slice(0, sep)}:${known(key.slice(sep + 1))}`;
  };
  const hashes: Record<string, string> = {};
  for (const [key, hash] of Object.entries(snap.hashes)) {
    const base = rename(key);
    let k = base;
    for (let n = 2; k in hashes; n++) k = `${base} (duplicate #${n})`;
    hashes[k] = hash;
  }
  snap.hashes = hashes;
  if (snap.clientDependent) snap.clientDependent = snap.clientDependent.map(rename);
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
  // writeTurns: a serving process's turns at the write lock with an audit import's worker
  // (write-turns.ts): a scan outlasts its action's turn; each write after a server answered waits for its own.
  deps: { db: Database; clock: Clock; writeTurns?: WriteTurnsBuffer | undefined },
  opts: LiveScanOptions,
): Promise<LiveScanResult> {
  const write = <T>(fn: () => T) => servingWrite(deps.writeTurns, fn);
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

  const fingerprint = opts.fingerprint ?? ephemeralFingerprinter();
  await pool(selected, opts.concurrency ?? DEFAULT_CONCURRENCY, async (s, i) => {
    const at = deps.clock.now().toISOString();
    const snap = emptySnapshot(s, scanId, at, 'skipped');
    const result: ScannedServerResult = { entry: s.entry, snapshot: snap };
    results[i] = result;
    const st = performance.now();
    const controller = new AbortController();
    let redact: (t: string) => string = redactGeneric;
    let redactKnown: ((t: string) => string) | undefined;
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (opts.signal?.aborted) {
        snap.status = 'cancelled';
        snap.error = 'cancelled';
        return;
      }
      if (s.entry.disabled) {
        snap.error = 'disabled in the client configuration';
        return;
      }
      const prep = prepare(s, opts, fingerprint);
      if ('skip' in prep) {
        snap.error = prep.skip;
        return;
      }
      redact = prep.redact;
      redactKnown = prep.redactKnown;
      snap.unresolvedEnv = prep.unresolved;
      if (prep.commandHash) snap.authMode = 'n/a';
      // Nothing runs and nothing leaves the machine for this server before its consent.
      const state = consentStateOf(
        s,
        {
          env: opts.env,
          fingerprint,
          ...(opts.home ? { home: opts.home } : {}),
          ...(opts.projects ? { projects: opts.projects } : {}),
        },
        store,
      );
      if (state) {
        result.consent = { kind: state.kind, key: state.key, required: state.required, viaProject: state.viaProject };
        if (state.kind === 'stdio') result.commandHash = state.key;
        if (state.required && !state.consented && opts.consent !== 'run') {
          snap.status = 'needs-consent';
          snap.error = state.reason ?? 'waiting for consent';
          return;
        }
      }
      if (prep.missing) {
        snap.status = 'error';
        snap.error = prep.missing;
        return;
      }
      opts.register?.(s.entry.id, controller);
      progress(s, 'connecting');
      let again: ConnectTarget = prep.target;
      if (prep.target.kind === 'stdio') {
        fill(snap, await connectAndEnumerate(prep.target, { limits, signal: controller.signal }));
      } else {
        const { kind, url, headers } = prep.target;
        const signedIn = opts.secrets
          ? await connectSignedIn(s, kind, url, headers, {
              db: deps.db,
              clock: deps.clock,
              secrets: opts.secrets,
              fingerprint,
              limits,
              signal: controller.signal,
              mask: (values) => {
                const known = knownValues(values);
                const [r, k] = [redact, redactKnown];
                redact = (t) => r(known(t));
                redactKnown = (t) => (k ? k(known(t)) : known(t));
              },
            })
          : undefined;
        if (signedIn) {
          snap.authMode = 'oauth';
          snap.authProbe = {
            answersWithoutCredentials: false,
            advertisesOAuth: true,
            credentialConfigured: true,
            credentialAccepted: signedIn.enumeration !== undefined,
          };
          if (signedIn.expired) {
            snap.status = 'session-expired';
            snap.error = signedIn.expired;
            return;
          }
          fill(snap, signedIn.enumeration!);
          if (opts.baitCheck)
            await baitCheck(snap, () =>
              connectAndEnumerate(signedIn.target, {
                limits,
                signal: controller.signal,
                clientInfo: clientInfoOf(s.entry.client),
              }),
            );
          return;
        }
        const remote = await probeAndEnumerateRemote(kind, url, headers, limits, controller.signal);
        result.probe = remote.probe;
        snap.authMode = remote.probe.mode;
        const { mode: _mode, ...probe } = remote.probe;
        snap.authProbe = probe;
        if (!remote.enumeration && remote.probe.mode === 'oauth' && !remote.probe.credentialConfigured) {
          snap.status = 'needs-sign-in';
          snap.error = NEEDS_SIGN_IN;
          return;
        }
        if (remote.enumeration) fill(snap, remote.enumeration);
        else throw remote.error ?? new LiveError('unreachable');
        if (remote.probe.mode === 'none') again = { kind, url: remote.probeUrl, headers: {} };
      }
      if (opts.baitCheck)
        await baitCheck(snap, () =>
          connectAndEnumerate(again, { limits, signal: controller.signal, clientInfo: clientInfoOf(s.entry.client) }),
        );
    } catch (err) {
      const e = err instanceof LiveError ? err : new LiveError((err as Error).message ?? String(err));
      snap.status = controller.signal.aborted || e.message === 'cancelled' ? 'cancelled' : 'error';
      snap.error = snap.status === 'cancelled' ? 'cancelled' : e.message;
      if (e.stderrTail) snap.stderrTail = e.stderrTail;
      if (snap.unresolvedEnv.length && snap.status === 'error') {
        snap.error += ` (unresolved environment references: ${snap.unresolvedEnv.join(', ')})`;
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      opts.register?.(s.entry.id, null);
      redactSnapshot(snap, redact, redactKnown);
      snap.durationMs = performance.now() - st;
      snap.id = await write(() => store.insertSnapshot(snap));
      done++;
      progress(s, snap.status, snap.error);
    }
  });

  const now = deps.clock.now().toISOString();
  const changes: PinChange[] = [];
  await write(() => {
    for (const r of results) changes.push(...comparePins(store, r.snapshot, now));
  });
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
  await write(() => store.finishScan(summary));
  // Let background closes (process stops) settle so no child outlives the scan for long.
  await Promise.race([settleClosing(), new Promise((r) => setTimeout(r, 5000).unref())]);
  return { summary, servers: results, drafts: liveFindings(results, changes), changes };
}
