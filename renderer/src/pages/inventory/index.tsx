import { useEffect, useMemo, useRef, useState } from 'react';
import type { AdminEvents } from '../../../../shared/api/contract.js';
import { CLIENT_IDS, Scope, Transport, type ServerEntry } from '../../../../shared/model/discovery.js';
import { useUi } from '../../app/ui-store.js';
import { useAdminEvent, useAdminMutation, useAdminQuery } from '../../client/index.js';
import { FilterSelect } from '../../components/FilterSelect.js';
import { FilterBar, SearchFilter } from '../../components/FilterBar.js';
import { clientLabel } from '../../lib/labels.js';
import { filterServers, sortServers } from './filter.js';
import { InventoryTable } from './InventoryTable.js';
import { ConnectAll } from '../server/live-ui.js';
import { ConsentReview, ConsentSelectionProvider, useConsentSelection } from './ConsentSelection.js';
import { SourcesPanel, sourceKey } from './SourcesPanel.js';
import { GatewayInventorySection } from '../gateways/GatewayInventory.js';

type Progress = AdminEvents['discovery.progress'];
const EMPTY: ServerEntry[] = [];
const PHASE_LABEL: Record<Progress['phase'], string> = {
  locating: 'Locating config files',
  parsing: 'Parsing',
  storing: 'Storing',
  done: 'Done',
};

/** Away at least this long, coming back to the window rescans (config files were likely edited meanwhile). */
const RETURN_RESCAN_MS = 5_000;

/**
 * Picks up config edits made in an editor: when the window gets focus (or becomes visible) after
 * being away, discovery runs again (it reads only the known config locations: tens of ms, no walk
 * over the home folder). No timer runs while the admin stays on the page.
 */
function useRescanOnReturn(run: (input: Record<string, never>) => void, pending: boolean) {
  const leftAt = useRef<number | null>(null);
  const pendingRef = useRef(pending);
  useEffect(() => {
    pendingRef.current = pending;
  });
  useEffect(() => {
    const away = () => {
      leftAt.current ??= Date.now();
    };
    const back = () => {
      if (document.visibilityState !== 'visible') return away();
      const since = leftAt.current;
      leftAt.current = null;
      if (since !== null && Date.now() - since >= RETURN_RESCAN_MS && !pendingRef.current) run({});
    };
    window.addEventListener('blur', away);
    window.addEventListener('focus', back);
    document.addEventListener('visibilitychange', back);
    return () => {
      window.removeEventListener('blur', away);
      window.removeEventListener('focus', back);
      document.removeEventListener('visibilitychange', back);
    };
  }, [run]);
}

