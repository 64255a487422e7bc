import { useEffect, useRef, useState } from 'react';
import type { PolicyVersion } from '../../../../shared/model/policy.js';
import { useAdminMutation } from '../../client/index.js';
import { short } from './panels.js';

/**
 * "Save version": stores the draft as a policy version without pushing it (shared through the team
 * store when one is configured). Sends the version the draft was based on; a newer one saved by
 * someone else meanwhile comes back as a conflict, which the page shows (`onConflict`).
 */
export function SaveVersionDialog({
  text,
  gatewayId,
  gatewayName,
  expectedVersion,
  onClose,
  onSaved,
  onConflict,
}: {
  text: string;
  gatewayId: string | null;
  gatewayName: string | null;
  /** The lineage's latest version the draft was based on (null: none yet; undefined: unknown, no check). */
  expectedVersion: string | null | undefined;
  onClose(): void;
  onSaved(v: PolicyVersion): void;
  onConflict(message: string): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [message, setMessage] = useState('');
  const save = useAdminMutation('policy.save', {
    onSuccess: onSaved,
    onError: (e) => {
      if (e.code === 'conflict') onConflict(e.message);
    },
  });
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="gh-modal pol-dialog"
      aria-labelledby="pol-save-title"
      data-testid="policy-save-dialog"
      onCancel={(e) => {
        e.preventDefault();
        if (!save.isPending) onClose();
      }}
    >
      <h2 id="pol-save-title">Save version</h2>
      <p className="muted">
        Stores the draft as a version of {gatewayName ? `${gatewayName}'s policy` : 'the policy (no gateway)'} without
        pushing it.{' '}
        {expectedVersion
          ? `Based on version ${short(expectedVersion)}: if someone saved a newer one meanwhile, nothing is saved and you see what changed.`
          : expectedVersion === null
            ? 'It will be the first version.'
            : ''}
      </p>
      <label className="pol-field">
        Message (optional)
        <input
          className="input"
          data-testid="policy-save-message"
          value={message}
          maxLength={2000}
          disabled={save.isPending}
          onChange={(e) => setMessage(e.target.value)}
          placeholder="What changed and why"
        />
      </label>
      {save.isError && save.error.code !== 'conflict' && (
        <div className="callout callout-error" role="alert" data-testid="policy-save-error">
          {save.error.message}
        </div>
      )}
      <div className="pol-dialog-actions">
        <button type="button" className="btn btn-ghost" onClick={onClose} disabled={save.isPending}>
          Cancel
        </button>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="policy-save-confirm"
          disabled={save.isPending}
          autoFocus
          onClick={() =>
            save.mutate({
              text,
              message,
              ...(gatewayId ? { gatewayId } : {}),
              ...(expectedVersion !== undefined ? { expectedVersion } : {}),
            })
          }
        >
          {save.isPending ? 'Saving…' : 'Save version'}
        </button>
      </div>
    </dialog>
  );
}
