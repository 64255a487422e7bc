import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal confirmation for a destructive action (native <dialog>: focus is kept inside, Escape
 * cancels). Focus starts on Cancel, so Enter never confirms by accident; the confirm button names
 * the action ("Delete 50,000 events"), not "OK".
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  busy = false,
  error,
  onConfirm,
  onCancel,
  testId = 'confirm-dialog',
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    cancelRef.current?.focus();
  }, []);
  return (
    <dialog
      ref={ref}
      className="gh-modal gh-confirm"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div id={bodyId} className="gh-confirm-body">
        {children}
      </div>
      {error && (
        <div className="callout callout-error" role="alert">
          {error}
        </div>
      )}
      <div className="gh-confirm-actions">
        <button
          ref={cancelRef}
          type="button"
          className="btn"
          onClick={onCancel}
          disabled={busy}
          data-testid="confirm-cancel"
        >
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={onConfirm} disabled={busy} data-testid="confirm-ok">
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
