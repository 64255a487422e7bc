import { randomBytes } from 'node:crypto';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { SecretStore } from '../../ports.js';
import type { Database } from '../../store/database.js';
import { connectAndEnumerate, LiveError } from '../connect.js';
import type { LiveLimits } from '../limits.js';
import { CallbackError, startLoopback } from './loopback.js';
import {
  IssuerMismatchError,
  oauthSecretName,
  readStoredOAuth,
  SecretStoreOAuthProvider,
  SessionExpiredError,
  type StoredOAuth,
} from './provider.js';
import { OAuthSessions } from './sessions.js';
import { servingWrite, type WriteTurnsBuffer } from '../../store/write-turns.js';
import { appendAdminAction, type AdminAction } from '../../audit/admin-log.js';
import { notStoredReason } from '../../identity/sessions.js';
import { inSessionOrder } from '../../identity/session-order.js';
import { transaction } from '../../store/database.js';

export { SessionExpiredError } from './provider.js';

type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

export interface OAuthDeps {
  db: Database;
  secrets: SecretStore;
  now: () => Date;
  limits: LiveLimits;
  /** Turns at the write lock with an audit import's worker (write-turns.ts; serving processes). */
  turns?: WriteTurnsBuffer;
}

/** A sign-in step, for the progress event. */
export type SignInStage = 'waiting' | 'exchanging' | 'verifying' | 'signed-in' | 'failed';

/** A sign-in that failed: the message is fit to show (no token, no code). */
export class SignInError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInError';
  }
}

function sameUrl(a: string, b: string): boolean {
  const n = (u: string) => {
    try {
      return new URL(u).href.replace(/\/$/, '');
    } catch {
      return u;
    }
  };
  return n(a) === n(b);
}

/** Expiry of the stored access token (ms since epoch), when the server said. */
export function tokenExpiry(d: StoredOAuth): number | undefined {
  const ttl = d.tokens?.expires_in;
  if (ttl === undefined || !d.obtainedAt) return undefined;
  return Date.parse(d.obtainedAt) + ttl * 1000;
}

/** Every token value of an entry (to mask anything a server could echo). */
export function tokenValues(d: StoredOAuth): string[] {
  return [d.tokens?.access_token, d.tokens?.refresh_token, d.tokens?.id_token].filter(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
}

/**
 * The fetch OAuth discovery and token calls use: a timeout per call, no redirects followed, and the
 * origin of a failed connection remembered (to name the authorization server that is down).
 */
function oauthFetch(timeoutMs: number, failed: { origin?: string }): FetchLike {
  return async (url, init) => {
    const target = new URL(url);
    try {
      return await fetch(target, {
        ...init,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(init?.signal ? [init.signal] : [])]),
      });
    } catch (err) {
      failed.origin = target.origin;
      throw err;
    }
  };
}

/** A failure of the SDK's OAuth calls, in words (never a token or code). */
function describeOAuthFailure(err: unknown, failed: { origin?: string }, phase: 'start' | 'exchange'): SignInError {
  if (err instanceof SignInError) return err;
  if (err instanceof IssuerMismatchError || err instanceof CallbackError) return new SignInError(err.message);
  const e = err as Error & { errorCode?: string };
  const msg = (e?.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 400);
  if (err instanceof OAuthError || typeof e.errorCode === 'string') {
    const code = (err as OAuthError).errorCode;
    if (phase === 'exchange' && code === 'invalid_grant') {
      return new SignInError(
        `the authorization server refused the authorization code (invalid_grant: already used, expired or issued to another sign-in — a replayed code is refused); nothing was stored`,
      );
    }
    if (code === 'invalid_target') {
      return new SignInError(
        `resource mismatch: the authorization server does not issue tokens for this MCP server (invalid_target, RFC 8707): ${msg}; nothing was stored`,
      );
    }
    return new SignInError(
      `the authorization server refused the ${phase === 'exchange' ? 'token request' : 'sign-in'} (${code}): ${msg}; nothing was stored`,
    );
  }
  if (/Protected resource .* does not match expected/.test(msg)) {
    return new SignInError(
      `resource mismatch: the server's protected resource metadata names another resource than its URL (RFC 9728 / RFC 8707): ${msg}; nothing was stored`,
    );
  }
  if (/code challenge method|PKCE|S256/i.test(msg)) {
    return new SignInError(
      `the authorization server offers no PKCE (S256), which the MCP authorization spec requires; nothing was stored`,
    );
  }
  if (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    /fetch failed|ECONNREFUSED|ENOTFOUND|timed? ?out/i.test(msg)
  ) {
    return new SignInError(
      `the authorization server is unreachable${failed.origin ? ` (${failed.origin})` : ''}: ${e.name === 'TimeoutError' ? 'no answer in time' : 'connection failed'}; nothing was stored`,
    );
  }
  return new SignInError(`sign-in failed: ${msg}; nothing was stored`);
}

