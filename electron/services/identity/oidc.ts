import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { AdminError } from '../../../shared/api/errors.js';
import type { Clock } from '../ports.js';

/**
 * OpenID Connect sign-in for a native app (RFC 8252) with `openid-client`: discovery, PKCE S256,
 * state and nonce, a one-shot loopback redirect listener on 127.0.0.1 (random port), the ID token
 * verified (issuer, audience, nonce, expiry with clock-skew tolerance), and the device
 * authorization grant (RFC 8628) for terminals. Plain Node: the browser opener is injected.
 *
 * Nothing here logs, stores or returns a token outside `TokenSet`; the caller puts that set in the
 * secret store (see store.ts).
 */

export interface IdpConfig {
  issuer: string;
  clientId: string;
  /** Scopes (default: openid email profile offline_access). */
  scopes?: string[];
  /** RFC 8707 resource indicator, e.g. the gateway's API audience (gets an access token for it). */
  resource?: string;
}

export const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'offline_access'];
/** How far the local clock may be off from the IdP's before a token is refused (seconds). */
export const CLOCK_TOLERANCE_S = 120;

export type SignInFailure =
  | 'idp-down'
  | 'wrong-issuer'
  | 'no-pkce'
  | 'no-device-flow'
  | 'insecure-issuer'
  | 'state-mismatch'
  | 'issuer-mismatch'
  | 'nonce-mismatch'
  | 'audience-mismatch'
  | 'clock-skew'
  | 'code-rejected'
  | 'wrong-origin'
  | 'denied'
  | 'timeout'
  | 'refresh-failed'
  | 'invalid-response';

/** A sign-in that failed for a known reason; the message says what to do. Nothing was stored. */
export class SignInError extends AdminError {
  constructor(
    readonly reason: SignInFailure,
    message: string,
  ) {
    super(reason === 'idp-down' || reason === 'timeout' ? 'unavailable' : 'unauthorized', message);
    this.name = 'SignInError';
  }
}

/** What a successful sign-in yields. The token values never leave the identity capability. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Epoch ms; undefined when the IdP gave no expiry. */
  expiresAt?: number;
  scope?: string;
}

/** Who signed in, from the verified ID token. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  email?: string;
  name?: string;
  groups?: string[];
}

export interface SignInResult {
  tokens: TokenSet;
  identity: VerifiedIdentity;
}

export interface OidcDeps {
  clock: Clock;
  /** Opens (or shows) the authorization URL; tests drive it over HTTP. */
  openUrl: (url: string) => Promise<void> | void;
  /** How long to wait for the browser to come back (default 5 min). */
  timeoutMs?: number;
  /** Cancels the wait (a newer sign-in replaces this one); the listener closes, nothing is stored. */
  signal?: AbortSignal;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function errText(err: unknown): string {
  const e = err as Error & { cause?: unknown; code?: string };
  return e?.message ?? String(err);
}

