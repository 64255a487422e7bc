import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { AuditSourceConfig } from '../../../shared/model/audit.js';
import { AdminError } from '../../../shared/api/errors.js';
import type { ServiceContext } from '../context.js';
import { configuredTeamStoreUrl } from '../fleet/handlers.js';
import { maskDatabaseUrl } from '../fleet/url.js';
import { teamStoreAccess } from '../team-state/open.js';
import type { HandlerGroup } from '../handlers.js';
import { actorOf } from '../identity/sessions.js';
import { adminLogAnchorForExport, checkAdminLog } from './admin-log-anchor.js';
import { appendAdminAction } from './admin-log.js';
import { exportChunk } from './export.js';
import { maskAuditText } from './mask.js';
import { inlineAuditQueries } from './query-port.js';
import { searchState } from './search-catchup.js';
import { servingTurn } from '../store/write-turns.js';
import { AuditService, tokenKey } from './service.js';
import { clampForwardMarks, lowerForwardMarks } from './forward.js';
import { forwardStatus } from './forward-status.js';
import { auditScopes, teamAdminLogAnchor, teamTimeline } from './team.js';
import {
  addSource,
  getSettings,
  getSource,
  listSources,
  removeSource,
  setSettings,
  updateSource,
} from './sources-repo.js';

type AuditMethod =
  | 'audit.query'
  | 'audit.event'
  | 'audit.facets'
  | 'audit.histogram'
  | 'audit.export'
  | 'audit.sources.list'
  | 'audit.sources.add'
  | 'audit.sources.update'
  | 'audit.sources.remove'
  | 'audit.sync'
  | 'audit.settings.get'
  | 'audit.settings.set'
  | 'audit.retention.preview'
  | 'audit.trash.list'
  | 'audit.trash.restore'
  | 'audit.verify'
  | 'audit.scopes'
  | 'audit.forward.status';

const FOLLOW_INTERVAL_MS = 5000;
/** Overrides the follower's interval (ms): tests that need events to stay pending until "Sync now". */
export const FOLLOW_INTERVAL_ENV = 'GATEHOUSE_AUDIT_FOLLOW_MS';

function followInterval(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[FOLLOW_INTERVAL_ENV]);
  return Number.isInteger(v) && v >= 1000 ? v : FOLLOW_INTERVAL_MS;
}

/** Polls the enabled sources while the app runs (desktop and browser mode), so files are followed as they grow. */
function startFollower(svc: AuditService, announce: (n: number, source: string) => void, changed: () => void): void {
  const timer = setInterval(() => {
    void svc
      .syncAndForward()
      .then((out) => {
        for (const r of out.sources) announce(r.imported, r.name);
        if (out.team?.imported) changed();
      })
      .catch(() => undefined);
  }, followInterval());
  timer.unref?.();
}

/**
 * A file source must name an existing regular file by absolute path: a directory, device, FIFO or
 * socket is refused (reading /dev/zero or a FIFO never ends). Symlinks are followed; ingestion checks
 * again on the opened file, so a path swapped later is refused then.
 */
export function checkSourcePath(config: AuditSourceConfig): void {
  if (config.kind === 'contextforge') {
    // The base URL is stored and listed as it is: a credential in it (userinfo, `?token=`) belongs
    // in the token field, which goes to the secret store.
    if (maskAuditText(config.baseUrl) !== config.baseUrl)
      throw new AdminError(
        'bad-request',
        `ContextForge base URL ${maskAuditText(config.baseUrl)} carries a credential: give it as the token instead`,
      );
    return;
  }
  const path = config.path;
  if (!isAbsolute(path)) throw new AdminError('bad-request', `audit source path must be absolute: ${path}`);
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'cannot be read (permission denied)'
          : `cannot be read (${code ?? 'error'})`;
    throw new AdminError('bad-request', `audit source path ${path} ${why}`);
  }
  if (!st.isFile()) {
    const what = st.isDirectory()
      ? 'a directory'
      : st.isFIFO()
        ? 'a FIFO'
        : st.isSocket()
          ? 'a socket'
          : st.isCharacterDevice() || st.isBlockDevice()
            ? 'a device'
            : 'a special file';
    throw new AdminError('bad-request', `audit source path ${path} is ${what}, not a regular file`);
  }
}

/** Where a source reads from, for the admin log (a file's path, a gateway's URL: never a token). */
function whereOf(config: AuditSourceConfig): Record<string, string> {
  return config.kind === 'contextforge'
    ? { kind: config.kind, baseUrl: maskAuditText(config.baseUrl) }
    : { kind: config.kind, path: config.path };
}

