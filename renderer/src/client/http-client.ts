import type { AdminClient } from '../../../shared/api/client.js';
import {
  adminEvents,
  adminMethods,
  type AdminEvents,
  type EventName,
  type MethodInput,
  type MethodName,
  type MethodOutput,
} from '../../../shared/api/contract.js';
import { AdminError, ErrorBody, invalidInputMessage } from '../../../shared/api/errors.js';

const TOKEN_KEY = 'gatehouse.token';

/**
 * The per-launch token of browser mode. The page is opened at `/?token=…`: on first load the token
 * moves to sessionStorage (per tab, gone when the tab closes) and is stripped from the address bar
 * and history, so it is not left in bookmarks, screenshots or the Referer.
 */
export function takeToken(loc: Location = window.location, storage: Storage = window.sessionStorage): string | null {
  const url = new URL(loc.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return storage.getItem(TOKEN_KEY);
}

export interface HttpClientOptions {
  /** Origin + path prefix of the loopback server; default: the page's own origin. */
  baseUrl?: string;
  token: string | null;
  fetch?: typeof fetch;
}

/**
 * AdminClient over the loopback HTTP+SSE adapter (browser mode):
 * `POST /api/invoke/<method>` with a bearer token; events from one `EventSource` on `/api/events`.
 * Inputs and outputs are validated with the contract's zod schemas, as the IPC client does.
 */
export class HttpAdminClient implements AdminClient {
  private readonly baseUrl: string;
  private readonly token: string | null;
  private readonly fetchImpl: typeof fetch;
  private source: EventSource | null = null;
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly attached = new Set<string>();

  constructor(opts: HttpClientOptions) {
    this.baseUrl = (opts.baseUrl ?? window.location.origin).replace(/\/$/, '');
    this.token = opts.token;
    this.fetchImpl = opts.fetch ?? window.fetch.bind(window);
  }

  async invoke<K extends MethodName>(method: K, input: MethodInput<K>): Promise<MethodOutput<K>> {
    const spec = adminMethods[method];
    const parsedInput = spec.input.safeParse(input);
    if (!parsedInput.success) throw new AdminError('bad-request', invalidInputMessage(method, parsedInput.error));
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}/api/invoke/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: JSON.stringify(parsedInput.data ?? {}),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (err) {
      throw new AdminError(
        'unavailable',
        `Gatehouse is not reachable (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const parsed = ErrorBody.safeParse(body);
      if (parsed.success) throw new AdminError(parsed.data.error.code, parsed.data.error.message);
      throw new AdminError(statusCode(res.status), `${method} failed: HTTP ${res.status}`);
    }
    const out = spec.output.safeParse(body);
    if (!out.success) throw new AdminError('internal', `${method}: the response does not match the contract`);
    return out.data as MethodOutput<K>;
  }

  subscribe<E extends EventName>(event: E, listener: (payload: AdminEvents[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    this.attach(event);
    return () => {
      set.delete(wrapped);
    };
  }

  /** Closes the event stream (tests, teardown). */
  close(): void {
    this.source?.close();
    this.source = null;
    this.attached.clear();
  }

  private attach(event: EventName): void {
    if (!this.source) {
      const q = this.token ? `?token=${encodeURIComponent(this.token)}` : '';
      this.source = new EventSource(`${this.baseUrl}/api/events${q}`);
    }
    if (this.attached.has(event)) return;
    this.attached.add(event);
    const schema = adminEvents[event];
    this.source.addEventListener(event, (msg: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      const parsed = schema.safeParse(data);
      if (!parsed.success) return;
      for (const l of this.listeners.get(event) ?? []) l(parsed.data);
    });
  }
}

function statusCode(status: number): AdminError['code'] {
  if (status === 400 || status === 422) return 'bad-request';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 503) return 'unavailable';
  return 'internal';
}