/** Maps an openid-client / oauth4webapi / network failure to a specific, token-free message. */
export function classify(outer: unknown, issuer: string): SignInError {
  if (outer instanceof SignInError) return outer;
  // openid-client wraps oauth4webapi's coded errors ("invalid response encountered"): use the innermost.
  let err = outer;
  for (let i = 0; i < 5; i++) {
    const c = (err as { cause?: unknown })?.cause;
    const code = (c as { code?: unknown } | undefined)?.code;
    if (c instanceof Error && typeof code === 'string' && code.startsWith('OAUTH_')) err = c;
    else break;
  }
  const e = err as Error & { code?: string; cause?: { claim?: string } & Record<string, unknown>; error?: string };
  const msg = errText(err);
  if (e instanceof client.ResponseBodyError || e?.error) {
    const code = (e as { error?: string }).error;
    if (code === 'invalid_grant')
      return new SignInError(
        'code-rejected',
        'The identity provider rejected the authorization code or refresh token (already used, expired or revoked); sign in again.',
      );
    if (code === 'access_denied') return new SignInError('denied', 'Sign-in was denied at the identity provider.');
    return new SignInError('invalid-response', `The identity provider refused the request (${code ?? 'error'}).`);
  }
  if (e instanceof client.AuthorizationResponseError) {
    const code = (e as unknown as { error?: string }).error;
    if (code === 'access_denied') return new SignInError('denied', 'Sign-in was denied at the identity provider.');
    return new SignInError('invalid-response', `The identity provider returned an error (${code ?? 'error'}).`);
  }
  switch (e?.code) {
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      return new SignInError(
        'wrong-issuer',
        `The identity provider at ${issuer} announces a different issuer in its discovery document; check the issuer URL.`,
      );
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
      return new SignInError(
        'clock-skew',
        `The ID token is not valid at this computer's time (more than ${CLOCK_TOLERANCE_S} s apart); check the system clock.`,
      );
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED': {
      const claim = e.cause?.claim ?? /"(nonce|aud|azp|iss)"/.exec(msg)?.[1];
      if (claim === 'nonce')
        return new SignInError(
          'nonce-mismatch',
          'The ID token does not answer this sign-in (nonce mismatch); nothing was stored.',
        );
      if (claim === 'aud' || claim === 'azp')
        return new SignInError(
          'audience-mismatch',
          'The ID token was issued for another client (audience mismatch); nothing was stored.',
        );
      if (claim === 'iss')
        return new SignInError('issuer-mismatch', 'The ID token comes from another issuer; nothing was stored.');
      return new SignInError(
        'invalid-response',
        `The ID token failed a check (${claim ?? 'claim'}); nothing was stored.`,
      );
    }
    case 'OAUTH_INVALID_RESPONSE':
      if (/"iss"/.test(msg))
        return new SignInError(
          'issuer-mismatch',
          'The sign-in response names another issuer (iss mismatch); nothing was stored.',
        );
      if (/"state"/.test(msg))
        return new SignInError(
          'state-mismatch',
          'The sign-in response does not belong to this sign-in (state mismatch); nothing was stored.',
        );
      return new SignInError('invalid-response', `The identity provider's response is invalid: ${msg}`);
  }
  if (
    e?.name === 'TypeError' ||
    /fetch failed|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|certificate/i.test(
      msg + String((e as { cause?: unknown })?.cause ?? ''),
    )
  )
    return new SignInError('idp-down', `The identity provider at ${issuer} cannot be reached (${causeText(err)}).`);
  return new SignInError('invalid-response', `Sign-in failed: ${msg}`);
}

function causeText(err: unknown): string {
  const c = (err as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? errText(err);
}

function issuerUrl(issuer: string): URL {
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    // (Not quoted: the text may hold a credential.)
    throw new SignInError('wrong-issuer', 'The issuer is not a URL.');
  }
  if (u.username || u.password)
    throw new SignInError('insecure-issuer', 'The issuer must not contain a user name or password.');
  if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname))
    throw new SignInError('insecure-issuer', `The issuer must use https:// (got ${u.origin}).`);
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new SignInError('insecure-issuer', `The issuer must use https:// (got ${u.protocol}).`);
  return u;
}

/** Discovery (RFC 8414 / OIDC), with the local clock's offset and the skew tolerance applied. */
export async function discover(cfg: IdpConfig, clock: Clock): Promise<client.Configuration> {
  const url = issuerUrl(cfg.issuer);
  let config: client.Configuration;
  try {
    config = await client.discovery(
      url,
      cfg.clientId,
      {
        [client.clockTolerance]: CLOCK_TOLERANCE_S,
        [client.clockSkew]: Math.round((clock.now().getTime() - Date.now()) / 1000),
      },
      client.None(),
      url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
    );
  } catch (err) {
    throw classify(err, cfg.issuer);
  }
  return config;
}

