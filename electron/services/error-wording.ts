/**
 * Readable connection errors: the one place where what Node's fetch, the MCP SDK and zod throw
 * becomes a sentence an admin can act on (what failed, where, and what to do next). Raw texts
 * such as "fetch failed", "MCP error 0: Access denied", "Streamable HTTP error: Error POSTing to
 * endpoint (HTTP 404): …" or a zod issue array never reach the UI; the gateway and live services
 * pass their failures through here.
 */

const TLS_CODES =
  /^(CERT_|UNABLE_TO_(GET|VERIFY)|SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED|ERR_TLS_CERT|ERR_SSL|HOSTNAME_MISMATCH)/;

interface Where {
  /** The URL contacted, for the host and port in the sentence. */
  url?: string;
}

function hostOf(url: string | undefined): { host: string; port: string } | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return { host: u.host, port: u.port || (u.protocol === 'https:' ? '443' : '80') };
  } catch {
    return null;
  }
}

/** The system error code of a failed fetch (it hides in `cause`, sometimes nested). */
function causeCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e.code === 'string') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

function byNetworkCode(code: string, where: Where): string | null {
  const h = hostOf(where.url);
  const at = h ? h.host : 'the server';
  if (code === 'ECONNREFUSED')
    return `${at} refused the connection: nothing is listening on port ${h?.port ?? 'given'}. Check the URL and port, and that the server is running.`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `${h?.host.replace(/:\d+$/, '') ?? 'The host'} does not resolve. Check the host name in the URL.`;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return `${at} did not answer in time. Check the URL, the network path (VPN, proxy, firewall) and that the server is running.`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')
    return `${at} closed the connection. If it serves HTTPS, use https:// in the URL; otherwise check the server's logs.`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return `${at} cannot be reached from this machine. Check the network (VPN, firewall).`;
  if (TLS_CODES.test(code))
    return `${at}: the TLS certificate is not trusted (${code}). Add the CA that signed it (CA file), or check the host name.`;
  return null;
}

function byHttpStatus(status: number, where: Where, detail: string): string {
  const at = hostOf(where.url)?.host ?? 'The server';
  if (status === 401) return `${at} requires authentication (HTTP 401). Sign in, or give a valid token for it.`;
  if (status === 403)
    return `${at} refused access (HTTP 403): the credential is valid but lacks permission. Check its scope or team at the server.`;
  if (status === 404)
    return `${at} has no MCP endpoint at this path (HTTP 404). Check the URL's path (often /mcp, or /sse for SSE servers).`;
  if (status === 405 || status === 406 || status === 415)
    return `${at} does not accept MCP requests at this URL (HTTP ${status}). Check the path and the transport (Streamable HTTP or SSE).`;
  if (status === 429) return `${at} is rate limiting (HTTP 429). Try again in a moment.`;
  if (status >= 500)
    return `${at} failed with a server error (HTTP ${status}). Try again, or check the server's logs.${detail ? ` It said: ${detail}` : ''}`;
  return `${at} answered HTTP ${status}${detail ? `: ${detail}` : ''}.`;
}

function clipDetail(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  // A body that is HTML or JSON says nothing readable.
  if (/^</.test(t) || /^[[{]/.test(t)) return '';
  return t.length > 160 ? t.slice(0, 160) + '…' : t;
}

/**
 * A readable sentence for a connection failure. Messages that are already readable (the services'
 * own) pass through unchanged.
 */
export function readableError(err: unknown, where: Where = {}): string {
  const e = err as (Error & { code?: unknown; name?: string }) | undefined;
  const raw = (e?.message ?? String(err)).replace(/\s+/g, ' ').trim();

  if (e?.name === 'ZodError' || /^\[\s*\{\s*"(code|expected|origin)"/.test(raw)) {
    return 'The answer is not valid MCP: this URL may not be an MCP endpoint (or the server is incompatible). Check the URL.';
  }
  if ((e as { code?: unknown })?.code === 'ERR_INVALID_URL' || /^Invalid URL\b/i.test(raw)) {
    // Not echoed: a malformed URL may still carry a credential.
    return 'The URL is not valid. Use http(s)://host[:port]/path.';
  }
  const code = causeCode(err);
  if (/fetch failed|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|certificate/i.test(raw) || code) {
    const m = code && byNetworkCode(code, where);
    if (m) return m;
    const inText = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/.exec(
      raw,
    )?.[1];
    const m2 = inText && byNetworkCode(inText, where);
    if (m2) return m2;
    if (/fetch failed/i.test(raw)) {
      const at = hostOf(where.url)?.host ?? 'the server';
      return `Could not reach ${at}. Check the URL, the network and that the server is running.`;
    }
  }
  if (/^(Streamable HTTP|SSE) error:/i.test(raw)) {
    // The SDK keeps the HTTP status in `code` (StreamableHTTPError, SseError); older texts carry "(HTTP n)".
    const status =
      typeof e?.code === 'number' && e.code >= 100 && e.code < 600
        ? e.code
        : Number(/\(HTTP (\d{3})\)|status code \((\d{3})\)/i.exec(raw)?.slice(1).find(Boolean) ?? NaN);
    const detail = clipDetail(raw.replace(/^.*?(endpoint|status code \(\d+\))[^:]*:?\s*/i, ''));
    if (Number.isFinite(status)) return byHttpStatus(status, where, detail);
    const at = hostOf(where.url)?.host ?? 'The server';
    return `${at} did not complete the MCP handshake${detail ? `: ${detail}` : ''}. Check the URL and the transport.`;
  }
  // The gateway client's terse "404 from GET /version".
  const gw = /^(\d{3}) from (GET|POST|PUT|DELETE|PATCH) (\S+)$/.exec(raw);
  if (gw) {
    const [, status, method, path] = gw;
    const at = hostOf(where.url)?.host ?? 'The gateway';
    if (status === '404')
      return `${at} has no ${method} ${path} (HTTP 404): this URL may not be a ContextForge gateway, or it is behind a path prefix. Check the base URL.`;
    return byHttpStatus(Number(status), where, `${method} ${path}`);
  }
  const mcp = /^MCP error (-?\d+): (.*)$/.exec(raw);
  if (mcp) {
    const [, c, text = ''] = mcp;
    if (/access denied|forbidden|unauthori[sz]ed|permission/i.test(text))
      return `The server refused the request: ${clipDetail(text) || 'access denied'} (MCP error ${c}). Check that the credential may use this server (its scope or team).`;
    return `The server answered with an error: ${clipDetail(text) || 'no detail'} (MCP error ${c}).`;
  }
  return raw.length > 500 ? raw.slice(0, 500) + '…' : raw;
}
