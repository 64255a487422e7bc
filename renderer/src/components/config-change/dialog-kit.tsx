import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

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

/** A `<dialog>` ref opened as a modal once mounted (the page behind becomes inert). */
export function useModal() {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return ref;
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

export function Notes({ notes, testId }: { notes: string[]; testId: string }): ReactNode {
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
