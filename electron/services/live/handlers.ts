import { openInSystemBrowser } from '../identity/browser.js';
import { actorOf } from '../identity/sessions.js';
import { AdminError } from '../../../shared/api/errors.js';
import type { CommandLine, Consent, LiveServerState, ServerSnapshot } from '../../../shared/model/live.js';
import { appendAdminAction } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { discover } from '../discovery/discover.js';
import type { DiscoveryScan, RawServer } from '../discovery/types.js';
import { runFindingsScan } from '../findings/service.js';
import { transaction } from '../store/database.js';
import type { HandlerGroup } from '../handlers.js';
import type { Fingerprinter } from '../secrets/fingerprint.js';
import { openLiveFingerprinter, serverIdentity } from './command-line.js';
import { consentStateOf, consentViewOf as viewOf, oauthSessionKey } from './consent.js';
import type { ConsentedLine } from './consent-diff.js';
import { resolveValue } from './env.js';
import { DEFAULT_LIMITS } from './limits.js';
import { signOut, startSignIn, type SignInHandle } from './oauth/flow.js';
import { OAuthSessions, sessionStatus } from './oauth/sessions.js';
import { withoutCredentials } from './remote.js';
import { latestLiveFindings } from './findings-bridge.js';
import type { LiveLimits } from './limits.js';
import { acceptChanges } from './pins.js';
import { runLiveScan } from './scan.js';
import { LiveStore } from './store.js';

/** Running connections of one process (per context): for cancel and the `connecting` state. */
class LiveRuntime {
  readonly running = new Map<string, AbortController>();
  /** Sign-ins waiting for their callback, per server (a new one cancels the previous). */
  readonly signIns = new Map<string, SignInHandle>();
}
const runtimes = new WeakMap<ServiceContext, LiveRuntime>();
function runtimeOf(ctx: ServiceContext): LiveRuntime {
  let r = runtimes.get(ctx);
  if (!r) runtimes.set(ctx, (r = new LiveRuntime()));
  return r;
}

export interface LiveServiceOptions {
  /** Where servers come from (default: discovery of the context's workstation). */
  loadScan?: () => Promise<DiscoveryScan>;
  limits?: Partial<LiveLimits>;
  concurrency?: number;
}

function serverOf(servers: RawServer[], id: string): RawServer {
  const s = servers.find((x) => x.entry.id === id);
  if (!s) throw new AdminError('not-found', `No configured server with id ${id}.`);
  return s;
}

/** The per-install key of consent hashes (the findings engine's fingerprint key). */
const fingerprints = new WeakMap<ServiceContext, Promise<Fingerprinter>>();
export function fingerprintOf(ctx: ServiceContext): Promise<Fingerprinter> {
  // Once per context: live.states is polled, and the secret store may be an OS keyring.
  let fp = fingerprints.get(ctx);
  if (!fp) fingerprints.set(ctx, (fp = openLiveFingerprinter(ctx.secrets)));
  return fp;
}

function consentCtx(ctx: ServiceContext, fingerprint: Fingerprinter) {
  return {
    env: ctx.workstation.env,
    fingerprint,
    home: ctx.workstation.home,
    projects: ctx.workstation.projects,
  };
}

/**
 * What the consent dialog shows: exactly what a stdio server will run (credentials masked and
 * flagged, execution-affecting variables in clear), or the URL a project remote server would be
 * contacted at; the consent key bound to the server identity.
 */
export async function commandLineOf(ctx: ServiceContext, s: RawServer): Promise<CommandLine> {
  return (await consentViewOf(ctx, s)).line;
}

interface ConsentView {
  line: CommandLine;
  kept: ConsentedLine;
}

/**
 * The consent dialog's view of one server, with what a consent to it keeps (masked line and keyed
 * part hashes). When it changed since consent, the differences from the previous consent.
 */
async function consentViewOf(ctx: ServiceContext, s: RawServer): Promise<ConsentView> {
  const store = new LiveStore(ctx.db);
  const state = consentStateOf(s, consentCtx(ctx, await fingerprintOf(ctx)), store);
  if (!state)
    throw new AdminError('bad-request', `Server "${s.entry.name}" uses a transport Gatehouse does not connect to.`);
  const trusted = state.projectKey !== undefined && store.consent(state.projectKey) !== null;
  return viewOf(s, state, store, trusted);
}

