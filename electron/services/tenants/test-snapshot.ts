import type { GatewaySnapshot } from '../../../shared/model/gateway.js';

/** Test fixture shared by the tenant-scope tests (access model, findings API). */

export const NOW = new Date('2026-06-01T00:00:00Z');

/** Two teams over one upstream with a shared bearer credential; mirrors scripts/contextforge/seed.ts. */
export function snapshot(): GatewaySnapshot {
  const role = (id: string, name: string, scope: string, permissions: string[], system = true) => ({
    id,
    name,
    scope,
    permissions,
    system,
  });
  const tool = (id: string, readOnly = true, visibility: 'public' | 'team' = 'public') => ({
    id,
    name: `up-${id}`,
    originalName: id,
    upstreamId: 'up1',
    description: '',
    visibility,
    enabled: true,
    readOnly,
    destructive: false,
  });
  return {
    gatewayId: 'g1',
    gatewayName: 'cf',
    kind: 'contextforge',
    baseUrl: 'http://127.0.0.1:4444',
    fetchedAt: NOW.toISOString(),
    upstreams: [
      {
        id: 'up1',
        name: 'everything',
        url: 'http://localhost:1/mcp',
        transport: 'STREAMABLEHTTP',
        enabled: true,
        reachable: true,
        visibility: 'public',
        authType: 'bearer',
        toolCount: 4,
      },
    ],
    tools: [tool('echo'), tool('sum'), tool('toggle', false), tool('gzip', false, 'team')],
    servers: [
      {
        id: 's-red',
        name: 'red-tools',
        description: '',
        visibility: 'team',
        teamId: 'red',
        enabled: true,
        toolIds: ['echo', 'sum'],
      },
      {
        id: 's-blue',
        name: 'blue-tools',
        description: '',
        visibility: 'team',
        teamId: 'blue',
        enabled: true,
        toolIds: ['echo'],
      },
      {
        id: 's-pub',
        name: 'shared',
        description: '',
        visibility: 'public',
        enabled: true,
        toolIds: ['sum', 'toggle', 'gzip'],
      },
    ],
    teams: [
      { id: 'red', name: 'Team Red', slug: 'red', personal: false, visibility: 'private', memberCount: 2 },
      { id: 'blue', name: 'Team Blue', slug: 'blue', personal: false, visibility: 'private', memberCount: 2 },
      { id: 'p', name: 'admin personal', slug: 'p', personal: true, visibility: 'private', memberCount: 1 },
    ],
    members: [
      { teamId: 'red', email: 'admin@x', role: 'owner', active: true },
      { teamId: 'red', email: 'alice@x', role: 'member', active: true },
      { teamId: 'blue', email: 'admin@x', role: 'owner', active: true },
      { teamId: 'blue', email: 'bob@x', role: 'member', active: true },
    ],
    users: [
      { email: 'admin@x', isAdmin: true, active: true },
      { email: 'alice@x', isAdmin: false, active: true },
      { email: 'bob@x', isAdmin: false, active: true },
    ],
    roles: [
      role('r-admin', 'platform_admin', 'global', ['*']),
      role('r-viewer', 'viewer', 'team', ['servers.use', 'tools.read', 'tools.execute']),
      role('r-pv', 'platform_viewer', 'global', ['servers.use', 'tools.read']),
      role(
        'r-custom',
        'power',
        'team',
        ['tools.read', 'tools.execute', 'tools.create', 'tools.update', 'tools.delete'],
        false,
      ),
    ],
    assignments: [
      { email: 'admin@x', roleId: 'r-admin', scope: 'global', active: true },
      { email: 'alice@x', roleId: 'r-pv', scope: 'global', active: true },
      { email: 'alice@x', roleId: 'r-viewer', scope: 'team', scopeId: 'red', active: true },
      { email: 'alice@x', roleId: 'r-custom', scope: 'team', scopeId: 'red', active: true },
      // Bob only has the global viewer role: no tools.execute anywhere.
      { email: 'bob@x', roleId: 'r-pv', scope: 'global', active: true },
    ],
    tokens: [
      {
        id: 't-red',
        name: 'red-ci',
        userEmail: 'alice@x',
        teamId: 'red',
        permissions: ['tools.execute'],
        expiresAt: '2026-07-01T00:00:00',
        active: true,
        revoked: false,
      },
      {
        id: 't-blue',
        name: 'blue-forever',
        userEmail: 'admin@x',
        teamId: 'blue',
        permissions: [],
        active: true,
        revoked: false,
      },
      {
        id: 't-old',
        name: 'expired',
        userEmail: 'admin@x',
        teamId: 'red',
        permissions: [],
        expiresAt: '2026-01-01T00:00:00',
        active: true,
        revoked: false,
      },
    ],
    warnings: [],
  };
}
