import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';

/** Cap on one response body. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * Small JSON-over-HTTP(S) client for gateway admin APIs: per-request timeout, optional extra CA
 * certificates (private TLS), retries with exponential backoff for idempotent reads, and errors
 * that say what went wrong (certificate problems are reported, never bypassed).
 */

export type GatewayErrorKind =
  'unauthorized' | 'forbidden' | 'not-found' | 'tls' | 'unreachable' | 'timeout' | 'http' | 'bad-response';

export class GatewayError extends Error {
  constructor(
    readonly kind: GatewayErrorKind,
    message: string,
    readonly status?: number,
    /** The permission the gateway says (or we infer) is missing, for 401/403. */
    readonly permission?: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface HttpClientOptions {
  baseUrl: string;
  /** Sent as the Authorization header; never logged or included in errors. */
  authorization?: string;
  /** PEM text of extra CA certificates. */
  ca?: string;
  timeoutMs: number;
  /** Attempts for idempotent reads (1 = no retry). */
  attempts?: number;
  /** First backoff delay; doubles each retry. */
  backoffMs?: number;
}

export interface HttpResponse {
  status: number;
  body: unknown;
  text: string;
  /** Response headers (set-cookie, location: the gateway's SSO login). */
  headers?: Record<string, string | string[] | undefined>;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HttpClient {
  private readonly base: URL;
  private sent = 0;
  constructor(private readonly opts: HttpClientOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : opts.baseUrl + '/');
  }

  /** Requests sent (each attempt counts): push and bench figures. */
  get requests(): number {
    return this.sent;
  }

  get baseUrl(): string {
    return this.base.toString().replace(/\/$/, '');
  }

  /** GET with retries on network errors, timeouts, 429 and 5xx. */
  async get(
    path: string,
    query?: Record<string, string | number | boolean | string[] | undefined>,
  ): Promise<HttpResponse> {
    const url = this.url(path, query);
    const attempts = Math.max(1, this.opts.attempts ?? 3);
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep((this.opts.backoffMs ?? 250) * 2 ** (i - 1));
      try {
        const res = await this.send('GET', url);
        if ((res.status >= 500 || res.status === 429) && i < attempts - 1) {
          last = new GatewayError('http', `${res.status} from GET ${url.pathname}`, res.status);
          continue;
        }
        return res;
      } catch (err) {
        last = err;
        const retryable = err instanceof GatewayError && (err.kind === 'unreachable' || err.kind === 'timeout');
        if (!retryable) throw err;
      }
    }
    throw last;
  }

  /** Non-idempotent calls are sent once. */
  async send(method: string, url: URL, body?: unknown, extraHeaders?: Record<string, string>): Promise<HttpResponse> {
    this.sent++;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (this.opts.authorization) headers.authorization = this.opts.authorization;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const isHttps = url.protocol === 'https:';
    const options: RequestOptions = { method, headers, timeout: this.opts.timeoutMs };
    if (isHttps && this.opts.ca) options.ca = this.opts.ca;
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = (isHttps ? httpsRequest : httpRequest)(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          // A gateway page is a few MB at most; a bigger body is a broken or hostile peer.
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new GatewayError('unreachable', `${url.host}: response over ${MAX_RESPONSE_BYTES >> 20} MiB`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', (e) => reject(new GatewayError('unreachable', `${url.host}: ${e.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = undefined;
          if (text) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, headers: res.headers });
        });
      });
      const deadline = setTimeout(() => {
        req.destroy(new GatewayError('timeout', `${method} ${url.pathname} timed out after ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      req.on('close', () => clearTimeout(deadline));
      req.on('timeout', () => {
        req.destroy(new GatewayError('timeout', `${method} ${url.pathname} timed out after ${this.opts.timeoutMs} ms`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(toGatewayError(err, url)));
      req.end(payload);
    });
  }

  url(path: string, query?: Record<string, string | number | boolean | string[] | undefined>): URL {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
      else url.searchParams.set(k, String(v));
    }
    return url;
  }
}

function toGatewayError(err: NodeJS.ErrnoException, url: URL): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = err.code ?? '';
  if (TLS_CODES.has(code) || /certificate|SSL|TLS/i.test(err.message)) {
    return new GatewayError(
      'tls',
      `TLS certificate problem with ${url.host}: ${code || 'error'} (${err.message}). ` +
        "Add the issuing CA as the connection's CA file; Gatehouse does not skip certificate checks.",
    );
  }
  if (code === 'ECONNREFUSED')
    return new GatewayError('unreachable', `${url.host} refused the connection (is the gateway running?)`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new GatewayError('unreachable', `${url.hostname} does not resolve`);
  return new GatewayError('unreachable', `${url.host}: ${code ? code + ' ' : ''}${err.message}`);
}
