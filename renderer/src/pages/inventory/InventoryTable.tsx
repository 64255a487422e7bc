import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { ServerEntry } from '../../../../shared/model/discovery.js';
import { navigate, routeHref } from '../../app/router.js';
import type { InventorySort, InventorySortKey } from '../../app/ui-store.js';
import { clientLabel, ltr, serverTarget } from '../../lib/labels.js';
import { LiveStatusCell } from '../server/live-ui.js';
import { FindingCounts } from '../findings/FindingCounts.js';
import { ConsentSelectBox } from './ConsentSelection.js';

interface Column {
  key: InventorySortKey | 'env' | 'headers' | 'live' | 'findings';
  label: string;
  width: string;
  sortable: boolean;
  cell: (s: ServerEntry) => ReactNode;
  mono?: boolean;
  hint?: string;
  /** Frozen while the grid scrolls sideways: offset from the left edge (px). */
  stickyLeft?: number;
}

const ROW_HEIGHT = 30;
/** Fixed, so the Name column can be frozen right after it. */
const CLIENT_WIDTH = 128;
const HEAD_HEIGHT = 30;

/** Key names: the first in full, then how many more (all of them on hover and on the server page). */
function Keys({ keys }: { keys: string[] }) {
  if (keys.length === 0) return <span className="faint">—</span>;
  return (
    <span className="keys" title={keys.join(', ')}>
      <span className="key-chip">{keys[0]}</span>
      {keys.length > 1 && <span className="muted keys-more">+{keys.length - 1}</span>}
    </span>
  );
}

/**
 * A config file path as its last folders and file name ("…/windsurf/mcp_config.json"): the file
 * name is never the part that is cut (the full path is in the title and on the server page).
 */
export function shortPath(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  if (parts.length <= 3) return path;
  return `…/${parts.slice(-3).join('/')}`;
}

const COLUMNS: Column[] = [
  {
    key: 'client',
    label: 'Client',
    width: `${CLIENT_WIDTH}px`,
    sortable: true,
    stickyLeft: 0,
    cell: (s) => <span title={clientLabel(s.client)}>{clientLabel(s.client)}</span>,
  },
  {
    key: 'name',
    label: 'Name',
    width: 'minmax(130px, 1.2fr)',
    sortable: true,
    stickyLeft: CLIENT_WIDTH,
    cell: (s) => (
      <a className="cell-name" href={routeHref('servers', s.id)} tabIndex={-1} title={s.name}>
        {s.name}
      </a>
    ),
  },
  {
    key: 'findings',
    label: 'Risk',
    hint: 'Worst open finding, then open findings by severity (C critical, H high, M medium, L low) from the latest findings scan',
    width: 'minmax(132px, 1fr)',
    sortable: false,
    cell: (s) => <FindingCounts serverId={s.id} />,
  },
  {
    key: 'live',
    label: 'Live',
    hint: 'Live state: consent, connection, counts, auth mode',
    width: 'minmax(168px, 1.2fr)',
    sortable: false,
    cell: (s) => (
      <span className="live-cell">
        <ConsentSelectBox server={s} />
        <LiveStatusCell serverId={s.id} />
      </span>
    ),
  },
  {
    key: 'transport',
    label: 'Transport',
    width: '78px',
    sortable: true,
    cell: (s) => <span className={s.transport === 'unknown' ? 'badge badge-warn' : 'badge'}>{s.transport}</span>,
  },
  {
    key: 'target',
    label: 'Command or URL',
    width: 'minmax(150px, 1.8fr)',
    sortable: true,
    mono: true,
    cell: (s) => {
      const t = serverTarget(s);
      return t ? <span title={t}>{t}</span> : <span className="faint">—</span>;
    },
  },
  { key: 'scope', label: 'Scope', width: '76px', sortable: true, cell: (s) => s.scope },
  {
    key: 'env',
    label: 'Env',
    hint: 'Environment variable names (values are never shown)',
    width: 'minmax(96px, 1fr)',
    sortable: false,
    cell: (s) => <Keys keys={s.envKeys} />,
  },
  {
    key: 'headers',
    label: 'Headers',
    hint: 'HTTP header names (values are never shown)',
    width: 'minmax(96px, 0.9fr)',
    sortable: false,
    cell: (s) => <Keys keys={s.headerKeys} />,
  },
  {
    key: 'source',
    label: 'Source file',
    width: 'minmax(150px, 1.4fr)',
    sortable: true,
    mono: true,
    cell: (s) => <span title={s.source}>{ltr(shortPath(s.source))}</span>,
  },
  {
    key: 'disabled',
    label: 'Disabled',
    width: '64px',
    sortable: true,
    cell: (s) => (s.disabled ? <span className="badge badge-warn">yes</span> : <span className="faint">—</span>),
  },
];
const TEMPLATE = COLUMNS.map((c) => c.width).join(' ');
const LAST_STICKY = COLUMNS.reduce((last, c, i) => (c.stickyLeft !== undefined ? i : last), -1);

/** Class and inline offset of a frozen column's cells (header and body). */
function stickyProps(c: Column, ci: number): { className: string; style?: { left: number } } {
  if (c.stickyLeft === undefined) return { className: '' };
  return {
    className: ci === LAST_STICKY ? 'grid-sticky grid-sticky-edge' : 'grid-sticky',
    style: { left: c.stickyLeft },
  };
}
/** Sum of the columns' minimum widths: below it the grid scrolls sideways instead of overlapping. */
const MIN_WIDTH = COLUMNS.reduce((sum, c) => sum + Number(/(\d+)px/.exec(c.width)?.[1] ?? 60), 0);

/**
 * The servers grid: ARIA grid semantics, sortable headers (aria-sort), virtualized body, and a
 * roving focus: Tab enters the grid on one row, arrows/PageUp/PageDown/Home/End move, Enter or a
 * click opens.
 */
