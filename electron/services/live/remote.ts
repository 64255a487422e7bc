import type { AuthMode } from '../../../shared/model/live.js';
import { connectAndEnumerate, LiveError, type Enumeration } from './connect.js';
import type { LiveLimits } from './limits.js';
import { isSecretName, looksLikeSecret } from '../secrets/redact.js';

/** Largest protected-resource metadata document read (a server picks where it comes from). */
export const MAX_METADATA_BYTES = 256 * 1024;

/** What the auth probe learnt about a remote server (the `auth.static` rule reads this). */
export interface AuthProbe {
  mode: AuthMode;
  /** The server answered initialize + tools/list with no credentials. */
  answersWithoutCredentials: boolean;
  /** It advertises OAuth (WWW-Authenticate resource_metadata or protected-resource metadata). */
  advertisesOAuth: boolean;
  resourceMetadataUrl?: string;
  authorizationServers?: string[];
  /** The config carries headers (a static credential, e.g. Authorization). */
  credentialConfigured: boolean;
  /** The configured headers got the server to answer. */
  credentialAccepted?: boolean;
  /** Status of the unauthenticated initialize, when it was an HTTP refusal. */
  unauthenticatedStatus?: number;
}

export interface RemoteResult {
  enumeration?: Enumeration;
  error?: LiveError;
  probe: AuthProbe;
  /** The URL the unauthenticated probe used (userinfo and secret query parameters removed). */
  probeUrl: string;
}

/**
 * The URL without its credentials: userinfo, and query parameters with a secret-sounding name
 * (`api_key`, `token`, `sig`…) or a secret-looking value. `stripped` says whether any were there.
 */
export function withoutCredentials(url: string): { url: string; stripped: boolean } {
  const u = new URL(url);
  let stripped = u.username !== '' || u.password !== '';
  u.username = '';
  u.password = '';
  for (const [name, value] of [...u.searchParams]) {
    if (isSecretName(name) || looksLikeSecret(value)) {
      u.searchParams.delete(name);
      stripped = true;
    }
  }
  return { url: stripped ? u.href : url, stripped };
}

/** Reads at most `max` bytes of a response body as JSON; undefined when larger or not JSON. */
async function readJsonCapped(res: Response, max: number): Promise<unknown> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!res.body) return undefined;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** `resource_metadata="…"` from a WWW-Authenticate header. */
export function resourceMetadataFrom(header: string | null): string | undefined {
  if (!header) return undefined;
  const m = /resource_metadata\s{0,8}=\s{0,8}"([^"]{1,2048})"|resource_metadata\s{0,8}=\s{0,8}([^\s,"]{1,2048})/i.exec(
    header.slice(0, 16 * 1024),
  );
  return m?.[1] ?? m?.[2];
}

/** RFC 9728 protected-resource metadata: path-aware well-known first, then the root one. */
async function fetchProtectedResourceMetadata(
  url: URL,
  explicit: string | undefined,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<{ url: string; authorizationServers: string[] } | undefined> {
  const candidates: string[] = [];
  if (explicit) {
    try {
      const u = new URL(explicit, url);
      // The hint is server-chosen: follow it only on the server's own origin or over https (we
      // send nothing with it, and read at most MAX_METADATA_BYTES within the timeout).
      if (u.origin === url.origin || u.protocol === 'https:') candidates.push(u.href);
    } catch {
      /* ignore a malformed hint */
    }
  }
  const path = url.pathname.replace(/\/$/, '');
  if (path) candidates.push(`${url.origin}/.well-known/oauth-protected-resource${path}`);
  candidates.push(`${url.origin}/.well-known/oauth-protected-resource`);
  for (const c of candidates) {
    try {
      const res = await fetch(c, {
        redirect: 'manual',
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]),
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        continue;
      }
      const body = (await readJsonCapped(res, MAX_METADATA_BYTES)) as
        { authorization_servers?: unknown; resource?: unknown } | undefined;
      if (body && (Array.isArray(body.authorization_servers) || typeof body.resource === 'string')) {
        const servers = Array.isArray(body.authorization_servers)
          ? body.authorization_servers.filter((s): s is string => typeof s === 'string')
          : [];
        return { url: c, authorizationServers: servers };
      }
    } catch {
      /* try the next */
    }
  }
  return undefined;
}

