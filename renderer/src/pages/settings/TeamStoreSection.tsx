import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { ForwardStatus } from '../audit/ForwardStatus.js';

/**
 * Team store: the shared PostgreSQL that holds the Fleet view's reports and, for admins, the
 * team's suppressions and admin log. The URL is typed into a password field (it usually carries
 * one), tested by the service before it is kept, and kept in the OS secret store only; the page
 * only ever shows it masked. $GATEHOUSE_DATABASE_URL, when set, wins and cannot be changed here.
 */
export function TeamStoreSection() {
  const status = useAdminQuery('fleet.status', {});
  const [url, setUrl] = useState('');
  const qc = useQueryClient();
  // Another store (or none) changes what forwarding and the team timeline show.
  const storeChanged = () => void qc.invalidateQueries({ queryKey: ['audit'] });
  const save = useAdminMutation('fleet.setStore', {
    onSuccess: () => {
      setUrl('');
      storeChanged();
    },
  });
  const clear = useAdminMutation('fleet.clearStore', { onSuccess: storeChanged });
  const s = status.data;
  const fromEnv = s?.source === 'environment';
  const error = save.error ?? clear.error ?? status.error;

  return (
    <div data-testid="team-store" data-configured={s?.configured ? 'true' : 'false'}>
      <p className="muted">
        A shared PostgreSQL for the whole security team: workstations report their scans to it, and admins share
        suppressions and the admin log there. Without one, everything stays in this computer&apos;s local store.
      </p>
      {error && (
        <div className="callout callout-error" role="alert" data-testid="team-store-error">
          {error.message}
        </div>
      )}
      {s?.configured ? (
        <p data-testid="team-store-status">
          Connected to <span className="mono">{s.display}</span>
          {fromEnv ? ' (from GATEHOUSE_DATABASE_URL; change it there)' : ''}{' '}
          {!fromEnv && (
            <button
              type="button"
              className="btn btn-ghost"
              data-testid="team-store-clear"
              disabled={clear.isPending}
              onClick={() => {
                save.reset();
                clear.mutate({});
              }}
            >
              Disconnect
            </button>
          )}
        </p>
      ) : (
        s && <p data-testid="team-store-status">Not connected: this workstation uses its local store only.</p>
      )}
      {s?.configured && <ForwardStatus variant="line" />}
      {!fromEnv && (
        <form
          className="audit-sources-form"
          aria-label="Team store connection"
          data-testid="team-store-form"
          onSubmit={(e) => {
            e.preventDefault();
            clear.reset();
            save.mutate({ url: url.trim() });
          }}
        >
          <label className="field-label">
            Connection URL (postgres://user:password@host/database)
            <input
              className="input mono"
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={url}
              placeholder="postgres://alice@db.example.com/gatehouse"
              onChange={(e) => setUrl(e.target.value)}
              data-testid="team-store-url"
              required
            />
          </label>
          <span>
            <button
              type="submit"
              className="btn btn-primary"
              disabled={save.isPending || !url.trim()}
              data-testid="team-store-save"
            >
              {save.isPending ? 'Testing…' : s?.configured ? 'Test and replace' : 'Test and connect'}
            </button>
          </span>
          <span className="muted">
            Kept in the operating system&apos;s secret store, never in a settings file; shown only with its password
            masked.
          </span>
        </form>
      )}
    </div>
  );
}
