import { createContext, useContext, useMemo, useState } from 'react';
import type { ServerEntry } from '../../../../shared/model/discovery.js';
import { useAdminMutation } from '../../client/index.js';
import { MultiConsentDialog } from '../server/consent/MultiConsentDialog.js';
import { useLiveStates } from '../server/live-ui.js';
import '../server/consent/consent.css';

/**
 * Consent at scale from the Inventory: servers waiting for consent get a checkbox in the Live
 * column (Space on a focused row toggles it); "Review consent" opens one dialog for the
 * checked ones (or for all that wait, when none is checked).
 */
interface ConsentSelection {
  selected: ReadonlySet<string>;
  toggle(id: string): void;
}

const Ctx = createContext<ConsentSelection | null>(null);

/** The servers waiting for consent now (stdio command lines, project remote servers). */
function useNeedingConsent(): Set<string> {
  const states = useLiveStates();
  return useMemo(
    () => new Set((states.data ?? []).filter((s) => s.status === 'needs-consent').map((s) => s.serverId)),
    [states.data],
  );
}

export function useConsentSelection() {
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const needing = useNeedingConsent();
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  // Only servers that still wait count (a consent given elsewhere drops them).
  const effective = useMemo(() => new Set([...selected].filter((id) => needing.has(id))), [selected, needing]);
  return {
    selection: { selected: effective, toggle } satisfies ConsentSelection,
    needing,
    clear: () => setSelected(new Set()),
    /** Space on a row: toggles it when it waits for consent. */
    onRowSpace: (s: ServerEntry) => {
      if (needing.has(s.id)) toggle(s.id);
    },
  };
}

export function ConsentSelectionProvider({ value, children }: { value: ConsentSelection; children: React.ReactNode }) {
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** The checkbox of one row (only while the server waits for consent). */
export function ConsentSelectBox({ server }: { server: ServerEntry }) {
  const sel = useContext(Ctx);
  const needing = useNeedingConsent();
  if (!sel || !needing.has(server.id)) return null;
  return (
    <input
      type="checkbox"
      className="consent-select"
      tabIndex={-1}
      data-testid="consent-select"
      aria-label={`Select ${server.name} (${server.client}) for consent`}
      checked={sel.selected.has(server.id)}
      onChange={() => sel.toggle(server.id)}
      onClick={(e) => e.stopPropagation()}
    />
  );
}

/** The header button and the dialog it opens. */
export function ConsentReview({
  selected,
  needing,
  onDone,
}: {
  selected: ReadonlySet<string>;
  needing: ReadonlySet<string>;
  onDone: () => void;
}) {
  const [open, setOpen] = useState<string[] | null>(null);
  const scan = useAdminMutation('live.scan');
  if (needing.size === 0 && !open) return null;
  const ids = selected.size ? [...selected] : [...needing];
  return (
    <>
      <button
        type="button"
        className="btn"
        data-testid="consent-review"
        data-count={ids.length}
        disabled={ids.length === 0}
        title={`Review what ${ids.length === 1 ? 'this server runs' : `these ${ids.length} servers run`} (or the URL a project server is reached at) and consent to them at once${selected.size ? '' : ': every server waiting for consent (check rows to pick some)'}`}
        onClick={() => setOpen(ids)}
      >
        {selected.size ? `Review ${selected.size} selected` : 'Review consent'}
      </button>
      {open && (
        <MultiConsentDialog
          serverIds={open}
          onClose={() => setOpen(null)}
          onConsented={(consented) => {
            setOpen(null);
            onDone();
            if (consented.length) scan.mutate({ serverIds: consented });
          }}
        />
      )}
    </>
  );
}