/** Stores one consent (what the admin saw: `hash` must still be its key) and logs it with the actor. */
function grantConsentOf(ctx: ServiceContext, view: ConsentView, hash: string): Consent {
  const { line, kept } = view;
  const serverId = line.serverId;
  const kind = line.kind ?? 'stdio';
  const consent: Consent = {
    hash,
    kind,
    serverId,
    client: line.client,
    serverName: line.serverName,
    command: line.command,
    args: line.args,
    envKeys: line.envKeys,
    ...(line.cwd ? { cwd: line.cwd } : {}),
    ...(line.source ? { source: line.source } : {}),
    ...(line.url ? { url: line.url } : {}),
    ...(line.projectDir ? { projectDir: line.projectDir } : {}),
    grantedAt: ctx.clock.now().toISOString(),
  };
  new LiveStore(ctx.db).grant(consent, kept);
  appendAdminAction(ctx.db, ctx.clock, {
    actor: actorOf(ctx),
    action: 'consent.grant',
    target: serverId,
    details: {
      kind,
      server: line.serverName,
      client: line.client,
      source: line.source ?? null,
      ...(kind === 'remote'
        ? { url: line.url ?? null, projectDir: line.projectDir ?? null }
        : { command: line.command, args: line.args, envKeys: line.envKeys, cwd: line.cwd ?? null }),
      // What changed since the previous consent: parts and env names only, never a value.
      ...(line.changes?.length ? { changed: line.changes.map((c) => (c.key ? `${c.field}:${c.key}` : c.field)) } : {}),
      hash,
    },
  });
  return consent;
}

/** Why a consent cannot be given for what the admin was shown (undefined: it can). */
function consentRefusal(line: CommandLine, hash: string): AdminError | undefined {
  if (line.hash !== hash)
    return new AdminError(
      'conflict',
      line.kind === 'remote'
        ? `Server "${line.serverName}" changed since it was shown; review it again before consenting.`
        : `The command line of "${line.serverName}" changed since it was shown; review it again before consenting.`,
    );
  if (line.consentRequired === false)
    return new AdminError('bad-request', `Server "${line.serverName}" needs no consent (not from a project file).`);
  return undefined;
}

/** The live state of every configured server, for the inventory. */
export async function liveStates(ctx: ServiceContext, servers: RawServer[]): Promise<LiveServerState[]> {
  const store = new LiveStore(ctx.db);
  const fingerprint = await fingerprintOf(ctx);
  const cctx = consentCtx(ctx, fingerprint);
  const running = runtimeOf(ctx).running;
  const latest = new Map(store.latestPerServer().map((r) => [r.serverId, r]));
  const pending = new Map<string, number>();
  for (const c of store.pendingChanges()) pending.set(c.identity, (pending.get(c.identity) ?? 0) + 1);
  const sessions = new OAuthSessions(ctx.db);
  const now = ctx.clock.now();
  return servers.map((s): LiveServerState => {
    const id = s.entry.id;
    const identity = serverIdentity(s);
    const last = latest.get(id);
    const base: LiveServerState = { serverId: id, identity, status: 'idle' };
    if (last && last.identity === identity) {
      Object.assign(base, {
        status: last.status,
        ...(last.authMode ? { authMode: last.authMode } : {}),
        toolCount: last.tools,
        promptCount: last.prompts,
        resourceCount: last.resources,
        ...(last.error ? { error: last.error } : {}),
        at: last.at,
        snapshotId: last.id,
      });
    }
    const changes = pending.get(identity);
    if (changes) base.changes = changes;
    const remoteState =
      s.entry.transport === 'http' || s.entry.transport === 'sse' ? consentStateOf(s, cctx, store) : undefined;
    if (remoteState?.originPath) {
      const session = sessions.get(oauthSessionKey(s, remoteState.originPath, fingerprint));
      if (session) {
        base.signIn = sessionStatus(session, now);
        if (session.expiresAt) base.signInExpiresAt = session.expiresAt;
        if (base.signIn === 'session-expired' && base.status !== 'connecting') {
          base.status = 'session-expired';
          base.error = 'session expired: sign in again';
        }
      } else if (base.status === 'needs-sign-in' || base.authMode === 'oauth') {
        base.signIn = 'needs-sign-in';
        if (base.status === 'session-expired') base.status = 'needs-sign-in';
      }
    }
    if (running.has(id)) base.status = 'connecting';
    else if (!s.entry.disabled) {
      const state = remoteState ?? consentStateOf(s, cctx, store);
      if (state?.required && !state.consented) {
        base.status = 'needs-consent';
        base.error = state.reason ?? 'waiting for consent';
      } else if (base.status === 'needs-consent') {
        base.status = 'idle';
        delete base.error;
      }
    }
    return base;
  });
}

