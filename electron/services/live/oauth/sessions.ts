import type { Database } from '../../store/database.js';

/** A signed-in server's session, as the inventory shows it: no token value, ever. */
export interface OAuthSessionRow {
  key: string;
  serverId: string;
  issuer: string;
  expiresAt: string | null;
  refreshable: boolean;
  signedInAt: string;
  refreshedAt: string | null;
  /** A refresh was refused (or there is no refresh token and the access token expired). */
  expired: boolean;
}

interface Row {
  key: string;
  server_id: string;
  issuer: string;
  expires_at: string | null;
  refreshable: number;
  signed_in_at: string;
  refreshed_at: string | null;
  expired: number;
}

const fromRow = (r: Row): OAuthSessionRow => ({
  key: r.key,
  serverId: r.server_id,
  issuer: r.issuer,
  expiresAt: r.expires_at,
  refreshable: r.refreshable === 1,
  signedInAt: r.signed_in_at,
  refreshedAt: r.refreshed_at,
  expired: r.expired === 1,
});

export class OAuthSessions {
  constructor(private readonly db: Database) {}

  get(key: string): OAuthSessionRow | null {
    const r = this.db.prepare('SELECT * FROM live_oauth_sessions WHERE key = ?').get(key) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  /** The newest session of a server (by its id). */
  latestFor(serverId: string): OAuthSessionRow | null {
    const r = this.db
      .prepare('SELECT * FROM live_oauth_sessions WHERE server_id = ? ORDER BY signed_in_at DESC LIMIT 1')
      .get(serverId) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  upsert(s: OAuthSessionRow): void {
    this.db
      .prepare(
        `INSERT INTO live_oauth_sessions (key, server_id, issuer, expires_at, refreshable, signed_in_at, refreshed_at, expired)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET server_id = excluded.server_id, issuer = excluded.issuer,
           expires_at = excluded.expires_at, refreshable = excluded.refreshable, signed_in_at = excluded.signed_in_at,
           refreshed_at = excluded.refreshed_at, expired = excluded.expired`,
      )
      .run(
        s.key,
        s.serverId,
        s.issuer,
        s.expiresAt,
        s.refreshable ? 1 : 0,
        s.signedInAt,
        s.refreshedAt,
        s.expired ? 1 : 0,
      );
  }

  refreshed(key: string, expiresAt: string | null, refreshable: boolean, at: string): void {
    this.db
      .prepare(
        'UPDATE live_oauth_sessions SET expires_at = ?, refreshable = ?, refreshed_at = ?, expired = 0 WHERE key = ?',
      )
      .run(expiresAt, refreshable ? 1 : 0, at, key);
  }

  markExpired(key: string): void {
    this.db.prepare('UPDATE live_oauth_sessions SET expired = 1 WHERE key = ?').run(key);
  }

  delete(key: string): boolean {
    return Number(this.db.prepare('DELETE FROM live_oauth_sessions WHERE key = ?').run(key).changes) > 0;
  }
}

/** Where a session stands now. */
export function sessionStatus(s: OAuthSessionRow, now: Date): 'signed-in' | 'session-expired' {
  if (s.expired) return 'session-expired';
  if (!s.refreshable && s.expiresAt && Date.parse(s.expiresAt) <= now.getTime()) return 'session-expired';
  return 'signed-in';
}
