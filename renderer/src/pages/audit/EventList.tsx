import { useInfiniteQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { AuditEvent, AuditFilter, AuditPage } from '../../../../shared/model/audit.js';
import type { AdminError } from '../../../../shared/api/errors.js';
import { useAdminClient } from '../../client/index.js';

const ROW_H = 28;
const PAGE = 200;
const TEMPLATE =
  '188px 86px minmax(90px,1fr) minmax(110px,1.2fr) minmax(90px,1fr) minmax(90px,1fr) minmax(100px,1.2fr) 90px';

/** Audit events newest first, loaded page by page (keyset cursor) as you scroll; virtualized. */
export function EventList({
  filter,
  selectedId,
  onSelect,
  onTotal,
}: {
  filter: AuditFilter;
  selectedId: string | null;
  onSelect: (e: AuditEvent) => void;
  onTotal: (total: number | null) => void;
}) {
  const client = useAdminClient();
  const q = useInfiniteQuery<AuditPage, AdminError, { pages: AuditPage[] }, readonly unknown[], string | null>({
    queryKey: ['audit', 'audit.query', filter],
    queryFn: ({ pageParam }) =>
      client.invoke('audit.query', { filter, cursor: pageParam, limit: PAGE, withTotal: pageParam === null }),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const events = (q.data?.pages ?? []).flatMap((p) => p.events);
  const total = q.data?.pages[0]?.total ?? null;
  useEffect(() => onTotal(total), [total, onTotal]);

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
  const lastIndex = items[items.length - 1]?.index ?? -1;
  useEffect(() => {
    if (lastIndex >= events.length - 40 && q.hasNextPage && !q.isFetchingNextPage) void q.fetchNextPage();
  }, [lastIndex, events.length, q]);

  const selIndex = events.findIndex((e) => e.id === selectedId);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, number> = {
      ArrowDown: selIndex + 1,
      ArrowUp: selIndex - 1,
      Home: 0,
      End: events.length - 1,
    };
    const t = moves[e.key];
    if (t === undefined || !events.length) return;
    e.preventDefault();
    const i = Math.max(0, Math.min(events.length - 1, t));
    const ev = events[i];
    if (ev) {
      onSelect(ev);
      v.scrollToIndex(i, { align: 'auto' });
    }
  };

  return (
    <div
      className="grid audit-grid"
      role="grid"
      aria-label="Audit events"
      aria-rowcount={total ?? events.length}
      data-testid="audit-list"
    >
      <div className="grid-body" ref={bodyRef} tabIndex={0} onKeyDown={onKeyDown}>
        <div className="audit-grid-inner">
          <div
            className="grid-head audit-grid-head"
            role="row"
            style={{ gridTemplateColumns: TEMPLATE, height: ROW_H }}
          >
            {['Time', 'Outcome', 'Subject', 'Method', 'Server', 'Tool / target', 'Reason', 'Source'].map((h) => (
              <span key={h} role="columnheader" className="grid-hcell static">
                {h}
              </span>
            ))}
          </div>
          {q.isError && (
            <div className="callout callout-error" role="alert">
              Could not load events: {q.error.message}
            </div>
          )}
          {q.isSuccess && events.length === 0 && (
            <div className="grid-empty" data-testid="audit-empty">
              No events match. Import a gateway audit file (<span className="mono">gatehouse audit import</span>) or add
              a source in Settings.
            </div>
          )}
          <div style={{ height: v.getTotalSize(), position: 'relative' }}>
            {items.map((it) => {
              const e = events[it.index];
              if (!e) return null;
              const target = e['gen_ai.tool.name'] ?? e['gen_ai.prompt.name'] ?? e['mcp.resource.uri'] ?? '';
              return (
                <div
                  key={it.key}
                  role="row"
                  data-index={it.index}
                  data-testid="audit-row"
                  data-id={e.id}
                  aria-selected={e.id === selectedId}
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
                  onClick={() => onSelect(e)}
                >
                  <span role="gridcell" className="grid-cell mono">
                    {e.time.replace('T', ' ').replace('Z', '')}
                  </span>
                  <span role="gridcell" className="grid-cell">
                    <span className={`badge audit-outcome-${e.outcome}`}>{e.outcome}</span>
                  </span>
                  <span
                    role="gridcell"
                    className="grid-cell"
                    title={[e['user.id'], e.client].filter(Boolean).join(' via ')}
                  >
                    {e['user.id'] ?? e.client ?? '—'}
                  </span>
                  <span role="gridcell" className="grid-cell mono">
                    {e['mcp.method.name'] ?? '—'}
                  </span>
                  <span role="gridcell" className="grid-cell">
                    {e.server ?? '—'}
                  </span>
                  <span role="gridcell" className="grid-cell mono" title={target}>
                    {target || '—'}
                  </span>
                  <span role="gridcell" className="grid-cell muted" title={e.reason ?? ''}>
                    {e.reason ?? ''}
                  </span>
                  <span role="gridcell" className="grid-cell muted">
                    {e.source}
                  </span>
                </div>
              );
            })}
          </div>
          {q.isFetchingNextPage && <div className="grid-empty">Loading more…</div>}
        </div>
      </div>
    </div>
  );
}
