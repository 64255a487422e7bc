import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { AuditEvent, AuditFilter, AuditOrder, AuditPage, AuditScope } from '../../../../shared/model/audit.js';
import type { AdminError } from '../../../../shared/api/errors.js';
import { useAdminClient } from '../../client/index.js';
import { CopyId } from './CopyId.js';
import { formatTime, zoneLabel, type TimeZoneMode } from './time.js';

const ROW_H = 28;
const PAGE = 200;
/**
 * Key columns first (time, outcome, who, what), so a narrow window still shows them. Reason only
 * when an event loaded has one (mostly empty otherwise: its room goes to the subject).
 */
const COLS = [
  ['Time', '186px'],
  ['Outcome', '78px'],
  ['Actor / subject', 'minmax(170px,1.6fr)'],
  ['Tool / target', 'minmax(110px,1fr)'],
  ['Server', 'minmax(90px,0.8fr)'],
  ['Method', 'minmax(90px,0.8fr)'],
  ['Reason', 'minmax(120px,1.2fr)'],
  ['Source', '90px'],
  ['ID', '96px'],
] as const;

type PageParam = { cursor: string; direction: 'next' | 'prev' } | null;

/** What a row's target column shows: the tool, prompt or resource, else nothing. */
export function targetOf(e: AuditEvent): string {
  return e['gen_ai.tool.name'] ?? e['gen_ai.prompt.name'] ?? e['mcp.resource.uri'] ?? '';
}

/**
 * Audit events in time order (newest or oldest first), loaded page by page with keyset cursors in
 * both directions as you scroll; after a jump (`at`) the pages before it load when scrolling up,
 * and the rows in view stay put. Virtualized. Keyboard: arrows/Home/End/PageUp/PageDown move the
 * selection, Enter opens the detail.
 */
