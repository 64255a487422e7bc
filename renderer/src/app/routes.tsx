import { lazy, type ComponentType } from 'react';

/*
 * Pages load on demand, one chunk each (React.lazy + the Suspense boundary in App): the first
 * paint only needs the shell and the page that is open.
 */
const InventoryPage = lazy(() => import('../pages/inventory/index.js'));
const FindingsPage = lazy(() => import('../pages/findings/index.js'));
const TenantsPage = lazy(() => import('../pages/tenants/index.js'));
const AuditPage = lazy(() => import('../pages/audit/index.js'));
const PolicyPage = lazy(() => import('../pages/policy/index.js'));
const GatewaysPage = lazy(() => import('../pages/gateways/index.js'));
const SettingsPage = lazy(() => import('../pages/settings/index.js'));
const ChangesPage = lazy(() => import('../pages/changes/index.js'));
const ServerPage = lazy(() => import('../pages/server/index.js'));

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
  { id: 'inventory', label: 'Inventory', nav: true, component: InventoryPage },
  { id: 'findings', label: 'Findings', nav: true, component: FindingsPage },
  { id: 'tenants', label: 'Tenants', nav: true, component: TenantsPage },
  { id: 'audit', label: 'Audit', nav: true, component: AuditPage },
  { id: 'policy', label: 'Policy', nav: true, component: PolicyPage },
  { id: 'gateways', label: 'Gateways', nav: true, component: GatewaysPage },
  { id: 'changes', label: 'Changes', nav: true, component: ChangesPage },
  { id: 'settings', label: 'Settings', nav: true, component: SettingsPage },
  { id: 'servers', label: 'Server', nav: false, parent: 'inventory', component: ServerPage },
];

export function findRoute(id: string): RouteDef | undefined {
  return ROUTES.find((r) => r.id === id);
}