/**
 * The authorization server's metadata as published (the SDK's parsed copy drops fields it does not
 * model, e.g. from an OpenID configuration): read for RFC 9207 and RFC 7009 only, issuer checked.
 */
async function rawMetadata(issuer: string, fetchFn: FetchLike): Promise<Record<string, unknown> | undefined> {
  let base: URL;
  try {
    base = new URL(issuer);
  } catch {
    return undefined;
  }
  const path = base.pathname.replace(/\/$/, '');
  for (const wk of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    const url = wk.startsWith('/.well-known/oauth') ? `${base.origin}${wk}${path}` : `${base.origin}${path}${wk}`;
    try {
      const res = await fetchFn(url, { headers: { accept: 'application/json' } });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        continue;
      }
      const body = (await res.json()) as Record<string, unknown>;
      if (typeof body.issuer === 'string' && sameUrl(body.issuer, issuer)) return body;
    } catch {
      /* the next one */
    }
  }
  return undefined;
}

export interface SignInRequest {
  serverId: string;
  kind: 'http' | 'sse';
  /** The resolved server URL (credentials in it are the config's, not the sign-in's). */
  url: string;
  /** Session key (oauthSessionKey). */
  key: string;
  /** A pre-registered client id (otherwise dynamic registration). */
  clientId?: string;
  timeoutMs?: number;
  onProgress?: (stage: SignInStage, error?: string) => void;
  /** Its admin-log entry (from the issuer), written in the session's transaction. */
  record?: (issuer: string) => AdminAction;
}

export interface SignInHandle {
  authorizationUrl: string;
  redirectUrl: string;
  /** Settles when the callback was handled: the session is stored, or nothing is. */
  done: Promise<{ issuer: string; expiresAt: string | null }>;
  cancel(): void;
}

/**
 * Starts a sign-in to an OAuth-protected MCP server (MCP authorization spec): RFC 9728 protected
 * resource metadata → RFC 8414 authorization server metadata (its issuer checked) → client
 * (pre-registered or RFC 7591 dynamic registration) → authorization request with PKCE S256,
 * `state` and the RFC 8707 resource indicator, redirect to a loopback listener. Returns the
 * authorization URL to open; `done` exchanges the code, checks the token against the server,
 * and only then stores tokens (secret store) and the session row (no token).
 */
