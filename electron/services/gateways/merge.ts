import type { ServerEntry } from '../../../shared/model/discovery.js';
import type {
  GatewaySnapshot,
  MergedInventory,
  MergedServer,
  VirtualServerView,
} from '../../../shared/model/gateway.js';

/**
 * Inventory merge: workstation entries (from discovery) and gateway upstreams that point at the
 * same upstream URL become one row with several sources. Virtual servers are listed on their own
 * with their tools, team and visibility.
 */

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1', '0.0.0.0']);

/** Comparable form of an MCP endpoint URL: scheme + host (loopback aliases folded) + port + path. */
export function normalizeUpstreamUrl(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  const host = LOOPBACK.has(u.hostname.toLowerCase()) ? 'localhost' : u.hostname.toLowerCase();
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const path = decodeURIComponent(u.pathname).replace(/\/+$/, '') || '/';
  return `${u.protocol}//${host}:${port}${path}`;
}

function gatewayServerRef(
  url: string,
  snapshots: GatewaySnapshot[],
): { gatewayId: string; serverId?: string } | undefined {
  const n = normalizeUpstreamUrl(url);
  if (!n) return undefined;
  for (const s of snapshots) {
    const base = normalizeUpstreamUrl(s.baseUrl);
    if (!base) continue;
    const root = base.replace(/\/$/, '');
    if (n === root || n.startsWith(root + '/')) {
      const m = /\/servers\/([^/]+)/.exec(n.slice(root.length));
      return { gatewayId: s.gatewayId, serverId: m?.[1] };
    }
  }
  return undefined;
}

export function mergeInventory(workstation: ServerEntry[], snapshots: GatewaySnapshot[]): MergedInventory {
  const rows = new Map<string, MergedServer>();

  for (const e of workstation) {
    const norm = e.url ? normalizeUpstreamUrl(e.url) : undefined;
    const key = norm ?? `workstation:${e.id}`;
    const via = e.url ? gatewayServerRef(e.url, snapshots) : undefined;
    let row = rows.get(key);
    if (!row) {
      row = { key, name: e.name, url: e.url, transport: e.transport, sources: [] as never, tools: [] };
      if (via) row.viaGateway = via;
      rows.set(key, row);
    }
    row.sources.push({ kind: 'workstation', serverId: e.id, client: e.client, name: e.name, file: e.source });
  }

  for (const snap of snapshots) {
    for (const up of snap.upstreams) {
      const key = normalizeUpstreamUrl(up.url) ?? `gateway:${snap.gatewayId}:${up.id}`;
      let row = rows.get(key);
      if (!row) {
        row = {
          key,
          name: up.name,
          url: up.url,
          transport: transportOf(up.transport),
          sources: [] as never,
          tools: [],
        };
        rows.set(key, row);
      }
      row.sources.push({
        kind: 'gateway',
        gatewayId: snap.gatewayId,
        gatewayName: snap.gatewayName,
        upstreamId: up.id,
        name: up.name,
      });
      for (const t of snap.tools.filter((x) => x.upstreamId === up.id)) {
        row.tools.push({ id: t.id, name: t.originalName || t.name, gatewayId: snap.gatewayId });
      }
    }
  }

  const virtualServers: VirtualServerView[] = [];
  for (const snap of snapshots) {
    const teamName = new Map(snap.teams.map((t) => [t.id, t.name]));
    const tools = new Map(snap.tools.map((t) => [t.id, t]));
    for (const s of snap.servers) {
      virtualServers.push({
        gatewayId: snap.gatewayId,
        gatewayName: snap.gatewayName,
        id: s.id,
        name: s.name,
        visibility: s.visibility,
        teamId: s.teamId,
        teamName: s.teamId ? teamName.get(s.teamId) : undefined,
        enabled: s.enabled,
        tools: s.toolIds.map((id) => ({ id, name: tools.get(id)?.name ?? id, upstreamId: tools.get(id)?.upstreamId })),
      });
    }
  }

  return {
    servers: [...rows.values()].sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key)),
    virtualServers: virtualServers.sort(
      (a, b) => a.gatewayName.localeCompare(b.gatewayName) || a.name.localeCompare(b.name),
    ),
    notes: [],
  };
}

function transportOf(t: string): string {
  const x = t.toUpperCase();
  if (x === 'SSE') return 'sse';
  if (x === 'STREAMABLEHTTP' || x === 'HTTP') return 'http';
  if (x === 'STDIO') return 'stdio';
  return t.toLowerCase();
}