/** Inventory: every MCP server configured on the workstation, from the latest discovery run. */
export default function InventoryPage() {
  const latest = useAdminQuery('discovery.latest', {});
  const [progress, setProgress] = useState<Progress | null>(null);
  const rescan = useAdminMutation('discovery.run', { onSettled: () => setProgress(null) });
  useAdminEvent('discovery.progress', (p) => {
    if (rescan.isPending) setProgress(p);
  });

  useRescanOnReturn(rescan.mutate, rescan.isPending);
  const consent = useConsentSelection();

  const filters = useUi((s) => s.inventoryFilters);
  const setFilter = useUi((s) => s.setInventoryFilter);
  const clearFilters = useUi((s) => s.clearInventoryFilters);
  const sort = useUi((s) => s.inventorySort);
  const sortBy = useUi((s) => s.sortInventoryBy);
  const sourcesOpen = useUi((s) => s.sourcesOpen);
  const setSourcesOpen = useUi((s) => s.setSourcesOpen);

  const run = latest.data ?? null;
  const servers = run?.result.servers ?? EMPTY;
  const rows = useMemo(() => sortServers(filterServers(servers, filters), sort), [servers, filters, sort]);
  const clientsPresent = useMemo(() => {
    const counts = new Map<string, number>();
    for (const s of servers) counts.set(s.client, (counts.get(s.client) ?? 0) + 1);
    return CLIENT_IDS.filter((c) => counts.has(c)).map((c) => ({ id: c, count: counts.get(c) ?? 0 }));
  }, [servers]);
  const serverCounts = useMemo(() => {
    const m = new Map<string, number>();
    for (const s of servers) m.set(sourceKey(s.client, s.source), (m.get(sourceKey(s.client, s.source)) ?? 0) + 1);
    return m;
  }, [servers]);
  const filtering = filters.text !== '' || filters.client !== '' || filters.scope !== '' || filters.transport !== '';

  return (
    <section className="page page-fill" data-testid="page-inventory" aria-labelledby="inventory-title">
      <header className="page-header">
        <h1 id="inventory-title">Inventory</h1>
        {run && (
          <span className="page-sub" data-testid="inventory-run">
            Inventory scan #{run.id} · {new Date(run.startedAt).toLocaleString()} · {Math.round(run.durationMs)} ms
          </span>
        )}
        <span className="spacer" />
        {rescan.isPending && (
          <span className="progress" role="status" aria-live="polite" data-testid="rescan-progress">
            {progress
              ? `${PHASE_LABEL[progress.phase]} ${progress.total ? `${progress.done}/${progress.total}` : ''}`
              : 'Starting…'}
            <span className="progress-bar" aria-hidden="true">
              <span
                style={{
                  width: `${progress && progress.total ? Math.round((100 * progress.done) / progress.total) : 5}%`,
                }}
              />
            </span>
          </span>
        )}
        {run && (
          <ConsentReview selected={consent.selection.selected} needing={consent.needing} onDone={consent.clear} />
        )}
        {run && <ConnectAll />}
        <button
          type="button"
          className="btn btn-primary"
          data-testid="rescan-button"
          aria-busy={rescan.isPending}
          disabled={rescan.isPending}
          onClick={() => rescan.mutate({})}
        >
          {rescan.isPending ? 'Scanning…' : 'Rescan'}
        </button>
      </header>

      {rescan.isError && (
        <div className="callout callout-error" role="alert" data-testid="rescan-error">
          Rescan failed: {rescan.error.message}
        </div>
      )}
      {latest.isError && (
        <div className="callout callout-error" role="alert" data-testid="inventory-error">
          Could not load the inventory: {latest.error.message}
        </div>
      )}

      <FilterBar
        label="Filter servers"
        filtering={filtering}
        onClear={clearFilters}
        clearLabel="Clear"
        clearTestId="inventory-filter-clear"
        end={
          <span
            className="count"
            data-testid="inventory-count"
            data-count={rows.length}
            data-total={servers.length}
            aria-live="polite"
          >
            {filtering
              ? `${rows.length} of ${servers.length} servers`
              : `${servers.length} server${servers.length === 1 ? '' : 's'}`}
          </span>
        }
      >
        <SearchFilter
          label="Filter text"
          placeholder="Filter servers…"
          title="Matches name, client, command, URL, env and header key names, source file"
          testId="inventory-filter-text"
          value={filters.text}
          onChange={(v) => setFilter('text', v)}
        />
        <FilterSelect
          label="Client"
          testId="inventory-filter-client"
          value={filters.client}
          onChange={(v) => setFilter('client', v)}
          allLabel="All"
          options={[
            ...clientsPresent.map((c) => ({ value: c.id, label: `${clientLabel(c.id)} (${c.count})` })),
            ...(filters.client !== '' && !clientsPresent.some((c) => c.id === filters.client)
              ? [{ value: filters.client, label: `${clientLabel(filters.client)} (0)` }]
              : []),
          ]}
        />
        <FilterSelect
          label="Scope"
          testId="inventory-filter-scope"
          value={filters.scope}
          onChange={(v) => setFilter('scope', v)}
          allLabel="All"
          options={Scope.options.map((s) => ({ value: s, label: s }))}
        />
        <FilterSelect
          label="Transport"
          testId="inventory-filter-transport"
          value={filters.transport}
          onChange={(v) => setFilter('transport', v)}
          allLabel="All"
          options={Transport.options.map((t) => ({ value: t, label: t }))}
        />
      </FilterBar>

      <div className="inventory-layout">
        <div className="inventory-main">
          <ConsentSelectionProvider value={consent.selection}>
            <InventoryTable
              servers={rows}
              sort={sort}
              onSort={sortBy}
              onRowSpace={consent.onRowSpace}
              empty={
                latest.isPending ? (
                  'Loading…'
                ) : latest.isError ? (
                  'The inventory could not be loaded.'
                ) : !run ? (
                  <>No discovery run yet. Use Rescan to look for MCP servers on this workstation.</>
                ) : servers.length === 0 ? (
                  <>No MCP servers are configured in the {run.result.sources.length} config files found.</>
                ) : (
                  <>
                    No servers match the filters.{' '}
                    <button type="button" className="btn btn-ghost" onClick={clearFilters}>
                      Clear filters
                    </button>
                  </>
                )
              }
            />
          </ConsentSelectionProvider>
        </div>
        {run && (
          <SourcesPanel
            sources={run.result.sources}
            serverCounts={serverCounts}
            open={sourcesOpen}
            onOpenChange={setSourcesOpen}
          />
        )}
      </div>
      <GatewayInventorySection compact />
    </section>
  );
}
