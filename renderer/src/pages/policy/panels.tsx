import { useState } from 'react';
import type {
  CompileResult,
  CompileTarget,
  MatrixDeltaEntry,
  PolicyChange,
  PolicyDiagnostic,
  PolicyPlan,
  PolicyVersion,
  SimulationGroup,
  SimulationResult,
} from '../../../../shared/model/policy.js';
import { routeHref } from '../../app/router.js';
import { copyText } from '../../lib/clipboard.js';
import { auditParams } from '../audit/filter.js';

/** Problems: every diagnostic of the last validation; Enter or click jumps to its line. */
export function ProblemsPanel({
  diagnostics,
  validating,
  onReveal,
}: {
  diagnostics: readonly PolicyDiagnostic[];
  validating: boolean;
  onReveal(d: PolicyDiagnostic): void;
}) {
  if (diagnostics.length === 0)
    return (
      <p className="pol-empty" data-testid="policy-problems-empty">
        {validating ? 'Checking…' : 'No problems.'}
      </p>
    );
  return (
    <ul className="pol-list" data-testid="policy-problems" aria-label="Problems">
      {diagnostics.map((d, i) => (
        <li key={i}>
          <button
            type="button"
            className="pol-problem"
            data-testid="policy-problem"
            data-severity={d.severity}
            data-code={d.code}
            onClick={() => onReveal(d)}
            title={d.line ? `Go to line ${d.line}` : undefined}
          >
            <SeverityBadge severity={d.severity} />
            <span className="pol-problem-msg">
              {d.message}
              {d.hint && <span className="pol-problem-hint">{d.hint}</span>}
              <span className="pol-problem-where">
                <span className="mono">{d.code}</span>
                {d.path.length > 0 && <span className="mono"> · {d.path.join('.')}</span>}
                {d.target && <span> · {d.target}</span>}
              </span>
            </span>
            {d.line !== undefined && (
              <span className="pol-line mono">
                {d.line}:{d.column ?? 1}
              </span>
            )}
          </button>
        </li>
      ))}
    </ul>
  );
}

export function SeverityBadge({ severity }: { severity: PolicyDiagnostic['severity'] }) {
  const cls = severity === 'error' ? 'badge-danger' : severity === 'warning' ? 'badge-warn' : 'badge-accent';
  return <span className={`badge ${cls} pol-sev`}>{severity}</span>;
}

const OP_CLASS: Record<PolicyChange['op'], string> = {
  create: 'badge-ok',
  update: 'badge-accent',
  delete: 'badge-danger',
};

/** The ordered changes of a plan (or of a diff between two versions). */
export function ChangeList({
  changes,
  testId = 'policy-changes',
}: {
  changes: readonly PolicyChange[];
  testId?: string;
}) {
  if (changes.length === 0)
    return (
      <p className="pol-empty" data-testid={`${testId}-none`}>
        No changes.
      </p>
    );
  return (
    <ol className="pol-list pol-changes" data-testid={testId}>
      {changes.map((c) => (
        <li
          key={`${c.seq}-${c.key}`}
          className="pol-change"
          data-testid="policy-change"
          data-op={c.op}
          data-kind={c.kind}
        >
          <span className="pol-seq count">{c.seq + 1}</span>
          <span className={`badge ${OP_CLASS[c.op]} pol-op`}>{c.op}</span>
          <span className="pol-kind faint">{c.kind}</span>
          <span className="pol-change-text">
            {c.summary}
            <span className="mono faint pol-key">{c.key}</span>
          </span>
        </li>
      ))}
    </ol>
  );
}

export function PlanPanel({ plan, pending }: { plan: PolicyPlan | undefined; pending: boolean }) {
  if (!plan)
    return <p className="pol-empty">{pending ? 'Planning…' : 'Run Plan to see the changes a push would make.'}</p>;
  return (
    <div className="pol-panel-scroll" data-testid="policy-plan">
      <p className="pol-panel-meta">
        <strong data-testid="policy-plan-count">{plan.changes.length}</strong> change
        {plan.changes.length === 1 ? '' : 's'} against {againstText(plan)}
        {plan.against.fetchedAt && <> · read {new Date(plan.against.fetchedAt).toLocaleTimeString()}</>}
      </p>
      <ChangeList changes={plan.changes} />
    </div>
  );
}

export function againstText(plan: PolicyPlan): string {
  if (plan.against.kind === 'version') return `version ${short(plan.against.versionHash ?? '')}`;
  return plan.against.gatewayName ?? plan.against.gatewayId ?? 'the gateway';
}

