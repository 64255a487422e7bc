import { useState } from 'react';
import { useAdminEvent, useAdminMutation, useAdminQuery } from '../../client/index.js';

const DEFAULT_SCOPES = 'openid email profile offline_access';

/**
 * Identity: the console's OpenID Connect provider, sign-in (authorization code + PKCE through a
 * browser tab or the system browser, redirect to a loopback listener on 127.0.0.1, RFC 8252), who
 * is signed in (from the verified ID token) and sign-out. The signed-in admin is the actor of every
 * admin-log entry; without one, the OS account is. No token ever reaches the page.
 */
export function IdentitySection() {
  const who = useAdminQuery('identity.whoami', {});
  const configure = useAdminMutation('identity.configure');
  const signOut = useAdminMutation('identity.signOut');
  const [url, setUrl] = useState<string | null>(null);
  const [stage, setStage] = useState<{ stage: string; error?: string } | null>(null);
  const signIn = useAdminMutation('identity.signIn', {
    onSuccess: (r) => {
      setUrl(r.authorizationUrl);
      if (!r.opened) window.open(r.authorizationUrl, '_blank', 'noopener,noreferrer');
    },
  });
  useAdminEvent('identity.signIn', (p) => {
    setStage({ stage: p.stage, ...(p.error ? { error: p.error } : {}) });
    if (p.stage !== 'waiting') setUrl(null);
    if (p.stage === 'signed-in') void who.refetch();
  });

  const provider = who.data?.provider ?? null;
  const session = who.data?.session ?? null;
  const [issuer, setIssuer] = useState('');
  const [clientId, setClientId] = useState('');
  const [scopes, setScopes] = useState(DEFAULT_SCOPES);
  const [editing, setEditing] = useState(false);

  const showForm = !provider || editing;
  const error = configure.error ?? signIn.error ?? signOut.error;

  return (
    <div data-testid="identity" data-signed-in={session?.status === 'active' ? 'true' : 'false'}>
      <p className="muted">
        Sign in with your organisation&apos;s identity provider (OpenID Connect). While you are signed in, your identity
        is recorded as the actor of every admin action; otherwise the computer&apos;s user account is.
      </p>
      {who.isError && (
        <div className="callout callout-error" role="alert">
          {who.error.message}
        </div>
      )}
      {who.data && (
        <p data-testid="identity-actor">
          Recorded as: <span className="mono">{who.data.actor}</span>
        </p>
      )}

      {provider && !editing && (
        <p data-testid="identity-provider">
          Identity provider <span className="mono">{provider.issuer}</span> · client{' '}
          <span className="mono">{provider.clientId}</span> · scopes {provider.scopes.join(' ')}{' '}
          <button
            type="button"
            className="btn btn-ghost"
            data-testid="identity-edit"
            onClick={() => {
              configure.reset();
              setIssuer(provider.issuer);
              setClientId(provider.clientId);
              setScopes(provider.scopes.join(' '));
              setEditing(true);
            }}
          >
            Change
          </button>
        </p>
      )}

      {showForm && (
        <form
          className="audit-sources-form"
          aria-label="Identity provider"
          data-testid="identity-form"
          onSubmit={(e) => {
            e.preventDefault();
            configure.mutate(
              {
                issuer: issuer.trim(),
                clientId: clientId.trim(),
                scopes: scopes.split(/\s+/).filter(Boolean),
              },
              { onSuccess: () => setEditing(false) },
            );
          }}
        >
          <label className="field-label">
            Issuer URL
            <input
              className="input mono"
              value={issuer}
              placeholder="https://login.example.com/realms/corp"
              onChange={(e) => setIssuer(e.target.value)}
              data-testid="identity-issuer"
              required
            />
          </label>
          <label className="field-label">
            Client id (a native, public client; redirect http://127.0.0.1/callback)
            <input
              className="input mono"
              value={clientId}
              onChange={(e) => setClientId(e.target.value)}
              data-testid="identity-client-id"
              required
            />
          </label>
          <label className="field-label">
            Scopes
            <input
              className="input mono"
              value={scopes}
              onChange={(e) => setScopes(e.target.value)}
              data-testid="identity-scopes"
            />
          </label>
          <span>
            <button
              type="submit"
              className="btn btn-primary"
              disabled={configure.isPending}
              data-testid="identity-save"
            >
              Save identity provider
            </button>{' '}
            {provider && (
              <button type="button" className="btn btn-ghost" onClick={() => setEditing(false)}>
                Cancel
              </button>
            )}
          </span>
        </form>
      )}

      {session && (
        <div
          className={`callout ${session.status === 'active' ? '' : 'callout-error'}`}
          data-testid="identity-session"
          data-status={session.status}
        >
          Signed in as <strong data-testid="identity-email">{session.email ?? session.subject}</strong>
          {session.name ? ` (${session.name})` : ''} · subject <span className="mono">{session.subject}</span> at{' '}
          <span className="mono">{session.issuer}</span> · since {new Date(session.signedInAt).toLocaleString()}
          {session.status !== 'active' && <div>{session.statusMessage ?? 'Sign in again.'}</div>}
        </div>
      )}

      {provider && (
        <p>
          {(!session || session.status !== 'active') && (
            <button
              type="button"
              className="btn btn-primary"
              data-testid="identity-signin"
              disabled={signIn.isPending}
              onClick={() => {
                setStage(null);
                signIn.mutate({});
              }}
            >
              {session ? 'Sign in again' : 'Sign in'}
            </button>
          )}
          {session && (
            <button
              type="button"
              className="btn"
              data-testid="identity-signout"
              disabled={signOut.isPending}
              onClick={() => signOut.mutate({})}
            >
              Sign out
            </button>
          )}
        </p>
      )}
      {url && (
        <p className="muted" data-testid="identity-waiting">
          Finish signing in at your identity provider. If no browser tab opened,{' '}
          <a href={url} target="_blank" rel="noopener noreferrer" data-testid="identity-signin-url">
            open the sign-in page
          </a>
          .
        </p>
      )}
      {signOut.data && !session && (
        <p className="muted" role="status" data-testid="identity-signed-out">
          Signed out
          {signOut.data.revoked
            ? '; the tokens were revoked at the identity provider.'
            : '; the identity provider offers no revocation, the tokens were deleted here.'}
        </p>
      )}
      {stage?.stage === 'failed' && (
        <div className="callout callout-error" role="alert" data-testid="identity-error">
          Sign-in failed: {stage.error}
        </div>
      )}
      {error && (
        <div className="callout callout-error" role="alert" data-testid="identity-error">
          {error.message}
        </div>
      )}
    </div>
  );
}
