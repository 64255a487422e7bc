import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AuditEvent, AuditFilter, AuditOrder, AuditScope } from '../../../../shared/model/audit.js';
import type { PageProps } from '../../app/routes.js';
import { useAdminClient, useAdminQuery } from '../../client/index.js';
import { EventDetail } from './EventDetail.js';
import { EventList } from './EventList.js';
import { ExportButton } from './Export.js';
import { FACET_TOP, Facets } from './Facets.js';
import { ForwardStatus } from './ForwardStatus.js';
import { PAGE_FACETS } from './filter.js';
import { Histogram } from './Histogram.js';
import { TimeBar } from './TimeBar.js';
import { formatTime, zoneLabel, type TimeZoneMode } from './time.js';
import { DEFAULT_VIEW, queryFilter, viewFromUrl, writeView, type AuditView } from './view.js';
import './audit.css';

const LIVE_MS = 3000;

/**
 * Audit: one timeline across gateways' audit trails and Gatehouse's own actions. Everything is
 * filtered and counted in the store; the page holds the visible pages of events only. The whole
 * view (filters, search, range, time zone, order, jump, selected event) lives in the URL.
 */
export default function AuditPage({ params }: PageProps) {
  const client = useAdminClient();
  const queryClient = useQueryClient();
  const [view, setViewState] = useState<AuditView>(() => viewFromUrl(params));
  const [text, setText] = useState(view.q);
  // "Now" for quick ranges, and the time the list is pinned to (newer events wait behind a marker).
  const [now, setNow] = useState(() => Date.now());
  const [pin, setPin] = useState(() => new Date().toISOString());
  const [total, setTotal] = useState<number | null>(null);
  const [live, setLive] = useState(false);
  const [zoomStack, setZoomStack] = useState<Pick<AuditView, 'range' | 'since' | 'until'>[]>([]);

  const setView = useCallback((f: (v: AuditView) => AuditView) => setViewState((v) => f(v)), []);
  useEffect(() => writeView(view), [view]);

  // Search: debounce typing into the view.
  useEffect(() => {
    const t = setTimeout(() => setView((v) => (v.q === text.trim() ? v : { ...v, q: text.trim() })), 250);
    return () => clearTimeout(t);
  }, [text, setView]);

  const f = useMemo(() => queryFilter(view, now), [view, now]);
  // A change of what the list shows re-pins it to now.
  const listKey = JSON.stringify([f, view.order, view.at]);
  const [pinnedFor, setPinnedFor] = useState(listKey);
  if (pinnedFor !== listKey) {
    // Adjusting state while rendering (React's pattern for state derived from a changed input).
    setPinnedFor(listKey);
    setPin(new Date().toISOString());
  }
  const listFilter = useMemo<AuditFilter>(
    () => ({ ...f, until: f.until !== undefined && f.until < pin ? f.until : pin }),
    [f, pin],
  );
  const newer = useAdminQuery(
    'audit.query',
    {
      filter: { ...f, since: f.since !== undefined && f.since > pin ? f.since : pin },
      limit: 1,
      withTotal: true,
      scope: view.scope,
    },
    { enabled: f.until === undefined || f.until > pin },
  );
  const newCount = newer.data?.total ?? 0;
  const showNew = () => {
    const t = Date.now();
    setNow(t);
    // Past the newest event too: a source whose clock runs ahead must not keep its events hidden.
    const newest = Date.parse(newer.data?.events[0]?.time ?? '');
    setPin(new Date(Number.isFinite(newest) ? Math.max(t, newest + 1) : t).toISOString());
    setView((v) => ({ ...v, at: undefined }));
  };

  const scope = view.scope;
  const scopes = useAdminQuery('audit.scopes', {});
  const team = scopes.data?.team;
  const facets = useAdminQuery('audit.facets', {
    filter: f,
    facets: [...PAGE_FACETS],
    limit: FACET_TOP + 1,
    scope,
  });
  const hist = useAdminQuery('audit.histogram', { filter: f, buckets: 90, scope });
  const selected = useAdminQuery('audit.event', { id: view.ev ?? '', scope }, { enabled: !!view.ev });
  // Event ids belong to one timeline: switching closes the detail and leaves a jump.
  const setScope = (next: AuditScope) =>
    setView((v) => (v.scope === next ? v : { ...v, scope: next, ev: undefined, at: undefined }));

  // Live tail: pull the sources every few seconds (new events show behind the marker).
  useEffect(() => {
    if (!live) return;
    let stopped = false;
    const tick = async () => {
      try {
        await client.invoke('audit.sync', {});
      } catch {
        /* shown on the sources' status in Settings */
      }
      if (!stopped) void queryClient.invalidateQueries({ queryKey: ['audit'] });
    };
    void tick();
    const id = setInterval(() => void tick(), LIVE_MS);
    return () => {
      stopped = true;
      clearInterval(id);
    };
  }, [live, client, queryClient]);

  // Closing the detail returns focus to its row (when the row is rendered).
  const closeDetail = useCallback(() => {
    const id = view.ev;
    setView((v) => ({ ...v, ev: undefined }));
    requestAnimationFrame(() =>
      document.querySelector<HTMLElement>(`[data-testid="audit-row"][data-id="${CSS.escape(id ?? '')}"]`)?.focus(),
    );
  }, [view.ev, setView]);
  // Escape closes the detail (from anywhere on the page but a field).
  useEffect(() => {
    if (!view.ev) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      if ((e.target as HTMLElement | null)?.closest('input, textarea, select, [role="dialog"]')) return;
      closeDetail();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [view.ev, closeDetail]);

  const zoom = (since: string, until: string) => {
    setZoomStack((s) => [...s, { range: view.range, since: view.since, until: view.until }]);
    setView((v) => ({ ...v, range: 'custom', since, until, at: undefined }));
  };
  const zoomOut = () => {
    const prev = zoomStack[zoomStack.length - 1] ?? { range: 'all' as const };
    setZoomStack((s) => s.slice(0, -1));
    setView((v) => ({ ...v, range: prev.range, since: prev.since, until: prev.until }));
  };
  const setRange = (r: Pick<AuditView, 'range' | 'since' | 'until'>) => {
    setNow(Date.now());
    setZoomStack([]);
    setView((v) => ({ ...v, ...r, at: undefined }));
  };
  const onTotal = useCallback((n: number | null) => setTotal(n), []);
  const onSelect = useCallback(
    (e: AuditEvent) => setView((v) => (v.ev && v.ev !== e.id ? { ...v, ev: e.id } : v)),
    [setView],
  );
  const onOpen = useCallback((e: AuditEvent) => setView((v) => ({ ...v, ev: e.id })), [setView]);
  const onOrder = useCallback((order: AuditOrder) => setView((v) => ({ ...v, order, at: undefined })), [setView]);
  const onContext = (e: AuditEvent) => {
    setText('');
    setZoomStack([]);
    setView((v) => ({ ...DEFAULT_VIEW, scope: v.scope, tz: v.tz, order: v.order, at: e.time, ev: e.id }));
  };
  const filtering = Object.keys(view.filter).length > 0 || view.q !== '' || view.range !== 'all' || !!view.at;
  const tz: TimeZoneMode = view.tz;
  const detail = selected.data ?? null;

  return (
    <section className="page page-fill audit-page" data-testid="page-audit" aria-labelledby="audit-title">
      <header className="page-header">
        <h1 id="audit-title">Audit</h1>
        <span className="page-sub" data-testid="audit-total" data-total={total ?? ''}>
          {total === null ? '…' : `${total.toLocaleString()} event${total === 1 ? '' : 's'}`}
          {f.since || f.until ? (
            <span data-testid="audit-range-label">
              {' · '}
              {f.since ? formatTime(f.since, tz, { seconds: false }) : 'start'} –{' '}
              {f.until ? formatTime(f.until, tz, { seconds: false }) : 'now'} · {zoneLabel(tz)}
            </span>
          ) : null}
        </span>
        <span className="spacer" />
        <div className="audit-seg" role="group" aria-label="Timeline" data-testid="audit-scope">
          <button
            type="button"
            className={`btn btn-seg${scope === 'workstation' ? ' on' : ''}`}
            aria-pressed={scope === 'workstation'}
            data-testid="audit-scope-workstation"
            title="This workstation's timeline"
            onClick={() => setScope('workstation')}
          >
            Workstation
          </button>
          <button
            type="button"
            className={`btn btn-seg${scope === 'team' ? ' on' : ''}`}
            aria-pressed={scope === 'team'}
            // Focusable while unavailable, so the reason is reachable by keyboard and pointer.
            aria-disabled={team?.available ? undefined : true}
            aria-describedby="audit-scope-team-help"
            data-testid="audit-scope-team"
            data-available={team?.available ? 'true' : 'false'}
            title={
              team?.available
                ? `The team store's timeline (${team.display ?? ''})`
                : (team?.reason ?? 'Checking the team store…')
            }
            onClick={() => {
              if (team?.available || scope === 'team') setScope('team');
            }}
          >
            Team
          </button>
          <span id="audit-scope-team-help" className="sr-only">
            {team?.available
              ? `Team timeline: ${team.display ?? ''}`
              : `Team timeline unavailable: ${team?.reason ?? 'checking the team store'}`}
          </span>
        </div>
        <ForwardStatus variant="chip" tz={tz} />
        <div className="audit-tz audit-seg" role="group" aria-label="Time zone" data-testid="audit-tz">
          {(['local', 'utc'] as const).map((z) => (
            <button
              key={z}
              type="button"
              className={`btn btn-seg${tz === z ? ' on' : ''}`}
              aria-pressed={tz === z}
              data-testid={`audit-tz-${z}`}
              title={zoneLabel(z)}
              onClick={() => setView((v) => ({ ...v, tz: z }))}
            >
              {z === 'local' ? 'Local' : 'UTC'}
            </button>
          ))}
        </div>
        <label className="field-label audit-live">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} data-testid="audit-live" />
          Live tail
        </label>
        <ExportButton filter={f} scope={scope} />
      </header>

      <div className="toolbar audit-toolbar">
        <input
          className="input input-search"
          type="search"
          placeholder="Search user, tool, server, reason, session…"
          aria-label="Search events"
          data-testid="audit-search"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <TimeBar
          view={view}
          tz={tz}
          onRange={setRange}
          onJump={(at) => setView((v) => ({ ...v, at }))}
          canZoomOut={zoomStack.length > 0}
          onZoomOut={zoomOut}
        />
        {filtering && (
          <button
            type="button"
            className="btn btn-ghost"
            data-testid="audit-clear"
            onClick={() => {
              setText('');
              setZoomStack([]);
              setView((v) => ({ ...DEFAULT_VIEW, scope: v.scope, tz: v.tz, order: v.order }));
            }}
          >
            Clear filters
          </button>
        )}
      </div>

      <Histogram data={hist.data} tz={tz} onZoom={zoom} />
      {(hist.isError || facets.isError) && (
        <div className="callout callout-error" role="alert">
          {hist.error?.message ?? facets.error?.message}
        </div>
      )}

      {scope === 'team' && team && !team.available && (
        <div className="callout callout-error" role="alert" data-testid="audit-scope-unavailable">
          The team timeline is unavailable: {team.reason}
        </div>
      )}
      <div className={`audit-layout${detail ? ' with-detail' : ''}`}>
        <Facets
          filter={f}
          scope={scope}
          counts={facets.data}
          onChange={(change) =>
            setView((v) => {
              const next = change(v.filter);
              return { ...v, filter: next };
            })
          }
        />
        <div className="audit-main">
          {newCount > 0 && (
            <button type="button" className="audit-new" data-testid="audit-new" data-count={newCount} onClick={showNew}>
              {newCount.toLocaleString()} new event{newCount === 1 ? '' : 's'} — show
            </button>
          )}
          {view.at && (
            <div className="audit-jumped" data-testid="audit-jumped">
              {view.order === 'newest' ? 'At or before' : 'At or after'} {formatTime(view.at, tz, { ms: true })} (
              {zoneLabel(tz)})
              <button
                type="button"
                className="btn btn-ghost"
                data-testid="audit-jump-clear"
                onClick={() => setView((v) => ({ ...v, at: undefined }))}
              >
                Back to the {view.order === 'newest' ? 'newest' : 'oldest'}
              </button>
            </div>
          )}
          <EventList
            filter={listFilter}
            scope={scope}
            order={view.order}
            at={view.at}
            tz={tz}
            selectedId={view.ev ?? null}
            onSelect={onSelect}
            onOpen={onOpen}
            onOrder={onOrder}
            onTotal={onTotal}
          />
        </div>
        {detail && <EventDetail event={detail} tz={tz} onClose={closeDetail} onContext={onContext} />}
      </div>
    </section>
  );
}