/** Live scan + findings scan (static rules plus the latest live findings), as the UI runs it. */
export async function scanAndRecord(
  ctx: ServiceContext,
  opts: LiveServiceOptions,
  serverIds?: string[],
  baitCheck = false,
): Promise<Awaited<ReturnType<typeof runLiveScan>>> {
  const scan = await (opts.loadScan ?? (() => discover(ctx.workstation, ctx.fs)))();
  const runtime = runtimeOf(ctx);
  const result = await runLiveScan(ctx, {
    servers: scan.servers,
    env: ctx.workstation.env,
    consent: 'stored',
    fingerprint: await fingerprintOf(ctx),
    home: ctx.workstation.home,
    projects: ctx.workstation.projects,
    baitCheck,
    ...(serverIds ? { serverIds } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    secrets: ctx.secrets,
    register: (id, c) => {
      if (c) runtime.running.set(id, c);
      else runtime.running.delete(id);
      ctx.events.emit('store.changed', { topics: ['live'] });
    },
    onProgress: (p) => ctx.events.emit('live.progress', p),
  });
  await recordFindings(ctx, scan);
  ctx.events.emit('store.changed', { topics: ['live', 'findings'] });
  return result;
}

async function recordFindings(ctx: ServiceContext, scan: DiscoveryScan): Promise<void> {
  const { drafts, probes } = latestLiveFindings(ctx.db, scan.servers);
  await runFindingsScan(ctx, { scan, probes, extraDrafts: drafts, live: true });
}

/** A remote server's resolved URL, sign-in key, and whether consent lets Gatehouse contact it. */
async function oauthTarget(ctx: ServiceContext, s: RawServer) {
  if (s.entry.transport !== 'http' && s.entry.transport !== 'sse')
    throw new AdminError(
      'bad-request',
      `Server "${s.entry.name}" is not a remote server: there is nothing to sign in to.`,
    );
  const fingerprint = await fingerprintOf(ctx);
  const state = consentStateOf(s, consentCtx(ctx, fingerprint), new LiveStore(ctx.db));
  if (!state?.originPath) throw new AdminError('bad-request', `Server "${s.entry.name}" has no usable URL.`);
  const url = withoutCredentials(resolveValue(s.raw.url ?? '', ctx.workstation.env, s.entry.client).value).url;
  return { kind: s.entry.transport, url, key: oauthSessionKey(s, state.originPath, fingerprint), state };
}

export interface SignInStart {
  authorizationUrl: string;
  redirectUri: string;
  /** Settles when the sign-in ended (stored and enumerated, or failed with nothing stored). */
  done: Promise<void>;
}

/**
 * Starts a sign-in to one remote server: consent first (a project-file server is not contacted
 * before it), then the OAuth flow; once signed in, the server is enumerated and pinned.
 */
export async function beginSignIn(
  ctx: ServiceContext,
  opts: LiveServiceOptions,
  s: RawServer,
  clientId?: string,
  /** How long to wait for the browser (default 5 min). */
  timeoutMs?: number,
): Promise<SignInStart> {
  const t = await oauthTarget(ctx, s);
  if (t.state.required && !t.state.consented)
    throw new AdminError(
      'conflict',
      `Consent first: ${t.state.reason ?? 'this server needs consent before it is contacted'}.`,
    );
  const runtime = runtimeOf(ctx);
  runtime.signIns.get(s.entry.id)?.cancel();
  const serverId = s.entry.id;
  const emit = (stage: 'waiting' | 'exchanging' | 'verifying' | 'signed-in' | 'failed', error?: string) =>
    ctx.events.emit('live.signIn', { serverId, stage, ...(error ? { error } : {}) });
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  let handle: SignInHandle;
  try {
    handle = await startSignIn(
      { db: ctx.db, secrets: ctx.secrets, now: () => ctx.clock.now(), limits, turns: ctx.writeTurns },
      {
        serverId,
        kind: t.kind,
        url: t.url,
        key: t.key,
        ...(clientId ? { clientId } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
        onProgress: emit,
        // Written with the session: a sign-in the admin log cannot record is not stored.
        record: (issuer) => ({
          actor: actorOf(ctx),
          action: 'oauth.sign-in',
          target: serverId,
          details: { server: s.entry.name, client: s.entry.client, issuer },
        }),
      },
    );
  } catch (err) {
    emit('failed', (err as Error).message);
    throw new AdminError('bad-request', (err as Error).message);
  }
  runtime.signIns.set(serverId, handle);
  const done = handle.done.then(
    async () => {
      ctx.events.emit('store.changed', { topics: ['live'] });
      await scanAndRecord(ctx, opts, [serverId]);
    },
    () => undefined,
  );
  // (then with both: a `finally` promise would reject again, unhandled, when `done` does.)
  const forget = () => {
    if (runtime.signIns.get(serverId) === handle) runtime.signIns.delete(serverId);
  };
  done.then(forget, forget);
  return { authorizationUrl: handle.authorizationUrl, redirectUri: handle.redirectUrl, done };
}

/** Signs out of one remote server (revocation where offered) and deletes its tokens. */
export async function endSession(ctx: ServiceContext, s: RawServer, opts: LiveServiceOptions = {}) {
  const t = await oauthTarget(ctx, s);
  runtimeOf(ctx).signIns.get(s.entry.id)?.cancel();
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const r = await signOut({ db: ctx.db, secrets: ctx.secrets, now: () => ctx.clock.now(), limits }, t.key);
  if (r.signedOut) {
    appendAdminAction(ctx.db, ctx.clock, {
      actor: actorOf(ctx),
      action: 'oauth.sign-out',
      target: s.entry.id,
      details: { server: s.entry.name, client: s.entry.client, revoked: r.revoked },
    });
    ctx.events.emit('store.changed', { topics: ['live'] });
  }
  return r;
}

function identityOf(store: LiveStore, serverId: string): string {
  const snap = store.latestSnapshot(serverId, true);
  if (!snap) throw new AdminError('not-found', 'This server has not been enumerated yet.');
  return snap.identity;
}

export function liveHandlers(
  ctx: ServiceContext,
  opts: LiveServiceOptions = {},
): HandlerGroup<
  | 'live.scan'
  | 'live.cancel'
  | 'live.states'
  | 'live.commandLine'
  | 'live.consents'
  | 'live.grantConsent'
  | 'live.grantConsents'
  | 'live.trustProject'
  | 'live.revokeConsent'
  | 'live.snapshot'
  | 'live.history'
  | 'live.diff'
  | 'live.pins'
  | 'live.acceptChanges'
  | 'live.signIn'
  | 'live.signOut'
> {
  const load = opts.loadScan ?? (() => discover(ctx.workstation, ctx.fs));
  const store = () => new LiveStore(ctx.db);
  return {
    'live.scan': async ({ serverIds, baitCheck }) =>
      (await scanAndRecord(ctx, { ...opts, loadScan: load }, serverIds, baitCheck)).summary,
    'live.cancel': async ({ serverId }) => {
      const running = runtimeOf(ctx).running;
      let cancelled = 0;
      for (const [id, c] of running) {
        if (serverId && id !== serverId) continue;
        c.abort();
        cancelled++;
      }
      return { cancelled };
    },
    'live.states': async () => liveStates(ctx, (await load()).servers),
    'live.commandLine': async ({ serverId }) => commandLineOf(ctx, serverOf((await load()).servers, serverId)),
    'live.consents': async () => store().consents(),
    'live.grantConsent': async ({ serverId, hash }) => {
      const view = await consentViewOf(ctx, serverOf((await load()).servers, serverId));
      const refused = consentRefusal(view.line, hash);
      if (refused) throw refused;
      const consent = grantConsentOf(ctx, view, hash);
      ctx.events.emit('store.changed', { topics: ['live'] });
      return consent;
    },
    'live.grantConsents': async ({ items }) => {
      const servers = (await load()).servers;
      const ids = new Set<string>();
      const views: { view: ConsentView; hash: string }[] = [];
      for (const { serverId, hash } of items) {
        if (ids.has(serverId)) throw new AdminError('bad-request', `Server ${serverId} is listed twice.`);
        ids.add(serverId);
        views.push({ view: await consentViewOf(ctx, serverOf(servers, serverId)), hash });
      }
      // All or nothing: every key must still be what the admin reviewed.
      const refusals = views.map(({ view, hash }) => consentRefusal(view.line, hash)).filter((e) => e !== undefined);
      if (refusals.length)
        throw new AdminError(
          refusals.some((e) => e.code === 'conflict') ? 'conflict' : 'bad-request',
          `Nothing was consented. ${refusals.map((e) => e.message).join(' ')}`,
        );
      const consents = transaction(ctx.db, () => views.map(({ view, hash }) => grantConsentOf(ctx, view, hash)));
      ctx.events.emit('store.changed', { topics: ['live'] });
      return { consents };
    },
    'live.trustProject': async ({ serverId, projectDir }) => {
      const s = serverOf((await load()).servers, serverId);
      const state = consentStateOf(s, consentCtx(ctx, await fingerprintOf(ctx)), store());
      if (!state?.projectDir || !state.projectKey)
        throw new AdminError('bad-request', `Server "${s.entry.name}" does not come from a project file.`);
      if (state.projectDir !== projectDir)
        throw new AdminError('conflict', 'The project folder changed since it was shown; review it again.');
      const consent: Consent = {
        hash: state.projectKey,
        kind: 'project',
        serverId,
        client: s.entry.client,
        serverName: s.entry.name,
        command: '',
        args: [],
        envKeys: [],
        source: s.entry.source,
        projectDir,
        grantedAt: ctx.clock.now().toISOString(),
      };
      store().grant(consent);
      appendAdminAction(ctx.db, ctx.clock, {
        actor: actorOf(ctx),
        action: 'consent.trust-project',
        target: serverId,
        details: {
          projectDir,
          fromServer: s.entry.name,
          client: s.entry.client,
          source: s.entry.source,
          hash: consent.hash,
        },
      });
      ctx.events.emit('store.changed', { topics: ['live'] });
      return consent;
    },
    'live.revokeConsent': async ({ hash }) => {
      const existing = store().consent(hash);
      const revoked = store().revoke(hash);
      if (revoked && existing) {
        appendAdminAction(ctx.db, ctx.clock, {
          actor: actorOf(ctx),
          action: 'consent.revoke',
          target: existing.serverId,
          details: {
            kind: existing.kind,
            server: existing.serverName,
            client: existing.client,
            ...(existing.kind === 'project'
              ? { projectDir: existing.projectDir ?? null }
              : existing.kind === 'remote'
                ? { url: existing.url ?? null }
                : { command: existing.command }),
            hash,
          },
        });
        ctx.events.emit('store.changed', { topics: ['live'] });
      }
      return { revoked };
    },
    'live.snapshot': async ({ serverId, snapshotId }) => {
      if (snapshotId === undefined) return store().latestSnapshot(serverId, true);
      const s = store().snapshot(snapshotId);
      return s && s.serverId === serverId ? s : null;
    },
    'live.history': async ({ serverId }) => store().history(serverId),
    'live.diff': async ({ serverId, from, to }) => {
      const get = (id: number): ServerSnapshot => {
        const s = store().snapshot(id);
        if (!s || s.serverId !== serverId) throw new AdminError('not-found', `No snapshot ${id} of this server.`);
        return s;
      };
      return { from: get(from), to: get(to) };
    },
    'live.pins': async ({ serverId }) => {
      const st = store();
      const snap = st.latestSnapshot(serverId, true);
      if (!snap) return { pins: [], changes: [] };
      return { pins: st.pins(snap.identity), changes: st.pendingChanges(snap.identity).map(({ id: _id, ...c }) => c) };
    },
    'live.signIn': async ({ serverId, clientId }) => {
      const r = await beginSignIn(
        ctx,
        { ...opts, loadScan: load },
        serverOf((await load()).servers, serverId),
        clientId,
      );
      // Nobody awaits the rest here (the UI follows the events): a scan after the sign-in that
      // fails is reported, never an unhandled rejection that would stop the serving process.
      r.done.catch((err: unknown) => {
        try {
          ctx.events.emit('live.signIn', {
            serverId,
            stage: 'failed',
            error: `signed in, but the scan after it failed: ${err instanceof Error ? err.message : String(err)}`,
          });
        } catch {
          // (A listener that throws must not turn this into an unhandled rejection.)
        }
      });
      // Desktop: the system browser (RFC 8252; the window refuses to open non-allow-listed pages).
      const opened = await openInSystemBrowser(ctx, r.authorizationUrl);
      return { authorizationUrl: r.authorizationUrl, redirectUri: r.redirectUri, opened };
    },
    'live.signOut': async ({ serverId }) => endSession(ctx, serverOf((await load()).servers, serverId), opts),
    'live.acceptChanges': async ({ serverId, reason, items }) => {
      if (!reason.trim()) throw new AdminError('bad-request', 'A reason is required.');
      const st = store();
      const identity = identityOf(st, serverId);
      const accepted = acceptChanges(st, identity, reason, ctx.clock.now().toISOString(), items);
      if (accepted.length) {
        appendAdminAction(ctx.db, ctx.clock, {
          actor: actorOf(ctx),
          action: 'pin.accept',
          target: serverId,
          details: {
            reason,
            changes: accepted.map((c) => ({
              kind: c.kind,
              name: c.name,
              change: c.change,
              before: c.beforeHash ?? null,
              after: c.afterHash ?? null,
            })),
          },
        });
        await recordFindings(ctx, await load());
        ctx.events.emit('store.changed', { topics: ['live', 'findings'] });
      }
      return { accepted: accepted.length };
    },
  };
}
