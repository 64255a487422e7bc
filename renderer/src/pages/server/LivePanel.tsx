import { useEffect, useMemo, useState } from 'react';
import { readHashQuery, writeHashQuery } from '../../app/url-state.js';
import type { PinChange, ServerSnapshot } from '../../../../shared/model/live.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { useWorstSeverity } from '../findings/FindingCounts.js';
import { ConsentDialog, isSuspicious, LiveStatusBadge, UntrustedText, useLiveStates } from './live-ui.js';
import { SignInBar } from './SignIn.js';
import { diffLines, prettyLines, visiblePlain } from './visible.js';

type Tab = 'tools' | 'prompts' | 'resources' | 'changes' | 'history';

function Schema({ value }: { value: unknown }) {
  if (value === undefined) return null;
  return <pre className="gh-schema">{prettyLines(value).join('\n')}</pre>;
}

function ToolsList({ snap }: { snap: ServerSnapshot }) {
  if (!snap.tools.length) return <p className="muted">No tools.</p>;
  return (
    <div className="gh-list" data-testid="live-tools">
      {snap.tools.map((t) => (
        <div key={t.name} className="gh-item" data-testid="live-tool" data-name={t.name}>
          <div className="gh-item-head">
            <span className="gh-item-name">{visiblePlain(t.name)}</span>
            {t.title && <span className="muted">{visiblePlain(t.title)}</span>}
            {t.annotations?.readOnlyHint === true && <span className="badge">read-only</span>}
            {t.annotations?.destructiveHint === true && <span className="badge badge-warn">destructive</span>}
            {t.description && isSuspicious(t.description) && (
              <span
                className="badge badge-danger gh-flag"
                data-testid="live-tool-flag"
                title="The description carries hidden characters or text that reads as instructions to the model (highlighted below)"
              >
                hidden instructions
              </span>
            )}
          </div>
          {t.description && <UntrustedText text={t.description} testId="live-tool-description" />}
          <details>
            <summary className="muted">Input schema</summary>
            <Schema value={t.inputSchema} />
          </details>
          {t.outputSchema && (
            <details>
              <summary className="muted">Output schema</summary>
              <Schema value={t.outputSchema} />
            </details>
          )}
        </div>
      ))}
    </div>
  );
}

function PromptsList({ snap }: { snap: ServerSnapshot }) {
  if (!snap.prompts.length) return <p className="muted">No prompts.</p>;
  return (
    <div className="gh-list" data-testid="live-prompts">
      {snap.prompts.map((p) => (
        <div key={p.name} className="gh-item" data-testid="live-prompt">
          <div className="gh-item-head">
            <span className="gh-item-name">{visiblePlain(p.name)}</span>
          </div>
          {p.description && <UntrustedText text={p.description} />}
          {p.arguments && p.arguments.length > 0 && <Schema value={p.arguments} />}
        </div>
      ))}
    </div>
  );
}