/**
 * Probes a remote server's auth mode, then enumerates it with its configured headers.
 * 1. initialize + tools/list with no credentials: success → `none`.
 * 2. refused with 401/403: WWW-Authenticate resource_metadata or protected-resource metadata → `oauth`.
 * 3. with the configured headers: success → `static` (unless already `oauth`/`none`).
 * Configured headers are only ever sent to the configured origin (see guardedFetch).
 */
export async function probeAndEnumerateRemote(
  kind: 'http' | 'sse',
  url: string,
  headers: Record<string, string>,
  limits: LiveLimits,
  signal?: AbortSignal,
): Promise<RemoteResult> {
  const target = new URL(url);
  // Credentials in the URL (userinfo, `?api_key=`) count as configured and stay out of the probe.
  const bare = withoutCredentials(url);
  const credentialConfigured = Object.keys(headers).length > 0 || bare.stripped;
  let status: number | undefined;
  let wwwAuth: string | null = null;
  const probeLimits: LiveLimits = {
    ...limits,
    connectTimeoutMs: Math.min(limits.connectTimeoutMs, 10_000),
    serverBudgetMs: Math.min(limits.serverBudgetMs, 15_000),
  };
  let answersWithoutCredentials = false;
  let probeEnumeration: Enumeration | undefined;
  let probeError: LiveError | undefined;
  try {
    probeEnumeration = await connectAndEnumerate(
      { kind, url: bare.url, headers: {} },
      {
        limits: probeLimits,
        signal,
        probeOnly: credentialConfigured,
        onHttpResponse: (_u, s, w) => {
          if (s === 401 || s === 403) {
            status = s;
            wwwAuth = w ?? wwwAuth;
          }
        },
      },
    );
    answersWithoutCredentials = true;
  } catch (err) {
    probeError = err instanceof LiveError ? err : new LiveError(String(err));
    if (signal?.aborted) {
      return {
        error: new LiveError('cancelled'),
        probe: { mode: 'unknown', answersWithoutCredentials, advertisesOAuth: false, credentialConfigured },
        probeUrl: bare.url,
      };
    }
  }

  let advertisesOAuth = false;
  let resourceMetadataUrl: string | undefined;
  let authorizationServers: string[] | undefined;
  if (!answersWithoutCredentials && (status === 401 || status === 403)) {
    const hint = resourceMetadataFrom(wwwAuth);
    const prm = await fetchProtectedResourceMetadata(target, hint, signal, Math.min(limits.requestTimeoutMs, 5000));
    if (hint || prm) {
      advertisesOAuth = true;
      resourceMetadataUrl = prm?.url ?? hint;
      authorizationServers = prm?.authorizationServers;
    }
  }

  const probe: AuthProbe = {
    mode: answersWithoutCredentials ? 'none' : advertisesOAuth ? 'oauth' : 'unknown',
    answersWithoutCredentials,
    advertisesOAuth,
    ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}),
    ...(authorizationServers ? { authorizationServers } : {}),
    credentialConfigured,
    ...(status ? { unauthenticatedStatus: status } : {}),
  };

  // No credentials configured: the probe's enumeration is the enumeration.
  if (!credentialConfigured) {
    if (probeEnumeration) return { enumeration: probeEnumeration, probe, probeUrl: bare.url };
    const reason =
      probe.mode === 'oauth'
        ? 'the server requires OAuth sign-in (Gatehouse enumerates without signing in; no credential is configured)'
        : status
          ? `the server refused the connection (HTTP ${status}) and no credential is configured`
          : (probeError?.message ?? 'unreachable');
    return { error: new LiveError(reason, undefined, status), probe, probeUrl: bare.url };
  }

  try {
    const enumeration = await connectAndEnumerate({ kind, url, headers }, { limits, signal });
    probe.credentialAccepted = true;
    if (probe.mode === 'unknown') probe.mode = 'static';
    return { enumeration, probe, probeUrl: bare.url };
  } catch (err) {
    probe.credentialAccepted = false;
    const e = err instanceof LiveError ? err : new LiveError(String(err));
    if (probeEnumeration) return { enumeration: probeEnumeration, probe, probeUrl: bare.url };
    return { error: e, probe, probeUrl: bare.url };
  }
}
