import { lazy, useState, type ComponentType } from 'react';

/*
 * Pages load on demand, one chunk each (React.lazy + the Suspense boundary in App): the first
 * paint only needs the shell and the page that is open.
 */
const PAGE_IMPORTS = {
  overview: () => import('../pages/overview/index.js'),
  inventory: () => import('../pages/inventory/index.js'),
  findings: () => import('../pages/findings/index.js'),
  tenants: () => import('../pages/tenants/index.js'),
  audit: () => import('../pages/audit/index.js'),
  policy: () => import('../pages/policy/index.js'),
  gateways: () => import('../pages/gateways/index.js'),
  fleet: () => import('../pages/fleet/index.js'),
  settings: () => import('../pages/settings/index.js'),
  changes: () => import('../pages/changes/index.js'),
  servers: () => import('../pages/server/index.js'),
} as const;

type PageModule = { default: ComponentType<PageProps> };

/**
 * A page component that loads its chunk on demand (React.lazy) until the chunk is in, then renders
 * the module directly: after preloadPages() a first visit does not suspend at all (React would
 * otherwise show the fallback for at least its throttle, even for a cached module).
 */
function lazyPage(load: () => Promise<PageModule>): { component: ComponentType<PageProps>; load: () => Promise<void> } {
  let loaded: ComponentType<PageProps> | null = null;
  const fetchIt = () =>
    load().then((m) => {
      loaded = m.default;
      return m;
    });
  const Lazy = lazy(fetchIt);
  function Page(props: PageProps) {
    // Chosen once per mount: switching from Lazy to the module later would remount the page.
    const [C] = useState(() => loaded ?? Lazy);
    return <C {...props} />;
  }
  return { component: Page, load: () => fetchIt().then(() => undefined) };
}

const PAGES = {
  overview: lazyPage(PAGE_IMPORTS.overview),
  inventory: lazyPage(PAGE_IMPORTS.inventory),
  findings: lazyPage(PAGE_IMPORTS.findings),
  tenants: lazyPage(PAGE_IMPORTS.tenants),
  audit: lazyPage(PAGE_IMPORTS.audit),
  policy: lazyPage(PAGE_IMPORTS.policy),
  gateways: lazyPage(PAGE_IMPORTS.gateways),
  fleet: lazyPage(PAGE_IMPORTS.fleet),
  settings: lazyPage(PAGE_IMPORTS.settings),
  changes: lazyPage(PAGE_IMPORTS.changes),
  servers: lazyPage(PAGE_IMPORTS.servers),
};

let preloaded = false;

/**
 * Fetches every page chunk once the first page has painted (idle time), so the first visit to a
 * page renders from a resolved module instead of waiting behind React's Suspense fallback throttle.
 * The import() promises are the same ones React.lazy uses (modules are cached by URL).
 */
export function preloadPages(): void {
  if (preloaded) return;
  preloaded = true;
  const run = () => {
    for (const p of Object.values(PAGES)) void p.load().catch(() => undefined);
  };
  const w = window as Window & { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number };
  if (w.requestIdleCallback) w.requestIdleCallback(run, { timeout: 1500 });
  else setTimeout(run, 200);
}

/** What every page component receives: the route segments after the page id (URI-decoded). */
export interface PageProps {
  params: string[];
}

export interface RouteDef {
  /** First hash segment (`#/<id>`); also the nav test id (`nav-<id>`). */
  id: string;
  label: string;
  /** Shown in the left nav (detail pages are not). */
  nav: boolean;
  /** Nav id to highlight when this (non-nav) page is open. */
  parent?: string;
  component: ComponentType<PageProps>;
}

/**
 * Route registry: one line per page. Each page lives in `renderer/src/pages/<folder>/index.tsx`
 * and default-exports its component.
 */
export const ROUTES: readonly RouteDef[] = [
  { id: 'overview', label: 'Overview', nav: true, component: PAGES.overview.component },
  { id: 'inventory', label: 'Inventory', nav: true, component: PAGES.inventory.component },
  { id: 'findings', label: 'Findings', nav: true, component: PAGES.findings.component },
  { id: 'tenants', label: 'Tenants', nav: true, component: PAGES.tenants.component },
  { id: 'audit', label: 'Audit', nav: true, component: PAGES.audit.component },
  { id: 'policy', label: 'Policy', nav: true, component: PAGES.policy.component },
  { id: 'gateways', label: 'Gateways', nav: true, component: PAGES.gateways.component },
  { id: 'fleet', label: 'Fleet', nav: true, component: PAGES.fleet.component },
  { id: 'changes', label: 'Changes', nav: true, component: PAGES.changes.component },
  { id: 'settings', label: 'Settings', nav: true, component: PAGES.settings.component },
  { id: 'servers', label: 'Server', nav: false, parent: 'inventory', component: PAGES.servers.component },
];

export function findRoute(id: string): RouteDef | undefined {
  return ROUTES.find((r) => r.id === id);
}