export async function startSignIn(deps: OAuthDeps, req: SignInRequest): Promise<SignInHandle> {
  const failed: { origin?: string } = {};
  const fetchFn = oauthFetch(Math.min(deps.limits.requestTimeoutMs, 15_000), failed);
  const state = randomBytes(32).toString('base64url');
  const loop = await startLoopback({ state, timeoutMs: req.timeoutMs ?? 5 * 60_000 });
  const stored = await readStoredOAuth(deps.secrets, req.key);
  let authorizationUrl: URL | undefined;
  const provider = new SecretStoreOAuthProvider({
    secrets: deps.secrets,
    key: req.key,
    // A fresh discovery and authorization each time; a registered client is reused.
    initial: stored.client ? { client: stored.client } : {},
    now: deps.now,
    redirectUrl: loop.redirectUrl,
    state,
    onAuthorizationUrl: (u) => (authorizationUrl = u),
    staged: true,
    ...(req.clientId ? { clientId: req.clientId } : {}),
  });
  try {
    const r = await auth(provider, { serverUrl: req.url, fetchFn });
    if (r !== 'REDIRECT' || !authorizationUrl)
      throw new SignInError('sign-in failed: no authorization step was offered');
    if (authorizationUrl.searchParams.get('code_challenge_method') !== 'S256')
      throw new SignInError('the authorization request carries no PKCE S256 challenge; refused');
  } catch (err) {
    loop.close();
    throw describeOAuthFailure(err, failed, 'start');
  }
  const authUrl = authorizationUrl;
  req.onProgress?.('waiting');
  const done = (async () => {
    try {
      const cb = await loop.result;
      const md = provider.data.discovery?.authorizationServerMetadata;
      const issuer = md?.issuer ?? provider.data.discovery?.authorizationServerUrl ?? '';
      const raw = await rawMetadata(issuer, fetchFn);
      // RFC 9207: the authorization response names its issuer (mix-up defence).
      if (cb.iss !== undefined && !sameUrl(cb.iss, issuer)) {
        throw new SignInError(
          `wrong issuer: the authorization response came from ${cb.iss.slice(0, 200)}, not ${issuer} (RFC 9207); nothing was stored`,
        );
      }
      if (cb.iss === undefined && raw?.authorization_response_iss_parameter_supported === true) {
        throw new SignInError(
          `wrong issuer: the authorization server promises an iss parameter (RFC 9207) and the response has none; nothing was stored`,
        );
      }
      req.onProgress?.('exchanging');
      try {
        await auth(provider, { serverUrl: req.url, authorizationCode: cb.code, fetchFn });
      } catch (err) {
        throw describeOAuthFailure(err, failed, 'exchange');
      }
      const access = provider.data.tokens?.access_token;
      if (!access)
        throw new SignInError('sign-in failed: the authorization server returned no access token; nothing was stored');
      req.onProgress?.('verifying');
      // The token must open this server (audience / resource): checked before anything is stored.
      try {
        await connectAndEnumerate(
          { kind: req.kind, url: req.url, headers: { Authorization: `Bearer ${access}` } },
          { limits: deps.limits, probeOnly: true },
        );
      } catch (err) {
        const status = err instanceof LiveError ? err.httpStatus : undefined;
        if (status === 401 || status === 403)
          throw new SignInError(
            `audience mismatch: the MCP server refused the token issued for it (HTTP ${status}; the token is not for this resource); nothing was stored`,
          );
        throw new SignInError(
          `signed in, but the MCP server could not be reached with the token: ${(err as Error).message}; nothing was stored`,
        );
      }
      if (typeof raw?.revocation_endpoint === 'string') provider.data.revocationEndpoint = raw.revocation_endpoint;
      // In order with the key's refreshes and sign-outs (session-order.ts): a sign-out that lands
      // while this waits for its write turn runs after it, not between its tokens and its row.
      const expiresAt = await inSessionOrder(deps.db, req.key, async () => {
        await provider.commit();
        const exp = tokenExpiry(provider.data);
        const expiresAtIso = exp !== undefined ? new Date(exp).toISOString() : null;
        // Minutes after the action began: a turn of its own at the write lock.
        const signedInAt = deps.now().toISOString();
        const refreshable = Boolean(provider.data.tokens?.refresh_token);
        // The session and its admin-log entry together: a sign-in the log cannot record never
        // stands (every admin action is attributable); its tokens are then revoked and deleted.
        let recording = false;
        try {
          await servingWrite(deps.turns, () =>
            transaction(deps.db, () => {
              new OAuthSessions(deps.db).upsert({
                key: req.key,
                serverId: req.serverId,
                issuer,
                expiresAt: expiresAtIso,
                refreshable,
                signedInAt,
                refreshedAt: null,
                expired: false,
              });
              recording = true;
              if (req.record) appendAdminAction(deps.db, { now: deps.now }, req.record(issuer));
            }),
          );
        } catch (err) {
          const cleared = await endSession(deps, req.key).then(
            () => true,
            () => false,
          );
          throw new SignInError(notStoredReason(err, recording, cleared, 'sign out of this server'));
        }
        return expiresAtIso;
      });
      req.onProgress?.('signed-in');
      return { issuer, expiresAt };
    } catch (err) {
      const e = err instanceof SignInError ? err : describeOAuthFailure(err, failed, 'exchange');
      req.onProgress?.('failed', e.message);
      throw e;
    }
  })();
  done.catch(() => undefined);
  return { authorizationUrl: authUrl.href, redirectUrl: loop.redirectUrl, done, cancel: () => loop.close() };
}

/**
 * The provider a connection uses for a signed-in server (writes refreshed tokens at once), or
 * undefined when the server has no session.
 */
export async function connectProvider(deps: OAuthDeps, key: string): Promise<SecretStoreOAuthProvider | undefined> {
  const sessions = new OAuthSessions(deps.db);
  if (!sessions.get(key)) return undefined;
  const initial = await readStoredOAuth(deps.secrets, key);
  if (!initial.tokens) return undefined;
  return new SecretStoreOAuthProvider({
    secrets: deps.secrets,
    key,
    initial,
    now: deps.now,
    staged: false,
    // A refresh the SDK makes on its own (a 401 while connecting) writes in order with this
    // session's sign-outs, and not at all once signed out (session-order.ts).
    guard: (write) =>
      inSessionOrder(deps.db, key, async () => {
        if (!sessions.get(key)) throw new SessionExpiredError('signed out: sign in again');
        await write();
      }),
    onSaved: (d) => {
      const exp = tokenExpiry(d);
      sessions.refreshed(
        key,
        exp !== undefined ? new Date(exp).toISOString() : null,
        Boolean(d.tokens?.refresh_token),
        deps.now().toISOString(),
      );
    },
  });
}

