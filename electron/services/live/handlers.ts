import { AdminError } from '../../../shared/api/errors.js';
import type { CommandLine, LiveServerState, ServerSnapshot } from '../../../shared/model/live.js';
import { appendAdminAction } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { discover } from '../discovery/discover.js';
import type { DiscoveryScan, RawServer } from '../discovery/types.js';
import { runFindingsScan } from '../findings/service.js';
import type { HandlerGroup } from '../handlers.js';
import type { Fingerprinter } from '../secrets/fingerprint.js';
import { openLiveFingerprinter, resolveCommandLine, serverIdentity } from './command-line.js';
import { referencedNames } from './env.js';
import { latestLiveFindings } from './findings-bridge.js';
import type { LiveLimits } from './limits.js';
import { acceptChanges } from './pins.js';
import { CHANGED_SINCE_CONSENT, runLiveScan } from './scan.js';
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

/** Exactly what a stdio server will run, for the consent dialog (credentials masked and flagged). */
export async function commandLineOf(ctx: ServiceContext, s: RawServer): Promise<CommandLine> {
  if (s.entry.transport !== 'stdio')
    throw new AdminError('bad-request', `Server "${s.entry.name}" is not a stdio server.`);
  const line = resolveCommandLine(s, {
    env: ctx.workstation.env,
    fingerprint: await fingerprintOf(ctx),
    home: ctx.workstation.home,
  });
  const store = new LiveStore(ctx.db);
  const consented = store.consent(line.hash) !== null;
  const commandRefs = referencedNames(s.raw.command ?? '', s.entry.client);
  return {
    serverId: s.entry.id,
    client: s.entry.client,
    serverName: s.entry.name,
    hash: line.hash,
    command: line.shown.command,
    ...(line.shown.commandMasked ? { commandMasked: true } : {}),
    ...(commandRefs.length ? { commandRefs } : {}),
    args: line.shown.args.map((a) => a.value),
    argList: line.shown.args,
    envKeys: line.shown.env.map((e) => e.key),
    env: line.shown.env,
    cwd: line.cwd,
    consented,
    changedSinceConsent: !consented && store.hasOtherConsent(s.entry.id, line.hash),
    unresolvedEnv: line.unresolved,
  };
}

/** The live state of every configured server, for the inventory. */
export async function liveStates(ctx: ServiceContext, servers: RawServer[]): Promise<LiveServerState[]> {
  const store = new LiveStore(ctx.db);
  const fingerprint = await fingerprintOf(ctx);
  const lineCtx = { env: ctx.workstation.env, fingerprint, home: ctx.workstation.home };
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
    else if (s.entry.transport === 'stdio' && !s.entry.disabled) {
      const hash = resolveCommandLine(s, lineCtx).hash;
      const consented = store.consent(hash) !== null;
      if (!consented) {
        base.status = 'needs-consent';
        base.error = store.hasOtherConsent(id, hash)
          ? CHANGED_SINCE_CONSENT
          : 'waiting for consent to start this command';
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
          'The command line changed since it was shown; review it again before consenting.',
        );
      }
      const consent = {
        hash,
        serverId,
        client: line.client,
        serverName: line.serverName,
        command: line.command,
        args: line.args,
        envKeys: line.envKeys,
        ...(line.cwd ? { cwd: line.cwd } : {}),
        grantedAt: ctx.clock.now().toISOString(),
      };
      store().grant(consent);
      appendAdminAction(ctx.db, ctx.clock, {
        action: 'consent.grant',
        target: serverId,
        details: {
          server: line.serverName,
          client: line.client,
          command: line.command,
          args: line.args,
          envKeys: line.envKeys,
          cwd: line.cwd ?? null,
          hash,
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
          details: { server: existing.serverName, client: existing.client, command: existing.command, hash },
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
