import { useQueries } from '@tanstack/react-query';
import { useState } from 'react';
import type { AdminError } from '../../../../../shared/api/errors.js';
import type { CommandLine } from '../../../../../shared/model/live.js';
import { adminQueryKey, useAdminClient, useAdminMutation } from '../../../client/index.js';
import { clientLabel } from '../../../lib/labels.js';
import { ConsentDetails, ConsentNotices } from './ConsentDetails.js';
import { useDialogKeys } from './ConsentDialog.js';

/**
 * Consent at scale: several servers reviewed in one dialog, each with exactly what it runs (or the
 * URL it is reached at), what changed since an earlier consent and its warnings; the checked ones
 * are consented in one all-or-nothing request (each still its own admin-log entry).
 */
export function MultiConsentDialog({
  serverIds,
  onClose,
  onConsented,
}: {
  serverIds: string[];
  onClose: () => void;
  /** After the consents are stored: the servers consented. */
  onConsented: (serverIds: string[]) => void;
}) {
  const client = useAdminClient();
  const lines = useQueries({
    queries: serverIds.map((serverId) => ({
      queryKey: adminQueryKey('live.commandLine', { serverId }),
      queryFn: () => client.invoke('live.commandLine', { serverId }),
      staleTime: 0,
    })),
  });
  const [unchecked, setUnchecked] = useState<Set<string>>(() => new Set());
  const grant = useAdminMutation('live.grantConsents', {
    onSuccess: (r) => onConsented(r.consents.map((c) => c.serverId)),
  });
  const cancelRef = useDialogKeys(onClose);

  const loaded = lines.map((q) => q.data).filter((l): l is CommandLine => !!l);
  const pending = loaded.filter((l) => l.consentRequired !== false && !l.consented);
  const selected = pending.filter((l) => !unchecked.has(l.serverId));
  const loading = lines.some((q) => q.isPending);
  const errors = lines.map((q) => q.error as AdminError | null).filter((e): e is AdminError => !!e);
  const changed = pending.filter((l) => l.changedSinceConsent).length;
  const unpinned = pending.filter((l) => l.unpinned).length;
  const toggle = (id: string) =>
    setUnchecked((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allChecked = selected.length === pending.length;
  const summary = [
    `${pending.length} server${pending.length === 1 ? '' : 's'} to review`,
    changed ? `${changed} changed since consent` : '',
    unpinned ? `${unpinned} unpinned` : '',
  ]
    .filter(Boolean)
    .join(' · ');

  return (
    <div className="gh-backdrop" onClick={onClose}>
      <div
        className="gh-dialog gh-dialog-wide"
        role="dialog"
        aria-modal="true"
        aria-labelledby="multi-consent-title"
        aria-describedby="multi-consent-summary"
        data-testid="multi-consent-dialog"
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id="multi-consent-title">Review servers for consent</h2>
        <p className="muted" id="multi-consent-summary">
          <span data-testid="multi-consent-summary">{loading ? 'Loading…' : summary}</span>. Gatehouse will start each
          checked command on your machine, as you (no shell), in the folder and with the environment shown, or contact
          each checked project server&apos;s URL; consent covers exactly what is shown, bound to the server (client,
          config file, name). Secret values are never shown.
        </p>
        {errors.map((e, i) => (
          <div key={i} className="callout callout-error" role="alert">
            {e.message}
          </div>
        ))}
        {!loading && pending.length === 0 && (
          <div className="callout" data-testid="multi-consent-none">
            None of the selected servers needs consent any more.
          </div>
        )}
        {pending.length > 1 && (
          <div className="multi-consent-bar">
            <label className="checkbox">
              <input
                type="checkbox"
                data-testid="multi-consent-all"
                checked={allChecked}
                ref={(el) => {
                  if (el) el.indeterminate = !allChecked && selected.length > 0;
                }}
                onChange={() => setUnchecked(allChecked ? new Set(pending.map((l) => l.serverId)) : new Set())}
              />{' '}
              All
            </label>
          </div>
        )}
        <ul className="multi-consent-list" aria-label="Servers to consent to">
          {pending.map((l) => {
            const checked = !unchecked.has(l.serverId);
            const titleId = `mc-${l.serverId.replace(/[^A-Za-z0-9_-]/g, '')}`;
            return (
              <li
                key={l.serverId}
                className="multi-consent-item"
                data-testid="multi-consent-item"
                data-server-id={l.serverId}
                data-name={l.serverName}
                data-checked={checked ? 'true' : 'false'}
                aria-labelledby={titleId}
              >
                <div className="multi-consent-head">
                  <label className="checkbox" id={titleId}>
                    <input
                      type="checkbox"
                      data-testid="multi-consent-check"
                      checked={checked}
                      onChange={() => toggle(l.serverId)}
                    />{' '}
                    <strong>{l.serverName}</strong>
                  </label>
                  <span className="badge">{clientLabel(l.client)}</span>
                  <span className="badge">{l.kind === 'remote' ? 'remote' : 'stdio'}</span>
                  {l.changedSinceConsent ? (
                    <span className="badge badge-warn">changed since consent</span>
                  ) : l.legacyConsent ? (
                    <span className="badge badge-warn">asked again</span>
                  ) : (
                    <span className="badge">new</span>
                  )}
                  {l.unpinned && <span className="badge badge-warn">unpinned</span>}
                </div>
                <ConsentNotices line={l} />
                <ConsentDetails line={l} compact />
              </li>
            );
          })}
        </ul>
        {grant.isError && (
          <div className="callout callout-error" role="alert" data-testid="multi-consent-error">
            {grant.error.message}
          </div>
        )}
        <div className="gh-actions">
          <button
            type="button"
            className="btn btn-ghost"
            ref={cancelRef}
            data-testid="multi-consent-cancel"
            onClick={onClose}
          >
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            data-testid="multi-consent-accept"
            disabled={selected.length === 0 || loading || grant.isPending}
            onClick={() => grant.mutate({ items: selected.map((l) => ({ serverId: l.serverId, hash: l.hash })) })}
          >
            {grant.isPending
              ? 'Consenting…'
              : `Consent to ${selected.length} server${selected.length === 1 ? '' : 's'} and connect`}
          </button>
        </div>
      </div>
    </div>
  );
}
