import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

/**
 * "File" menu button of the Policy toolbar (Open file…, Save file): the secondary file actions in
 * one button keep the toolbar on one row at 1024 px. Menu button pattern (WAI-ARIA APG): Enter,
 * Space or ArrowDown opens it on its first item; arrows, Home and End move; Escape closes it and
 * returns focus to the button; Tab or a click outside closes it. Ctrl+S still saves without it.
 */
export function FileMenu({ onOpen, onSave, canSave }: { onOpen: () => void; onSave: () => void; canSave: boolean }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const wrap = useRef<HTMLSpanElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);

  const items = () => [
    ...(menu.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]:not(:disabled)') ?? []),
  ];
  useEffect(() => {
    if (!open) return;
    items()[0]?.focus();
    const onDown = (e: MouseEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const run = (action: () => void) => {
    close(true);
    action();
  };
  const onMenuKey = (e: KeyboardEvent) => {
    const list = items();
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    const go = (i: number) => {
      e.preventDefault();
      list[(i + list.length) % list.length]?.focus();
    };
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp') go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(list.length - 1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    } else if (e.key === 'Tab') close(false);
  };

  return (
    <span className="pol-menu" ref={wrap}>
      <button
        ref={button}
        type="button"
        className="btn btn-ghost"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        data-testid="policy-file-menu"
        title="Open a policy file, or save the document as a file"
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        File<span aria-hidden="true"> ▾</span>
      </button>
      {open && (
        <div ref={menu} id={id} role="menu" aria-label="File" className="pol-menu-list" onKeyDown={onMenuKey}>
          <button
            type="button"
            role="menuitem"
            tabIndex={-1}
            className="pol-menu-item"
            data-testid="policy-open"
            onClick={() => run(onOpen)}
          >
            Open file…
          </button>
          <button
            type="button"
            role="menuitem"
            tabIndex={-1}
            className="pol-menu-item"
            data-testid="policy-save"
            disabled={!canSave}
            aria-keyshortcuts="Control+S"
            title="Download the document (Ctrl+S)"
            onClick={() => run(onSave)}
          >
            Save file <kbd className="pol-menu-kbd">Ctrl+S</kbd>
          </button>
        </div>
      )}
    </span>
  );
}
