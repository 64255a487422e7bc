import { userInfo } from 'node:os';
import { AdminError } from '../../../shared/api/errors.js';
import { endpointUrlProblem } from '../../../shared/model/endpoint-url.js';
import { IdentityProvider, type IdentitySession } from '../../../shared/model/identity.js';
import type { ServiceContext } from '../context.js';
import { maskSecret } from '../secrets/redact.js';
import {
  refresh,
  revoke,
  signInWithBrowser,
  signInWithDevice,
  SignInError,
  type DeviceDeps,
  type IdpConfig,
  type SignInResult,
  type TokenSet,
} from './oidc.js';
import { servingWrite } from '../store/write-turns.js';
import { appendAdminAction, type AdminAction } from '../audit/admin-log.js';
import { transaction } from '../store/database.js';
import { inSessionOrder } from './session-order.js';

/**
 * Sign-in sessions, one per key: `console` (the admin) or `gateway:<id>`. The provider settings and
 * who signed in (from the verified ID token) are in SQLite; the token set only in the secret store
 * under `identity:<key>`. Refreshed before expiry; a failed refresh leaves the session in state
 * "sign-in-again" (tokens deleted), never a raw error.
 */

export const CONSOLE_KEY = 'console';
export const tokenKey = (key: string) => `identity:${key}`;
/** Refresh when the access token has less than this left (ms). */
export const REFRESH_MARGIN_MS = 60_000;

interface ProviderRow {
  key: string;
  issuer: string;
  client_id: string;
  scopes: string;
  resource: string | null;
}

interface SessionRow {
  key: string;
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  groups_json: string | null;
  signed_in_at: string;
  expires_at: string | null;
  refreshed_at: string | null;
  has_refresh: number;
  status: string;
  status_message: string | null;
}

export function setProvider(ctx: ServiceContext, key: string, raw: IdentityProvider): IdentityProvider {
  // Every path (UI, CLI, gateway SSO): an issuer with a password in it would be stored in clear.
  const problem = endpointUrlProblem(raw.issuer);
  if (problem) throw new AdminError('bad-request', `The issuer ${problem}.`);
  const p = IdentityProvider.parse(raw);
  ctx.db
    .prepare(
      `INSERT INTO identity_providers (key, issuer, client_id, scopes, resource, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, scopes = excluded.scopes,
         resource = excluded.resource, updated_at = excluded.updated_at`,
    )
    .run(key, p.issuer, p.clientId, p.scopes.join(' '), p.resource ?? null, ctx.clock.now().toISOString());
  return p;
}

export function getProvider(ctx: ServiceContext, key: string): IdentityProvider | null {
  const r = ctx.db.prepare('SELECT * FROM identity_providers WHERE key = ?').get(key) as ProviderRow | undefined;
  if (!r) return null;
  return {
    issuer: r.issuer,
    clientId: r.client_id,
    scopes: r.scopes.split(' ').filter(Boolean),
    ...(r.resource ? { resource: r.resource } : {}),
  };
}

export function removeProvider(ctx: ServiceContext, key: string): void {
  ctx.db.prepare('DELETE FROM identity_providers WHERE key = ?').run(key);
}

function toSession(r: SessionRow, hint?: string): IdentitySession {
  return {
    key: r.key,
    issuer: r.issuer,
    subject: r.subject,
    ...(r.email ? { email: r.email } : {}),
    ...(r.name ? { name: r.name } : {}),
    ...(r.groups_json ? { groups: JSON.parse(r.groups_json) as string[] } : {}),
    signedInAt: r.signed_in_at,
    ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
    ...(r.refreshed_at ? { refreshedAt: r.refreshed_at } : {}),
    canRefresh: r.has_refresh === 1,
    status: r.status === 'active' ? 'active' : 'sign-in-again',
    ...(r.status_message ? { statusMessage: r.status_message } : {}),
    ...(hint ? { credentialHint: hint } : {}),
  };
}

function sessionRow(ctx: ServiceContext, key: string): SessionRow | undefined {
  return ctx.db.prepare('SELECT * FROM identity_sessions WHERE key = ?').get(key) as SessionRow | undefined;
}

/** The session of `key` without token values (synchronous: what the admin-log actor reads). */
export function sessionInfo(ctx: ServiceContext, key: string): IdentitySession | null {
  const r = sessionRow(ctx, key);
  return r ? toSession(r) : null;
}

/** The session with a masked hint of its access token. */
export async function getSession(ctx: ServiceContext, key: string): Promise<IdentitySession | null> {
  const r = sessionRow(ctx, key);
  if (!r) return null;
  const t = await readTokens(ctx, key);
  return toSession(r, t ? maskSecret(t.accessToken) : undefined);
}

