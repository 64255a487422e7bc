import { useState } from 'react';
import type { LiveServerState } from '../../../../shared/model/live.js';
import { useAdminEvent, useAdminMutation } from '../../client/index.js';

const STAGE_TEXT: Record<string, string> = {
  waiting: 'Waiting for the browser: finish signing in at the authorization server…',
  exchanging: 'Exchanging the authorization code…',
  verifying: 'Checking the token with the server…',
  'signed-in': 'Signed in. Enumerating the server…',
};

/**
 * Sign-in of an OAuth-protected remote server (`data-testid="live-signin"`): starts the flow,
 * opens the authorization URL in the browser (also shown as a link), follows its progress; sign-out.
 * No token ever reaches the renderer.
 */
export function SignInBar({ serverId, state }: { serverId: string; state: LiveServerState | undefined }) {
  const [url, setUrl] = useState<string | null>(null);
  const [stage, setStage] = useState<{ stage: string; error?: string } | null>(null);
  const signIn = useAdminMutation('live.signIn', {
    onSuccess: (r) => {
      setUrl(r.authorizationUrl);
      // The desktop app has already opened the system browser (its window blocks window.open).
      if (!r.opened) window.open(r.authorizationUrl, '_blank', 'noopener,noreferrer');
    },
  });
  const signOut = useAdminMutation('live.signOut', { onSuccess: () => setStage(null) });
  useAdminEvent('live.signIn', (p) => {
    if (p.serverId !== serverId) return;
    setStage({ stage: p.stage, ...(p.error ? { error: p.error } : {}) });
    if (p.stage === 'signed-in' || p.stage === 'failed') setUrl(null);
  });
  const signInState = state?.signIn ?? (state?.status === 'needs-sign-in' ? 'needs-sign-in' : undefined);
  if (!signInState) return null;
  const expires = state?.signInExpiresAt ? new Date(state.signInExpiresAt).toLocaleString() : null;
  return (
    <div className="callout" data-testid="live-signin" data-signin={signInState}>
      {signInState === 'signed-in' && (
        <span>Signed in (OAuth){expires ? ` · access token until ${expires}` : ''}.</span>
      )}
      {signInState === 'needs-sign-in' && <span>This server requires OAuth sign-in.</span>}
      {signInState === 'session-expired' && <span>The session expired: sign in again.</span>}{' '}
      {signInState === 'signed-in' ? (
        <button
          type="button"
          className="btn"
          data-testid="live-signout"
          disabled={signOut.isPending}
          onClick={() => signOut.mutate({ serverId })}
        >
          Sign out
        </button>
      ) : (
        <button
          type="button"
          className="btn btn-primary"
          data-testid="live-signin-start"
          disabled={signIn.isPending}
          onClick={() => {
            setStage(null);
            signIn.mutate({ serverId });
          }}
        >
          Sign in…
        </button>
      )}
      {url && (
        <p className="muted">
          If no browser tab opened,{' '}
          <a href={url} target="_blank" rel="noopener noreferrer" data-testid="live-signin-url">
            open the sign-in page
          </a>
          .
        </p>
      )}
      {stage && stage.stage !== 'failed' && <p className="muted">{STAGE_TEXT[stage.stage] ?? stage.stage}</p>}
      {(stage?.stage === 'failed' || signIn.isError || signOut.isError) && (
        <div className="callout callout-error" data-testid="live-signin-error">
          {stage?.error ?? signIn.error?.message ?? signOut.error?.message}
        </div>
      )}
    </div>
  );
}
