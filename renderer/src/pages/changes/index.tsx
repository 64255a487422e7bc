import { useMutation } from '@tanstack/react-query';
import { Fragment, useEffect, useMemo, useState } from 'react';
import type { AdminError } from '../../../../shared/api/errors.js';
import type { ConfigChange } from '../../../../shared/model/config-write.js';
import { readHashQuery, writeHashQuery } from '../../app/url-state.js';
import { useAdminClient, useAdminMutation, useAdminQuery } from '../../client/index.js';
import { Busy } from '../../components/ConfigChangeDialog.js';
import { undoPlan } from '../../components/config-change/undo.js';
import { FilterSelect } from '../../components/FilterSelect.js';
import { FilterBar, SearchFilter } from '../../components/FilterBar.js';
import { ChangeDetail } from './ChangeDetail.js';
import { UndoConfirm } from './UndoConfirm.js';
import {
  actorsOf,
  filterGroups,
  groupChanges,
  NO_CHANGE_FILTERS,
  type ChangeFilters,
  type ChangeGroup,
} from './model.js';
import '../../components/config-change.css';

const STATUS_BADGE: Record<ChangeGroup['status'], string> = {
  applied: 'badge badge-ok',
  undone: 'badge',
  pending: 'badge badge-warn',
  mixed: 'badge badge-warn',
};
const STATUS_LABEL: Record<ChangeGroup['status'], string> = {
  applied: 'applied',
  undone: 'undone',
  pending: 'pending',
  mixed: 'partly undone',
};
/** Files listed in a group's row; the rest are in its detail. */
const FILES_IN_ROW = 3;

function initialState(): { filters: ChangeFilters; open: string | null } {
  const q = readHashQuery();
  return {
    filters: {
      file: q.get('file') ?? '',
      actor: q.get('actor') ?? '',
      sort: q.get('sort') === 'oldest' ? 'oldest' : 'newest',
    },
    open: q.get('open'),
  };
}

/**
 * Changes: every config write Gatehouse made (fixes, bulk fixes, quarantines, copies), one row per
 * confirmation (its change group: every file it wrote), with actor, time, files and summary, the
 * masked diffs, and Undo for the whole group. Undo restores the files byte for byte, and is refused
 * (with the reason) when a file has moved on since. Filters and the open row live in the URL.
 */
