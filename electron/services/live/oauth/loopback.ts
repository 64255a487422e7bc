import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Why a callback on the loopback port was refused (each with its own message). */
export class CallbackError extends Error {
  constructor(
    message: string,
    readonly reason: 'state' | 'origin' | 'error-response' | 'timeout' | 'cancelled' | 'malformed',
  ) {
    super(message);
    this.name = 'CallbackError';
  }
}

export interface CallbackResult {
  code: string;
  /** RFC 9207 `iss` of the authorization response, when the server sent it. */
  iss?: string;
}

export interface Loopback {
  /** `http://127.0.0.1:PORT/callback`: what the authorization request names as redirect_uri. */
  redirectUrl: string;
  /** Settles with the first callback on the exact path (a refused one rejects: the flow ends). */
  result: Promise<CallbackResult>;
  close(): void;
}

export const CALLBACK_PATH = '/callback';

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><p>${text}</p><p>You can close this tab.</p>`;

/**
 * RFC 8252 loopback redirect listener: 127.0.0.1 on a random port, one callback on the exact path,
 * checked for the expected `state`. Anything that is not the browser's top-level navigation to it
 * (a page's script on another origin: `Origin` header, `Sec-Fetch-Mode` other than navigate, a
 * Host other than the loopback address) is refused with its own message and ends the sign-in.
 */
export async function startLoopback(opts: {
  state: string;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<Loopback> {
  let settle!: { resolve: (r: CallbackResult) => void; reject: (e: Error) => void };
  const result = new Promise<CallbackResult>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined);
  let done = false;
  const finish = (res: ServerResponse, status: number, html: string, outcome: CallbackResult | Error) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    res.end(html);
    if (done) return;
    done = true;
    if (outcome instanceof Error) settle.reject(outcome);
    else settle.resolve(outcome);
    close();
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const port = (server.address() as AddressInfo).port;
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404).end();
      return;
    }
    const origin = req.headers.origin;
    const mode = req.headers['sec-fetch-mode'];
    const host = req.headers.host;
    if (origin !== undefined || (mode !== undefined && mode !== 'navigate') || host !== `127.0.0.1:${port}`) {
      const from = origin ? ` from ${origin.slice(0, 200)}` : '';
      finish(
        res,
        403,
        page('Refused', 'Refused: this callback did not come from the browser redirect.'),
        new CallbackError(
          `sign-in refused: a callback reached the loopback port${from} that is not the browser's redirect from the authorization server (another origin); nothing was stored`,
          'origin',
        ),
      );
      return;
    }
    const state = url.searchParams.get('state');
    if (state !== opts.state) {
      finish(
        res,
        400,
        page('Refused', 'Refused: this callback does not belong to the sign-in Gatehouse started.'),
        new CallbackError(
          'sign-in refused: state mismatch (the callback does not belong to the sign-in Gatehouse started); nothing was stored',
          'state',
        ),
      );
      return;
    }
    const error = url.searchParams.get('error');
    if (error) {
      const desc = url.searchParams.get('error_description');
      finish(
        res,
        400,
        page('Sign-in failed', 'Sign-in failed; see Gatehouse.'),
        new CallbackError(
          `the authorization server refused the sign-in: ${error.slice(0, 100)}${desc ? ` (${desc.slice(0, 300)})` : ''}; nothing was stored`,
          'error-response',
        ),
      );
      return;
    }
    const code = url.searchParams.get('code');
    if (!code) {
      finish(
        res,
        400,
        page('Refused', 'Refused: no authorization code.'),
        new CallbackError(
          'sign-in failed: the callback carried no authorization code; nothing was stored',
          'malformed',
        ),
      );
      return;
    }
    const iss = url.searchParams.get('iss');
    finish(res, 200, page('Signed in', 'Gatehouse received the sign-in.'), { code, ...(iss ? { iss } : {}) });
  });
  const timer = setTimeout(
    () =>
      fail(new CallbackError('sign-in timed out waiting for the browser to come back; nothing was stored', 'timeout')),
    opts.timeoutMs,
  );
  timer.unref();
  const onAbort = () => fail(new CallbackError('sign-in cancelled; nothing was stored', 'cancelled'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  function fail(e: Error) {
    if (done) return;
    done = true;
    settle.reject(e);
    close();
  }
  function close() {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    server.closeAllConnections?.();
    server.close();
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    redirectUrl: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
    result,
    close: () => fail(new CallbackError('sign-in cancelled; nothing was stored', 'cancelled')),
  };
}
