import { useState } from 'react';
import type { GatewayConnection } from '../../../../shared/model/gateway.js';
import { useAdminEvent, useAdminMutation } from '../../client/index.js';

/**
 * The credential cell of an SSO gateway (`data-testid="gw-sso"`, `data-status` signed-out |
 * sign-in-again | active): "Sign in" / "Sign in again" start the gateway's own single sign-on in a
 * browser tab (or the system browser), its progress follows the `gateways.login` event; signed in,
 * who and the masked API token hint, and "Sign out". No token ever reaches the page.
 */
export function GatewaySso({ g }: { g: GatewayConnection }) {
  const [url, setUrl] = useState<string | null>(null);
  const [stage, setStage] = useState<{ stage: string; error?: string } | null>(null);
  const login = useAdminMutation('gateways.login', {
    onSuccess: (r) => {
      setUrl(r.authorizationUrl);
      if (!r.opened) window.open(r.authorizationUrl, '_blank', 'noopener,noreferrer');
    },
  });
  const logout = useAdminMutation('gateways.logout');
  useAdminEvent('gateways.login', (p) => {
    if (p.gatewayId !== g.id) return;
    setStage({ stage: p.stage, ...(p.error ? { error: p.error } : {}) });
    if (p.stage !== 'waiting') setUrl(null);
  });
  const sso = g.sso;
  if (!sso) return null;
  const status = sso.status === 'active' && !g.hasCredential ? 'sign-in-again' : sso.status;
  const error = stage?.stage === 'failed' ? stage.error : (login.error?.message ?? logout.error?.message);
  return (
    <span className="gw-sso" data-testid="gw-sso" data-status={status}>
      {status === 'active' ? (
        <span title={`stored in ${g.secretStore}`} data-testid="gw-credential">
          <span data-testid="gw-sso-user">SSO {sso.email ?? ''} </span>
          <span className="mono">{g.credentialHint ?? 'stored'}</span> <span className="faint">({g.secretStore})</span>{' '}
          {sso.expiresAt && <span className="faint">until {new Date(sso.expiresAt).toLocaleString()} </span>}
          <button
            type="button"
            className="btn btn-ghost"
            data-testid="gw-sso-signout"
            disabled={logout.isPending}
            onClick={() => {
              setStage(null);
              logout.mutate({ id: g.id });
            }}
          >
            Sign out
          </button>
        </span>
      ) : (
        <>
          <span
            className="badge badge-danger"
            data-testid="gw-sso-signin"
            title={sso.statusMessage ?? `Sign in with ${sso.issuer}`}
          >
            {status === 'signed-out' ? 'SSO: not signed in' : 'SSO: sign in again'}
          </span>{' '}
          <button
            type="button"
            className="btn btn-primary"
            data-testid="gw-sso-login"
            disabled={login.isPending}
            onClick={() => {
              setStage(null);
              login.mutate({ id: g.id });
            }}
          >
            {status === 'signed-out' ? 'Sign in' : 'Sign in again'}
          </button>
        </>
      )}
      {url && (
        <span className="muted" data-testid="gw-sso-waiting">
          {' '}
          Finish signing in at the identity provider.{' '}
          <a href={url} target="_blank" rel="noopener noreferrer" data-testid="gw-sso-url">
            Open the sign-in page
          </a>
        </span>
      )}
      {stage?.stage === 'signed-in' && status !== 'active' && <span className="muted"> Signed in…</span>}
      {logout.data && status === 'signed-out' && (
        <span className="muted" role="status" data-testid="gw-sso-signed-out">
          {' '}
          {logout.data.message}.
        </span>
      )}
      {error && (
        <span className="callout callout-error" role="alert" data-testid="gw-sso-error">
          {error}
        </span>
      )}
    </span>
  );
}