function scopeOf(cfg: IdpConfig): string {
  return (cfg.scopes?.length ? cfg.scopes : DEFAULT_SCOPES).join(' ');
}

function identityOf(config: client.Configuration, claims: client.IDToken | undefined): VerifiedIdentity {
  if (!claims)
    throw new SignInError('invalid-response', 'The identity provider returned no ID token; nothing was stored.');
  const groups = Array.isArray(claims.groups)
    ? claims.groups.filter((g): g is string => typeof g === 'string')
    : undefined;
  return {
    issuer: config.serverMetadata().issuer,
    subject: claims.sub,
    ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
    ...(typeof claims.name === 'string' ? { name: claims.name } : {}),
    ...(groups ? { groups } : {}),
  };
}

export function tokenSetOf(t: client.TokenEndpointResponse, clock: Clock): TokenSet {
  return {
    accessToken: t.access_token,
    ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
    ...(t.id_token ? { idToken: t.id_token } : {}),
    ...(typeof t.expires_in === 'number' ? { expiresAt: clock.now().getTime() + t.expires_in * 1000 } : {}),
    ...(t.scope ? { scope: t.scope } : {}),
  };
}

export interface Callback {
  url: URL;
}

/**
 * A loopback listener for one redirect: only `GET /callback` on the expected Host with the expected
 * state is taken; a request from a web page (an Origin header, or a fetch rather than a navigation)
 * or a wrong state ends the sign-in with a specific error. The state may be given later (a function),
 * for flows where another party (a gateway acting as the OIDC client) chooses it.
 */
export async function loopbackListener(
  expectedState: string | (() => string | undefined),
  allowedOrigin: string,
): Promise<{ redirectUri: string; result: Promise<Callback>; close: () => void }> {
  let settle!: { ok: (c: Callback) => void; fail: (e: Error) => void };
  const result = new Promise<Callback>((ok, fail) => (settle = { ok, fail }));
  let done = false;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(text);
    };
    const host = req.headers.host ?? '';
    const u = new URL(req.url ?? '/', `http://${host || '127.0.0.1'}`);
    if (req.method !== 'GET' || u.pathname !== '/callback' || host !== `127.0.0.1:${port}`)
      return reply(404, 'Not found');
    if (done) return reply(410, 'This sign-in is already complete.');
    const origin = req.headers.origin;
    const fetchMode = req.headers['sec-fetch-mode'];
    if ((origin && origin !== allowedOrigin && origin !== 'null') || (fetchMode && fetchMode !== 'navigate')) {
      done = true;
      reply(403, 'Refused: this request did not come from the identity provider.');
      return settle.fail(
        new SignInError(
          'wrong-origin',
          `A callback came from another origin (${origin ?? fetchMode}); the sign-in was stopped and nothing was stored.`,
        ),
      );
    }
    const want = typeof expectedState === 'function' ? expectedState() : expectedState;
    if (!want || u.searchParams.get('state') !== want) {
      done = true;
      reply(400, 'Refused: this response does not belong to the sign-in in progress.');
      return settle.fail(
        new SignInError(
          'state-mismatch',
          'The sign-in response does not belong to this sign-in (state mismatch); nothing was stored.',
        ),
      );
    }
    done = true;
    reply(200, 'Signed in to Gatehouse. You can close this window.');
    settle.ok({ url: u });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    result,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Authorization code flow with PKCE through the system browser and a loopback redirect. */
