import type { ServerEntry } from '../../../../shared/model/discovery.js';
import type { InventoryFilters, InventorySort, InventorySortKey } from '../../app/ui-store.js';
import { clientLabel, serverTarget } from '../../lib/labels.js';

/** Text a server is searched by: every visible column plus args, keys and pointer. */
function haystack(s: ServerEntry): string {
  return [
    s.name,
    s.client,
    clientLabel(s.client),
    s.scope,
    s.transport,
    serverTarget(s),
    s.cwd ?? '',
    s.source,
    s.pointer,
    s.project ?? '',
    ...s.envKeys,
    ...s.headerKeys,
  ]
    .join('\n')
    .toLowerCase();
}

export function filterServers(servers: readonly ServerEntry[], f: InventoryFilters): ServerEntry[] {
  const terms = f.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return servers.filter((s) => {
    if (f.client && s.client !== f.client) return false;
    if (f.scope && s.scope !== f.scope) return false;
    if (f.transport && s.transport !== f.transport) return false;
    if (terms.length === 0) return true;
    const h = haystack(s);
    return terms.every((t) => h.includes(t));
  });
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

function sortValue(s: ServerEntry, key: InventorySortKey): string {
  switch (key) {
    case 'client':
      return clientLabel(s.client);
    case 'scope':
      return s.scope;
    case 'name':
      return s.name;
    case 'transport':
      return s.transport;
    case 'target':
      return serverTarget(s);
    case 'source':
      return s.source;
    case 'disabled':
      return s.disabled ? '1' : '0';
  }
}

/** Sorted copy; ties fall back to client, name, then id so the order is stable across runs. */
export function sortServers(servers: readonly ServerEntry[], sort: InventorySort): ServerEntry[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...servers].sort(
    (a, b) =>
      sign * collator.compare(sortValue(a, sort.key), sortValue(b, sort.key)) ||
      collator.compare(clientLabel(a.client), clientLabel(b.client)) ||
      collator.compare(a.name, b.name) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
