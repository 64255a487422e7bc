import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { AdminError } from '../../../../shared/api/errors.js';
import type {
  CompileTarget,
  PolicyDiagnostic,
  PolicyPlan,
  PolicyVersion,
  PushResult,
} from '../../../../shared/model/policy.js';
import type { MethodInput } from '../../../../shared/api/contract.js';
import type { PageProps } from '../../app/routes.js';
import { useAdminClient, useAdminEvent, useAdminMutation, useAdminQuery } from '../../client/index.js';
import {
  CompilePanel,
  DeltaPanel,
  PlanPanel,
  plural,
  ProblemsPanel,
  short,
  SimulationPanel,
  VersionsPanel,
  type SimRange,
} from './panels.js';
import { downloadText } from '../../lib/export-file.js';
import { PolicyEditor, type PolicyEditorHandle } from './PolicyEditor.js';
import { PushDialog, type PushRequest } from './PushDialog.js';
import { ConflictPanel, type LatestVersion, type VersionConflict } from './ConflictPanel.js';
import { FileMenu } from './FileMenu.js';
import { SaveVersionDialog } from './SaveVersionDialog.js';
import type { SchemaNode } from './schema-assist.js';
import { goPolicy, parsePolicyParams, TAB_LABEL, TABS, usePolicyDraft, type PolicyTab } from './state.js';
import './policy.css';

const VALIDATE_DEBOUNCE_MS = 400;
type Progress = { done: number; total: number; message: string };

/**
 * Policy: the gateway's policy as one document. Pull it, edit it (schema completion, inline
 * problems), see the plan, the access delta and a replay of recorded traffic, compile it for other
 * gateways, push it with confirmation, and go back to any stored version.
 */
