import { useEffect, useRef, useState } from 'react';
import type { PolicyConflict, PolicyPlan, PushResult, PushStep } from '../../../../shared/model/policy.js';
import { useAdminEvent, useAdminMutation } from '../../client/index.js';
import { ChangeList, DeltaPanel, Progress, short } from './panels.js';

/** What the dialog pushes: the editor's draft, or a stored version (rollback). */
export type PushRequest =
  | {
      kind: 'push';
      gatewayId: string;
      gatewayName: string;
      text: string;
      baseId: string | null;
      /** The gateway's latest stored version the draft was based on (null: none; undefined: no check). */
      expectedVersion?: string | null;
    }
  | { kind: 'rollback'; gatewayId: string; gatewayName: string; hash: string };

const STATUS_TEXT: Record<PushResult['status'], string> = {
  applied: 'Applied',
  'no-changes': 'No changes',
  'dry-run': 'Dry run',
  conflict: 'Conflict',
  invalid: 'Invalid',
  'rolled-back': 'Failed, rolled back',
  partial: 'Failed, partially applied',
};

const STEP_CLASS: Record<PushStep['status'], string> = {
  applied: 'badge-ok',
  failed: 'badge-danger',
  compensated: 'badge-warn',
  'compensation-failed': 'badge-danger',
  skipped: '',
};

/**
 * Push (or rollback) confirmation: names the gateway and the number of changes and shows the plan;
 * then progress from `policy.progress`; then the result — applied and verified, a conflict with
 * base / live / draft side by side, or a failure with each step's status.
 */
