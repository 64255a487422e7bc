import { useEffect, useState } from 'react';
import { JsonlMapping, type AuditSource, type AuditSourceConfig } from '../../../../shared/model/audit.js';
import type { AdminEvents } from '../../../../shared/api/contract.js';
import { useAdminEvent, useAdminMutation, useAdminQuery } from '../../client/index.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { AuditTrash, RetentionControl } from './RetentionControl.js';
import '../audit/audit.css';

type Kind = AuditSourceConfig['kind'];
const KIND_LABEL: Record<Kind | 'gatehouse', string> = {
  toolhive: 'ToolHive audit log (JSON lines file)',
  'otlp-json': 'OTLP JSON logs (Collector file exporter)',
  jsonl: 'Generic JSON lines + field mapping',
  contextforge: 'IBM ContextForge (audit trails + tool calls)',
  gatehouse: "Gatehouse's own actions (hash-chained)",
};
type SyncProgress = AdminEvents['audit.sync.progress'];
/**
 * A progress entry not updated for this long is dropped: the server reports a few times a second
 * while storing; an index build sends nothing until it ends (~10 s at 1M events).
 */
const STALE_MS = { storing: 30_000, indexing: 300_000 } as const;

/** A long file import's progress (any window's or the follower's sync): bytes read, then indexing. */
function SyncProgressBar({ p }: { p: SyncProgress }) {
  const pct = p.phase === 'storing' && p.totalBytes ? Math.min(99, Math.floor((100 * p.bytes) / p.totalBytes)) : 100;
  return (
    <div className="audit-sync-progress" data-testid="audit-sync-progress" data-phase={p.phase}>
      <span role="status">
        {p.phase === 'storing' ? `Importing ${p.source}…` : `Building the search index for ${p.source}…`}
      </span>
      <span
        className="progress-bar"
        role="progressbar"
        aria-label={`Import of ${p.source}`}
        aria-valuemin={0}
        aria-valuemax={100}
        // Indeterminate while the indexes are built (how long is not known).
        aria-valuenow={p.phase === 'storing' ? pct : undefined}
      >
        <span style={{ width: `${pct}%` }} />
      </span>
      <span className="muted num">
        {p.lines.toLocaleString()} lines · {p.imported.toLocaleString()} new events
        {p.phase === 'storing' ? ` · ${pct}%` : ' · facets already answer, search is catching up'}
      </span>
    </div>
  );
}

const MAPPING_EXAMPLE = '{"time":"ts","user":"actor","tool":"tool","outcome":"result"}';

