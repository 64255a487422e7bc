import type { AuditForwardStatus } from '../../../shared/model/audit.js';
import type { ServiceContext } from '../context.js';
import { configuredTeamStoreUrl } from '../fleet/handlers.js';
import { maskDatabaseUrl, redactSecrets } from '../fleet/url.js';
import type { Database } from '../store/database.js';
import { teamStoreAccess } from '../team-state/open.js';
import { maskAuditText } from './mask.js';
import { NO_TEAM_STORE, REPORTER_URL } from './team.js';

/**
 * `audit.forward.status`: how far this workstation's timeline has been forwarded to the configured
 * team store, read from its forward mark (forward.ts) — no team store query, so it can be polled.
 * Only the role check may connect (once per URL, the pool is shared): a reporter's URL forwards
 * nothing; a store that cannot be reached counts as configured (forwarding to it is failing).
 */

interface Row {
  after_id: number;
  forwarded: number;
  last_at: string | null;
  last_error: string | null;
  last_success_at: string | null;
  failing_since: string | null;
}

const EMPTY = {
  forwardedThrough: null,
  forwarded: 0,
  pending: 0,
  lastAttemptAt: null,
  lastSuccessAt: null,
  failingSince: null,
  lastError: null,
} as const;

/** Errors were masked when stored; masked again with this URL so no password can show. */
function masked(text: string | null, url: string): string | null {
  return text === null ? null : maskAuditText(redactSecrets(text, url));
}

export function forwardStatusOf(db: Database, target: string, url: string): Omit<AuditForwardStatus, 'reason'> {
  const r = db
    .prepare(
      `SELECT after_id, forwarded, last_at, last_error, last_success_at, failing_since
       FROM audit_team_forward WHERE target = ?`,
    )
    .get(target) as Row | undefined;
  const mark = r?.after_id ?? 0;
  const pending = (db.prepare('SELECT count(*) AS n FROM audit_events WHERE id > ?').get(mark) as { n: number }).n;
  const through = mark
    ? (db.prepare('SELECT ts FROM audit_events WHERE id = ?').get(mark) as { ts: number } | undefined)
    : undefined;
  return {
    configured: true,
    target,
    forwardedThrough: through ? new Date(through.ts).toISOString() : null,
    forwarded: r?.forwarded ?? 0,
    pending,
    lastAttemptAt: r?.last_at ?? null,
    lastSuccessAt: r?.last_success_at ?? null,
    failingSince: r?.failing_since ?? null,
    lastError: masked(r?.last_error ?? null, url),
  };
}

export async function forwardStatus(ctx: ServiceContext): Promise<AuditForwardStatus> {
  const url = await configuredTeamStoreUrl(ctx);
  if (!url) return { configured: false, reason: NO_TEAM_STORE, target: null, ...EMPTY };
  const target = maskDatabaseUrl(url);
  let reach: string | null = null;
  try {
    const access = await teamStoreAccess(ctx);
    if (access.kind === 'reporter') return { configured: false, reason: REPORTER_URL, target, ...EMPTY };
  } catch (err) {
    reach = masked(err instanceof Error ? err.message : String(err), url);
  }
  const s = forwardStatusOf(ctx.db, target, url);
  // Unreachable before any attempt was recorded: the reason is the connection's.
  return { ...s, reason: null, lastError: s.lastError ?? reach };
}