export async function signInWithBrowser(cfg: IdpConfig, deps: OidcDeps): Promise<SignInResult> {
  const config = await discover(cfg, deps.clock);
  const meta = config.serverMetadata();
  if (!meta.supportsPKCE())
    throw new SignInError(
      'no-pkce',
      `The identity provider at ${cfg.issuer} does not offer PKCE (S256); Gatehouse will not sign in without it.`,
    );
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const listener = await loopbackListener(state, new URL(meta.issuer).origin);
  const scope = scopeOf(cfg);
  const params: Record<string, string> = {
    redirect_uri: listener.redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  if (scope.split(' ').includes('offline_access')) params.prompt = 'consent';
  if (cfg.resource) params.resource = cfg.resource;
  const timeoutMs = deps.timeoutMs ?? 5 * 60_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await deps.openUrl(client.buildAuthorizationUrl(config, params).toString());
    const cb = await Promise.race([
      listener.result,
      new Promise<never>((_, fail) => {
        timer = setTimeout(
          () => fail(new SignInError('timeout', 'No answer from the browser in time; sign-in cancelled.')),
          timeoutMs,
        );
        deps.signal?.addEventListener('abort', () =>
          fail(new SignInError('timeout', 'This sign-in was replaced by a newer one; nothing was stored.')),
        );
      }),
    ]);
    const t = await client.authorizationCodeGrant(
      config,
      cb.url,
      { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
      cfg.resource ? { resource: cfg.resource } : undefined,
    );
    return { tokens: tokenSetOf(t, deps.clock), identity: identityOf(config, t.claims()) };
  } catch (err) {
    throw classify(err, cfg.issuer);
  } finally {
    if (timer) clearTimeout(timer);
    listener.close();
  }
}

export interface DeviceDeps {
  clock: Clock;
  /** Shows the user where to go and which code to enter. */
  show: (prompt: {
    verificationUri: string;
    verificationUriComplete?: string;
    userCode: string;
  }) => Promise<void> | void;
  signal?: AbortSignal;
}

/** Device authorization grant (RFC 8628), for terminals without a browser. */
export async function signInWithDevice(cfg: IdpConfig, deps: DeviceDeps): Promise<SignInResult> {
  const config = await discover(cfg, deps.clock);
  if (!config.serverMetadata().device_authorization_endpoint)
    throw new SignInError(
      'no-device-flow',
      `The identity provider at ${cfg.issuer} does not offer the device authorization grant; use the browser sign-in.`,
    );
  try {
    const params: Record<string, string> = { scope: scopeOf(cfg) };
    if (cfg.resource) params.resource = cfg.resource;
    const d = await client.initiateDeviceAuthorization(config, params);
    await deps.show({
      verificationUri: d.verification_uri,
      ...(d.verification_uri_complete ? { verificationUriComplete: d.verification_uri_complete } : {}),
      userCode: d.user_code,
    });
    const t = await client.pollDeviceAuthorizationGrant(
      config,
      d,
      undefined,
      deps.signal ? { signal: deps.signal } : undefined,
    );
    return { tokens: tokenSetOf(t, deps.clock), identity: identityOf(config, t.claims()) };
  } catch (err) {
    throw classify(err, cfg.issuer);
  }
}

/** Refresh (the new ID token, if any, is verified by openid-client). */
export async function refresh(cfg: IdpConfig, clock: Clock, refreshToken: string): Promise<TokenSet> {
  const config = await discover(cfg, clock);
  try {
    const t = await client.refreshTokenGrant(
      config,
      refreshToken,
      cfg.resource ? { resource: cfg.resource } : undefined,
    );
    const set = tokenSetOf(t, clock);
    // Refresh-token rotation is optional: keep the old one when the IdP did not issue a new one.
    return set.refreshToken ? set : { ...set, refreshToken };
  } catch (err) {
    throw classify(err, cfg.issuer);
  }
}

/** RFC 7009 revocation, when the IdP offers it; returns whether it was offered. Best effort per token. */
export async function revoke(cfg: IdpConfig, clock: Clock, tokens: TokenSet): Promise<boolean> {
  const config = await discover(cfg, clock);
  if (!config.serverMetadata().revocation_endpoint) return false;
  if (tokens.refreshToken)
    await client.tokenRevocation(config, tokens.refreshToken, { token_type_hint: 'refresh_token' });
  await client.tokenRevocation(config, tokens.accessToken, { token_type_hint: 'access_token' }).catch(() => {});
  return true;
}