/** Refreshes in flight per session: refresh tokens rotate, so two at once would lose the session. */
const refreshing = new Map<string, Promise<boolean>>();

/**
 * Refreshes the access token through the SDK when it expires within `marginMs`; one refresh per
 * session at a time (a concurrent caller waits, then reads the refreshed tokens).
 */
export async function refreshIfNeeded(
  deps: OAuthDeps,
  provider: SecretStoreOAuthProvider,
  serverUrl: string,
  marginMs = 60_000,
): Promise<boolean> {
  const pending = refreshing.get(provider.key);
  if (pending) {
    await pending.catch(() => undefined);
    await provider.reload();
  }
  const exp = tokenExpiry(provider.data);
  if (exp === undefined || exp - deps.now().getTime() > marginMs) return false;
  // In order with the key's sign-ins and sign-outs: a refresh never writes tokens back after a
  // sign-out deleted them (session-order.ts).
  const run = inSessionOrder(deps.db, provider.key, async () => {
    if (!new OAuthSessions(deps.db).get(provider.key)) throw new SessionExpiredError('signed out: sign in again');
    // What is stored now (a sign-out and a new sign-in may have replaced what this provider read).
    await provider.reload();
    const now = tokenExpiry(provider.data);
    if (now === undefined || now - deps.now().getTime() > marginMs) return false;
    return refreshNow(deps, provider, serverUrl);
  });
  refreshing.set(provider.key, run);
  try {
    return await run;
  } finally {
    if (refreshing.get(provider.key) === run) refreshing.delete(provider.key);
  }
}

async function refreshNow(deps: OAuthDeps, provider: SecretStoreOAuthProvider, serverUrl: string): Promise<boolean> {
  if (!provider.data.tokens?.refresh_token)
    throw new SessionExpiredError('session expired (no refresh token): sign in again');
  const failed: { origin?: string } = {};
  try {
    const r = await auth(provider, {
      serverUrl,
      fetchFn: oauthFetch(Math.min(deps.limits.requestTimeoutMs, 15_000), failed),
    });
    if (r !== 'AUTHORIZED') throw new SessionExpiredError();
  } catch (err) {
    if (err instanceof SessionExpiredError || err instanceof UnauthorizedError || err instanceof OAuthError)
      throw new SessionExpiredError('session expired (the refresh was refused): sign in again');
    throw new LiveError(describeOAuthFailure(err, failed, 'exchange').message.replace(/; nothing was stored$/, ''));
  }
  return true;
}

/**
 * Signs out: revokes the refresh and access tokens where the authorization server offers RFC 7009
 * revocation, then deletes the secret entry and the session row.
 */
export function signOut(deps: OAuthDeps, key: string): Promise<{ signedOut: boolean; revoked: boolean }> {
  // After any sign-in or refresh of this session still being stored (session-order.ts).
  return inSessionOrder(deps.db, key, () => endSession(deps, key));
}

async function endSession(deps: OAuthDeps, key: string): Promise<{ signedOut: boolean; revoked: boolean }> {
  const sessions = new OAuthSessions(deps.db);
  const stored = await readStoredOAuth(deps.secrets, key);
  const endpoint = stored.revocationEndpoint;
  let revoked = false;
  if (endpoint && stored.client) {
    const fetchFn = oauthFetch(Math.min(deps.limits.requestTimeoutMs, 10_000), {});
    const pairs: [string, string | undefined][] = [
      ['refresh_token', stored.tokens?.refresh_token],
      ['access_token', stored.tokens?.access_token],
    ];
    for (const [hint, token] of pairs) {
      if (!token) continue;
      const body = new URLSearchParams({ token, token_type_hint: hint, client_id: stored.client.client_id });
      if (stored.client.client_secret) body.set('client_secret', stored.client.client_secret);
      try {
        const res = await fetchFn(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) revoked = true;
      } catch {
        /* revocation is best effort; the tokens are deleted either way */
      }
    }
  }
  const had = Boolean(await deps.secrets.get(oauthSecretName(key)));
  await deps.secrets.delete(oauthSecretName(key));
  const row = sessions.delete(key);
  return { signedOut: had || row, revoked };
}