export default function PolicyPage({ params }: PageProps) {
  const route = parsePolicyParams(params);
  const client = useAdminClient();
  const queryClient = useQueryClient();
  const gateways = useAdminQuery('gateways.list', {});
  const schemaQ = useAdminQuery('policy.schema', {}, { staleTime: Infinity, retry: false });
  const list = gateways.data ?? [];
  const gatewayId = route.gatewayId || list[0]?.id || '';
  const gateway = list.find((g) => g.id === gatewayId);
  const setRoute = (patch: Partial<typeof route>) => goPolicy({ ...route, gatewayId, ...patch });

  const draft = usePolicyDraft((s) => s.draft);
  const revision = usePolicyDraft((s) => s.revision);
  const loadDraft = usePolicyDraft((s) => s.load);
  const editDraft = usePolicyDraft((s) => s.edit);
  const editor = useRef<PolicyEditorHandle>(null);
  const text = draft.text;
  const dirty = text !== draft.loadedText;

  // The editor is the source of the text; a load from outside replaces its content.
  const lastRevision = useRef(revision);
  useEffect(() => {
    if (lastRevision.current !== revision) {
      lastRevision.current = revision;
      editor.current?.setText(usePolicyDraft.getState().draft.text);
    }
  }, [revision]);

  // ---- Validation: debounced while typing, and on demand.
  const [diagnostics, setDiagnostics] = useState<PolicyDiagnostic[]>([]);
  const [validating, setValidating] = useState(false);
  const [validateError, setValidateError] = useState<string | null>(null);
  const validateSeq = useRef(0);
  const validate = useCallback(
    async (t: string) => {
      const seq = ++validateSeq.current;
      if (!t.trim()) {
        setDiagnostics([]);
        setValidateError(null);
        return;
      }
      setValidating(true);
      try {
        const r = await client.invoke('policy.validate', { text: t, ...(gatewayId ? { gatewayId } : {}) });
        if (seq === validateSeq.current) {
          setDiagnostics(r.diagnostics);
          setValidateError(null);
        }
      } catch (e) {
        if (seq === validateSeq.current) setValidateError(errorText(e));
      } finally {
        if (seq === validateSeq.current) setValidating(false);
      }
    },
    [client, gatewayId],
  );
  useEffect(() => {
    const t = setTimeout(() => void validate(text), VALIDATE_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, validate]);

  // ---- Progress events (pull, simulate; push has its own in the dialog).
  const [progress, setProgress] = useState<Partial<Record<'pull' | 'simulate', Progress>>>({});
  useAdminEvent('policy.progress', (p) => {
    if (p.operation !== 'push') setProgress((cur) => ({ ...cur, [p.operation]: p }));
  });

  // ---- Pull.
  /** Draft revision when the re-read after a push started: a draft loaded since then is kept. */
  const rereadFrom = useRef<number | null>(null);
  const pull = useAdminMutation('policy.pull', {
    onMutate: () => setProgress((p) => ({ ...p, pull: undefined })),
    onSuccess: (r, v) => {
      const since = rereadFrom.current;
      rereadFrom.current = null;
      if (since !== null && usePolicyDraft.getState().revision !== since) {
        // The admin opened another document while the gateway was re-read: don't replace it.
        void queryClient.invalidateQueries({ queryKey: ['policy', 'policy.versions'] });
        return;
      }
      const name = list.find((g) => g.id === v.gatewayId)?.name ?? v.gatewayId;
      loadDraft({
        text: r.text,
        baseId: r.baseId,
        origin: `pulled from ${name} at ${new Date(r.fetchedAt).toLocaleTimeString()}`,
        gatewayId: v.gatewayId,
        // The pull recorded a version: the draft is based on it.
        baseVersion: r.versionHash,
        baseLineage: v.gatewayId,
      });
      setDiagnostics(r.diagnostics);
      void queryClient.invalidateQueries({ queryKey: ['policy', 'policy.versions'] });
    },
  });
  const doPull = () => {
    if (!gatewayId) return;
    if (dirty && text.trim() && !window.confirm('Replace the unsaved edits in the editor with the live policy?'))
      return;
    rereadFrom.current = null;
    pull.mutate({ gatewayId, format: 'yaml' });
  };

  // ---- Plan, simulate, compile: queries over the last request (kept across visits).
  const requests = usePolicyDraft((s) => s.requests);
  const request = usePolicyDraft((s) => s.request);
  const plan = useRequested('policy.plan', requests.plan);
  const runPlan = () => {
    const input = {
      text,
      ...(gatewayId ? { gatewayId } : {}),
      ...(draft.baseId && draft.gatewayId === gatewayId ? { baseId: draft.baseId } : {}),
    };
    if (same(input, requests.plan)) void plan.refetch();
    else request('plan', input);
    if (route.tab !== 'plan' && route.tab !== 'delta') setRoute({ tab: 'plan' });
  };
  const simulate = useRequested('policy.simulate', requests.simulate);
  const [range, setRange] = useState<SimRange>({ since: '', until: '' });
  const runSimulate = () => {
    setProgress((p) => ({ ...p, simulate: undefined }));
    const input = {
      text,
      ...(gatewayId ? { gatewayId } : {}),
      ...(range.since ? { since: new Date(range.since).toISOString() } : {}),
      ...(range.until ? { until: new Date(range.until).toISOString() } : {}),
    };
    if (same(input, requests.simulate)) void simulate.refetch();
    else request('simulate', input);
    if (route.tab !== 'simulation') setRoute({ tab: 'simulation' });
  };
  const compile = useRequested('policy.compile', requests.compile);
  const [target, setTarget] = useState<CompileTarget>(requests.compile?.target ?? 'contextforge');
  const runCompile = (t: CompileTarget = target) => {
    const input = { text, target: t };
    if (same(input, requests.compile)) void compile.refetch();
    else request('compile', input);
  };

  // ---- Versions.
  const versions = useAdminQuery('policy.versions', gatewayId ? { gatewayId } : {}, { retry: false });
  const [compare, setCompare] = useState<string[]>([]);
  const diff = useAdminMutation('policy.diffVersions');
  const [loadError, setLoadError] = useState<string | null>(null);
  /**
   * The latest version of the selected lineage as this page last listed it: what a draft opened now
   * is based on (undefined while the list is not loaded: then no check is asked for).
   */
  const lineage = gatewayId || null;
  const headSeen = (): { baseVersion?: string | null; baseLineage?: string | null } =>
    versions.isSuccess ? { baseVersion: versions.data[0]?.hash ?? null, baseLineage: lineage } : {};
  /** What a save or push of the draft names as its base, for the selected lineage. */
  const expectedFor = (): string | null | undefined =>
    draft.baseVersion !== undefined && (draft.baseLineage ?? null) === lineage
      ? draft.baseVersion
      : headSeen().baseVersion;
  const loadVersion = async (hash: string) => {
    if (dirty && text.trim() && !window.confirm('Replace the unsaved edits in the editor with this version?')) return;
    setLoadError(null);
    try {
      const r = await client.invoke('policy.version', { hash, format: 'yaml' });
      loadDraft({
        text: r.text,
        baseId: draft.baseId,
        origin: `version ${short(hash)} (${r.version.origin})`,
        gatewayId: draft.gatewayId,
        // Editing an earlier version builds on the latest one listed (saving it is a new version on top).
        ...headSeen(),
      });
      setRoute({ version: hash });
    } catch (e) {
      setLoadError(errorText(e));
    }
  };

  // ---- Push / rollback dialog.
  const [dialog, setDialog] = useState<{ req: PushRequest; plan?: PolicyPlan; error?: string } | null>(null);
  const openPush = async () => {
    if (!gateway) return;
    const baseId = draft.gatewayId === gateway.id ? draft.baseId : null;
    const expectedVersion = expectedFor();
    // Someone saved a newer version since the draft's base: say so now, before the gateway is read
    // for a plan (the push itself checks again, under the team store's lock).
    if (expectedVersion !== undefined) {
      const head = await client
        .invoke('policy.versions', { gatewayId: gateway.id })
        .then((l) => l[0] ?? null)
        .catch(() => undefined);
      const moved =
        head !== undefined && (expectedVersion === null ? head !== null : !head?.hash.startsWith(expectedVersion));
      if (moved) {
        onConflict(
          'push',
          head
            ? `Policy of gateway "${gateway.name}" was changed by ${head.author} at ${head.createdAt} since you loaded it. Nothing was pushed; reload it and apply your change again.`
            : `Policy of gateway "${gateway.name}": the version your draft was based on is gone. Nothing was pushed.`,
        );
        return;
      }
    }
    const req: PushRequest = {
      kind: 'push',
      gatewayId: gateway.id,
      gatewayName: gateway.name,
      text,
      baseId,
      ...(expectedVersion !== undefined ? { expectedVersion } : {}),
    };
    setDialog({ req });
    try {
      const p = await client.invoke('policy.plan', { text, gatewayId: gateway.id, ...(baseId ? { baseId } : {}) });
      setDialog((d) => (d?.req === req ? { req, plan: p } : d));
    } catch (e) {
      setDialog((d) => (d?.req === req ? { req, error: errorText(e) } : d));
    }
  };
  const openRollback = async (v: PolicyVersion) => {
    if (!gateway) return;
    const req: PushRequest = { kind: 'rollback', gatewayId: gateway.id, gatewayName: gateway.name, hash: v.hash };
    setDialog({ req });
    try {
      const r = await client.invoke('policy.rollback', {
        hash: v.hash,
        gatewayId: gateway.id,
        message: '',
        dryRun: true,
      });
      setDialog((d) => (d?.req === req ? { req, plan: r.plan } : d));
    } catch (e) {
      setDialog((d) => (d?.req === req ? { req, error: errorText(e) } : d));
    }
  };
  const onPushed = (r: PushResult) => {
    void queryClient.invalidateQueries({ queryKey: ['policy'] });
    void queryClient.invalidateQueries({ queryKey: ['gateways'] });
    usePolicyDraft.getState().clearRequests();
    // The gateway now holds what was pushed: read it back so the next push checks against it.
    if (r.ok && r.status === 'applied') {
      rereadFrom.current = usePolicyDraft.getState().revision;
      pull.mutate({ gatewayId: r.gatewayId, format: 'yaml' });
    }
  };

  // ---- Save version, and a refused stale save or push.
  const [saveOpen, setSaveOpen] = useState(false);
  const [savedNote, setSavedNote] = useState<string | null>(null);
  const [conflict, setConflict] = useState<VersionConflict | null>(null);
  const kept = usePolicyDraft((s) => s.kept);
  const keep = usePolicyDraft((s) => s.keep);
  const onConflict = (action: VersionConflict['action'], message: string) => {
    setSaveOpen(false);
    setDialog(null);
    setSavedNote(null);
    setConflict({ action, message, gatewayId: action === 'push' ? (gateway?.id ?? null) : lineage });
    void queryClient.invalidateQueries({ queryKey: ['policy', 'policy.versions'] });
  };
  /** Reload the latest version into the editor; the draft is set aside first, never dropped. */
  const reloadLatest = (latest: LatestVersion) => {
    // One kept draft at a time: replacing an earlier one is the admin's explicit choice.
    if (
      kept &&
      kept.text !== text &&
      !window.confirm(
        `A draft from ${new Date(kept.keptAt).toLocaleString()} is already kept. Replace it with this one? (Cancel: both stay, nothing is reloaded.)`,
      )
    )
      return;
    keep({ text, keptAt: new Date().toISOString(), origin: draft.origin || 'draft' });
    loadDraft({
      text: latest.text,
      baseId: draft.baseId,
      origin: `version ${short(latest.version.hash)} (latest, by ${latest.version.author})`,
      gatewayId: draft.gatewayId,
      baseVersion: latest.version.hash,
      baseLineage: conflict?.gatewayId ?? lineage,
    });
    setConflict(null);
  };
  /** The kept draft back in the editor, on top of the version now loaded (its base stays). */
  const restoreKept = () => {
    if (!kept) return;
    if (dirty && text.trim() && !window.confirm('Replace the unsaved edits in the editor with your kept draft?'))
      return;
    loadDraft({
      text: kept.text,
      baseId: draft.baseId,
      origin: `your kept draft, on top of ${draft.origin || 'the loaded version'}`,
      gatewayId: draft.gatewayId,
      baseVersion: draft.baseVersion,
      baseLineage: draft.baseLineage,
      loadedText: draft.loadedText,
    });
    keep(null);
  };

  // ---- Files.
  const fileInput = useRef<HTMLInputElement>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const openFile = async (f: File) => {
    setFileError(null);
    if (f.size > 2 * 1024 * 1024) {
      setFileError(`${f.name} is larger than 2 MiB`);
      return;
    }
    loadDraft({
      text: await f.text(),
      baseId: draft.baseId,
      origin: `file ${f.name}`,
      gatewayId: draft.gatewayId,
      ...headSeen(),
    });
  };
  const saveFile = () => {
    const name = `policy-${(gateway?.name ?? 'draft').replace(/[^\w.-]+/g, '-')}.yaml`;
    downloadText(name, 'application/yaml', text);
  };

  const hasText = text.trim().length > 0;
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const planStale = plan.data !== undefined && requests.plan !== null && requests.plan.text !== text;
  const actionError = pull.error
    ? `Pull failed: ${pull.error.message}`
    : plan.error
      ? `Plan failed: ${plan.error.message}`
      : null;

  const onPageKey = (e: KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key === 's') {
      e.preventDefault();
      if (hasText) saveFile();
    } else if (mod && e.key === 'Enter') {
      e.preventDefault();
      if (hasText) runPlan();
    }
  };

  return (
    <section
      className="page page-fill pol-page"
      data-testid="page-policy"
      aria-labelledby="policy-title"
      onKeyDown={onPageKey}
    >
      <header className="page-header">
        <h1 id="policy-title">Policy</h1>
        <span className="page-sub" data-testid="policy-origin">
          {draft.origin || 'no document loaded'}
          {dirty && hasText && <span className="badge badge-warn pol-dirty">edited</span>}
        </span>
      </header>

      <div className="toolbar pol-toolbar" role="toolbar" aria-label="Policy actions">
        <label className="field-label">
          Gateway
          <select
            className="select"
            data-testid="policy-gateway"
            value={gatewayId}
            disabled={list.length === 0}
            onChange={(e) => setRoute({ gatewayId: e.target.value, version: '' })}
          >
            {list.length === 0 && <option value="">{gateways.isPending ? 'Loading…' : 'No gateways'}</option>}
            {list.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn"
          data-testid="policy-pull"
          disabled={!gatewayId || pull.isPending}
          onClick={doPull}
          title="Load the live policy of the gateway into the editor"
        >
          {pull.isPending ? 'Pulling…' : 'Pull'}
        </button>
        <span className="pol-sep" aria-hidden="true" />
        <FileMenu onOpen={() => fileInput.current?.click()} onSave={saveFile} canSave={hasText} />
        <input
          ref={fileInput}
          type="file"
          accept=".yaml,.yml,.json,application/yaml,application/json,text/yaml"
          hidden
          data-testid="policy-open-input"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void openFile(f);
          }}
        />
        <span className="pol-sep" aria-hidden="true" />
        <button
          type="button"
          className="btn"
          data-testid="policy-validate"
          disabled={!hasText}
          onClick={() => {
            void validate(text);
            setRoute({ tab: 'problems' });
          }}
        >
          Validate
        </button>
        <button
          type="button"
          className="btn"
          data-testid="policy-plan-run"
          disabled={!hasText || plan.isFetching}
          onClick={runPlan}
          aria-keyshortcuts="Control+Enter"
          title="Changes a push would make (Ctrl+Enter)"
        >
          {plan.isFetching ? 'Planning…' : 'Plan'}
        </button>
        <button
          type="button"
          className="btn"
          data-testid="policy-simulate"
          disabled={!hasText || simulate.isFetching}
          onClick={runSimulate}
        >
          {simulate.isFetching ? 'Simulating…' : 'Simulate'}
        </button>
        <span className="spacer" />
        <button
          type="button"
          className="btn"
          data-testid="policy-save-version"
          disabled={!hasText || errors > 0}
          title={
            errors > 0
              ? 'Fix the errors first'
              : 'Store the draft as a version without pushing it (shared with the team)'
          }
          onClick={() => {
            setSavedNote(null);
            setSaveOpen(true);
          }}
        >
          Save version…
        </button>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="policy-push"
          disabled={!hasText || !gateway || errors > 0}
          title={errors > 0 ? 'Fix the errors first' : gateway ? `Push to ${gateway.name}` : 'Choose a gateway'}
          onClick={() => void openPush()}
        >
          Push…
        </button>
      </div>

      {gateways.isError && <Alert>Could not load gateways: {gateways.error.message}</Alert>}
      {gateways.data && list.length === 0 && (
        <div className="callout" data-testid="policy-no-gateways">
          No gateway connected. <a href="#/gateways">Add one on the Gateways page</a> to pull and push its policy; you
          can still open and check a file.
        </div>
      )}
      {pull.isPending && <ProgressLine p={progress.pull} label="Reading the gateway…" />}
      {actionError && <Alert testId="policy-error">{actionError}</Alert>}
      {fileError && <Alert>Could not open the file: {fileError}</Alert>}
      {loadError && <Alert>Could not load the version: {loadError}</Alert>}
      {savedNote && (
        <div className="callout pol-note" role="status" data-testid="policy-saved">
          {savedNote}
        </div>
      )}
      {conflict && (
        <ConflictPanel
          conflict={conflict}
          draftText={text}
          onReload={reloadLatest}
          onKeepEditing={() => setConflict(null)}
        />
      )}
      {kept && (
        <div className="callout pol-note pol-kept" role="status" data-testid="policy-kept-draft">
          <span>
            <strong>Kept draft</strong> ({new Date(kept.keptAt).toLocaleString()}, from {kept.origin}): set aside when
            you reloaded the latest version.
          </span>
          <span className="pol-kept-actions">
            <button type="button" className="btn" data-testid="policy-kept-restore" onClick={restoreKept}>
              Put it back in the editor
            </button>
            <button
              type="button"
              className="btn btn-ghost"
              data-testid="policy-kept-download"
              onClick={() => downloadText('policy-kept-draft.yaml', 'application/yaml', kept.text)}
            >
              Save as file
            </button>
            <button
              type="button"
              className="btn btn-ghost"
              data-testid="policy-kept-discard"
              onClick={() => window.confirm('Discard the kept draft? It cannot be recovered.') && keep(null)}
            >
              Discard
            </button>
          </span>
        </div>
      )}
      {schemaQ.isError && (
        <div className="callout pol-note" role="status">
          Schema unavailable ({schemaQ.error.message}): editing works without completion.
        </div>
      )}

      <div className="pol-layout">
        <div className="pol-editor-col">
          <PolicyEditor
            ref={editor}
            initialText={text}
            onChange={editDraft}
            diagnostics={diagnostics}
            schema={(schemaQ.data?.schema as SchemaNode | undefined) ?? null}
          />
          <div className="pol-status" id="pol-editor-help">
            <span
              data-testid="policy-status"
              data-errors={errors}
              data-warnings={warnings}
              data-validating={validating}
            >
              {validating ? (
                'Checking…'
              ) : validateError ? (
                <span className="pol-status-error">Validation unavailable: {validateError}</span>
              ) : (
                <>
                  <span className={errors ? 'pol-status-error' : ''}>{plural(errors, 'error')}</span> ·{' '}
                  {plural(warnings, 'warning')}
                </>
              )}
            </span>
            <span className="spacer" />
            <span className="faint pol-status-help">Ctrl+Space complete · Ctrl+Enter plan · Ctrl+S save file</span>
          </div>
        </div>

        <aside className="panel pol-side" aria-label="Policy results">
          <Tabs
            tab={route.tab}
            onTab={(tab) => setRoute({ tab })}
            counts={{
              problems: diagnostics.length,
              plan: plan.data?.changes.length,
              delta: plan.data?.delta.length,
              simulation: simulate.data
                ? simulate.data.newlyDenied.length + simulate.data.newlyAllowed.length
                : undefined,
              versions: versions.data?.length,
            }}
          />
          <div
            className="pol-tabpanel"
            role="tabpanel"
            id={`pol-panel-${route.tab}`}
            aria-labelledby={`pol-tab-${route.tab}`}
            data-testid={`policy-panel-${route.tab}`}
          >
            {planStale && (route.tab === 'plan' || route.tab === 'delta') && (
              <div className="callout pol-note" role="status" data-testid="policy-plan-stale">
                The document changed since this plan.{' '}
                <button type="button" className="btn btn-ghost" onClick={runPlan}>
                  Plan again
                </button>
              </div>
            )}
            {route.tab === 'problems' && (
              <ProblemsPanel
                diagnostics={diagnostics}
                validating={validating}
                onReveal={(d) => editor.current?.reveal(d)}
              />
            )}
            {route.tab === 'plan' && <PlanPanel plan={plan.data} pending={plan.isFetching} />}
            {route.tab === 'delta' && <DeltaPanel plan={plan.data} />}
            {route.tab === 'simulation' && (
              <SimulationPanel
                result={simulate.data}
                pending={simulate.isFetching}
                error={simulate.error ? `Simulation failed: ${simulate.error.message}` : null}
                progress={progress.simulate ?? null}
                range={range}
                onRange={setRange}
                onRun={runSimulate}
                canRun={hasText}
              />
            )}
            {route.tab === 'compile' && (
              <CompilePanel
                target={target}
                onTarget={(t) => {
                  setTarget(t);
                  if (hasText) runCompile(t);
                }}
                onCompile={() => runCompile()}
                result={compile.data}
                pending={compile.isFetching}
                error={compile.error ? `Compile failed: ${compile.error.message}` : null}
                canRun={hasText}
              />
            )}
            {route.tab === 'versions' && (
              <VersionsPanel
                versions={versions.data ?? []}
                loading={versions.isPending}
                error={versions.error ? `Could not list versions: ${versions.error.message}` : null}
                selected={route.version}
                onSelect={(hash) => setRoute({ version: hash === route.version ? '' : hash })}
                compare={compare}
                onToggleCompare={(hash) =>
                  setCompare((c) => (c.includes(hash) ? c.filter((x) => x !== hash) : [...c, hash].slice(-2)))
                }
                onCompare={() => {
                  // Older → newer, whatever order they were ticked in.
                  const order = (versions.data ?? []).map((v) => v.hash);
                  const [a, b] = [...compare].sort((x, y) => order.indexOf(y) - order.indexOf(x));
                  if (a && b) {
                    setCompare([a, b]);
                    diff.mutate({ from: a, to: b });
                  }
                }}
                diff={diff.data}
                diffPending={diff.isPending}
                diffError={diff.error ? `Compare failed: ${diff.error.message}` : null}
                onLoad={(h) => void loadVersion(h)}
                onRollback={(v) => void openRollback(v)}
                canRollback={!!gateway}
              />
            )}
          </div>
        </aside>
      </div>

      {dialog && (
        <PushDialog
          key={dialog.req.kind === 'push' ? 'push' : dialog.req.hash}
          request={dialog.req}
          plan={dialog.plan}
          planError={dialog.error ?? null}
          onClose={() => setDialog(null)}
          onDone={onPushed}
          onConflict={(m) => onConflict('push', m)}
        />
      )}
      {saveOpen && (
        <SaveVersionDialog
          text={text}
          gatewayId={gateway?.id ?? null}
          gatewayName={gateway?.name ?? null}
          expectedVersion={expectedFor()}
          onClose={() => setSaveOpen(false)}
          onConflict={(m) => onConflict('save', m)}
          onSaved={(v) => {
            setSaveOpen(false);
            setConflict(null);
            usePolicyDraft.getState().saved(v.hash, text, lineage);
            setSavedNote(`Saved version ${short(v.hash)}${v.message ? ` — “${v.message}”` : ''}.`);
            void queryClient.invalidateQueries({ queryKey: ['policy', 'policy.versions'] });
          }}
        />
      )}
    </section>
  );
}