/** `Dec 2, 10:05` (the year only when it is not this year). */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    ...(sameYear ? {} : { year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
}

export function short(hash: string): string {
  return hash.replace(/^sha256:/, '').slice(0, 8);
}

/** The tenant-matrix cells a plan changes: who gains or loses which tool, and why. */
export function DeltaPanel({ plan }: { plan: PolicyPlan | undefined }) {
  if (!plan) return <p className="pol-empty">Run Plan to see who gains or loses access.</p>;
  const rows = [...plan.delta].sort((a, b) =>
    a.change === b.change ? a.subject.localeCompare(b.subject) : a.change === 'gains' ? -1 : 1,
  );
  const gains = rows.filter((r) => r.change === 'gains').length;
  const loses = rows.length - gains;
  if (rows.length === 0)
    return (
      <p className="pol-empty" data-testid="policy-delta-none">
        No access changes: every subject reaches the same tools as before.
      </p>
    );
  return (
    <div className="pol-panel-scroll" data-testid="policy-delta">
      <p className="pol-panel-meta">
        <span className="pol-gains" data-testid="policy-delta-gains">
          +{gains} gained
        </span>{' '}
        ·{' '}
        <span className="pol-loses" data-testid="policy-delta-loses">
          −{loses} lost
        </span>{' '}
        · {plural(new Set(rows.map((r) => r.subject)).size, 'subject')}
      </p>
      <table className="pol-table" aria-label="Access delta">
        <thead>
          <tr>
            <th scope="col">Change</th>
            <th scope="col">Subject</th>
            <th scope="col">Tool · server · via</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <DeltaRow key={i} r={r} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DeltaRow({ r }: { r: MatrixDeltaEntry }) {
  return (
    <tr data-testid="policy-delta-row" data-change={r.change} data-subject={r.subject} data-tool={r.tool}>
      <td>
        <span className={`pol-change-mark pol-${r.change}`}>{r.change === 'gains' ? '+ gains' : '− loses'}</span>
      </td>
      <td>{r.subject}</td>
      <td>
        <span className="mono">{r.tool}</span> <span className="faint">· {r.server}</span>
        <div className="pol-via">{r.via}</div>
      </td>
    </tr>
  );
}

export interface SimRange {
  since: string;
  until: string;
}

/** Simulation: replay of recorded audit events through the draft and the live policy. */
export function SimulationPanel({
  result,
  pending,
  error,
  progress,
  range,
  onRange,
  onRun,
  canRun,
}: {
  result: SimulationResult | undefined;
  pending: boolean;
  error: string | null;
  progress: { done: number; total: number; message: string } | null;
  range: SimRange;
  onRange(r: SimRange): void;
  onRun(): void;
  canRun: boolean;
}) {
  return (
    <div className="pol-panel-scroll" data-testid="policy-simulation">
      <form
        className="pol-inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          onRun();
        }}
      >
        <label className="field-label">
          Since
          <input
            className="input"
            type="datetime-local"
            data-testid="policy-sim-since"
            value={range.since}
            onChange={(e) => onRange({ ...range, since: e.target.value })}
          />
        </label>
        <label className="field-label">
          Until
          <input
            className="input"
            type="datetime-local"
            data-testid="policy-sim-until"
            value={range.until}
            onChange={(e) => onRange({ ...range, until: e.target.value })}
          />
        </label>
        <button type="submit" className="btn" data-testid="policy-sim-run" disabled={pending || !canRun}>
          {pending ? 'Simulating…' : 'Run'}
        </button>
      </form>
      {pending && <Progress progress={progress} label="Replaying audit events" />}
      {error && (
        <div className="callout callout-error" role="alert">
          {error}
        </div>
      )}
      {!result && !pending && !error && (
        <p className="pol-empty">Replays recorded audit events through the draft and the live policy.</p>
      )}
      {result && (
        <>
          <p className="pol-panel-meta" data-testid="policy-sim-summary" data-events={result.events}>
            {result.events.toLocaleString()} events · {result.tuples.toLocaleString()} distinct calls ·{' '}
            {result.unchanged.toLocaleString()} unchanged · {result.skipped.toLocaleString()} skipped · {result.engine},{' '}
            {Math.round(result.durationMs)} ms
          </p>
          <SimGroups title="Newly denied" kind="denied" groups={result.newlyDenied} />
          <SimGroups title="Newly allowed" kind="allowed" groups={result.newlyAllowed} />
        </>
      )}
    </div>
  );
}

function SimGroups({
  title,
  kind,
  groups,
}: {
  title: string;
  kind: 'denied' | 'allowed';
  groups: readonly SimulationGroup[];
}) {
  const total = groups.reduce((n, g) => n + g.count, 0);
  return (
    <section className="pol-sim-section" data-testid={`policy-sim-${kind}`} data-count={total}>
      <h3 className={`pol-sim-title pol-sim-${kind}`}>
        {title} <span className="count">{total.toLocaleString()} calls</span>
      </h3>
      {groups.length === 0 ? (
        <p className="faint pol-sim-none">None.</p>
      ) : (
        <table className="pol-table" aria-label={title}>
          <thead>
            <tr>
              <th scope="col">Calls</th>
              <th scope="col">Who</th>
              <th scope="col">Tool · server</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g, i) => (
              <tr key={i} data-testid="policy-sim-group" data-user={g.user ?? ''} data-tool={g.tool ?? ''}>
                <td className="count">{g.count.toLocaleString()}</td>
                <td>
                  {g.user ?? <span className="faint">—</span>}
                  {g.team && <div className="faint">{g.team}</div>}
                </td>
                <td>
                  <span className="mono">{g.tool ?? g.action}</span>
                  {g.server && <div className="faint">{g.server}</div>}
                </td>
                <td>
                  <span className="muted">{g.reason}</span>
                  <div>
                    <a
                      href={routeHref(
                        'audit',
                        ...auditParams({
                          user: g.user ? [g.user] : undefined,
                          tool: g.tool ? [g.tool] : undefined,
                        }),
                      )}
                      data-testid="policy-sim-events"
                      title={`Sample events: ${g.sampleEventIds.join(', ')}`}
                    >
                      Events in Audit →
                    </a>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Progress({
  progress,
  label,
}: {
  progress: { done: number; total: number; message: string } | null;
  label: string;
}) {
  const pct = progress && progress.total > 0 ? Math.round((progress.done / progress.total) * 100) : null;
  return (
    <div className="progress" role="status" aria-live="polite" data-testid="policy-progress">
      <span className="progress-bar" aria-hidden="true">
        <span style={{ width: pct === null ? '30%' : `${pct}%` }} className={pct === null ? 'pol-indeterminate' : ''} />
      </span>
      <span>
        {progress?.message || label}
        {pct !== null && ` · ${progress?.done}/${progress?.total}`}
      </span>
    </div>
  );
}

export const TARGETS: { value: CompileTarget; label: string }[] = [
  { value: 'contextforge', label: 'ContextForge' },
  { value: 'toolhive-cedar', label: 'ToolHive (Cedar)' },
  { value: 'agentgateway-cel', label: 'agentgateway (CEL)' },
];

export function CompilePanel({
  target,
  onTarget,
  onCompile,
  result,
  pending,
  error,
  canRun,
}: {
  target: CompileTarget;
  onTarget(t: CompileTarget): void;
  onCompile(): void;
  result: CompileResult | undefined;
  pending: boolean;
  error: string | null;
  canRun: boolean;
}) {
  const [copied, setCopied] = useState('');
  return (
    <div className="pol-panel-scroll" data-testid="policy-compile">
      <div className="pol-inline-form">
        <label className="field-label">
          Target
          <select
            className="select"
            data-testid="policy-compile-target"
            value={target}
            onChange={(e) => onTarget(e.target.value as CompileTarget)}
          >
            {TARGETS.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn"
          data-testid="policy-compile-run"
          disabled={pending || !canRun}
          onClick={onCompile}
        >
          {pending ? 'Compiling…' : 'Compile'}
        </button>
      </div>
      {error && (
        <div className="callout callout-error" role="alert">
          {error}
        </div>
      )}
      {result && result.target === target && (
        <>
          {result.diagnostics.length > 0 && (
            <ul
              className="pol-list"
              aria-label="What the target cannot express"
              data-testid="policy-compile-diagnostics"
            >
              {result.diagnostics.map((d, i) => (
                <li key={i} className="pol-compile-diag">
                  <SeverityBadge severity={d.severity} /> {d.message}
                  {d.hint && <div className="muted">{d.hint}</div>}
                </li>
              ))}
            </ul>
          )}
          {result.files.map((f) => (
            <figure key={f.name} className="pol-file" data-testid="policy-compile-file" data-name={f.name}>
              <figcaption className="pol-file-head">
                <span className="mono">{f.name}</span>
                <span className="spacer" />
                <button
                  type="button"
                  className="btn btn-ghost"
                  aria-label={`Copy ${f.name}`}
                  onClick={() => void copyText(f.text).then((ok) => setCopied(ok ? f.name : ''))}
                >
                  {copied === f.name ? 'Copied' : 'Copy'}
                </button>
              </figcaption>
              {/* Read-only output; focusable so it scrolls by keyboard. */}
              <pre className="pol-file-text" tabIndex={0} aria-label={`${f.name} (read-only)`}>
                {f.text}
              </pre>
            </figure>
          ))}
          {result.files.length === 0 && <p className="pol-empty">The target produced no files.</p>}
        </>
      )}
    </div>
  );
}

export function VersionsPanel({
  versions,
  loading,
  error,
  selected,
  onSelect,
  compare,
  onToggleCompare,
  onCompare,
  diff,
  diffPending,
  diffError,
  onLoad,
  onRollback,
  canRollback,
}: {
  versions: readonly PolicyVersion[];
  loading: boolean;
  error: string | null;
  selected: string;
  onSelect(hash: string): void;
  compare: readonly string[];
  onToggleCompare(hash: string): void;
  onCompare(): void;
  diff: PolicyPlan | undefined;
  diffPending: boolean;
  diffError: string | null;
  onLoad(hash: string): void;
  onRollback(v: PolicyVersion): void;
  canRollback: boolean;
}) {
  return (
    <div className="pol-panel-scroll" data-testid="policy-versions">
      {error && (
        <div className="callout callout-error" role="alert">
          {error}
        </div>
      )}
      {loading && <p className="pol-empty">Loading versions…</p>}
      {!loading && versions.length === 0 && !error && (
        <p className="pol-empty">No versions yet: pull or push to record one.</p>
      )}
      {versions.length > 0 && (
        <>
          <div className="pol-inline-form">
            <span className="muted">Select two to compare.</span>
            <span className="spacer" />
            <button
              type="button"
              className="btn"
              data-testid="policy-versions-compare"
              disabled={compare.length !== 2 || diffPending}
              onClick={onCompare}
            >
              {diffPending ? 'Comparing…' : 'Compare'}
            </button>
          </div>
          <table className="pol-table pol-versions" aria-label="Policy versions">
            <thead>
              <tr>
                <th scope="col">
                  <span className="sr-only">Compare</span>
                </th>
                <th scope="col">Version</th>
                <th scope="col">Message</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr
                  // The same content can be recorded more than once (a rollback to an earlier version).
                  key={`${v.hash}-${v.createdAt}-${v.origin}`}
                  data-testid="policy-version"
                  data-hash={v.hash}
                  data-origin={v.origin}
                  className={selected === v.hash ? 'pol-selected' : undefined}
                >
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Compare ${short(v.hash)}`}
                      checked={compare.includes(v.hash)}
                      disabled={!compare.includes(v.hash) && compare.length >= 2}
                      onChange={() => onToggleCompare(v.hash)}
                      data-testid="policy-version-compare"
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="btn btn-ghost pol-hash mono"
                      title={`${v.hash} — select (kept in the URL)`}
                      aria-pressed={selected === v.hash}
                      onClick={() => onSelect(v.hash)}
                    >
                      {short(v.hash)}
                    </button>
                    <div>
                      <span className="badge">{v.origin}</span>
                      {v.changes > 0 && (
                        <span className="faint" title={`${v.changes} changes`}>
                          {' '}
                          {v.changes}Δ
                        </span>
                      )}
                    </div>
                  </td>
                  <td className="pol-version-msg">
                    {v.message || <span className="faint">no message</span>}
                    <div className="faint" title={v.createdAt}>
                      {v.author} · {shortTime(v.createdAt)}
                    </div>
                  </td>
                  <td className="pol-row-actions">
                    <button
                      type="button"
                      className="btn btn-ghost"
                      data-testid="policy-version-load"
                      aria-label={`Load ${short(v.hash)} into the editor`}
                      onClick={() => onLoad(v.hash)}
                    >
                      Load
                    </button>
                    <button
                      type="button"
                      className="btn btn-ghost"
                      data-testid="policy-version-rollback"
                      aria-label={`Roll back to ${short(v.hash)}`}
                      disabled={!canRollback}
                      onClick={() => onRollback(v)}
                    >
                      Roll back
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {diffError && (
        <div className="callout callout-error" role="alert">
          {diffError}
        </div>
      )}
      {diff && (
        <section
          className="pol-sim-section"
          data-testid="policy-versions-diff"
          aria-label="Changes between the versions"
        >
          <h3 className="pol-sim-title">
            {short(compare[0] ?? '')} → {short(compare[1] ?? '')}{' '}
            <span className="count">{diff.changes.length} changes</span>
          </h3>
          <ChangeList changes={diff.changes} testId="policy-diff-changes" />
        </section>
      )}
    </div>
  );
}
