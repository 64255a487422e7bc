import { useMutation } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import type { MethodInput } from '../../../../shared/api/contract.js';
import type { AdminError } from '../../../../shared/api/errors.js';
import type { ConfigChange } from '../../../../shared/model/config-write.js';
import type { FindingsReport } from '../../../../shared/model/finding.js';
import { routeHref } from '../../app/router.js';
import { useAdminClient, useAdminMutation, useAdminQuery } from '../../client/index.js';
import { Busy, Notes, trapTab, useModal } from './dialog-kit.js';
import { PreviewFiles } from './PreviewFiles.js';
import { plural, undoPlan, uniqueNotes } from './undo.js';
import '../config-change.css';

export type ChangeRequest = MethodInput<'config.preview'>;

export interface ChangeFlowProps {
  /** Which request kind (for tests and styling: `data-kind`). */
  kind: ChangeRequest['kind'];
  heading: { choose: string; applied: string; undone: string };
  /** One line under the heading: what the change is about. */
  subtitle: ReactNode;
  subtitleTitle: string;
  /** The change to preview; null while the admin is still choosing (options, target, version). */
  request: ChangeRequest | null;
  /** Options and inputs shown above the preview in the first step. */
  chooser?: ReactNode;
  /** False when nothing can be confirmed (a finding with only a manual fix): Cancel reads Close. */
  confirmable?: boolean;
  /** After each rescan: whether the subject is still reported, in words. */
  afterRescan?: (report: FindingsReport) => { open: boolean; text: string };
  /** Names a finding the bulk preview left out. */
  describeFinding?: (findingId: string) => string | undefined;
  onClose(): void;
}

type Phase = { step: 'choose' } | { step: 'applied'; changes: ConfigChange[] } | { step: 'undone'; files: string[] };

const RESCANNED = { open: false, text: 'Rescanned: findings and inventory are up to date.' };

/**
 * The one "preview → confirm → result / undo" flow every config write of the console goes through
 * (fix, bulk fix by rule, quarantine, copy/move): the masked diff of every file the request would
 * write → Confirm applies exactly those bytes (the preview's token) → the result with Undo, which
 * restores every file of the confirmation (its change group) byte for byte. A rescan follows each
 * write so findings and inventory reflect it. Esc closes (not while writing), Tab stays inside.
 */
export function ChangeFlow({
  kind,
  heading,
  subtitle,
  subtitleTitle,
  request,
  chooser,
  confirmable = true,
  afterRescan,
  describeFinding,
  onClose,
}: ChangeFlowProps) {
  const ref = useModal();
  const client = useAdminClient();
  const [phase, setPhase] = useState<Phase>({ step: 'choose' });
  const preview = useAdminQuery('config.preview', request ?? { kind: 'quarantine', serverId: '-' }, {
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
    mutationFn: async (changes) => {
      const plan = undoPlan(changes);
      if ('group' in plan) return client.invoke('config.undo', { group: plan.group });
      const out: ConfigChange[] = [];
      for (const id of plan.ids) out.push(...(await client.invoke('config.undo', { id })));
      return out;
    },
    onSuccess: (undone) => {
      setPhase({ step: 'undone', files: [...new Set(undone.map((c) => c.file))] });
      scan.reset();
      scan.mutate({});
    },
  });

  // A different request (another option, target or version) makes an earlier apply error stale.
  const requestKey = JSON.stringify(request);
  const resetApply = apply.reset;
  useEffect(() => resetApply(), [requestKey, resetApply]);

  // The control that had focus (Confirm, Undo) is gone after a write: land on the next step's button.
  useEffect(() => {
    if (phase.step !== 'choose') ref.current?.querySelector<HTMLElement>('[data-testid="fix-done"]')?.focus();
  }, [phase.step, ref]);

  const writing = apply.isPending || undo.isPending;
  const ready = !!request && !!preview.data && !preview.isFetching;
  const canConfirm = confirmable && ready && (preview.data?.files.length ?? 0) > 0 && !writing;
  const rescanned = scan.data ? (afterRescan?.(scan.data) ?? RESCANNED) : null;
  const title = phase.step === 'choose' ? heading.choose : phase.step === 'applied' ? heading.applied : heading.undone;

  return (
    <dialog
      ref={ref}
      className="cc-dialog"
      aria-labelledby="cc-title"
      aria-describedby="cc-sub"
      data-testid="fix-dialog"
      data-kind={kind}
      data-phase={phase.step}
      onCancel={(e) => {
        e.preventDefault();
        if (!writing) onClose();
      }}
      onKeyDown={trapTab}
    >
      <div className="cc-head">
        <h2 id="cc-title">{title}</h2>
        <span className="cc-sub" id="cc-sub" title={subtitleTitle}>
          {subtitle}
        </span>
        <button type="button" className="btn btn-ghost" aria-label="Close" disabled={writing} onClick={onClose}>
          ✕
        </button>
      </div>

      <div className="cc-body">
        {phase.step === 'choose' && (
          <>
            {chooser && (
              <fieldset className="cc-chooser" disabled={writing}>
                {chooser}
              </fieldset>
            )}
            {request && preview.isFetching && <Busy label="Computing the change…" testId="fix-preview-busy" />}
            {request && preview.isError && (
              <div className="callout callout-error" role="alert" data-testid="fix-error">
                {preview.error.message}
              </div>
            )}
            {ready && preview.data && (
              <>
                <PreviewFiles preview={preview.data} {...(describeFinding ? { describeFinding } : {})} />
                <Notes notes={preview.data.notes} testId="fix-notes" />
              </>
            )}
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
            <div
              className="callout callout-ok"
              role="status"
              data-testid="fix-result"
              data-files={phase.changes.length}
            >
              Applied: {plural(phase.changes.length, 'file')} written (change
              {phase.changes.length === 1 ? ' ' : 's '}
              {phase.changes.map((c) => c.id.slice(0, 8)).join(', ')}).{' '}
              {phase.changes.length === 1
                ? 'The original is backed up; Undo restores it'
                : 'The originals are backed up; Undo restores all of them'}{' '}
              byte for byte.
            </div>
            <ul className="cc-result-files">
              {phase.changes.map((c) => (
                <li key={c.id} className="cc-file" data-testid="fix-result-file" data-file={c.file}>
                  <div className="cc-file-head">
                    <span className="badge badge-ok">{c.status}</span>
                    <span className="cc-file-path" title={c.file}>
                      <bdi>{c.file}</bdi>
                    </span>
                  </div>
                  <div className="muted cc-file-summary">{c.summary}</div>
                </li>
              ))}
            </ul>
            <Notes notes={uniqueNotes(phase.changes)} testId="fix-result-notes" />
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
            {rescanned && (
              <p className="muted" data-testid="fix-rescan-result" data-open={rescanned.open ? 'yes' : 'no'}>
                {rescanned.text}
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
              {confirmable ? 'Cancel' : 'Close'}
            </button>
            {confirmable && (
              <button
                type="button"
                className="btn btn-primary"
                data-testid="fix-confirm"
                disabled={!canConfirm}
                aria-busy={apply.isPending}
                onClick={() => {
                  if (canConfirm && preview.data) apply.mutate({ token: preview.data.token });
                }}
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
            title={phase.changes.length > 1 ? 'Restore every file of this change' : 'Restore the file'}
            onClick={() => undo.mutate(phase.changes)}
          >
            {phase.changes.length > 1 ? `Undo all ${phase.changes.length}` : 'Undo'}
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
