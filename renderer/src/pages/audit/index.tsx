import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import type { AuditEvent, AuditFilter } from '../../../../shared/model/audit.js';
import type { PageProps } from '../../app/routes.js';
import { useAdminClient, useAdminQuery } from '../../client/index.js';
import { EventDetail } from './EventDetail.js';
import { EventList } from './EventList.js';
import { ExportButton } from './Export.js';
import { clean, FACET_LABEL, filterFromParams, PAGE_FACETS, selected, toggleFacet } from './filter.js';
import { Histogram } from './Histogram.js';
import './audit.css';

const LIVE_MS = 3000;

/**
 * Audit: one timeline across gateways' audit trails and Gatehouse's own actions. Everything is
 * filtered and counted in the store; the page holds the visible pages of events only.
 */
export default function AuditPage({ params }: PageProps) {
  const client = useAdminClient();
  const queryClient = useQueryClient();
  // A link may open the page filtered (`#/audit/user/…/tool/…`).
  const [filter, setFilter] = useState<AuditFilter>(() => filterFromParams(params));
  const [text, setText] = useState('');
  const [selectedEvent, setSelectedEvent] = useState<AuditEvent | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [live, setLive] = useState(false);
  const [zoomStack, setZoomStack] = useState<{ since?: string; until?: string }[]>([]);

  // Search: debounce typing into the filter.
  useEffect(() => {
    const t = setTimeout(() => setFilter((f) => clean({ ...f, text: text.trim() || undefined })), 250);
    return () => clearTimeout(t);
  }, [text]);

  const f = clean(filter);
  const facets = useAdminQuery('audit.facets', { filter: f, facets: [...PAGE_FACETS], limit: 8 });
  const hist = useAdminQuery('audit.histogram', { filter: f, buckets: 90 });

  // Live tail: pull the sources and refresh the timeline every few seconds.
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

  const zoom = (since: string, until: string) => {
    setZoomStack((s) => [...s, { since: filter.since, until: filter.until }]);
    setFilter((x) => ({ ...x, since, until }));
  };
  const zoomOut = () => {
    const prev = zoomStack[zoomStack.length - 1];
    setZoomStack((s) => s.slice(0, -1));
    setFilter((x) => clean({ ...x, since: prev?.since, until: prev?.until }));
  };
  const onTotal = useCallback((n: number | null) => setTotal(n), []);
  const filtering = Object.keys(f).length > 0;

  return (
    <section className="page page-fill" data-testid="page-audit" aria-labelledby="audit-title">
      <header className="page-header">
        <h1 id="audit-title">Audit</h1>
        <span className="page-sub" data-testid="audit-total" data-total={total ?? ''}>
          {total === null ? '…' : `${total.toLocaleString()} event${total === 1 ? '' : 's'}`}
          {filter.since || filter.until
            ? ` · ${filter.since ? new Date(filter.since).toLocaleString() : '…'} – ${filter.until ? new Date(filter.until).toLocaleString() : '…'}`
            : ''}
        </span>
        <span className="spacer" />
        <label className="field-label audit-live">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} data-testid="audit-live" />
          Live tail
        </label>
        <ExportButton filter={f} />
      </header>

      <div className="toolbar" role="search" aria-label="Search audit events">
        <input
          className="input input-search"
          type="search"
          placeholder="Search user, tool, server, reason, session…"
          aria-label="Search events"
          data-testid="audit-search"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        {zoomStack.length > 0 && (
          <button type="button" className="btn btn-ghost" onClick={zoomOut} data-testid="audit-zoom-out">
            Zoom out
          </button>
        )}
        {filtering && (
          <button
            type="button"
            className="btn btn-ghost"
            data-testid="audit-clear"
            onClick={() => {
              setFilter({});
              setText('');
              setZoomStack([]);
            }}
          >
            Clear filters
          </button>
        )}
      </div>

      <Histogram data={hist.data} onZoom={zoom} />
      {(hist.isError || facets.isError) && (
        <div className="callout callout-error" role="alert">
          {hist.error?.message ?? facets.error?.message}
        </div>
      )}

      <div className="audit-layout">
        <nav className="panel audit-facets" aria-label="Facets">
          {PAGE_FACETS.map((name) => {
            const values = facets.data?.[name] ?? [];
            const sel = selected(f, name);
            return (
              <div key={name} className="audit-facet-group" data-testid="audit-facet-group" data-facet={name}>
                <h2 className="audit-facet-title">{FACET_LABEL[name]}</h2>
                {values.length === 0 && <p className="faint audit-facet-none">—</p>}
                <ul>
                  {values.map((v) => {
                    const value = v.value;
                    const on = value !== null && sel.includes(value);
                    return (
                      <li key={value ?? '\u0000'}>
                        <button
                          type="button"
                          className={`audit-facet${on ? ' on' : ''}`}
                          data-testid="audit-facet"
                          data-facet={name}
                          data-value={value ?? ''}
                          aria-pressed={on}
                          disabled={value === null}
                          title={value ?? '(none)'}
                          onClick={() => value !== null && setFilter((x) => toggleFacet(x, name, value))}
                        >
                          <span className="audit-facet-value">{value ?? '(none)'}</span>
                          <span className="count">{v.count.toLocaleString()}</span>
                        </button>
                      </li>
                    );
                  })}
                  {sel
                    .filter((s) => !values.some((v) => v.value === s))
                    .map((s) => (
                      <li key={`sel-${s}`}>
                        <button
                          type="button"
                          className="audit-facet on"
                          data-testid="audit-facet"
                          data-facet={name}
                          data-value={s}
                          aria-pressed
                          onClick={() => setFilter((x) => toggleFacet(x, name, s))}
                        >
                          <span className="audit-facet-value">{s}</span>
                          <span className="count">0</span>
                        </button>
                      </li>
                    ))}
                </ul>
              </div>
            );
          })}
        </nav>
        <div className="audit-main">
          <EventList filter={f} selectedId={selectedEvent?.id ?? null} onSelect={setSelectedEvent} onTotal={onTotal} />
        </div>
        {selectedEvent && <EventDetail event={selectedEvent} onClose={() => setSelectedEvent(null)} />}
      </div>
    </section>
  );
}
