import { hostname } from 'node:os';
import { AdminError } from '../../../shared/api/errors.js';
import { appendAdminAction } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { loopbackListener, SignInError } from '../identity/oidc.js';
import { actorOf, saveSignIn, sessionInfo, tokenKey, SignInNotStoredError } from '../identity/sessions.js';
import { inSessionOrder } from '../identity/session-order.js';
import { HttpClient, type HttpResponse } from './http.js';

/**
 * Sign-in to a ContextForge gateway through its own single sign-on ("way (a)", verified against
 * ContextForge 1.0.7): the gateway is the OIDC client of the identity provider (PKCE + nonce, its
 * client secret), Gatehouse relays the browser's redirect through a one-shot loopback listener:
 *
 *   GET /v1/auth/sso/login/{provider}?redirect_uri=http://127.0.0.1:PORT/callback
 *     → {authorization_url, state} + HttpOnly `sso_session_id` cookie (kept in memory)
 *   browser → IdP → 127.0.0.1:PORT/callback?code&state (state checked)
 *   GET /v1/auth/sso/callback/{provider}?code&state with that cookie → `jwt_token` session cookie
 *     (a 20-minute gateway session JWT, no refresh)
 *   POST /v1/tokens with the session → an expiring API token for the signed-in user
 *
 * Only the API token (and, for revocation at sign-out, the short session JWT) goes to the secret
 * store, under `identity:gateway:<id>`; who signed in (the gateway's answer to /v1/auth/email/me)
 * goes to `identity_sessions`. Neither can be refreshed: ContextForge offers no refresh for its
 * session and keeps the IdP's refresh token to itself, so an expired token means "sign in again".
 *
 * The gateway must accept the loopback redirect: APP_DOMAIN on 127.0.0.1, or the origin in
 * ALLOWED_ORIGINS. (IdP access tokens sent directly — SSO_API_TOKEN_AUTH_ENABLED with a provider
 * `trusted_for_api_auth` — are refused by every /v1 REST route on 1.0.7; see the README.)
 */

export const ssoKey = (gatewayId: string) => `gateway:${gatewayId}`;
/** Default lifetime of the API token minted after sign-in (ContextForge counts in whole days). */
export const DEFAULT_TOKEN_DAYS = 1;

/** What the secret store holds for an SSO gateway (a TokenSet plus the gateway's token id). */
interface StoredSso {
  accessToken: string;
  expiresAt?: number;
  /** The API token's id at the gateway (revocation). */
  gatewayTokenId?: string;
  /** The 20-minute session JWT, only to revoke the API token at sign-out while it lasts. */
  sessionToken?: string;
  sessionExpiresAt?: number;
}

export interface GatewaySsoSettings {
  id: string;
  name: string;
  baseUrl: string;
  issuer: string;
  providerId?: string;
  ca?: string;
  timeoutMs: number;
}

export interface GatewaySignInOptions {
  /** Opens (or prints) the identity provider's sign-in URL. */
  openUrl: (url: string) => Promise<void> | void;
  timeoutMs?: number;
  /** Lifetime of the minted API token in days (default 1). */
  tokenDays?: number;
  /** Cancels the wait for the browser (a newer sign-in replaces this one); nothing is stored. */
  signal?: AbortSignal;
}

