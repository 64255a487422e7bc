import { useState, type ReactNode } from 'react';
import type { AdminEvents } from '../../../../shared/api/contract.js';
import type { Severity } from '../../../../shared/model/finding.js';
import type { LiveServerState } from '../../../../shared/model/live.js';
import { routeHref } from '../../app/router.js';
import { useAdminEvent, useAdminMutation, useAdminQuery } from '../../client/index.js';
import { useWorstSeverity } from '../findings/FindingCounts.js';
import { suspiciousSpans } from './suspicious.js';
import { visibleSegments } from './visible.js';
import './live.css';

/** A run of plain text with the spans that read as instructions to the model marked. */
function Flagged({ text }: { text: string }) {
  const hits = suspiciousSpans(text);
  if (!hits.length) return <span>{text}</span>;
  const out: ReactNode[] = [];
  let at = 0;
  hits.forEach((h, i) => {
    if (h.start > at) out.push(<span key={`t${i}`}>{text.slice(at, h.start)}</span>);
    out.push(
      <mark
        key={`m${i}`}
        className="gh-suspicious"
        title={`Reads as an instruction to the model: ${h.what}`}
        data-testid="suspicious-text"
      >
        {text.slice(h.start, h.end)}
      </mark>,
    );
    at = h.end;
  });
  if (at < text.length) out.push(<span key="end">{text.slice(at)}</span>);
  return <>{out}</>;
}

/** Whether a definition text carries hidden characters or instruction-like phrases. */
export function isSuspicious(text: string): boolean {
  return visibleSegments(text).some((s) => s.kind !== 'text' || suspiciousSpans(s.value).length > 0);
}

/**
 * Untrusted text rendered as plain text: ANSI stripped, invisible characters visible, hidden
 * (tag-character) text decoded, and instruction-like phrases (`<IMPORTANT>`, "do not tell the
 * user"…) highlighted where the live integrity findings would flag them.
 */
export function UntrustedText({
  text,
  className = 'gh-desc',
  testId,
}: {
  text: string;
  className?: string;
  testId?: string;
}) {
  return (
    <pre className={className} data-testid={testId}>
      {visibleSegments(text).map((s, i) =>
        s.kind === 'text' ? (
          <Flagged key={i} text={s.value} />
        ) : s.kind === 'mark' ? (
          <span key={i} className="gh-invisible" title="Invisible character" data-testid="invisible-char">
            {s.value}
          </span>
        ) : (
          <span key={i} className="gh-hidden" title="Hidden text in Unicode tag characters" data-testid="hidden-text">
            hidden: <Flagged text={s.value} />
          </span>
        ),
      )}
    </pre>
  );
}

const STATUS_CLASS: Record<LiveServerState['status'], string> = {
  ok: 'badge badge-ok',
  error: 'badge badge-danger',
  'needs-consent': 'badge badge-warn',
  'needs-sign-in': 'badge badge-warn',
  'session-expired': 'badge badge-warn',
  connecting: 'badge badge-accent',
  cancelled: 'badge',
  skipped: 'badge',
  idle: 'badge',
};

export function liveStatusText(s: LiveServerState): string {
  switch (s.status) {
    case 'ok':
      return `ok · ${s.toolCount ?? 0} tools · ${s.promptCount ?? 0} prompts · ${s.resourceCount ?? 0} resources`;
    case 'error':
      return `error: ${s.error ?? 'unknown'}`;
    case 'needs-consent':
      // The service says why (waiting, command line or URL changed since consent, legacy consent).
      return s.error ? `needs consent: ${s.error}` : 'needs consent';
    case 'needs-sign-in':
      return 'needs sign-in (OAuth)';
    case 'session-expired':
      return 'session expired: sign in again';
    case 'connecting':
      return 'connecting…';
    case 'cancelled':
      return 'cancelled';
    case 'skipped':
      return s.error ? `skipped: ${s.error}` : 'skipped';
    case 'idle':
      return 'not connected';
  }
}

/** Open findings at or above this severity make a connected server read as at risk, never a green "ok". */
function riskClass(worst: Severity | null | undefined): string | null {
  if (worst === 'critical' || worst === 'high') return 'badge badge-danger';
  if (worst === 'medium') return 'badge badge-warn';
  return null;
}

/**
 * The live state of one server (`data-testid="live-status"`, `data-status`), coloured by risk:
 * a server that connects fine but has open high or critical findings (a poisoned description, a
 * rug pull, a plaintext credential) is red and says why, never a green "ok".
 */