export function PushDialog({
  request,
  plan,
  planError,
  onClose,
  onDone,
  onConflict,
}: {
  request: PushRequest;
  /** The plan to confirm (undefined while it is computed). */
  plan: PolicyPlan | undefined;
  planError: string | null;
  onClose(): void;
  onDone(result: PushResult): void;
  /** Another admin stored a newer version since the draft's: nothing was written (the page explains). */
  onConflict?(message: string): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [message, setMessage] = useState(request.kind === 'rollback' ? `Roll back to ${short(request.hash)}` : '');
  const [progress, setProgress] = useState<{ done: number; total: number; message: string } | null>(null);
  const push = useAdminMutation('policy.push', {
    onSuccess: onDone,
    onError: (e) => {
      if (e.code === 'conflict' && onConflict) onConflict(e.message);
    },
  });
  const rollback = useAdminMutation('policy.rollback', { onSuccess: onDone });
  const m = request.kind === 'push' ? push : rollback;
  const result = m.data;
  const busy = m.isPending;

  useAdminEvent('policy.progress', (p) => {
    if (p.operation === 'push' && busy) setProgress(p);
  });

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  const confirm = () => {
    setProgress(null);
    if (request.kind === 'push')
      push.mutate({
        text: request.text,
        gatewayId: request.gatewayId,
        message,
        dryRun: false,
        ...(request.baseId ? { baseId: request.baseId } : {}),
        ...(request.expectedVersion !== undefined ? { expectedVersion: request.expectedVersion } : {}),
      });
    else rollback.mutate({ hash: request.hash, gatewayId: request.gatewayId, message, dryRun: false });
  };

  const verb = request.kind === 'push' ? 'Push' : 'Roll back';
  const n = plan?.changes.length ?? 0;
  return (
    <dialog
      ref={ref}
      className="gh-modal pol-dialog"
      aria-labelledby="pol-dialog-title"
      data-testid="policy-push-dialog"
      onCancel={(e) => {
        // Escape: closes, unless a push is on its way (it cannot be interrupted halfway).
        e.preventDefault();
        if (!busy) onClose();
      }}
    >
      <h2 id="pol-dialog-title">
        {verb} to <span data-testid="policy-push-gateway">{request.gatewayName}</span>
      </h2>
      {!result && (
        <>
          <p className="muted">
            {request.kind === 'rollback' ? (
              <>
                Pushes version <span className="mono">{short(request.hash)}</span> through the same checks as any
                push.{' '}
              </>
            ) : null}
            {plan ? (
              <>
                <strong data-testid="policy-push-count">{n}</strong> change{n === 1 ? '' : 's'} will be written to{' '}
                {request.gatewayName}, in this order. If the gateway changed since the pull, nothing is written.
              </>
            ) : planError ? null : (
              'Computing the plan…'
            )}
          </p>
          {planError && (
            <div className="callout callout-error" role="alert">
              {planError}
            </div>
          )}
          {plan && (
            <div className="pol-dialog-plan">
              <ChangeList changes={plan.changes} testId="policy-push-changes" />
              {plan.delta.length > 0 && <DeltaPanel plan={plan} />}
            </div>
          )}
          <label className="pol-field">
            Message (optional)
            <input
              className="input"
              data-testid="policy-push-message"
              value={message}
              maxLength={2000}
              disabled={busy}
              onChange={(e) => setMessage(e.target.value)}
              placeholder="Why: ticket, review link…"
            />
          </label>
          {busy && <Progress progress={progress} label={request.kind === 'push' ? 'Pushing…' : 'Rolling back…'} />}
          {m.isError && (
            <div className="callout callout-error" role="alert" data-testid="policy-push-error">
              {m.error.message}
            </div>
          )}
          <div className="pol-dialog-actions">
            <button type="button" className="btn btn-ghost" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button
              type="button"
              className="btn btn-primary"
              data-testid="policy-push-confirm"
              disabled={busy || !plan || n === 0}
              onClick={confirm}
              autoFocus
            >
              {busy ? `${verb === 'Push' ? 'Pushing' : 'Rolling back'}…` : `${verb} ${n} change${n === 1 ? '' : 's'}`}
            </button>
          </div>
        </>
      )}
      {result && <PushResultView result={result} onClose={onClose} />}
    </dialog>
  );
}

function PushResultView({ result, onClose }: { result: PushResult; onClose(): void }) {
  const tone = result.ok
    ? 'badge-ok'
    : result.status === 'conflict' || result.status === 'invalid'
      ? 'badge-warn'
      : 'badge-danger';
  return (
    <div className="pol-result" data-testid="policy-push-result" data-status={result.status} data-ok={result.ok}>
      <p className="pol-result-head" role={result.ok ? 'status' : 'alert'}>
        <span className={`badge ${tone}`}>{STATUS_TEXT[result.status]}</span>
        {result.ok && result.status === 'applied' && (
          <span className={`badge ${result.verified ? 'badge-ok' : 'badge-warn'}`} data-testid="policy-push-verified">
            {result.verified ? 'verified' : 'not verified'}
          </span>
        )}
        <span>{result.message}</span>
      </p>
      <p className="faint">
        {result.requests} requests · {Math.round(result.durationMs)} ms
        {result.versionHash && (
          <>
            {' '}
            · version <span className="mono">{short(result.versionHash)}</span>
          </>
        )}
      </p>
      {result.conflicts.length > 0 && (
        <section aria-label="Conflicts" data-testid="policy-conflicts">
          {result.conflicts.map((c) => (
            <ConflictView key={c.key} c={c} />
          ))}
        </section>
      )}
      {result.steps.length > 0 && (!result.ok || result.status !== 'applied') && (
        <table className="pol-table" aria-label="Steps" data-testid="policy-push-steps">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Step</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {result.steps.map((s) => (
              <tr key={s.seq} data-testid="policy-push-step" data-status={s.status}>
                <td className="count">{s.seq + 1}</td>
                <td>
                  {s.summary}
                  {s.error && <div className="pol-step-error">{s.error}</div>}
                </td>
                <td>
                  <span className={`badge ${STEP_CLASS[s.status]}`}>{s.status}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="pol-dialog-actions">
        <button type="button" className="btn btn-primary" data-testid="policy-push-close" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </div>
  );
}

function ConflictView({ c }: { c: PolicyConflict }) {
  const base = asRecord(c.base);
  const live = asRecord(c.live);
  const draft = asRecord(c.draft);
  const keys = [...new Set([...Object.keys(base), ...Object.keys(live), ...Object.keys(draft)])];
  const text = (o: Record<string, unknown>, k: string) => (k in o ? JSON.stringify(o[k], null, 1) : '—');
  // Fields someone changed come first: on the gateway since the pull, or in the draft.
  const rows = keys
    .map((k) => {
      const b = text(base, k);
      const l = text(live, k);
      const d = text(draft, k);
      return { k, b, l, d, liveChanged: l !== b, draftChanged: d !== b };
    })
    .sort((x, y) => Number(y.liveChanged || y.draftChanged) - Number(x.liveChanged || x.draftChanged));
  return (
    <article className="pol-conflict" data-testid="policy-conflict" data-key={c.key}>
      <h3 className="pol-sim-title">
        <span className="faint">{c.kind}</span> <span className="mono">{c.key}</span>
      </h3>
      <p className="muted">{c.message}</p>
      <table className="pol-table pol-three" aria-label={`${c.key}: base, live and draft`}>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Base (pulled)</th>
            <th scope="col">Live (gateway now)</th>
            <th scope="col">Draft</th>
          </tr>
        </thead>
        <tbody>
          {c.live === null || c.live === undefined ? (
            <tr>
              <td colSpan={4} className="muted">
                Absent on the gateway now.
              </td>
            </tr>
          ) : null}
          {rows.map((r) => (
            <tr key={r.k} data-field={r.k} data-live-changed={r.liveChanged} data-draft-changed={r.draftChanged}>
              <th scope="row" className="mono">
                {r.k}
              </th>
              <td className="pol-three-cell">{r.b}</td>
              <td className={`pol-three-cell${r.liveChanged ? ' pol-diff-live' : ''}`}>{r.l}</td>
              <td className={`pol-three-cell${r.draftChanged ? ' pol-diff-draft' : ''}`}>{r.d}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="faint pol-three-legend">
        <span className="pol-diff-live">changed on the gateway</span>{' '}
        <span className="pol-diff-draft">changed in the draft</span>
      </p>
    </article>
  );
}

function asRecord(v: unknown): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  return v === null || v === undefined ? {} : { value: v };
}
