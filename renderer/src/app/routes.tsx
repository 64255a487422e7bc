import type { ComponentType } from 'react';
import AuditPage from '../pages/audit/index.js';
import FindingsPage from '../pages/findings/index.js';
import GatewaysPage from '../pages/gateways/index.js';
import InventoryPage from '../pages/inventory/index.js';
import PolicyPage from '../pages/policy/index.js';
import ServerPage from '../pages/server/index.js';
import SettingsPage from '../pages/settings/index.js';
import TenantsPage from '../pages/tenants/index.js';

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
  { id: 'settings', label: 'Settings', nav: true, component: SettingsPage },
  { id: 'servers', label: 'Server', nav: false, parent: 'inventory', component: ServerPage },
];

export function findRoute(id: string): RouteDef | undefined {
  return ROUTES.find((r) => r.id === id);
}
