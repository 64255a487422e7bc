import { AdminError } from '../../../shared/api/errors.js';
import type { CommandLine, Consent, LiveServerState, ServerSnapshot } from '../../../shared/model/live.js';
import { appendAdminAction } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { discover } from '../discovery/discover.js';
import type { DiscoveryScan, RawServer } from '../discovery/types.js';
import { runFindingsScan } from '../findings/service.js';
import type { HandlerGroup } from '../handlers.js';
import type { Fingerprinter } from '../secrets/fingerprint.js';
import { openLiveFingerprinter, serverIdentity } from './command-line.js';
import { consentRequestOf, consentStateOf } from './consent.js';
import { latestLiveFindings } from './findings-bridge.js';
import type { LiveLimits } from './limits.js';
import { acceptChanges } from './pins.js';
import { runLiveScan } from './scan.js';
import { LiveStore } from './store.js';

/** Running connections of one process (per context): for cancel and the `connecting` state. */
class LiveRuntime {
  readonly running = new Map<string, AbortController>();
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
  const store = new LiveStore(ctx.db);
  const state = consentStateOf(s, consentCtx(ctx, await fingerprintOf(ctx)), store);
  if (!state)
    throw new AdminError('bad-request', `Server "${s.entry.name}" uses a transport Gatehouse does not connect to.`);
  const trusted = state.projectKey !== undefined && store.consent(state.projectKey) !== null;
  return consentRequestOf(s, state, trusted);
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
    if (running.has(id)) base.status = 'connecting';
    else if (!s.entry.disabled) {
      const state = consentStateOf(s, cctx, store);
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
  | 'live.trustProject'
  | 'live.revokeConsent'
  | 'live.snapshot'
  | 'live.history'
  | 'live.diff'
  | 'live.pins'
  | 'live.acceptChanges'
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
      const line = await commandLineOf(ctx, serverOf((await load()).servers, serverId));
      if (line.hash !== hash) {
        throw new AdminError(
          'conflict',
          line.kind === 'remote'
            ? 'The server changed since it was shown; review it again before consenting.'
            : 'The command line changed since it was shown; review it again before consenting.',
        );
      }
      if (line.consentRequired === false)
        throw new AdminError('bad-request', `Server "${line.serverName}" needs no consent (not from a project file).`);
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
      store().grant(consent);
      appendAdminAction(ctx.db, ctx.clock, {
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
          hash,
        },
      });
      ctx.events.emit('store.changed', { topics: ['live'] });
      return consent;
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
    'live.acceptChanges': async ({ serverId, reason, items }) => {
      if (!reason.trim()) throw new AdminError('bad-request', 'A reason is required.');
      const st = store();
      const identity = identityOf(st, serverId);
      const accepted = acceptChanges(st, identity, reason, ctx.clock.now().toISOString(), items);
      if (accepted.length) {
        appendAdminAction(ctx.db, ctx.clock, {
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