function cookie(res: HttpResponse, name: string): string | undefined {
  const raw = res.headers?.['set-cookie'];
  for (const c of Array.isArray(raw) ? raw : raw ? [raw] : []) {
    const kv = c.split(';')[0] ?? '';
    const eq = kv.indexOf('=');
    if (kv.slice(0, eq).trim() === name) return kv.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}

function detail(res: HttpResponse): string {
  const d = (res.body as { detail?: unknown } | undefined)?.detail;
  return typeof d === 'string' ? d : res.text.slice(0, 200);
}

function jwtExp(token: string): number | undefined {
  try {
    const p = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof p.exp === 'number' ? p.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The enabled SSO provider ids the gateway lists publicly (no credential needed). */
export async function listSsoProviders(http: HttpClient): Promise<string[]> {
  const res = await http.get('/v1/auth/sso/providers');
  if (res.status === 404) return []; // SSO_ENABLED=false: the routes are not mounted
  if (res.status !== 200 || !Array.isArray(res.body)) return [];
  return (res.body as { id?: unknown }[]).map((p) => p.id).filter((id): id is string => typeof id === 'string');
}

async function resolveProvider(http: HttpClient, s: GatewaySsoSettings): Promise<string> {
  const ids = await listSsoProviders(http);
  if (s.providerId) {
    if (!ids.includes(s.providerId))
      throw new SignInError(
        'invalid-response',
        `Gateway "${s.name}" offers no enabled SSO provider "${s.providerId}"` +
          (ids.length ? ` (it offers: ${ids.join(', ')}).` : ' (SSO is off or has no providers).') +
          ' Nothing was stored.',
      );
    return s.providerId;
  }
  if (ids.length === 1) return ids[0]!;
  throw new SignInError(
    'invalid-response',
    ids.length
      ? `Gateway "${s.name}" offers several SSO providers (${ids.join(', ')}); choose one with --sso-provider. Nothing was stored.`
      : `Gateway "${s.name}" offers no single sign-on (SSO_ENABLED is off or no provider is enabled). Nothing was stored.`,
  );
}

/**
 * Signs in to the gateway through its SSO and stores an expiring API token for the signed-in user.
 * Nothing is stored unless every step succeeded.
 */
export async function signInToGateway(
  ctx: ServiceContext,
  s: GatewaySsoSettings,
  opts: GatewaySignInOptions,
): Promise<{ email: string; expiresAt?: string }> {
  const http = new HttpClient({
    baseUrl: s.baseUrl,
    timeoutMs: s.timeoutMs,
    attempts: 1,
    ...(s.ca ? { ca: s.ca } : {}),
  });
  const providerId = await resolveProvider(http, s);
  let gatewayState: string | undefined;
  const listener = await loopbackListener(() => gatewayState, new URL(s.issuer).origin);
  let timer: NodeJS.Timeout | undefined;
  try {
    const login = await http.get(`/v1/auth/sso/login/${encodeURIComponent(providerId)}`, {
      redirect_uri: listener.redirectUri,
    });
    if (login.status === 400 && /redirect_uri/i.test(detail(login)))
      throw new SignInError(
        'invalid-response',
        `Gateway "${s.name}" does not allow the loopback redirect ${new URL(listener.redirectUri).origin}; ` +
          'set its APP_DOMAIN to http://127.0.0.1 or add the origin to ALLOWED_ORIGINS. Nothing was stored.',
      );
    const body = login.body as { authorization_url?: unknown; state?: unknown } | undefined;
    const binding = cookie(login, 'sso_session_id');
    if (
      login.status !== 200 ||
      typeof body?.authorization_url !== 'string' ||
      typeof body.state !== 'string' ||
      !binding
    )
      throw new SignInError(
        'invalid-response',
        `Gateway "${s.name}" did not start the SSO login (${login.status}: ${detail(login)}). Nothing was stored.`,
      );
    const authUrl = new URL(body.authorization_url);
    if (authUrl.origin !== new URL(s.issuer).origin)
      throw new SignInError(
        'wrong-issuer',
        `Gateway "${s.name}" sends the sign-in to ${authUrl.origin}, not to the configured identity provider ${new URL(s.issuer).origin}. Nothing was stored.`,
      );
    gatewayState = body.state;
    await opts.openUrl(authUrl.toString());
    const cb = await Promise.race([
      listener.result,
      new Promise<never>((_, fail) => {
        timer = setTimeout(
          () => fail(new SignInError('timeout', 'No answer from the browser in time; sign-in cancelled.')),
          opts.timeoutMs ?? 5 * 60_000,
        );
        opts.signal?.addEventListener('abort', () =>
          fail(new SignInError('timeout', 'This sign-in was replaced by a newer one; nothing was stored.')),
        );
      }),
    ]);
    const err = cb.url.searchParams.get('error');
    if (err)
      throw new SignInError(
        err === 'access_denied' ? 'denied' : 'invalid-response',
        err === 'access_denied'
          ? 'Sign-in was denied at the identity provider.'
          : `The identity provider returned an error (${err}).`,
      );
    const q = new URLSearchParams();
    for (const k of ['code', 'state', 'iss']) {
      const v = cb.url.searchParams.get(k);
      if (v !== null) q.set(k, v);
    }
    const callback = await http.send(
      'GET',
      http.url(`/v1/auth/sso/callback/${encodeURIComponent(providerId)}?${q.toString()}`),
      undefined,
      { cookie: `sso_session_id=${binding}` },
    );
    const session = cookie(callback, 'jwt_token');
    if (!session) {
      const loc = header(callback, 'location') ?? '';
      const why = /error=([\w-]+)/.exec(loc)?.[1] ?? `${callback.status}`;
      throw new SignInError(
        'code-rejected',
        `Gateway "${s.name}" refused the sign-in (${why})` +
          (why === 'user_creation_failed'
            ? ': it will not link the sign-in to an existing account of another kind (e.g. a local account with the same email) or may not create users (SSO_AUTO_CREATE_USERS).'
            : '; check its SSO provider settings and log.') +
          ' Nothing was stored.',
      );
    }
    const authed = new HttpClient({
      baseUrl: s.baseUrl,
      timeoutMs: s.timeoutMs,
      attempts: 1,
      authorization: `Bearer ${session}`,
      ...(s.ca ? { ca: s.ca } : {}),
    });
    const me = await authed.get('/v1/auth/email/me');
    const email = (me.body as { email?: unknown } | undefined)?.email;
    const fullName = (me.body as { full_name?: unknown } | undefined)?.full_name;
    if (me.status !== 200 || typeof email !== 'string')
      throw new SignInError('invalid-response', `Gateway "${s.name}" did not accept its own session (${me.status}).`);
    const days = opts.tokenDays ?? DEFAULT_TOKEN_DAYS;
    const tokenName = `gatehouse ${hostname()} ${ctx.clock
      .now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')}`;
    const minted = await authed.send('POST', authed.url('/v1/tokens'), {
      name: tokenName,
      description: 'Signed in with SSO from Gatehouse; revoked at sign-out',
      expires_in_days: days,
    });
    const tb = minted.body as { access_token?: unknown; token?: { id?: unknown; expires_at?: unknown } } | undefined;
    if (minted.status !== 201 && minted.status !== 200)
      throw new SignInError(
        'invalid-response',
        `Gateway "${s.name}" signed you in but would not issue an API token (${minted.status}: ${detail(minted)}). Nothing was stored.`,
      );
    if (typeof tb?.access_token !== 'string')
      throw new SignInError('invalid-response', `Gateway "${s.name}" returned no API token. Nothing was stored.`);
    const rawExp = tb.token?.expires_at;
    const expiresAt =
      typeof rawExp === 'string'
        ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(rawExp) ? rawExp : rawExp + 'Z')
        : jwtExp(tb.access_token);
    const stored: StoredSso = {
      accessToken: tb.access_token,
      ...(expiresAt !== undefined && Number.isFinite(expiresAt) ? { expiresAt } : {}),
      ...(typeof tb.token?.id === 'string' ? { gatewayTokenId: tb.token.id } : {}),
      sessionToken: session,
      ...(jwtExp(session) !== undefined ? { sessionExpiresAt: jwtExp(session) } : {}),
    };
    // Signing in again: the previous API token is revoked with the new session (same user), so
    // a replaced token does not stay valid at the gateway until it expires.
    let replacedRevoked: boolean | null = null;
    const previousRaw = await ctx.secrets.get(tokenKey(ssoKey(s.id))).catch(() => null);
    let previousId: string | undefined;
    try {
      previousId = previousRaw ? (JSON.parse(previousRaw) as StoredSso).gatewayTokenId : undefined;
    } catch {
      previousId = undefined;
    }
    if (previousId && previousId !== stored.gatewayTokenId) {
      const res = await authed
        .send('DELETE', authed.url(`/v1/tokens/${encodeURIComponent(previousId)}`))
        .catch(() => undefined);
      replacedRevoked = res !== undefined && [200, 204, 404].includes(res.status);
    }
    // The session and its admin-log entry are stored together (saveSignIn): a sign-in the log
    // cannot record never stands (every admin action is attributable).
    let saved: Awaited<ReturnType<typeof saveSignIn>>;
    try {
      saved = await saveSignIn(
        ctx,
        ssoKey(s.id),
        {
          tokens: stored,
          identity: {
            issuer: s.issuer,
            subject: email,
            email,
            ...(typeof fullName === 'string' ? { name: fullName } : {}),
          },
        },
        () => ({
          action: 'gateway.login',
          target: s.name,
          actor: actorOf(ctx),
          details: {
            issuer: s.issuer,
            providerId,
            email,
            expiresAt: stored.expiresAt !== undefined ? new Date(stored.expiresAt).toISOString() : null,
            ...(replacedRevoked !== null ? { previousTokenRevoked: replacedRevoked } : {}),
          },
        }),
      );
    } catch (err) {
      if (!(err instanceof SignInNotStoredError)) throw err;
      // Not stored: the API token just minted is revoked too, while the session allows it.
      const res = stored.gatewayTokenId
        ? await authed
            .send('DELETE', authed.url(`/v1/tokens/${encodeURIComponent(stored.gatewayTokenId)}`))
            .catch(() => undefined)
        : undefined;
      const revoked = res !== undefined && [200, 204, 404].includes(res.status);
      throw new SignInError(
        'invalid-response',
        `Sign-in to gateway "${s.name}": ${err.message}` +
          (revoked ? '' : `; revoke its API token "${tokenName}" at the gateway by hand`),
      );
    }
    ctx.events.emit('store.changed', { topics: ['gateways'] });
    return { email, ...(saved.expiresAt ? { expiresAt: saved.expiresAt } : {}) };
  } catch (err) {
    if (err instanceof SignInError || err instanceof AdminError) throw err;
    throw new SignInError('invalid-response', `Sign-in to gateway "${s.name}" failed: ${(err as Error).message}`);
  } finally {
    if (timer) clearTimeout(timer);
    listener.close();
  }
}

/**
 * Sign-out: revokes the minted API token at the gateway while the short session still allows it
 * (ContextForge refuses token management with an API token), then deletes it locally.
 */
export function signOutOfGateway(
  ctx: ServiceContext,
  s: Omit<GatewaySsoSettings, 'issuer'>,
): Promise<{ signedOut: boolean; revoked: boolean; message: string }> {
  // After any sign-in or refresh of this session still being stored (session-order.ts).
  return inSessionOrder(ctx.db, ssoKey(s.id), () => endGatewaySession(ctx, s));
}

async function endGatewaySession(
  ctx: ServiceContext,
  s: Omit<GatewaySsoSettings, 'issuer'>,
): Promise<{ signedOut: boolean; revoked: boolean; message: string }> {
  const key = ssoKey(s.id);
  const raw = await ctx.secrets.get(tokenKey(key)).catch(() => null);
  const had = raw !== null || sessionInfo(ctx, key) !== null;
  let revoked = false;
  let message = had ? 'Signed out' : 'Not signed in';
  if (raw) {
    let t: StoredSso | undefined;
    try {
      t = JSON.parse(raw) as StoredSso;
    } catch {
      t = undefined;
    }
    const now = ctx.clock.now().getTime();
    if (t?.gatewayTokenId && t.sessionToken && (t.sessionExpiresAt ?? 0) > now + 5_000) {
      const http = new HttpClient({
        baseUrl: s.baseUrl,
        timeoutMs: s.timeoutMs,
        attempts: 1,
        authorization: `Bearer ${t.sessionToken}`,
        ...(s.ca ? { ca: s.ca } : {}),
      });
      const res = await http
        .send('DELETE', http.url(`/v1/tokens/${encodeURIComponent(t.gatewayTokenId)}`))
        .catch(() => undefined);
      revoked = res !== undefined && (res.status === 204 || res.status === 200 || res.status === 404);
    }
    const until = t?.expiresAt ? new Date(t.expiresAt).toISOString() : undefined;
    message = revoked
      ? 'Signed out; the API token was revoked at the gateway'
      : `Signed out locally; the gateway only lets its 20-minute sign-in session revoke the API token, which ` +
        `${until ? `stays valid until ${until}` : 'stays valid until it expires'} unless an admin revokes it`;
  }
  await ctx.secrets.delete(tokenKey(key));
  ctx.db.prepare('DELETE FROM identity_sessions WHERE key = ?').run(key);
  appendAdminAction(ctx.db, ctx.clock, {
    action: 'gateway.logout',
    target: s.name,
    actor: actorOf(ctx),
    details: { revoked },
  });
  ctx.events.emit('store.changed', { topics: ['identity', 'gateways'] });
  return { signedOut: had, revoked, message };
}