function ResourcesList({ snap }: { snap: ServerSnapshot }) {
  if (!snap.resources.length && !snap.resourceTemplates.length) return <p className="muted">No resources.</p>;
  return (
    <table className="gh-table" data-testid="live-resources">
      <thead>
        <tr>
          <th>URI</th>
          <th>Name</th>
          <th>MIME</th>
          <th>Description</th>
        </tr>
      </thead>
      <tbody>
        {snap.resources.map((r) => (
          <tr key={r.uri}>
            <td className="mono">{visiblePlain(r.uri)}</td>
            <td>{visiblePlain(r.name)}</td>
            <td>{r.mimeType ?? ''}</td>
            <td>{r.description ? <UntrustedText text={r.description} /> : null}</td>
          </tr>
        ))}
        {snap.resourceTemplates.map((r) => (
          <tr key={r.uriTemplate}>
            <td className="mono">{visiblePlain(r.uriTemplate)} (template)</td>
            <td>{visiblePlain(r.name)}</td>
            <td>{r.mimeType ?? ''}</td>
            <td>{r.description ? <UntrustedText text={r.description} /> : null}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Side-by-side diff of two values (definitions), line by line. */
function SideBySide({
  left,
  right,
  leftTitle,
  rightTitle,
  section,
}: {
  left: unknown;
  right: unknown;
  leftTitle: string;
  rightTitle: string;
  section?: string;
}) {
  const rows = useMemo(() => diffLines(prettyLines(left), prettyLines(right)), [left, right]);
  return (
    <>
      {section && <div className="gh-diff-section">{section}</div>}
      {!section && (
        <>
          <div className="gh-diff-head">{leftTitle}</div>
          <div className="gh-diff-head">{rightTitle}</div>
        </>
      )}
      {rows.map((r, i) => (
        <DiffRowView key={i} left={r.left} right={r.right} change={r.change} />
      ))}
    </>
  );
}

function DiffRowView({ left, right, change }: { left?: string; right?: string; change: string }) {
  return (
    <>
      <div className={`gh-diff-cell gh-left gh-diff-${change === 'added' ? 'same' : change}`} data-change={change}>
        {left ?? ''}
      </div>
      <div className={`gh-diff-cell gh-right gh-diff-${change === 'removed' ? 'same' : change}`} data-change={change}>
        {right ?? ''}
      </div>
    </>
  );
}

function definitionsOf(s: ServerSnapshot): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (s.instructions !== undefined) m.set('instructions', { instructions: s.instructions });
  for (const t of s.tools) m.set(`tool ${t.name}`, t);
  for (const p of s.prompts) m.set(`prompt ${p.name}`, p);
  for (const r of s.resources) m.set(`resource ${r.uri}`, r);
  for (const r of s.resourceTemplates) m.set(`resource template ${r.uriTemplate}`, r);
  return m;
}

/** Every definition that differs between two snapshots, side by side. */
function SnapshotDiff({ serverId, from, to }: { serverId: string; from: number; to: number }) {
  const diff = useAdminQuery('live.diff', { serverId, from, to });
  if (diff.isPending) return <p className="muted">Loading…</p>;
  if (diff.isError) return <div className="callout callout-error">{diff.error.message}</div>;
  const a = definitionsOf(diff.data.from);
  const b = definitionsOf(diff.data.to);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const differing = keys.filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)));
  return (
    <div data-testid="snapshot-diff" data-differences={differing.length}>
      {differing.length === 0 ? (
        <p className="muted">The two snapshots expose identical definitions.</p>
      ) : (
        <div className="gh-diff">
          <div className="gh-diff-head">
            #{from} · {new Date(diff.data.from.at).toLocaleString()}
          </div>
          <div className="gh-diff-head">
            #{to} · {new Date(diff.data.to.at).toLocaleString()}
          </div>
          {differing.map((k) => (
            <SideBySide
              key={k}
              section={`${visiblePlain(k)}${!a.has(k) ? ' (added)' : !b.has(k) ? ' (removed)' : ' (modified)'}`}
              left={a.get(k)}
              right={b.get(k)}
              leftTitle=""
              rightTitle=""
            />
          ))}
        </div>
      )}
    </div>
  );
}

function History({ serverId }: { serverId: string }) {
  const history = useAdminQuery('live.history', { serverId });
  const enumerated = (history.data ?? []).filter((h) => h.status === 'ok');
  const [pick, setPick] = useState<{ from?: number; to?: number }>({});
  const from = pick.from ?? enumerated[1]?.id;
  const to = pick.to ?? enumerated[0]?.id;
  if (history.isPending) return <p className="muted">Loading…</p>;
  return (
    <div className="gh-list">
      <table className="gh-table" data-testid="live-history">
        <thead>
          <tr>
            <th>From</th>
            <th>To</th>
            <th>Snapshot</th>
            <th>When</th>
            <th>Status</th>
            <th>Tools</th>
            <th>Prompts</th>
            <th>Resources</th>
          </tr>
        </thead>
        <tbody>
          {(history.data ?? []).map((h) => (
            <tr key={h.id} data-testid="history-row" data-status={h.status}>
              <td>
                {h.status === 'ok' && (
                  <input
                    type="radio"
                    name="diff-from"
                    aria-label={`Diff from #${h.id}`}
                    checked={from === h.id}
                    onChange={() => setPick((p) => ({ ...p, from: h.id }))}
                  />
                )}
              </td>
              <td>
                {h.status === 'ok' && (
                  <input
                    type="radio"
                    name="diff-to"
                    aria-label={`Diff to #${h.id}`}
                    checked={to === h.id}
                    onChange={() => setPick((p) => ({ ...p, to: h.id }))}
                  />
                )}
              </td>
              <td>#{h.id}</td>
              <td>{new Date(h.at).toLocaleString()}</td>
              <td>
                {h.status}
                {h.error ? <span className="muted"> · {h.error.slice(0, 80)}</span> : null}
              </td>
              <td>{h.toolCount}</td>
              <td>{h.promptCount}</td>
              <td>{h.resourceCount}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {from !== undefined && to !== undefined && from !== to ? (
        <SnapshotDiff serverId={serverId} from={from} to={to} />
      ) : (
        <p className="muted">Two enumerated snapshots are needed for a diff.</p>
      )}
    </div>
  );
}

function Changes({ serverId }: { serverId: string }) {
  const pins = useAdminQuery('live.pins', { serverId });
  const [reason, setReason] = useState('');
  const accept = useAdminMutation('live.acceptChanges', { onSuccess: () => setReason('') });
  if (pins.isPending) return <p className="muted">Loading…</p>;
  if (pins.isError) return <div className="callout callout-error">{pins.error.message}</div>;
  const changes: PinChange[] = pins.data.changes;
  return (
    <div className="gh-list">
      {changes.length === 0 ? (
        <p className="muted" data-testid="no-changes">
          Everything matches its pin.
        </p>
      ) : (
        <>
          <div className="callout callout-error" role="alert" data-testid="pending-changes" data-count={changes.length}>
            {changes.length} definition(s) differ from what was pinned. Review before accepting.
          </div>
          <div className="gh-diff" data-testid="change-diff">
            <div className="gh-diff-head">Pinned</div>
            <div className="gh-diff-head">Now</div>
            {changes.map((c) => (
              <SideBySide
                key={`${c.kind}:${c.name}`}
                section={`${c.kind} ${visiblePlain(c.name)} (${c.change})`}
                left={c.before}
                right={c.after}
                leftTitle=""
                rightTitle=""
              />
            ))}
          </div>
          <form
            className="gh-list"
            onSubmit={(e) => {
              e.preventDefault();
              if (reason.trim()) accept.mutate({ serverId, reason: reason.trim() });
            }}
          >
            <label className="field-label" htmlFor="accept-reason">
              Reason for accepting (recorded in the admin log)
            </label>
            <textarea
              id="accept-reason"
              className="gh-textarea"
              data-testid="accept-reason"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
            {accept.isError && <div className="callout callout-error">{accept.error.message}</div>}
            <div className="gh-actions">
              <button
                type="submit"
                className="btn btn-primary"
                data-testid="accept-change"
                disabled={!reason.trim() || accept.isPending}
              >
                Accept and re-pin
              </button>
            </div>
          </form>
        </>
      )}
      <details>
        <summary className="muted">Pins ({pins.data.pins.length})</summary>
        <table className="gh-table" data-testid="live-pins">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Name</th>
              <th>SHA-256</th>
              <th>Pinned</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {pins.data.pins.map((p) => (
              <tr key={`${p.kind}:${p.name}`}>
                <td>{p.kind}</td>
                <td className="mono">{visiblePlain(p.name)}</td>
                <td className="mono">{p.hash.slice(0, 16)}…</td>
                <td>{new Date(p.pinnedAt).toLocaleString()}</td>
                <td>{p.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

const TABS: readonly Tab[] = ['tools', 'prompts', 'resources', 'changes', 'history'];

/** The tab from the URL (`#/servers/<id>?tab=changes`: where the "N changed" badge links). */
function initialTab(): Tab {
  const t = readHashQuery().get('tab');
  return TABS.find((x) => x === t) ?? 'tools';
}

/** Live section of the server page: connect (with consent), what the server exposes, pins, history. */
export function LivePanel({
  serverId,
  transport,
  disabled,
}: {
  serverId: string;
  transport: string;
  disabled: boolean;
}) {
  const states = useLiveStates();
  const state = states.data?.find((s) => s.serverId === serverId);
  const snapshot = useAdminQuery('live.snapshot', { serverId });
  const scan = useAdminMutation('live.scan');
  const cancel = useAdminMutation('live.cancel');
  const [consent, setConsent] = useState(false);
  const [tab, setTab] = useState<Tab>(initialTab);
  useEffect(() => writeHashQuery({ tab: tab === 'tools' ? '' : tab }), [tab]);
  const worst = useWorstSeverity(serverId);
  const snap = snapshot.data ?? null;
  const connect = () => {
    if (state?.status === 'needs-consent') setConsent(true);
    else scan.mutate({ serverIds: [serverId], baitCheck: true });
  };
  const tabs: { id: Tab; label: string }[] = [
    { id: 'tools', label: `Tools${snap ? ` (${snap.tools.length})` : ''}` },
    { id: 'prompts', label: `Prompts${snap ? ` (${snap.prompts.length})` : ''}` },
    { id: 'resources', label: `Resources${snap ? ` (${snap.resources.length + snap.resourceTemplates.length})` : ''}` },
    { id: 'changes', label: `Pins & changes${state?.changes ? ` (${state.changes})` : ''}` },
    { id: 'history', label: 'History' },
  ];
  const connectable = !disabled && (transport === 'stdio' || transport === 'http' || transport === 'sse');
  return (
    <section className="gh-live" aria-labelledby="live-title" data-testid="live-panel">
      <div className="gh-live-head">
        <h2 id="live-title">Live</h2>
        <LiveStatusBadge state={state} worst={worst} />
        <span className="spacer" />
        {scan.isPending || state?.status === 'connecting' ? (
          <button type="button" className="btn" data-testid="live-cancel" onClick={() => cancel.mutate({ serverId })}>
            Cancel
          </button>
        ) : (
          <button
            type="button"
            className="btn btn-primary"
            data-testid="live-connect"
            disabled={!connectable}
            onClick={connect}
          >
            {state?.status === 'needs-consent' ? 'Review and connect…' : snap ? 'Reconnect' : 'Connect'}
          </button>
        )}
      </div>
      {scan.isError && <div className="callout callout-error">{scan.error.message}</div>}
      {(transport === 'http' || transport === 'sse') && !disabled && <SignInBar serverId={serverId} state={state} />}
      {state?.status === 'error' && (
        <div className="callout callout-error" data-testid="live-error">
          {state.error}
        </div>
      )}
      {snap && snap.status === 'error' && snap.stderrTail && (
        <details>
          <summary className="muted">Server stderr (last lines)</summary>
          <UntrustedText text={snap.stderrTail} className="gh-schema" />
        </details>
      )}
      {snap && (
        <p className="muted" data-testid="live-meta">
          {snap.serverInfo ? `${visiblePlain(snap.serverInfo.name)} ${visiblePlain(snap.serverInfo.version)}` : ''}
          {snap.protocolVersion ? ` · protocol ${snap.protocolVersion}` : ''}
          {snap.connectedVia ? ` · via ${snap.connectedVia}` : ''} · {new Date(snap.at).toLocaleString()}
          {snap.unresolvedEnv.length ? ` · unresolved: ${snap.unresolvedEnv.join(', ')}` : ''}
        </p>
      )}
      {snap?.clientDependent && snap.clientDependent.length > 0 && (
        <div className="callout callout-error" role="alert" data-testid="live-bait">
          This server describes {snap.clientDependent.map((k) => visiblePlain(k.slice(k.indexOf(':') + 1))).join(', ')}{' '}
          differently when asked as {'its client'} than when asked as Gatehouse (bait-and-switch).
        </div>
      )}
      {snap && snap.limits.length > 0 && (
        <div className="callout" data-testid="live-limits">
          Limits hit: {snap.limits.join('; ')}
        </div>
      )}
      {snap?.instructions && (
        <details>
          <summary className="muted">Server instructions</summary>
          <UntrustedText text={snap.instructions} />
        </details>
      )}
      <div className="gh-tabs" role="tablist" aria-label="Live inventory">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            className="gh-tab"
            aria-selected={tab === t.id}
            data-testid={`live-tab-${t.id}`}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {!snap && tab !== 'history' && tab !== 'changes' ? (
          <p className="muted">Not enumerated yet. Connect to see what this server exposes.</p>
        ) : snap?.status === 'error' && tab !== 'history' && tab !== 'changes' ? (
          // A failed connection listed nothing: "No tools" would read as "has none".
          <p className="muted" data-testid="live-not-enumerated">
            Not enumerated: the last connection failed (see above). Fix the cause, then Reconnect.
          </p>
        ) : tab === 'tools' && snap ? (
          <ToolsList snap={snap} />
        ) : tab === 'prompts' && snap ? (
          <PromptsList snap={snap} />
        ) : tab === 'resources' && snap ? (
          <ResourcesList snap={snap} />
        ) : tab === 'changes' ? (
          <Changes serverId={serverId} />
        ) : (
          <History serverId={serverId} />
        )}
      </div>
      {consent && (
        <ConsentDialog
          serverId={serverId}
          onClose={() => setConsent(false)}
          onConsented={() => {
            setConsent(false);
            scan.mutate({ serverIds: [serverId], baitCheck: true });
          }}
        />
      )}
    </section>
  );
}
