import type { AuthMode } from '../../../shared/model/live.js';
import { connectAndEnumerate, LiveError, type Enumeration } from './connect.js';
import type { LiveLimits } from './limits.js';

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
}

/** `resource_metadata="…"` from a WWW-Authenticate header. */
export function resourceMetadataFrom(header: string | null): string | undefined {
  if (!header) return undefined;
  const m = /resource_metadata\s*=\s*"([^"]+)"|resource_metadata\s*=\s*([^\s,]+)/i.exec(header);
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
      // Never follow metadata to another origin with anything of ours; we send nothing anyway.
      candidates.push(u.href);
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
      if (!res.ok) continue;
      const body = (await res.json()) as { authorization_servers?: unknown; resource?: unknown };
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
  const credentialConfigured = Object.keys(headers).length > 0 || target.username !== '';
  let status: number | undefined;
  let wwwAuth: string | null = null;
  const probeLimits: LiveLimits = {
    ...limits,
    connectTimeoutMs: Math.min(limits.connectTimeoutMs, 10_000),
    serverBudgetMs: Math.min(limits.serverBudgetMs, 15_000),
  };
  const bare = new URL(url);
  bare.username = '';
  bare.password = '';
  let answersWithoutCredentials = false;
  let probeEnumeration: Enumeration | undefined;
  let probeError: LiveError | undefined;
  try {
    probeEnumeration = await connectAndEnumerate(
      { kind, url: credentialConfigured ? bare.href : url, headers: {} },
      {
        limits: probeLimits,
        signal,
        probeOnly: Object.keys(headers).length > 0,
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
    if (probeEnumeration) return { enumeration: probeEnumeration, probe };
    const reason =
      probe.mode === 'oauth'
        ? 'the server requires OAuth sign-in (Gatehouse enumerates without signing in; no credential is configured)'
        : status
          ? `the server refused the connection (HTTP ${status}) and no credential is configured`
          : (probeError?.message ?? 'unreachable');
    return { error: new LiveError(reason, undefined, status), probe };
  }

  try {
    const enumeration = await connectAndEnumerate({ kind, url, headers }, { limits, signal });
    probe.credentialAccepted = true;
    if (probe.mode === 'unknown') probe.mode = 'static';
    return { enumeration, probe };
  } catch (err) {
    probe.credentialAccepted = false;
    const e = err instanceof LiveError ? err : new LiveError(String(err));
    if (probeEnumeration) return { enumeration: probeEnumeration, probe, error: undefined };
    return { error: e, probe };
  }
}