export function auditHandlers(ctx: ServiceContext, opts: { follow?: boolean } = {}): HandlerGroup<AuditMethod> {
  const svc = new AuditService(ctx.db, {
    secrets: ctx.secrets,
    fileIngest: ctx.auditIngest,
    onSyncProgress: (p) => ctx.events.emit('audit.sync.progress', p),
    now: () => ctx.clock.now(),
    // With an admin's team store configured, every sync forwards the new local events to the team timeline.
    forwardTo: async () => {
      const url = await configuredTeamStoreUrl(ctx);
      if (!url) return null;
      return {
        target: maskDatabaseUrl(url),
        // A reporter's URL has nothing to forward to (not an error); an unreachable store throws (retried).
        open: async () => ((await teamStoreAccess(ctx)).kind === 'admin' ? (await teamTimeline(ctx)).audit : null),
      };
    },
  });
  const store = svc.store;
  // Read-only queries go through the port (a worker pool when serving); writes stay on ctx.db.
  const q = () => ctx.auditQueries ?? inlineAuditQueries(store);
  const announce = (imported: number, source: string) => {
    if (imported <= 0) return;
    ctx.events.emit('audit.ingested', { source, imported });
    ctx.events.emit('store.changed', { topics: ['audit'] });
  };
  // Who changed which source, retention period or trash batch: in the hash-chained admin log (and so
  // in the timeline itself), attributed like every other admin action.
  const log = (action: string, target: string, details: Record<string, unknown>) =>
    appendAdminAction(ctx.db, ctx.clock, { action, target, actor: actorOf(ctx), details });
  // Events forwarded to the team timeline change what its views show.
  const changed = () => ctx.events.emit('store.changed', { topics: ['audit'] });
  if (opts.follow ?? ctx.mode !== 'cli') startFollower(svc, announce, changed);
  // Reads bring Gatehouse's own new actions into the timeline first: a write, so during an import it
  // takes a turn with the ingest worker (write-turns.ts) rather than wait inside SQLite.
  const catchUp = async () => {
    const n = svc.catchUpGatehouse();
    if (n > 0) ctx.events.emit('audit.ingested', { source: 'gatehouse', imported: n });
  };
  const fresh = () => (ctx.writeTurns ? servingTurn(ctx.writeTurns, catchUp) : catchUp());

  // scope 'team' reads the team store's timeline (an admin's URL), never this workstation's store:
  // without one the call is refused as `unavailable` with the reason.
  return {
    'audit.scopes': async () => auditScopes(ctx),
    'audit.forward.status': async () => forwardStatus(ctx),
    'audit.query': async ({ filter, cursor, limit, withTotal, order, direction, at, scope }) => {
      const opts = { cursor: cursor ?? null, limit, withTotal, order, direction, at };
      if (scope === 'team') return (await teamTimeline(ctx)).audit.query(filter, opts);
      await fresh();
      const page = await q().run('query', filter, opts);
      // Full-text catch-up is the local store's (the team store indexes on insert).
      return filter.text?.trim() ? { ...page, search: searchState(ctx.db) } : page;
    },
    'audit.event': async ({ id, scope }) => {
      if (scope === 'team') return (await teamTimeline(ctx)).audit.get(id);
      return q().run('get', id);
    },
    'audit.facets': async ({ filter, facets, limit, search, scope }) => {
      if (scope === 'team') return (await teamTimeline(ctx)).audit.facets(filter, facets, limit, search);
      await fresh();
      return q().run('facets', filter, facets, limit, search);
    },
    'audit.histogram': async ({ filter, buckets, scope }) => {
      if (scope === 'team') return (await teamTimeline(ctx)).audit.histogram(filter, buckets);
      await fresh();
      return q().run('histogram', filter, buckets);
    },
    'audit.export': async ({ filter, format, cursor, limit, scope }) => {
      if (scope === 'team') {
        const t = await teamTimeline(ctx);
        // The anchor of a team export is the team store's admin log (the store the events came from).
        return {
          ...(await exportChunk((f, o) => t.audit.query(f, o), filter, format, cursor ?? null, limit)),
          ...(cursor ? {} : { adminLogAnchor: await teamAdminLogAnchor(t, ctx.clock.now()) }),
        };
      }
      return {
        ...(await exportChunk((f, o) => q().run('query', f, o), filter, format, cursor ?? null, limit)),
        ...(cursor ? {} : { adminLogAnchor: await adminLogAnchorForExport(ctx.db, ctx.secrets) }),
      };
    },
    'audit.sources.list': async () => listSources(ctx.db),
    'audit.sources.add': async ({ name, config, token }) => {
      checkSourcePath(config);
      let src = addSource(ctx.db, name, config);
      if (config.kind === 'contextforge' && token) {
        const ref = tokenKey(src.id);
        await ctx.secrets.set(ref, token);
        ctx.db
          .prepare('UPDATE audit_sources SET config_json = ? WHERE id = ?')
          .run(JSON.stringify({ ...config, tokenRef: ref }), src.id);
        src = getSource(ctx.db, src.id) ?? src;
      }
      log('audit.source.add', src.name, { id: src.id, ...whereOf(config), token: !!token });
      ctx.events.emit('store.changed', { topics: ['audit'] });
      return src;
    },
    'audit.sources.update': async ({ id, name, enabled }) => {
      const before = getSource(ctx.db, id);
      const src = updateSource(ctx.db, id, { name, enabled });
      if (!src) throw new AdminError('not-found', `no audit source ${id}`);
      log('audit.source.update', src.name, {
        id,
        ...(name !== undefined && name !== before?.name ? { renamedFrom: before?.name ?? null } : {}),
        ...(enabled !== undefined ? { enabled } : {}),
      });
      ctx.events.emit('store.changed', { topics: ['audit'] });
      return src;
    },
    'audit.sources.remove': async ({ id, deleteEvents }) => {
      const src = getSource(ctx.db, id);
      if (!src) throw new AdminError('not-found', `no audit source ${id}`);
      if (src.kind === 'gatehouse') throw new AdminError('bad-request', "Gatehouse's own log cannot be removed");
      // Its events are being stored on another connection: removing now would leave the batches
      // stored after the deletion behind (the sync itself stops at its next batch if it is gone).
      if (svc.isSyncing(id))
        throw new AdminError('conflict', `audit source ${src.name} is being synced; remove it once the sync is done`);
      const deleted = deleteEvents ? store.deleteBySource(src.name) : { events: 0, batch: null };
      const deletedEvents = deleted.events;
      if (deletedEvents) clampForwardMarks(ctx.db);
      const removed = removeSource(ctx.db, id);
      log('audit.source.remove', src.name, { id, deleteEvents, deletedEvents, trashBatch: deleted.batch });
      if (src.config?.kind === 'contextforge' && src.config.tokenRef) await ctx.secrets.delete(src.config.tokenRef);
      ctx.events.emit('store.changed', { topics: ['audit'] });
      return { removed, deletedEvents, trashBatch: deleted.batch };
    },
    'audit.sync': async ({ id }) => {
      const out = await svc.syncAndForward(id);
      for (const r of out.sources) announce(r.imported, r.name);
      if (out.team?.imported) changed();
      return out;
    },
    'audit.settings.get': async () => getSettings(ctx.db),
    'audit.settings.set': async ({ confirmDeletion, ...s }) => {
      // Never a silent mass delete: a period that deletes events needs the count the admin confirmed.
      const preview = svc.previewRetention(s.retentionDays);
      if (preview.events > 0 && (confirmDeletion === undefined || preview.events > confirmDeletion))
        throw new AdminError(
          'conflict',
          confirmDeletion === undefined
            ? `Keeping ${s.retentionDays} days would delete ${preview.events} events: preview and confirm the deletion`
            : `Keeping ${s.retentionDays} days now deletes ${preview.events} events, more than the ${confirmDeletion} confirmed: confirm again`,
        );
      const previousRetentionDays = getSettings(ctx.db).retentionDays;
      setSettings(ctx.db, s);
      const deleted = svc.applyRetention({ previousRetentionDays });
      log('audit.retention.set', 'audit', {
        retentionDays: s.retentionDays,
        previousRetentionDays,
        deletedEvents: deleted.events,
        trashBatch: deleted.batch,
      });
      if (deleted.events) ctx.events.emit('store.changed', { topics: ['audit'] });
      return { ...getSettings(ctx.db), deletedEvents: deleted.events, trashBatch: deleted.batch };
    },
    'audit.retention.preview': async ({ retentionDays }) => svc.previewRetention(retentionDays),
    'audit.trash.list': async () => store.trashBatches(),
    'audit.trash.restore': async ({ id }) => {
      const r = store.restoreBatch(id);
      // Restored events keep their old ids, possibly below a forward mark: send them again from there.
      if (r.lowestId !== null) lowerForwardMarks(ctx.db, r.lowestId - 1);
      // Undoing a retention change puts the previous period back, or the next sync deletes them again.
      const prev = r.batch.detail.previousRetentionDays;
      let retentionDays = getSettings(ctx.db).retentionDays;
      if (r.batch.reason === 'retention' && prev !== undefined) {
        setSettings(ctx.db, { retentionDays: prev });
        retentionDays = prev;
      }
      log('audit.trash.restore', id, { restored: r.restored, duplicates: r.duplicates, retentionDays });
      ctx.events.emit('store.changed', { topics: ['audit'] });
      return { restored: r.restored, duplicates: r.duplicates, retentionDays };
    },
    'audit.verify': async () => checkAdminLog(ctx.db, ctx.secrets),
  };
}