function Tabs({
  tab,
  onTab,
  counts,
}: {
  tab: PolicyTab;
  onTab(t: PolicyTab): void;
  counts: Partial<Record<PolicyTab, number | undefined>>;
}) {
  const refs = useRef<Partial<Record<PolicyTab, HTMLButtonElement | null>>>({});
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.indexOf(tab);
    let next: PolicyTab | undefined;
    if (e.key === 'ArrowRight') next = TABS[(i + 1) % TABS.length];
    else if (e.key === 'ArrowLeft') next = TABS[(i - 1 + TABS.length) % TABS.length];
    else if (e.key === 'Home') next = TABS[0];
    else if (e.key === 'End') next = TABS[TABS.length - 1];
    if (!next) return;
    e.preventDefault();
    onTab(next);
    refs.current[next]?.focus();
  };
  return (
    <div className="pol-tabs" role="tablist" aria-label="Results" onKeyDown={onKey}>
      {TABS.map((t) => (
        <button
          key={t}
          ref={(el) => {
            refs.current[t] = el;
          }}
          type="button"
          role="tab"
          id={`pol-tab-${t}`}
          aria-selected={tab === t}
          aria-controls={`pol-panel-${t}`}
          tabIndex={tab === t ? 0 : -1}
          className="pol-tab"
          data-testid={`policy-tab-${t}`}
          onClick={() => onTab(t)}
        >
          {TAB_LABEL[t]}
          {counts[t] !== undefined && counts[t] > 0 && <span className="pol-tab-count">{counts[t]}</span>}
        </button>
      ))}
    </div>
  );
}