export default function ChangesPage() {
  const client = useAdminClient();
  const list = useAdminQuery('config.changes', {}, { topics: ['config-changes'], staleTime: 0 });
  const [initial] = useState(initialState);
  const [filters, setFilters] = useState<ChangeFilters>(initial.filters);
  const [openKey, setOpenKey] = useState<string | null>(initial.open);
  const [confirming, setConfirming] = useState<ChangeGroup | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const scan = useAdminMutation('findings.scan');

  useEffect(() => {
    writeHashQuery({
      file: filters.file,
      actor: filters.actor,
      sort: filters.sort === 'newest' ? '' : filters.sort,
      open: openKey ?? '',
    });
  }, [filters, openKey]);

  const undo = useMutation<ConfigChange[], AdminError, ChangeGroup>({
    mutationFn: async (g) => {
      const plan = undoPlan(g.changes.filter((c) => c.status !== 'undone'));
      if ('group' in plan) return client.invoke('config.undo', { group: plan.group });
      const out: ConfigChange[] = [];
      for (const id of plan.ids) out.push(...(await client.invoke('config.undo', { id })));
      return out;
    },
    onSuccess: (undone, g) => {
      setConfirming(null);
      const files = [...new Set(undone.map((c) => c.file))];
      setMessage({
        ok: true,
        text: `Undone ${g.key.slice(0, 8)}: ${files.join(', ')} restored byte for byte. Findings rescanned.`,
      });
      void list.refetch();
      scan.mutate({});
    },
    onError: (err) => {
      setConfirming(null);
      setMessage({ ok: false, text: `Undo refused: ${err.message}` });
      void list.refetch();
    },
  });

  const changes = useMemo(() => list.data ?? [], [list.data]);
  const groups = useMemo(() => groupChanges(changes), [changes]);
  const rows = useMemo(() => filterGroups(groups, filters), [groups, filters]);
  const actors = useMemo(() => actorsOf(changes), [changes]);
  const filtering = filters.file !== '' || filters.actor !== '';
  const set = <K extends keyof ChangeFilters>(k: K, v: ChangeFilters[K]) => setFilters((f) => ({ ...f, [k]: v }));

  return (
    <section className="page page-fill" data-testid="page-changes" aria-labelledby="changes-title">
      <header className="page-header">
        <h1 id="changes-title">Changes</h1>
        <span className="page-sub">
          Every config file write by Gatehouse; one row per confirmation, undone together. Diffs are masked.
        </span>
        <span className="spacer" />
        <button
          type="button"
          className="btn"
          data-testid="changes-refresh"
          aria-busy={list.isFetching}
          disabled={list.isFetching}
          onClick={() => void list.refetch()}
          title="Check again which changes can be undone"
        >
          {list.isFetching ? 'Checking…' : 'Refresh'}
        </button>
      </header>

      <FilterBar
        label="Filter changes"
        filtering={filtering}
        onClear={() => setFilters({ ...NO_CHANGE_FILTERS, sort: filters.sort })}
        clearLabel="Reset"
        end={
          <span className="count" data-testid="changes-count" data-count={rows.length} aria-live="polite">
            {filtering ? `${rows.length} of ${groups.length}` : groups.length} change{groups.length === 1 ? '' : 's'} ·{' '}
            {changes.length} file write{changes.length === 1 ? '' : 's'}
          </span>
        }
      >
        <SearchFilter
          label="Filter by file"
          placeholder="Filter by file…"
          testId="changes-filter-file"
          value={filters.file}
          onChange={(v) => set('file', v)}
        />
        <FilterSelect
          label="Actor"
          testId="changes-filter-actor"
          value={filters.actor}
          onChange={(v) => set('actor', v)}
          allLabel="All"
          options={actors.map((a) => ({ value: a, label: a }))}
        />
      </FilterBar>

      {message && (
        <div
          className={message.ok ? 'callout callout-ok' : 'callout callout-error'}
          role={message.ok ? 'status' : 'alert'}
          data-testid={message.ok ? 'changes-message' : 'changes-error'}
        >
          {message.text}{' '}
          <button type="button" className="btn btn-ghost" onClick={() => setMessage(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      {scan.isPending && <Busy label="Rescanning the workstation…" />}
      {list.isError && (
        <div className="callout callout-error" role="alert">
          Could not load the changes: {list.error.message}
        </div>
      )}

      <div className="changes-scroll">
        <table className="changes" data-testid="changes-table" aria-label="Config changes">
          <colgroup>
            <col style={{ width: '12%' }} />
            <col style={{ width: '29%' }} />
            <col style={{ width: '23%' }} />
            <col style={{ width: '13%' }} />
            <col style={{ width: '10%' }} />
            <col style={{ width: '13%' }} />
          </colgroup>
          <thead>
            <tr>
              <th scope="col" aria-sort={filters.sort === 'newest' ? 'descending' : 'ascending'}>
                <button
                  type="button"
                  className="th-sort"
                  data-testid="changes-sort-time"
                  title="Sort by time"
                  onClick={() => set('sort', filters.sort === 'newest' ? 'oldest' : 'newest')}
                >
                  Time <span aria-hidden="true">{filters.sort === 'newest' ? '↓' : '↑'}</span>
                </button>
              </th>
              <th scope="col">Files · pointers</th>
              <th scope="col">Summary</th>
              <th scope="col">Actor</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="cc-sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={6} className="muted" data-testid="changes-empty">
                  {list.isPending
                    ? 'Loading…'
                    : groups.length > 0
                      ? 'No changes match the filters.'
                      : 'No config changes yet. Fixes from the Findings and server pages (and gatehouse fix / config) are listed here.'}
                </td>
              </tr>
            )}
            {rows.map((g) => (
              <Fragment key={g.key}>
                <GroupRow
                  g={g}
                  open={openKey === g.key}
                  busy={undo.isPending}
                  onToggle={() => setOpenKey(openKey === g.key ? null : g.key)}
                  onUndo={() => setConfirming(g)}
                />
                {openKey === g.key && (
                  <tr className="change-detail" id={`change-detail-${g.key}`}>
                    <td colSpan={6}>
                      <div className="change-detail-inner">
                        {g.changes.map((c) => (
                          <ChangeDetail key={c.id} change={c} showHead={g.changes.length > 1} />
                        ))}
                      </div>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>

      {confirming && (
        <UndoConfirm
          group={confirming}
          busy={undo.isPending}
          onCancel={() => setConfirming(null)}
          onConfirm={() => undo.mutate(confirming)}
        />
      )}
    </section>
  );
}

function GroupRow({
  g,
  open,
  busy,
  onToggle,
  onUndo,
}: {
  g: ChangeGroup;
  open: boolean;
  busy: boolean;
  onToggle(): void;
  onUndo(): void;
}) {
  const n = g.changes.length;
  const first = g.changes[0]!;
  const shown = g.changes.slice(0, FILES_IN_ROW);
  return (
    <tr
      className="change-row"
      data-testid="change-row"
      data-id={g.key}
      data-group={g.group ?? ''}
      data-count={n}
      data-status={g.status}
      data-undoable={g.undoable ? 'yes' : 'no'}
    >
      <td title={g.at}>{new Date(g.at).toLocaleString()}</td>
      <td>
        {shown.map((c) => (
          <div key={c.id} className="change-file-item">
            <div className="change-file" title={c.file} data-testid="change-file">
              <bdi>{c.file}</bdi>
            </div>
            <div className="mono faint change-pointers" data-testid="change-pointers">
              {c.pointers.length ? c.pointers.join(', ') : '(whole file)'}
            </div>
          </div>
        ))}
        {n > FILES_IN_ROW && (
          <div className="faint">
            and {n - FILES_IN_ROW} more file{n - FILES_IN_ROW === 1 ? '' : 's'}
          </div>
        )}
      </td>
      <td>
        {n > 1 && (
          <span className="badge badge-accent" data-testid="change-group-size">
            {n} files
          </span>
        )}{' '}
        <span className="badge">{first.kind}</span> {first.summary}
        {n > 1 && <span className="muted"> (+{n - 1} more)</span>}
      </td>
      <td className="change-actor" title={g.actor}>
        {g.actor}
      </td>
      <td>
        <span className={STATUS_BADGE[g.status]} data-testid="change-status">
          {STATUS_LABEL[g.status]}
        </span>
        {g.status !== 'undone' && !g.undoable && g.undoBlocked && (
          <div className="change-blocked" data-testid="change-blocked">
            Cannot undo: {g.undoBlocked}
          </div>
        )}
      </td>
      <td>
        <div className="changes-actions">
          <button
            type="button"
            className="btn btn-ghost"
            aria-expanded={open}
            title="The masked diffs and notes"
            aria-controls={`change-detail-${g.key}`}
            data-testid="change-toggle"
            onClick={onToggle}
          >
            Diff <span aria-hidden="true">{open ? '▴' : '▾'}</span>
          </button>
          {g.status !== 'undone' && (
            <button
              type="button"
              className="btn"
              data-testid="change-undo"
              disabled={!g.undoable || busy}
              title={
                g.undoable
                  ? n > 1
                    ? `Restore all ${n} files as they were before this change`
                    : 'Restore the file as it was before this change'
                  : g.undoBlocked
              }
              onClick={onUndo}
            >
              Undo…
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}