async function readTokens(ctx: ServiceContext, key: string): Promise<TokenSet | null> {
  const raw = await ctx.secrets.get(tokenKey(key)).catch(() => null);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as TokenSet;
  } catch {
    return null;
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The admin-log entry of a sign-in, from who signed in (built inside its transaction). */
export type SignInRecord = (identity: SignInResult['identity']) => AdminAction;

/** A sign-in that was not stored (its admin-log entry could not be written, or its tokens not deleted). */
export class SignInNotStoredError extends Error {}

/**
 * Why a sign-in was not stored: the admin log's refusal (when it was `recording`) or the store's
 * error, and whether its tokens are gone (`cleared`; else where to sign out: `signOutHint`).
 */
export function notStoredReason(err: unknown, recording: boolean, cleared: boolean, signOutHint: string): string {
  const why = err instanceof Error ? err.message : String(err);
  return (
    (recording ? `the sign-in could not be recorded in the admin log: ${why}` : why) +
    (cleared ? '; nothing was stored' : `; its tokens could not be deleted (${signOutHint} to remove them)`)
  );
}

/**
 * Stores a completed sign-in: tokens to the secret store first, then who signed in, with its
 * admin-log entry (`record`) in the same transaction, so a sign-in the log cannot record never
 * stands, not even for a moment (every admin action is attributable). On any failure the key ends
 * signed out: the tokens it stored and any earlier session row are deleted; the error says if
 * deleting the tokens failed.
 */
export function saveSignIn(
  ctx: ServiceContext,
  key: string,
  result: SignInResult,
  record?: SignInRecord,
): Promise<IdentitySession> {
  // In order with the key's refreshes and sign-outs (session-order.ts).
  return inSessionOrder(ctx.db, key, () => storeSignIn(ctx, key, result, record));
}

async function storeSignIn(
  ctx: ServiceContext,
  key: string,
  result: SignInResult,
  record?: SignInRecord,
): Promise<IdentitySession> {
  await ctx.secrets.set(tokenKey(key), JSON.stringify(result.tokens));
  const { identity: id, tokens } = result;
  let recording = false;
  try {
    // A sign-in outlasts its action's turn at the write lock (an audit import's worker may hold it):
    // this write waits for its own (write-turns.ts).
    await servingWrite(ctx.writeTurns, () =>
      transaction(ctx.db, () => {
        ctx.db
          .prepare(
            `INSERT INTO identity_sessions (key, issuer, subject, email, name, groups_json, signed_in_at, expires_at, refreshed_at,
           has_refresh, status, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, 'active', NULL)
         ON CONFLICT (key) DO UPDATE SET issuer = excluded.issuer, subject = excluded.subject, email = excluded.email,
           name = excluded.name, groups_json = excluded.groups_json, signed_in_at = excluded.signed_in_at,
           expires_at = excluded.expires_at, refreshed_at = NULL, has_refresh = excluded.has_refresh,
           status = 'active', status_message = NULL`,
          )
          .run(
            key,
            id.issuer,
            id.subject,
            id.email ?? null,
            id.name ?? null,
            id.groups ? JSON.stringify(id.groups) : null,
            ctx.clock.now().toISOString(),
            iso(tokens.expiresAt),
            tokens.refreshToken ? 1 : 0,
          );
        // After the row: the entry's actor is who just signed in.
        recording = true;
        if (record) appendAdminAction(ctx.db, ctx.clock, record(id));
      }),
    );
  } catch (err) {
    // The tokens it stored replaced any earlier session's: that key ends signed out (a session row
    // left behind would name its admin on later entries without tokens to back it).
    const deleted = await ctx.secrets.delete(tokenKey(key)).then(
      () => true,
      () => false,
    );
    await servingWrite(ctx.writeTurns, () =>
      ctx.db.prepare('DELETE FROM identity_sessions WHERE key = ?').run(key),
    ).catch(() => undefined);
    ctx.events.emit('store.changed', { topics: ['identity'] });
    if (!recording && deleted) throw err;
    throw new SignInNotStoredError(notStoredReason(err, recording, deleted, 'sign out'), { cause: err });
  }
  ctx.events.emit('store.changed', { topics: ['identity'] });
  return (await getSession(ctx, key))!;
}

export interface SignInOptions {
  /** Browser flow: opens or prints the URL. */
  openUrl?: (url: string) => Promise<void> | void;
  /** Device flow instead of the browser. */
  device?: DeviceDeps['show'];
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Its admin-log entry, written with the session (saveSignIn). */
  record?: SignInRecord;
}

function configOf(p: IdentityProvider): IdpConfig {
  return { issuer: p.issuer, clientId: p.clientId, scopes: p.scopes, ...(p.resource ? { resource: p.resource } : {}) };
}

/** Signs in against the provider configured for `key` and stores the session. Nothing is stored on failure. */
export async function signIn(ctx: ServiceContext, key: string, opts: SignInOptions): Promise<IdentitySession> {
  const p = getProvider(ctx, key);
  if (!p) throw new SignInError('invalid-response', `No identity provider is configured for ${key}.`);
  const cfg = configOf(p);
  const result = opts.device
    ? await signInWithDevice(cfg, { clock: ctx.clock, show: opts.device })
    : await signInWithBrowser(cfg, {
        clock: ctx.clock,
        openUrl: opts.openUrl ?? (() => {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
  try {
    return await saveSignIn(ctx, key, result, opts.record);
  } catch (err) {
    // Not stored: the tokens just issued are revoked too where the IdP offers it (best effort).
    if (err instanceof SignInNotStoredError) await revoke(cfg, ctx.clock, result.tokens).catch(() => false);
    throw err;
  }
}

async function markSignInAgain(ctx: ServiceContext, key: string, message: string): Promise<void> {
  // (After the IdP's answer: a turn of its own at the write lock, write-turns.ts.)
  await servingWrite(ctx.writeTurns, () =>
    ctx.db
      .prepare(`UPDATE identity_sessions SET status = 'sign-in-again', status_message = ? WHERE key = ?`)
      .run(message, key),
  );
  ctx.events.emit('store.changed', { topics: ['identity'] });
}

/**
 * A valid access token for `key`, refreshed first when it expires within the margin. A failed or
 * impossible refresh sets the session to "sign-in-again", deletes the tokens and throws a
 * SignInError('refresh-failed') whose message says to sign in again.
 */
export function accessToken(ctx: ServiceContext, key: string, signInHint: string): Promise<string> {
  // In order with the key's sign-ins and sign-outs, and one refresh at a time (a rotating refresh
  // token used twice would end the session).
  return inSessionOrder(ctx.db, key, () => currentAccessToken(ctx, key, signInHint));
}

async function currentAccessToken(ctx: ServiceContext, key: string, signInHint: string): Promise<string> {
  const r = sessionRow(ctx, key);
  const t = await readTokens(ctx, key);
  const again = `Sign in again (${signInHint})`;
  if (!r || !t || r.status !== 'active') throw new SignInError('refresh-failed', `Not signed in. ${again}.`);
  const now = ctx.clock.now().getTime();
  if (t.expiresAt === undefined || t.expiresAt - REFRESH_MARGIN_MS > now) return t.accessToken;
  const p = getProvider(ctx, key);
  let next: TokenSet | undefined;
  let why = 'the session expired and cannot be refreshed';
  if (p && t.refreshToken) {
    try {
      next = await refresh(configOf(p), ctx.clock, t.refreshToken);
    } catch (err) {
      why =
        err instanceof SignInError && err.reason === 'idp-down'
          ? 'the identity provider could not be reached to refresh the session'
          : 'the identity provider refused to refresh the session';
      if (err instanceof SignInError && err.reason === 'idp-down' && t.expiresAt > now) return t.accessToken;
    }
  }
  if (!next) {
    await ctx.secrets.delete(tokenKey(key)).catch(() => {});
    const message = `${why[0]!.toUpperCase()}${why.slice(1)}. ${again}.`;
    await markSignInAgain(ctx, key, message);
    throw new SignInError('refresh-failed', message);
  }
  await ctx.secrets.set(tokenKey(key), JSON.stringify(next));
  const refreshedAt = ctx.clock.now().toISOString();
  await servingWrite(ctx.writeTurns, () =>
    ctx.db
      .prepare(
        `UPDATE identity_sessions SET expires_at = ?, refreshed_at = ?, has_refresh = ?, status = 'active', status_message = NULL
       WHERE key = ?`,
      )
      .run(iso(next.expiresAt), refreshedAt, next.refreshToken ? 1 : 0, key),
  );
  return next.accessToken;
}

/**
 * Sign-out: revoke at the IdP (RFC 7009) where offered, then delete tokens and session. It runs
 * after any sign-in or refresh of the key still being stored (session-order.ts); `ending` is called
 * then, before anything is deleted (e.g. to name, for the log, the admin whose session ends).
 */
export function signOut(
  ctx: ServiceContext,
  key: string,
  ending?: () => void,
): Promise<{ signedOut: boolean; revoked: boolean }> {
  return inSessionOrder(ctx.db, key, () => {
    ending?.();
    return endSession(ctx, key);
  });
}

async function endSession(ctx: ServiceContext, key: string): Promise<{ signedOut: boolean; revoked: boolean }> {
  const r = sessionRow(ctx, key);
  const t = await readTokens(ctx, key);
  const p = getProvider(ctx, key);
  let revoked = false;
  if (t && p) {
    try {
      revoked = await revoke(configOf(p), ctx.clock, t);
    } catch {
      revoked = false; // the tokens are still deleted locally below
    }
  }
  await ctx.secrets.delete(tokenKey(key));
  ctx.db.prepare('DELETE FROM identity_sessions WHERE key = ?').run(key);
  ctx.events.emit('store.changed', { topics: ['identity'] });
  return { signedOut: !!r || !!t, revoked };
}

/** The OS account name; 'unknown' without a passwd entry (containers). */
export function osUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Who acts, for the admin log and policy version authors: the signed-in console admin
 * (`email (issuer#subject)`, from the verified ID token) when an IdP is configured and the session
 * is active; otherwise the OS account and the surface, e.g. `jo (cli)`. Never a constant.
 */
export function actorOf(ctx: ServiceContext): string {
  let s: IdentitySession | null;
  try {
    s = sessionInfo(ctx, CONSOLE_KEY);
  } catch {
    s = null; // a store without the identity tables (older test contexts)
  }
  if (s && s.status === 'active') return `${s.email ?? s.subject} (${s.issuer}#${s.subject})`;
  return `${osUser()} (${ctx.mode})`;
}