/** Audit sources: files followed as they grow and gateways pulled incrementally; retention; chain check. */
export function AuditSourcesSection() {
  const sources = useAdminQuery('audit.sources.list', {});
  const add = useAdminMutation('audit.sources.add');
  const update = useAdminMutation('audit.sources.update');
  const remove = useAdminMutation('audit.sources.remove');
  // Imports in progress by source id, with when each was last heard of. An import ends with phase
  // 'done'; an own sync's entries also go when it returns, and any entry silent for STALE_MS (its
  // 'done' lost with a dropped event stream, a server that stopped) goes too: never a stuck bar.
  const [importing, setImporting] = useState<ReadonlyMap<string, SyncProgress & { at: number }>>(new Map());
  useAdminEvent('audit.sync.progress', (p) =>
    setImporting((m) => {
      const next = new Map(m);
      if (p.phase === 'done') next.delete(p.id);
      else next.set(p.id, { ...p, at: Date.now() });
      return next;
    }),
  );
  useEffect(() => {
    if (!importing.size) return;
    const timer = setInterval(() => {
      const now = Date.now();
      setImporting((m) => new Map([...m].filter(([, p]) => p.phase === 'done' || now - p.at < STALE_MS[p.phase])));
    }, 2000);
    return () => clearInterval(timer);
  }, [importing.size]);
  const sync = useAdminMutation('audit.sync', {
    onSettled: (_data, _err, input) =>
      setImporting((m) => (input.id === undefined ? new Map() : new Map([...m].filter(([id]) => id !== input.id)))),
  });
  const verify = useAdminMutation('audit.verify');

  const [kind, setKind] = useState<Kind>('toolhive');
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [baseUrl, setBaseUrl] = useState('http://127.0.0.1:4444');
  const [token, setToken] = useState('');
  const [mapping, setMapping] = useState(MAPPING_EXAMPLE);
  const [formError, setFormError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<AuditSource | null>(null);
  const [removeEvents, setRemoveEvents] = useState(false);

  const submit = () => {
    setFormError(null);
    let config: AuditSourceConfig;
    if (kind === 'contextforge') config = { kind, baseUrl };
    else if (kind === 'jsonl') {
      let parsed;
      try {
        parsed = JsonlMapping.safeParse(JSON.parse(mapping));
      } catch (err) {
        return setFormError(`Mapping is not JSON: ${(err as Error).message}`);
      }
      if (!parsed.success)
        return setFormError(
          `Mapping: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
        );
      config = { kind, path, mapping: parsed.data };
    } else config = { kind, path };
    add.mutate(
      { name: name || kind, config, ...(kind === 'contextforge' && token ? { token } : {}) },
      {
        onSuccess: () => {
          setName('');
          setPath('');
          setToken('');
        },
      },
    );
  };

  return (
    <div data-testid="audit-sources">
      {sources.isError && <div className="callout callout-error">{sources.error.message}</div>}
      <table className="gh-table audit-sources-table" data-testid="audit-sources-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Where</th>
            <th>Imported</th>
            <th>Duplicates</th>
            <th>Rejected</th>
            <th>Last sync</th>
            <th>Status</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(sources.data ?? []).map((s) => (
            <tr key={s.id} data-testid="audit-source-row" data-kind={s.kind}>
              <td>{s.name}</td>
              <td>{KIND_LABEL[s.kind]}</td>
              <td className="mono">{s.config ? ('path' in s.config ? s.config.path : s.config.baseUrl) : '—'}</td>
              <td className="count">{s.imported.toLocaleString()}</td>
              <td className="count">{s.duplicates.toLocaleString()}</td>
              <td className="count">{s.rejected.toLocaleString()}</td>
              <td>{s.lastSyncAt ? new Date(s.lastSyncAt).toLocaleString() : '—'}</td>
              <td>
                {s.lastError ? (
                  <span className="badge badge-warn" title={s.lastError}>
                    {s.lastError.slice(0, 80)}
                  </span>
                ) : s.enabled ? (
                  'ok'
                ) : (
                  'disabled'
                )}
              </td>
              <td>
                {s.kind !== 'gatehouse' && (
                  <>
                    <button
                      type="button"
                      className="btn btn-ghost"
                      onClick={() => update.mutate({ id: s.id, enabled: !s.enabled })}
                    >
                      {s.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button
                      type="button"
                      className="btn btn-ghost"
                      onClick={() => {
                        remove.reset();
                        setRemoveEvents(false);
                        setRemoving(s);
                      }}
                      data-testid="audit-source-remove"
                      aria-label={`Remove audit source ${s.name}`}
                    >
                      Remove
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <div className="audit-sources-form" role="group" aria-label="Add an audit source">
        <label className="field-label">
          Kind
          <select
            className="select"
            value={kind}
            onChange={(e) => setKind(e.target.value as Kind)}
            data-testid="audit-source-kind"
          >
            {(['toolhive', 'otlp-json', 'jsonl', 'contextforge'] as const).map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </label>
        <label className="field-label">
          Name
          <input
            className="input"
            value={name}
            placeholder={kind}
            onChange={(e) => setName(e.target.value)}
            data-testid="audit-source-name"
          />
        </label>
        {kind === 'contextforge' ? (
          <>
            <label className="field-label">
              Base URL
              <input className="input" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
            </label>
            <label className="field-label">
              Bearer token (kept in the secret store)
              <input
                className="input"
                type="password"
                autoComplete="off"
                value={token}
                onChange={(e) => setToken(e.target.value)}
              />
            </label>
          </>
        ) : (
          <label className="field-label">
            File path
            <input
              className="input mono"
              value={path}
              placeholder="/var/log/toolhive/audit.log"
              onChange={(e) => setPath(e.target.value)}
              data-testid="audit-source-path"
            />
          </label>
        )}
        {kind === 'jsonl' && (
          <label className="field-label">
            Field mapping (JSON: field → dotted path)
            <textarea value={mapping} onChange={(e) => setMapping(e.target.value)} spellCheck={false} />
          </label>
        )}
        <button
          type="button"
          className="btn btn-primary"
          onClick={submit}
          disabled={add.isPending}
          data-testid="audit-source-add"
        >
          Add source
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => sync.mutate({})}
          disabled={sync.isPending}
          data-testid="audit-sync"
        >
          {sync.isPending ? 'Syncing…' : 'Sync now'}
        </button>
      </div>
      {(formError || add.isError) && (
        <div className="callout callout-error" role="alert">
          {formError ?? add.error?.message}
        </div>
      )}
      {[...importing.values()].map((p) => (
        <SyncProgressBar key={p.id} p={p} />
      ))}
      {sync.data && (
        <p className="muted" role="status" data-testid="audit-sync-result">
          {sync.data.sources
            .map(
              (s) =>
                `${s.name}: +${s.imported} (${s.duplicates} dup, ${s.rejected} rejected)${s.error ? ` — ${s.error}` : ''}`,
            )
            .join(' · ')}
        </p>
      )}

      <div className="audit-sources-form">
        <RetentionControl />
        <span className="spacer" />
        <button type="button" className="btn" onClick={() => verify.mutate({})} data-testid="audit-verify">
          Verify Gatehouse action chain
        </button>
        {verify.data && (
          <span className={verify.data.ok ? 'badge badge-ok' : 'badge badge-danger'} data-testid="audit-verify-result">
            {verify.data.ok
              ? `Intact: ${verify.data.entries} entries`
              : verify.data.brokenAt
                ? `Broken at entry ${verify.data.brokenAt.seq}: ${verify.data.brokenAt.problem}`
                : `Tampered: ${verify.data.anchor?.message ?? 'the anchor does not match'}`}
          </span>
        )}
        {verify.data?.anchor && (
          <span className="muted" data-testid="audit-verify-anchor">
            {verify.data.keyed ?? 0} keyed, {verify.data.legacy ?? 0} legacy; {verify.data.anchor.message}
          </span>
        )}
      </div>
      <AuditTrash />
      {remove.data && !removing && (
        <p className="muted" role="status" data-testid="audit-source-removed">
          Source removed
          {remove.data.deletedEvents
            ? `; ${remove.data.deletedEvents.toLocaleString()} events moved to the trash (restorable below).`
            : '; its events stay in the timeline.'}
        </p>
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove the audit source “${removing.name}”?`}
          confirmLabel={removeEvents ? `Remove and delete its events` : 'Remove source'}
          busy={remove.isPending}
          error={remove.error?.message}
          testId="audit-source-remove-dialog"
          onCancel={() => setRemoving(null)}
          onConfirm={() =>
            remove.mutate({ id: removing.id, deleteEvents: removeEvents }, { onSuccess: () => setRemoving(null) })
          }
        >
          <p>
            Gatehouse stops following{' '}
            <span className="mono">
              {removing.config
                ? 'path' in removing.config
                  ? removing.config.path
                  : removing.config.baseUrl
                : removing.name}
            </span>
            {removing.config?.kind === 'contextforge' ? ' and forgets its token' : ''}. Adding it again later re-reads
            it from the start (already stored events are not duplicated).
          </p>
          <label className="check">
            <input type="checkbox" checked={removeEvents} onChange={(e) => setRemoveEvents(e.target.checked)} />
            Also delete its {removing.imported.toLocaleString()} imported events (moved to the trash, restorable for 14
            days)
          </label>
        </ConfirmDialog>
      )}
    </div>
  );
}
