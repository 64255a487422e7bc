import { useState } from 'react';
import type { FixOption } from '../../../../shared/model/config-write.js';
import { useAdminQuery } from '../../client/index.js';
import { ChangeFlow, type ChangeRequest } from './ChangeFlow.js';
import { Busy } from './dialog-kit.js';

/** What the fix dialog is about: one finding. */
export interface FixSubject {
  findingId: string;
  title: string;
  ruleId: string;
  server?: string;
  file: string;
}

/**
 * Fix one finding: its options (automatic, or manual with the reason; a version to pin asks for it
 * first), then the shared preview → confirm → result/undo flow.
 */
export function FixDialog({ subject, onClose }: { subject: FixSubject; onClose(): void }) {
  const options = useAdminQuery(
    'config.fixOptions',
    { findingId: subject.findingId },
    { staleTime: 0, gcTime: 0, retry: false },
  );
  const [choice, setChoice] = useState<number | null>(null);
  const [version, setVersion] = useState<string | null>(null);
  const [submittedVersion, setSubmittedVersion] = useState<string | null>(null);

  const list = options.data ?? [];
  // The service lists the recommended option first (a manual reason before a drastic quarantine).
  const selectedIndex = choice ?? 0;
  const selected: FixOption | undefined = list[selectedIndex];
  const needsInput = !!selected?.input;
  const versionValue = version ?? selected?.input?.suggestion ?? '';
  const request: ChangeRequest | null =
    selected?.kind === 'fix' && (!needsInput || submittedVersion)
      ? {
          kind: 'fix',
          findingId: subject.findingId,
          ...(selected.strategy ? { strategy: selected.strategy } : {}),
          ...(needsInput && submittedVersion ? { input: { version: submittedVersion } } : {}),
        }
      : null;

  const chooser = (
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
                onChange={() => {
                  setChoice(i);
                  setVersion(null);
                  setSubmittedVersion(null);
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
    </>
  );

  return (
    <ChangeFlow
      kind="fix"
      heading={{ choose: 'Fix', applied: 'Fixed', undone: 'Undone' }}
      subtitle={
        <>
          <span className="mono">{subject.ruleId}</span>
          {subject.server ? ` · ${subject.server}` : ''} · {subject.title}
        </>
      }
      subtitleTitle={subject.title}
      request={request}
      chooser={chooser}
      confirmable={selected?.kind !== 'manual'}
      afterRescan={(report) => {
        const open = report.findings.some((f) => f.id === subject.findingId && f.status === 'open');
        return {
          open,
          text: `Rescanned: ${open ? 'the finding is reported again.' : 'the finding is no longer reported.'}`,
        };
      }}
      onClose={onClose}
    />
  );
}
