import { useEffect, useId, useRef } from 'react';
import type { GatewayShareResult } from '../../../../shared/api/gateways.js';
import type { GatewayConnection } from '../../../../shared/model/gateway.js';
import { useAdminMutation } from '../../client/index.js';

const LABELS: Record<keyof GatewayShareResult['settings'], string> = {
  name: 'Name',
  kind: 'Kind',
  baseUrl: 'Base URL',
  authType: 'Auth type',
  username: 'User name',
  caFile: 'CA file path',
  timeoutMs: 'Timeout (ms)',
  ssoIssuer: 'SSO issuer',
  ssoProviderId: 'SSO provider id',
};

/**
 * "Share with team…" for a gateway added before the team store: asks the service for a preview
 * (exactly the settings that would go to the team store, where the token stays), then shares on
 * confirmation. Nothing is written until Share is pressed; a conflict (a team gateway of that name
 * with other settings) is shown as the service words it, naming that gateway and who set it.
 */
export function GatewayShareDialog({
  gateway,
  onClose,
  onShared,
}: {
  gateway: GatewayConnection;
  onClose(): void;
  onShared(r: GatewayShareResult): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const preview = useAdminMutation('gateways.share');
  const share = useAdminMutation('gateways.share', { onSuccess: onShared });
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    preview.mutate({ id: gateway.id, mode: 'preview' });
    // Once per dialog: the preview is of the gateway as it was when the dialog opened.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const p = preview.data;
  const error = preview.error ?? share.error;
  const busy = share.isPending;
  return (
    <dialog
      ref={ref}
      className="gh-modal gh-confirm gw-share-dialog"
      aria-labelledby={titleId}
      data-testid="gw-share-dialog"
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
    >
      <h2 id={titleId}>Share {gateway.name} with the team</h2>
      {preview.isPending && <p className="muted">Checking the team store…</p>}
      {p && (
        <div className="gh-confirm-body">
          <p>
            These settings go to the team store <span className="mono">{p.teamStore}</span>, where every admin sees
            them:
          </p>
          <table className="gw-share-table" data-testid="gw-share-preview" aria-label="Settings shared with the team">
            <tbody>
              {(Object.keys(LABELS) as (keyof typeof LABELS)[])
                .filter((k) => p.settings[k] !== undefined)
                .map((k) => (
                  <tr key={k} data-field={k}>
                    <th scope="row">{LABELS[k]}</th>
                    <td className="mono">{String(p.settings[k])}</td>
                  </tr>
                ))}
            </tbody>
          </table>
          <p data-testid="gw-share-token">
            {p.credential.stored
              ? `The token is not shared: it stays in this workstation's secret store (${p.credential.secretStore}). Other admins add their own.`
              : 'No token is stored here, and none is ever shared: each admin adds their own.'}
          </p>
          {p.joins && (
            <p className="muted" data-testid="gw-share-joins">
              The team already has this gateway with the same settings (set by {p.joins.updatedBy}): this connection
              joins it.
            </p>
          )}
          {p.joins ? (
            <p className="muted">
              Joining writes nothing to the team store. Remove from team would take that gateway away from every admin,
              not just undo this.
            </p>
          ) : (
            <p className="muted">You can undo it: Remove from team makes it local to this workstation again.</p>
          )}
        </div>
      )}
      {error && (
        <div className="callout callout-error" role="alert" data-testid="gw-share-error">
          {error.message}
        </div>
      )}
      <div className="gh-confirm-actions">
        <button type="button" className="btn" onClick={onClose} disabled={busy} data-testid="gw-share-cancel">
          Cancel
        </button>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="gw-share-confirm"
          disabled={!p || busy}
          onClick={() => share.mutate({ id: gateway.id, mode: 'share' })}
        >
          {busy ? 'Sharing…' : 'Share with team'}
        </button>
      </div>
    </dialog>
  );
}
