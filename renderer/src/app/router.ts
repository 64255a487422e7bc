import { useSyncExternalStore } from 'react';

/**
 * A tiny hash router: `#/inventory`, `#/servers/<id>`. The first segment names the page (a route
 * id in routes.tsx); the rest are its parameters, URI-decoded. Hash routing works the same under
 * `http://127.0.0.1` (browser mode) and `file://` (the desktop app).
 */
export interface Route {
  page: string;
  params: string[];
}

/** The landing page (`#/`): where to look first. */
export const DEFAULT_PAGE = 'overview';

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  const segments = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { page: segments[0] ?? DEFAULT_PAGE, params: segments.slice(1) };
}

/** The hash for a page and its parameters, e.g. `routeHref('servers', id)` → `#/servers/<id>`. */
export function routeHref(page: string, ...params: string[]): string {
  return '#/' + [page, ...params].map((s) => encodeURIComponent(s)).join('/');
}

export function navigate(page: string, ...params: string[]): void {
  window.location.hash = routeHref(page, ...params);
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function snapshot(): string {
  return window.location.hash;
}

/** The current route; re-renders on hash changes. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, snapshot, () => '');
  return parseHash(hash);
}
