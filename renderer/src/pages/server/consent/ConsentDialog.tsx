import { useEffect, useRef } from 'react';
import { useAdminMutation, useAdminQuery } from '../../../client/index.js';
import { ConsentDetails, ConsentNotices } from './ConsentDetails.js';

/** Escape closes; focus starts on the safe choice (Cancel). */
export function useDialogKeys(onClose: () => void) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    cancelRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return cancelRef;
}

/** Shows exactly what a stdio server will run, or which URL a project's remote server is at, and asks for consent. */
export function ConsentDialog({
  serverId,
  onClose,
  onConsented,
}: {
  serverId: string;
  onClose: () => void;
  onConsented: () => void;
}) {
  const line = useAdminQuery('live.commandLine', { serverId }, { staleTime: 0 });
  const grant = useAdminMutation('live.grantConsent', { onSuccess: onConsented });
  const trust = useAdminMutation('live.trustProject', { onSuccess: onConsented });
  const cancelRef = useDialogKeys(onClose);
  const l = line.data;
  const remote = l?.kind === 'remote';
  return (
    <div className="gh-backdrop" onClick={onClose}>
      <div
        className="gh-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="consent-title"
        data-testid="consent-dialog"
        data-kind={l?.kind ?? 'stdio'}
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id="consent-title">{remote ? 'Contact this server?' : 'Start this server?'}</h2>
        {remote ? (
          <p className="muted">
            This remote server is configured in a project file, so the repository chose its URL. Gatehouse has not
            contacted it. On consent it will connect to the URL below (an unauthenticated auth probe, then with the
            configured headers) to list what it exposes. Consent covers this server (client, config file, name) at this
            origin and path; if the URL changes you will be asked again. Trusting the project folder instead lets
            Gatehouse contact every remote server configured in it; its commands still need their own consent.
          </p>
        ) : (
          <p className="muted">
            Gatehouse will start this command on your machine, as you, to list what it exposes. It runs directly (no
            shell), in the folder and with the environment variables shown below; references are shown resolved and
            secret values are never shown. Consent covers exactly this server (client, config file, name) with this
            command line (resolved command and arguments, working directory, environment values); if it changes you will
            be asked again.
          </p>
        )}
        {line.isPending && <p className="muted">Loading…</p>}
        {line.isError && <div className="callout callout-error">{line.error.message}</div>}
        {l && <ConsentNotices line={l} />}
        {l && <ConsentDetails line={l} />}
        {grant.isError && <div className="callout callout-error">{grant.error.message}</div>}
        {trust.isError && <div className="callout callout-error">{trust.error.message}</div>}
        <div className="gh-actions">
          <button
            type="button"
            className="btn btn-ghost"
            ref={cancelRef}
            data-testid="consent-cancel"
            onClick={onClose}
          >
            Cancel
          </button>
          {remote && l?.projectDir && !l.projectTrusted && (
            <button
              type="button"
              className="btn"
              data-testid="consent-trust-project"
              disabled={trust.isPending || grant.isPending}
              title="Every remote server configured in this folder may be contacted (revocable in Settings)"
              onClick={() => l.projectDir && trust.mutate({ serverId, projectDir: l.projectDir })}
            >
              Trust project folder
            </button>
          )}
          <button
            type="button"
            className="btn btn-primary"
            data-testid="consent-accept"
            disabled={!l || grant.isPending || trust.isPending}
            onClick={() => l && grant.mutate({ serverId, hash: l.hash })}
          >
            {remote ? 'Consent and connect' : 'Consent and start'}
          </button>
        </div>
      </div>
    </div>
  );
}