export function LiveStatusBadge({
  state,
  worst,
  serverId,
}: {
  state: LiveServerState | undefined;
  /** Worst open finding severity of the server (from findings.list). */
  worst?: Severity | null;
  /** When given, "N changed" links to the server's Pins & changes tab. */
  serverId?: string;
}) {
  if (!state) {
    return (
      <span className="badge" data-testid="live-status" data-status="unknown">
        —
      </span>
    );
  }
  const base = liveStatusText(state);
  const risk = state.status === 'ok' ? riskClass(worst) : null;
  const text = risk && worst ? `${worst} risk · ${base}` : base;
  return (
    <span className="keys" title={risk ? `${text} (open ${worst} findings)` : text}>
      <span
        className={risk ?? STATUS_CLASS[state.status]}
        data-testid="live-status"
        data-status={state.status}
        data-risk={risk ? worst : undefined}
      >
        {text.length > 60 ? text.slice(0, 60) + '…' : text}
      </span>
      {state.authMode && state.authMode !== 'n/a' && (
        <span
          className={state.authMode === 'none' ? 'badge badge-danger' : 'badge'}
          data-testid="live-auth"
          data-auth={state.authMode}
        >
          auth {state.authMode}
        </span>
      )}
      {state.changes ? (
        serverId ? (
          <a
            className="badge badge-danger"
            data-testid="live-changes"
            data-count={state.changes}
            href={`${routeHref('servers', serverId)}?tab=changes`}
            title="Definitions differ from what was pinned: see what changed"
            onClick={(e) => e.stopPropagation()}
          >
            {state.changes} changed
          </a>
        ) : (
          <span className="badge badge-danger" data-testid="live-changes" data-count={state.changes}>
            {state.changes} changed
          </span>
        )
      ) : null}
    </span>
  );
}

export function useLiveStates() {
  return useAdminQuery('live.states', {}, { topics: ['discovery'] });
}

/** Inventory cell: the row's live state (one shared query for all rows). */
export function LiveStatusCell({ serverId }: { serverId: string }) {
  const states = useLiveStates();
  const worst = useWorstSeverity(serverId);
  return (
    <LiveStatusBadge state={states.data?.find((s) => s.serverId === serverId)} worst={worst} serverId={serverId} />
  );
}

type Progress = AdminEvents['live.progress'];

/** Connect all: enumerates every reachable server, with progress and per-server cancel. */
export function ConnectAll() {
  const [progress, setProgress] = useState<Map<string, Progress>>(new Map());
  const [open, setOpen] = useState(false);
  const scan = useAdminMutation('live.scan', { onSettled: () => setTimeout(() => setOpen(false), 1500) });
  const cancel = useAdminMutation('live.cancel');
  const states = useLiveStates();
  useAdminEvent('live.progress', (p) => {
    if (!scan.isPending) return;
    setProgress((m) => new Map(m).set(p.serverId, p));
  });
  const items = [...progress.values()];
  const last = items.reduce<Progress | undefined>((a, b) => (!a || b.done >= a.done ? b : a), undefined);
  const waiting = states.data?.filter((s) => s.status === 'needs-consent').length ?? 0;
  return (
    <span className="gh-connect-all">
      {waiting > 0 && (
        <span
          className="badge badge-warn"
          data-testid="needs-consent-count"
          title="Stdio servers, and remote servers from project files, are touched only after consent (Review consent reviews several at once)"
        >
          {waiting} need consent
        </span>
      )}
      <button
        type="button"
        className="btn"
        data-testid="connect-all"
        disabled={scan.isPending}
        aria-busy={scan.isPending}
        onClick={() => {
          setProgress(new Map());
          setOpen(true);
          scan.mutate({});
        }}
      >
        {scan.isPending ? `Connecting… ${last ? `${last.done}/${last.total}` : ''}` : 'Connect all'}
      </button>
      {open && (
        <div className="gh-connect-pop" role="status" aria-live="polite" data-testid="connect-progress">
          <div className="gh-live-head">
            <strong>{scan.isPending ? 'Connecting' : 'Done'}</strong>
            {last && (
              <span className="muted">
                {last.done}/{last.total}
              </span>
            )}
            <span className="spacer" />
            {scan.isPending && (
              <button
                type="button"
                className="btn btn-ghost"
                data-testid="cancel-all"
                onClick={() => cancel.mutate({})}
              >
                Cancel all
              </button>
            )}
            {!scan.isPending && (
              <button type="button" className="btn btn-ghost" onClick={() => setOpen(false)}>
                Close
              </button>
            )}
          </div>
          {scan.isError && <div className="callout callout-error">{scan.error.message}</div>}
          <div className="gh-progress-list">
            {items.map((p) => (
              <div
                key={p.serverId}
                className="gh-progress-item"
                data-testid="connect-progress-item"
                data-status={p.status}
              >
                <span className={STATUS_CLASS[p.status]}>{p.status}</span>
                <span>{p.name}</span>
                {p.status === 'connecting' && (
                  <button
                    type="button"
                    className="btn btn-ghost"
                    data-testid="cancel-server"
                    onClick={() => cancel.mutate({ serverId: p.serverId })}
                  >
                    Cancel
                  </button>
                )}
                {p.error && p.status !== 'needs-consent' && <span className="muted">{p.error.slice(0, 80)}</span>}
              </div>
            ))}
          </div>
        </div>
      )}
    </span>
  );
}

export { ConsentDialog } from './consent/ConsentDialog.js';