export function InventoryTable({
  servers,
  sort,
  onSort,
  empty,
  onRowSpace,
}: {
  servers: ServerEntry[];
  sort: InventorySort;
  onSort: (key: InventorySortKey) => void;
  empty: ReactNode;
  /** Space on the focused row (selects it for consent). */
  onRowSpace?: (s: ServerEntry) => void;
}) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const pendingFocus = useRef<number | null>(null);
  const [activeIndex, setActiveIndex] = useState(0);
  const active = Math.max(0, Math.min(activeIndex, servers.length - 1));

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count: servers.length,
    getScrollElement: () => bodyRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 16,
    scrollMargin: HEAD_HEIGHT,
    scrollPaddingStart: HEAD_HEIGHT,
    getItemKey: (i) => servers[i]?.id ?? i,
  });

  // After a keyboard move, focus the row once the virtualizer has rendered it.
  useEffect(() => {
    const i = pendingFocus.current;
    if (i === null) return;
    const el = bodyRef.current?.querySelector<HTMLElement>(`[data-index="${i}"]`);
    if (el) {
      el.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  });

  const moveTo = (i: number) => {
    const next = Math.max(0, Math.min(i, servers.length - 1));
    setActiveIndex(next);
    pendingFocus.current = next;
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (servers.length === 0) return;
    const page = Math.max(1, Math.floor(((bodyRef.current?.clientHeight ?? 300) - HEAD_HEIGHT) / ROW_HEIGHT) - 1);
    const keyMoves: Record<string, number> = {
      ArrowDown: active + 1,
      ArrowUp: active - 1,
      PageDown: active + page,
      PageUp: active - page,
      Home: 0,
      End: servers.length - 1,
    };
    const target = keyMoves[e.key];
    if (target !== undefined) {
      e.preventDefault();
      moveTo(target);
    } else if (e.key === ' ' && onRowSpace && (e.target as HTMLElement).getAttribute('role') === 'row') {
      const s = servers[active];
      if (s) {
        e.preventDefault();
        onRowSpace(s);
      }
    } else if (e.key === 'Enter') {
      const s = servers[active];
      if (s) {
        e.preventDefault();
        navigate('servers', s.id);
      }
    }
  };

  return (
    <div
      className="grid"
      role="grid"
      aria-label="Configured MCP servers"
      aria-rowcount={servers.length + 1}
      aria-colcount={COLUMNS.length}
      data-testid="inventory-table"
    >
      <div className="grid-body" ref={bodyRef} onKeyDown={onKeyDown}>
        <div className="grid-minwidth" style={{ minWidth: MIN_WIDTH }}>
          <div
            className="grid-head sticky"
            role="row"
            aria-rowindex={1}
            style={{ gridTemplateColumns: TEMPLATE, height: HEAD_HEIGHT }}
          >
            {COLUMNS.map((c, ci) => {
              const sorted = sort.key === c.key;
              const ariaSort = c.sortable
                ? sorted
                  ? sort.dir === 'asc'
                    ? 'ascending'
                    : 'descending'
                  : 'none'
                : undefined;
              return (
                <div
                  key={c.key}
                  role="columnheader"
                  aria-colindex={ci + 1}
                  aria-sort={ariaSort}
                  data-col={c.key}
                  {...stickyProps(c, ci)}
                >
                  {c.sortable ? (
                    <button
                      type="button"
                      className="grid-hcell"
                      data-testid={`inventory-sort-${c.key}`}
                      onClick={() => onSort(c.key as InventorySortKey)}
                      title={`Sort by ${c.label.toLowerCase()}`}
                    >
                      {c.label}
                      <span className="sort-ind" aria-hidden="true">
                        {sorted ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
                      </span>
                    </button>
                  ) : (
                    <span className="grid-hcell static" title={c.hint}>
                      {c.label}
                    </span>
                  )}
                </div>
              );
            })}
          </div>
          {servers.length === 0 ? (
            <div className="grid-empty" role="row">
              <div role="gridcell">{empty}</div>
            </div>
          ) : (
            <div className="grid-rows" role="rowgroup" style={{ height: virtualizer.getTotalSize() }}>
              {virtualizer.getVirtualItems().map((v) => {
                const s = servers[v.index];
                if (!s) return null;
                return (
                  <div
                    key={v.key}
                    className="grid-row"
                    role="row"
                    aria-rowindex={v.index + 2}
                    aria-selected={v.index === active}
                    tabIndex={v.index === active ? 0 : -1}
                    data-index={v.index}
                    data-testid="inventory-row"
                    data-server-id={s.id}
                    data-client={s.client}
                    data-disabled={s.disabled ? 'true' : 'false'}
                    onFocus={() => setActiveIndex(v.index)}
                    onClick={(e) => {
                      // One click opens the server (a control inside the row keeps its own click).
                      if ((e.target as HTMLElement).closest('button, a, input, select')) return;
                      setActiveIndex(v.index);
                      navigate('servers', s.id);
                    }}
                    style={{
                      gridTemplateColumns: TEMPLATE,
                      transform: `translateY(${v.start - virtualizer.options.scrollMargin}px)`,
                    }}
                  >
                    {COLUMNS.map((c, ci) => {
                      const sticky = stickyProps(c, ci);
                      return (
                        <div
                          key={c.key}
                          role="gridcell"
                          aria-colindex={ci + 1}
                          className={['grid-cell', c.mono ? 'mono' : '', sticky.className].filter(Boolean).join(' ')}
                          style={sticky.style}
                          data-col={c.key}
                        >
                          {c.cell(s)}
                        </div>
                      );
                    })}
                  </div>
                );
              })}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
