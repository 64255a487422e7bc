import { useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import type { AuditForwardStatus } from '../../../../shared/model/audit.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { formatTime, type TimeZoneMode } from './time.js';
import './audit.css';

/** The status is read from the local store only (cheap): polled to follow the 5 s follower. */
const POLL_MS = 5000;

type State = 'ok' | 'pending' | 'failing';

function stateOf(s: AuditForwardStatus): State {
  return s.lastError ? 'failing' : s.pending > 0 ? 'pending' : 'ok';
}

/** What the chip says; `short` (header) leaves the reason to its title and description. */
function label(s: AuditForwardStatus, tz: TimeZoneMode, short: boolean): string {
  const state = stateOf(s);
  if (state === 'failing') {
    const since = s.failingSince ? ` since ${formatTime(s.failingSince, tz, { seconds: false })}` : '';
    return short ? `failing${since}` : `failing${since}: ${s.lastError}`;
  }
  if (state === 'pending') return `${s.pending.toLocaleString()} pending`;
  return 'up to date';
}

/**
 * Forwarding of this workstation's events to the team timeline (`audit.forward.status`): a compact
 * chip (Audit page header) or a line (Settings → Team store), with "Sync now" (`audit.sync`).
 * Nothing shows while no admin team store is configured, except the reason in Settings.
 */
export function ForwardStatus({ variant, tz = 'local' }: { variant: 'chip' | 'line'; tz?: TimeZoneMode }) {
  const qc = useQueryClient();
  const id = useId();
  const status = useAdminQuery('audit.forward.status', {}, { refetchInterval: POLL_MS });
  const sync = useAdminMutation('audit.sync', {
    // Forwarded events change the team views and the status; synced sources the local ones.
    onSettled: () => void qc.invalidateQueries({ queryKey: ['audit'] }),
  });
  const s = status.data;
  if (!s) return null;
  if (!s.configured)
    return variant === 'line' ? (
      <p className="muted" data-testid="team-store-forward" data-state="off">
        Not forwarding audit events: {s.reason}
      </p>
    ) : null;
  const state = stateOf(s);
  const chip = variant === 'chip';
  const text = label(s, tz, chip);
  const detail = [
    `Forwarding this workstation's audit events to ${s.target ?? 'the team store'}`,
    chip && s.lastError ? `failing: ${s.lastError}` : null,
    s.lastSuccessAt ? `last forwarded ${formatTime(s.lastSuccessAt, tz)}` : 'not forwarded yet',
    s.forwardedThrough ? `events up to ${formatTime(s.forwardedThrough, tz)} sent` : null,
    sync.error ? `sync failed: ${sync.error.message}` : null,
  ]
    .filter(Boolean)
    .join('; ');
  const badge = state === 'failing' ? 'badge-danger' : state === 'pending' ? 'badge-warn' : 'badge-ok';
  const testid = variant === 'chip' ? 'audit-forward' : 'team-store-forward';
  return (
    <span className={`audit-forward is-${variant}`} data-testid={testid} data-state={state} data-pending={s.pending}>
      <span className={`badge ${badge} audit-forward-badge`} role="status" title={detail} aria-describedby={id}>
        {/* The header is one row at 1024 px: there the prefix is for screen readers (the chip sits by the switch). */}
        {chip ? (
          <>
            <span className="sr-only">Forwarding to team: </span>
            <span aria-hidden="true">↑ </span>
          </>
        ) : (
          'Forwarding to team: '
        )}
        {text}
      </span>
      <span id={id} className="sr-only">
        {detail}
      </span>
      <button
        type="button"
        className="btn btn-ghost"
        data-testid={`${testid}-sync`}
        disabled={sync.isPending}
        title="Sync now: pull the audit sources and forward new events to the team timeline"
        aria-label={chip ? 'Sync now' : undefined}
        onClick={() => sync.mutate({})}
      >
        {chip ? '↻' : sync.isPending ? 'Syncing…' : 'Sync now'}
      </button>
    </span>
  );
}