export function EventList({
  filter,
  scope,
  order,
  at,
  tz,
  selectedId,
  onSelect,
  onOpen,
  onOrder,
  onTotal,
}: {
  filter: AuditFilter;
  scope: AuditScope;
  order: AuditOrder;
  at: string | undefined;
  tz: TimeZoneMode;
  selectedId: string | null;
  onSelect: (e: AuditEvent) => void;
  onOpen: (e: AuditEvent) => void;
  onOrder: (o: AuditOrder) => void;
  onTotal: (total: number | null) => void;
}) {
  const client = useAdminClient();
  const q = useInfiniteQuery<AuditPage, AdminError, { pages: AuditPage[] }, readonly unknown[], PageParam>({
    queryKey: ['audit', 'audit.query', 'list', scope, filter, order, at ?? null],
    queryFn: ({ pageParam }) =>
      client.invoke('audit.query', {
        filter,
        scope,
        order,
        limit: PAGE,
        withTotal: pageParam === null,
        ...(pageParam ? { cursor: pageParam.cursor, direction: pageParam.direction } : at ? { at } : {}),
      }),
    initialPageParam: null,
    getNextPageParam: (last) => (last.nextCursor ? { cursor: last.nextCursor, direction: 'next' } : undefined),
    getPreviousPageParam: (first) => (first.prevCursor ? { cursor: first.prevCursor, direction: 'prev' } : undefined),
    // A new filter keeps the rows and total in view until its first page is in (no blank flash).
    placeholderData: keepPreviousData,
  });
  const pages = q.data?.pages ?? [];
  const events = pages.flatMap((p) => p.events);
  const total = pages.find((p) => p.total !== null)?.total ?? null;
  useEffect(() => onTotal(total), [total, onTotal]);
  // After a large import the full-text index is built in the background; say so while it is.
  const catchingUp = pages[0]?.search === 'catching-up';

  const bodyRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const v = useVirtualizer({
    count: events.length,
    getScrollElement: () => bodyRef.current,
    estimateSize: () => ROW_H,
    overscan: 20,
    scrollMargin: ROW_H,
    scrollPaddingStart: ROW_H,
    getItemKey: (i) => events[i]?.id ?? i,
  });
  const items = v.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  const lastIndex = items[items.length - 1]?.index ?? -1;
  useEffect(() => {
    if (lastIndex >= events.length - 40 && q.hasNextPage && !q.isFetchingNextPage) void q.fetchNextPage();
  }, [lastIndex, events.length, q]);
  useEffect(() => {
    if (q.isSuccess && firstIndex < 20 && q.hasPreviousPage && !q.isFetchingPreviousPage) void q.fetchPreviousPage();
  }, [firstIndex, q]);

  // Rows prepended above (a page before a jump): keep the rows in view where they were.
  const firstId = events[0]?.id;
  const prevFirst = useRef<string | undefined>(undefined);
  useLayoutEffect(() => {
    const was = prevFirst.current;
    prevFirst.current = firstId;
    if (!was || was === firstId || !bodyRef.current) return;
    const shift = events.findIndex((e) => e.id === was);
    if (shift > 0) bodyRef.current.scrollTop += shift * ROW_H;
  }, [firstId, events]);

  const selIndex = events.findIndex((e) => e.id === selectedId);
  const [active, setActive] = useState(0);
  const activeIndex = selIndex >= 0 ? selIndex : Math.min(active, Math.max(0, events.length - 1));
  const moveTo = (i: number) => {
    const t = Math.max(0, Math.min(events.length - 1, i));
    const ev = events[t];
    if (!ev) return;
    setActive(t);
    onSelect(ev);
    v.scrollToIndex(t, { align: 'auto' });
    requestAnimationFrame(() =>
      bodyRef.current?.querySelector<HTMLElement>(`[data-testid="audit-row"][data-index="${t}"]`)?.focus(),
    );
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!events.length || (e.target as HTMLElement).closest('button')) return;
    const page = Math.max(1, Math.floor((bodyRef.current?.clientHeight ?? 300) / ROW_H) - 2);
    const moves: Record<string, number> = {
      ArrowDown: activeIndex + 1,
      ArrowUp: activeIndex - 1,
      PageDown: activeIndex + page,
      PageUp: activeIndex - page,
      Home: 0,
      End: events.length - 1,
    };
    const t = moves[e.key];
    if (t !== undefined) {
      e.preventDefault();
      moveTo(t);
    } else if (e.key === 'Enter') {
      const ev = events[activeIndex];
      if (ev) {
        e.preventDefault();
        onOpen(ev);
      }
    }
  };

  const zone = zoneLabel(tz);
  const withReason = events.some((e) => e.reason || e['error.type']);
  const cols = COLS.filter(([h]) => withReason || h !== 'Reason');
  const COLUMNS = cols.map(([h]) => h);
  const TEMPLATE = cols.map(([, w]) => w).join(' ');
  return (
    <>
      {catchingUp && (
        <p className="audit-catching-up muted" role="status" data-testid="audit-search-catching-up">
          Text search is catching up with a large import: matches may be missing until its index is complete.
        </p>
      )}
      <div
        className="grid audit-grid"
        role="grid"
        aria-label="Audit events"
        aria-rowcount={total === null ? -1 : total + 1}
        aria-colcount={COLUMNS.length}
        data-testid="audit-list"
        data-order={order}
        // The previous filter's rows stay shown while the new ones load: say so (assistive tech, tests).
        aria-busy={q.isPending || q.isPlaceholderData}
      >
        <div className="grid-body" ref={bodyRef} onKeyDown={onKeyDown}>
          <div className="audit-grid-inner">
            <div
              className="grid-head audit-grid-head"
              role="row"
              aria-rowindex={1}
              style={{ gridTemplateColumns: TEMPLATE, height: ROW_H }}
            >
              {COLUMNS.map((h, ci) =>
                ci === 0 ? (
                  <div
                    key={h}
                    role="columnheader"
                    aria-colindex={1}
                    aria-sort={order === 'newest' ? 'descending' : 'ascending'}
                  >
                    <button
                      type="button"
                      className="grid-hcell"
                      data-testid="audit-sort-time"
                      title={
                        order === 'newest'
                          ? 'Newest first: click for oldest first'
                          : 'Oldest first: click for newest first'
                      }
                      onClick={() => onOrder(order === 'newest' ? 'oldest' : 'newest')}
                    >
                      Time{' '}
                      <span className="audit-zone" data-testid="audit-time-zone">
                        {zone}
                      </span>
                      <span className="sort-ind" aria-hidden="true">
                        {order === 'newest' ? '▼' : '▲'}
                      </span>
                    </button>
                  </div>
                ) : (
                  <div key={h} role="columnheader" aria-colindex={ci + 1}>
                    <span className="grid-hcell static">{h}</span>
                  </div>
                ),
              )}
            </div>
            {q.isError && (
              // A row of the grid (a grid may only hold rows), announced as an alert from inside it.
              <div className="grid-empty" role="row" data-testid="audit-list-error">
                <div role="gridcell">
                  <div className="callout callout-error" role="alert">
                    Could not load events: {q.error.message}
                  </div>
                </div>
              </div>
            )}
            {q.isSuccess && events.length === 0 && (
              <div className="grid-empty" role="row" data-testid="audit-empty">
                <div role="gridcell">
                  {at
                    ? 'No events at or past this time under the filter.'
                    : 'No events match. Import a gateway audit file (gatehouse audit import) or add a source in Settings.'}
                </div>
              </div>
            )}
            <div role="rowgroup" style={{ height: v.getTotalSize(), position: 'relative' }}>
              {items.map((it) => {
                const e = events[it.index];
                if (!e) return null;
                const target = targetOf(e);
                const who = e['user.id'] ?? e.client;
                const selected = e.id === selectedId;
                return (
                  <div
                    key={it.key}
                    role="row"
                    aria-rowindex={it.index + 2}
                    aria-selected={selected}
                    tabIndex={it.index === activeIndex ? 0 : -1}
                    data-index={it.index}
                    data-testid="audit-row"
                    data-id={e.id}
                    data-time={e.time}
                    className="grid-row audit-row"
                    style={{
                      position: 'absolute',
                      top: 0,
                      left: 0,
                      right: 0,
                      height: ROW_H,
                      transform: `translateY(${it.start - ROW_H}px)`,
                      gridTemplateColumns: TEMPLATE,
                    }}
                    onFocus={() => setActive(it.index)}
                    onClick={(ev) => {
                      if ((ev.target as HTMLElement).closest('button')) return;
                      setActive(it.index);
                      onOpen(e);
                    }}
                  >
                    <span role="gridcell" className="grid-cell mono" data-col="time" title={`${e.time} (UTC)`}>
                      {formatTime(e.time, tz, { ms: true })}
                    </span>
                    <span role="gridcell" className="grid-cell">
                      <span className={`badge audit-outcome-${e.outcome}`}>{e.outcome}</span>
                    </span>
                    <span
                      role="gridcell"
                      className="grid-cell"
                      data-col="subject"
                      title={[e['user.id'], e.client && `client ${e.client}`].filter(Boolean).join(' · ')}
                    >
                      {who ?? '—'}
                      {e['user.id'] && e.client && <span className="muted"> · {e.client}</span>}
                    </span>
                    <span role="gridcell" className="grid-cell mono" data-col="target" title={target}>
                      {target || '—'}
                    </span>
                    <span role="gridcell" className="grid-cell" title={e.server ?? ''}>
                      {e.server ?? '—'}
                    </span>
                    <span role="gridcell" className="grid-cell mono" title={e['mcp.method.name'] ?? ''}>
                      {e['mcp.method.name'] ?? '—'}
                    </span>
                    {withReason && (
                      <span role="gridcell" className="grid-cell muted" title={e.reason ?? e['error.type'] ?? ''}>
                        {e.reason ?? e['error.type'] ?? ''}
                      </span>
                    )}
                    <span role="gridcell" className="grid-cell muted" title={e.source}>
                      {e.source}
                    </span>
                    <span role="gridcell" className="grid-cell" data-col="id">
                      <CopyId
                        value={e.sourceRecordId ?? e.id}
                        label={e.sourceRecordId ? 'source record id' : 'event id'}
                      />
                    </span>
                  </div>
                );
              })}
            </div>
            {(q.isFetchingNextPage || q.isFetchingPreviousPage) && (
              <div className="grid-empty" role="row">
                <div role="gridcell">Loading more…</div>
              </div>
            )}
          </div>
        </div>
      </div>
    </>
  );
}
