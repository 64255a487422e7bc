import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { create } from 'zustand';
import type { ConfigChange, FixOption } from '../../../shared/model/config-write.js';
import type { AdminError } from '../../../shared/api/errors.js';
import { routeHref } from '../app/router.js';
import { useAdminClient, useAdminMutation, useAdminQuery } from '../client/index.js';
import { DiffView } from './DiffView.js';
import './config-change.css';

/** What the dialog is about: a finding to fix. */
export interface FixSubject {
  findingId: string;
  title: string;
  ruleId: string;
  server?: string;
  file: string;
}

interface DialogState {
  subject: FixSubject | null;
  openFix(subject: FixSubject): void;
  close(): void;
}

/**
 * The dialog lives above the pages (ConfigChangeHost in the app shell): a rescan after the fix
 * removes the finding, and with it the detail panel that opened the dialog; the result and its
 * Undo must outlive that.
 */
export const useConfigChangeDialog = create<DialogState>((set) => ({
  subject: null,
  openFix: (subject) => set({ subject }),
  close: () => set({ subject: null }),
}));

export function ConfigChangeHost() {
  const subject = useConfigChangeDialog((s) => s.subject);
  const close = useConfigChangeDialog((s) => s.close);
  return subject ? <ConfigChangeDialog key={subject.findingId} subject={subject} onClose={close} /> : null;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Keeps Tab and Shift+Tab inside a modal (showModal makes the page inert, not the browser chrome). */
export function trapTab(e: KeyboardEvent<HTMLElement>): void {
  if (e.key !== 'Tab') return;
  const items = [...e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return;
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !e.currentTarget.contains(active))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !e.currentTarget.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

export function Busy({ label, testId }: { label: string; testId?: string }) {
  return (
    <div className="progress" role="status" aria-live="polite" data-testid={testId}>
      <div className="progress-bar cc-indeterminate" aria-hidden="true">
        <span style={{ width: '40%' }} />
      </div>
      {label}
    </div>
  );
}

function Notes({ notes, testId }: { notes: string[]; testId: string }): ReactNode {
  if (notes.length === 0) return null;
  return (
    <div>
      <div className="cc-notes-title">What to know</div>
      <ul className="cc-notes" data-testid={testId}>
        {notes.map((n) => (
          <li key={n}>{n}</li>
        ))}
      </ul>
    </div>
  );
}

type Phase = { step: 'choose' } | { step: 'applied'; changes: ConfigChange[] } | { step: 'undone'; files: string[] };

/**
 * Fix a finding: its options (automatic, or manual with the reason) → a masked, line-numbered diff
 * of every file the fix writes and what the admin must know → Confirm → the result with Undo. The
 * apply writes exactly the previewed bytes (the preview's token); a rescan follows each write.
 * Esc closes (not while writing), Tab stays inside, Enter on the focused Confirm applies.
 */
export function ConfigChangeDialog({ subject, onClose }: { subject: FixSubject; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const client = useAdminClient();
  const options = useAdminQuery(
    'config.fixOptions',
    { findingId: subject.findingId },
    { staleTime: 0, gcTime: 0, retry: false },
  );
  const [choice, setChoice] = useState<number | null>(null);
  const [version, setVersion] = useState<string | null>(null);
  const [submittedVersion, setSubmittedVersion] = useState<string | null>(null);
  const [phase, setPhase] = useState<Phase>({ step: 'choose' });

  const list = options.data ?? [];
  // The service lists the recommended option first (a manual reason before a drastic quarantine).
  const selectedIndex = choice ?? 0;
  const selected: FixOption | undefined = list[selectedIndex];
  const needsInput = !!selected?.input;
  const versionValue = version ?? selected?.input?.suggestion ?? '';
  const request =
    selected?.kind === 'fix' && (!needsInput || submittedVersion)
      ? {
          kind: 'fix' as const,
          findingId: subject.findingId,
          ...(selected.strategy ? { strategy: selected.strategy } : {}),
          ...(needsInput && submittedVersion ? { input: { version: submittedVersion } } : {}),
        }
      : null;
  const preview = useAdminQuery('config.preview', request ?? { kind: 'fix', findingId: subject.findingId }, {
    enabled: !!request && phase.step === 'choose',
    staleTime: 0,
    gcTime: 0,
    retry: false,
    refetchOnWindowFocus: false,
  });

  const scan = useAdminMutation('findings.scan');
  const apply = useAdminMutation('config.apply', {
    onSuccess: (changes) => {
      setPhase({ step: 'applied', changes });
      scan.reset();
      scan.mutate({});
    },
  });
  const undo = useMutation<ConfigChange[], AdminError, ConfigChange[]>({
    // A fix may write several files: undo them newest first.
    mutationFn: async (changes) => {
      const out: ConfigChange[] = [];
      for (const c of [...changes].reverse()) out.push(...(await client.invoke('config.undo', { id: c.id })));
      return out;
    },
    onSuccess: (undone) => {
      setPhase({ step: 'undone', files: undone.map((c) => c.file) });
      scan.reset();
      scan.mutate({});
    },
  });

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  // The control that had focus (Confirm, Undo) is gone after a write: land on the next step's button.
  useEffect(() => {
    if (phase.step !== 'choose') ref.current?.querySelector<HTMLElement>('[data-testid="fix-done"]')?.focus();
  }, [phase.step]);

  const writing = apply.isPending || undo.isPending;
  const stillOpen = scan.data?.findings.some((f) => f.id === subject.findingId && f.status === 'open');
  const confirm = () => {
    if (preview.data && !writing) apply.mutate({ token: preview.data.token });
  };

  return (
    <dialog
      ref={ref}
      className="cc-dialog"
      aria-labelledby="cc-title"
      aria-describedby="cc-sub"
      data-testid="fix-dialog"
      data-phase={phase.step}
      onCancel={(e) => {
        e.preventDefault();
        if (!writing) onClose();
      }}
      onKeyDown={trapTab}
    >
      <div className="cc-head">
        <h2 id="cc-title">{phase.step === 'choose' ? 'Fix' : phase.step === 'applied' ? 'Fixed' : 'Undone'}</h2>
        <span className="cc-sub" id="cc-sub" title={subject.title}>
          <span className="mono">{subject.ruleId}</span>
          {subject.server ? ` · ${subject.server}` : ''} · {subject.title}
        </span>
        <button type="button" className="btn btn-ghost" aria-label="Close" disabled={writing} onClick={onClose}>
          ✕
        </button>
      </div>

      <div className="cc-body">
        {phase.step === 'choose' && (
          <>
            {options.isPending && <Busy label="Loading the fixes for this finding…" />}
            {options.isError && (
              <div className="callout callout-error" role="alert" data-testid="fix-error">
                {options.error.message}
              </div>
            )}
            {list.length > 1 && (
              <fieldset className="cc-options" data-testid="fix-options">
                <legend>Choose a fix</legend>
                {list.map((o, i) => (
                  <label key={`${o.kind}-${o.strategy ?? i}`} className="cc-option" data-testid="fix-option">
                    <input
                      type="radio"
                      name="cc-option"
                      checked={i === selectedIndex}
                      disabled={writing}
                      onChange={() => {
                        setChoice(i);
                        setVersion(null);
                        setSubmittedVersion(null);
                        apply.reset();
                      }}
                    />
                    <span className="cc-option-title">
                      {o.kind === 'manual' ? <span className="badge badge-warn">manual</span> : null} {o.title}
                    </span>
                    {o.kind === 'fix' && (
                      <span className="cc-option-expl" title={o.explanation}>
                        {o.explanation}
                      </span>
                    )}
                  </label>
                ))}
              </fieldset>
            )}
            {selected?.kind === 'manual' && (
              <div className="callout" data-testid="fix-manual">
                <strong>No automatic fix.</strong> {selected.explanation}
              </div>
            )}
            {selected?.kind === 'fix' && list.length === 1 && (
              <p className="muted" data-testid="fix-explanation">
                <strong style={{ color: 'var(--text-strong)' }}>{selected.title}.</strong> {selected.explanation}
              </p>
            )}
            {selected?.input && (
              <form
                className="cc-input-row"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (versionValue.trim()) setSubmittedVersion(versionValue.trim());
                }}
              >
                <label>
                  {selected.input.label}
                  <input
                    className="input mono"
                    data-testid="fix-input"
                    value={versionValue}
                    maxLength={200}
                    autoFocus
                    onChange={(e) => setVersion(e.target.value)}
                  />
                </label>
                <button type="submit" className="btn" data-testid="fix-preview-button" disabled={!versionValue.trim()}>
                  Preview
                </button>
              </form>
            )}
            {request && preview.isFetching && <Busy label="Computing the change…" testId="fix-preview-busy" />}
            {request && preview.isError && (
              <div className="callout callout-error" role="alert" data-testid="fix-error">
                {preview.error.message}
              </div>
            )}
            {request && preview.data && !preview.isFetching && (
              <div className="cc-preview" data-testid="fix-preview">
                <p style={{ marginBottom: 6 }}>
                  <strong>{preview.data.title}</strong>{' '}
                  <span className="muted">
                    — {preview.data.files.length} file{preview.data.files.length === 1 ? '' : 's'} will be written.
                    Secret values are masked; the file keeps its comments and formatting.
                  </span>
                </p>
                {preview.data.files.map((f) => (
                  <div key={f.file} className="cc-file" data-testid="fix-file" data-file={f.file}>
                    <div className="cc-file-head">
                      <span className={f.kind === 'chmod' ? 'badge badge-accent' : 'badge'}>{f.kind}</span>
                      <span className="cc-file-path" title={f.file}>
                        <bdi>{f.file}</bdi>
                      </span>
                    </div>
                    <div className="muted" style={{ fontSize: 'var(--fs-small)' }}>
                      {f.summary}
                    </div>
                    {f.kind === 'edit' && <DiffView diff={f.diff} label={f.file} testId="fix-diff" />}
                  </div>
                ))}
              </div>
            )}
            {request && preview.data && !preview.isFetching && <Notes notes={preview.data.notes} testId="fix-notes" />}
            {apply.isPending && <Busy label="Writing…" testId="fix-applying" />}
            {apply.isError && (
              <div className="callout callout-error" role="alert" data-testid="fix-apply-error">
                Nothing was written: {apply.error.message}
              </div>
            )}
          </>
        )}

        {phase.step === 'applied' && (
          <>
            <div className="callout callout-ok" role="status" data-testid="fix-result">
              Applied: {phase.changes.length} file{phase.changes.length === 1 ? '' : 's'} written (change{' '}
              {phase.changes.map((c) => c.id.slice(0, 8)).join(', ')}). The original is backed up; Undo restores it byte
              for byte.
            </div>
            {phase.changes.map((c) => (
              <div key={c.id} className="cc-file">
                <div className="cc-file-head">
                  <span className="badge badge-ok">{c.status}</span>
                  <span className="cc-file-path" title={c.file}>
                    <bdi>{c.file}</bdi>
                  </span>
                </div>
                <div className="muted" style={{ fontSize: 'var(--fs-small)' }}>
                  {c.summary}
                </div>
              </div>
            ))}
            <Notes notes={phase.changes[0]?.notes ?? []} testId="fix-result-notes" />
          </>
        )}

        {phase.step === 'undone' && (
          <div className="callout callout-ok" role="status" data-testid="fix-undone">
            Undone: {phase.files.join(', ')} restored byte for byte.
          </div>
        )}

        {phase.step !== 'choose' && (
          <>
            {scan.isPending && <Busy label="Rescanning the workstation…" testId="fix-rescanning" />}
            {scan.isSuccess && (
              <p className="muted" data-testid="fix-rescan-result" data-open={stillOpen ? 'yes' : 'no'}>
                Rescanned: {stillOpen ? 'the finding is reported again.' : 'the finding is no longer reported.'}
              </p>
            )}
            {scan.isError && (
              <div className="callout callout-error" role="alert">
                Rescan failed: {scan.error.message}
              </div>
            )}
            {undo.isPending && <Busy label="Restoring…" testId="fix-undoing" />}
            {undo.isError && (
              <div className="callout callout-error" role="alert" data-testid="fix-undo-error">
                Undo refused: {undo.error.message}
              </div>
            )}
          </>
        )}
      </div>

      <div className="cc-actions">
        {phase.step !== 'choose' && (
          <a className="btn btn-ghost" href={routeHref('changes')} onClick={onClose} data-testid="fix-view-changes">
            All changes
          </a>
        )}
        <span className="spacer" />
        {phase.step === 'choose' && (
          <>
            <button type="button" className="btn" onClick={onClose} disabled={writing} data-testid="fix-cancel">
              {selected?.kind === 'manual' ? 'Close' : 'Cancel'}
            </button>
            {selected?.kind === 'fix' && (
              <button
                type="button"
                className="btn btn-primary"
                data-testid="fix-confirm"
                disabled={!preview.data || preview.isFetching || !request || writing}
                aria-busy={apply.isPending}
                onClick={confirm}
              >
                {apply.isPending ? 'Writing…' : 'Confirm'}
              </button>
            )}
          </>
        )}
        {phase.step === 'applied' && (
          <button
            type="button"
            className="btn"
            data-testid="fix-undo"
            disabled={writing}
            onClick={() => undo.mutate(phase.changes)}
          >
            Undo
          </button>
        )}
        {phase.step !== 'choose' && (
          <button type="button" className="btn btn-primary" onClick={onClose} disabled={writing} data-testid="fix-done">
            Done
          </button>
        )}
      </div>
    </dialog>
  );
}