function Alert({ children, testId }: { children: React.ReactNode; testId?: string }) {
  return (
    <div className="callout callout-error" role="alert" data-testid={testId}>
      {children}
    </div>
  );
}

function ProgressLine({ p, label }: { p: Progress | undefined; label: string }) {
  const pct = p && p.total > 0 ? Math.round((p.done / p.total) * 100) : null;
  return (
    <div className="progress" role="status" aria-live="polite">
      <span className="progress-bar" aria-hidden="true">
        <span style={{ width: `${pct ?? 30}%` }} className={pct === null ? 'pol-indeterminate' : ''} />
      </span>
      {p?.message || label}
    </div>
  );
}

type RequestedMethod = 'policy.plan' | 'policy.simulate' | 'policy.compile';

/** A query that runs only once asked (input null = not yet); answers stay cached for the session. */
function useRequested<K extends RequestedMethod>(method: K, input: MethodInput<K> | null) {
  return useAdminQuery(method, (input ?? { text: '' }) as MethodInput<K>, {
    enabled: input !== null,
    staleTime: Infinity,
    gcTime: 30 * 60_000,
    retry: false,
  });
}

function same(a: object, b: object | null): boolean {
  return b !== null && JSON.stringify(a) === JSON.stringify(b);
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) return String((e as AdminError).message);
  return String(e);
}
