import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './origin.js';
import { contentTypeFor } from '../web-security.js';
import { APP_CSP } from './security.js';

export { APP_ENTRY_URL, APP_HOST, APP_ORIGIN, APP_SCHEME } from './origin.js';

export interface ProtocolLike {
  registerSchemesAsPrivileged(
    schemes: { scheme: string; privileges: { standard?: boolean; secure?: boolean; supportFetchAPI?: boolean } }[],
  ): void;
  handle(scheme: string, handler: (request: Request) => Promise<Response> | Response): void;
}

/** Must run before `app.whenReady()`. */
export function registerAppScheme(protocol: Pick<ProtocolLike, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/**
 * The file under `root` that an app URL names, or null when the URL is not ours or escapes
 * `root` (`..`, encoded separators, NUL). `/` is index.html.
 */
export function resolveAppPath(root: string, rawUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  const relative = path === '/' || path === '' ? 'index.html' : path.replace(/^\/+/, '');
  const base = resolve(root);
  const file = resolve(base, relative);
  return file.startsWith(base + sep) ? file : null;
}

/** Answers one app-protocol request from the built renderer folder. */
export async function appResponse(root: string, rawUrl: string, method = 'GET'): Promise<Response> {
  const headers = { 'Content-Security-Policy': APP_CSP, 'X-Content-Type-Options': 'nosniff' };
  if (method !== 'GET' && method !== 'HEAD') return new Response('Method not allowed', { status: 405, headers });
  const file = resolveAppPath(root, rawUrl);
  if (!file) return new Response('Not found', { status: 404, headers });
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return new Response('Not found', { status: 404, headers });
  const [realFile, realRoot] = await Promise.all([realpath(file), realpath(root)]);
  if (!realFile.startsWith(realRoot + sep)) return new Response('Not found', { status: 404, headers });
  const body = method === 'HEAD' ? null : await readFile(realFile);
  return new Response(body, {
    status: 200,
    headers: {
      ...headers,
      'Content-Type': contentTypeFor(extname(realFile)),
    },
  });
}

/** Serves `root` on the app scheme; call after `app.whenReady()`. */
export function serveApp(protocol: Pick<ProtocolLike, 'handle'>, root: string): void {
  protocol.handle(APP_SCHEME, (request) => appResponse(root, request.url, request.method));
}
