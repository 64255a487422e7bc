import { SEVERITY_ORDER, type Severity } from '../../../../shared/model/finding.js';
import { isScopeFinding, type AnyFinding } from '../../../../shared/model/tenant.js';
import { clientLabel } from '../../lib/labels.js';

/** Pure view logic of the Findings page (filters, grouping), kept out of the components. */
export type GroupBy = 'none' | 'rule' | 'server' | 'client';

export interface FindingFilters {
  text: string;
  severity: Severity | '';
  ruleId: string;
  /** A client id, or `gw:<gatewayId>` for a gateway's scope findings. */
  client: string;
  status: 'open' | 'suppressed' | 'fixed' | '';
}

export const NO_FILTERS: FindingFilters = { text: '', severity: '', ruleId: '', client: '', status: '' };

/** The "client" of a finding: the workstation client id, or `gw:<gatewayId>` for a gateway finding. */
export function originKey(f: AnyFinding): string {
  return isScopeFinding(f) ? `gw:${f.gatewayId}` : f.client;
}

/** What the Client column shows: the client's label, or the gateway's name. */
export function originLabel(f: AnyFinding): string {
  return isScopeFinding(f) ? f.gatewayName : clientLabel(f.client);
}

/** What the Server column shows: the configured server, or the gateway subject (upstream, server, token, role). */
export function subjectLabel(f: AnyFinding): string {
  return isScopeFinding(f) ? `${f.subject.type} ${f.subject.name}` : f.server;
}

function haystack(x: AnyFinding): string[] {
  const common = [x.ruleId, x.title, x.message, x.server, x.location.file, x.location.pointer, x.evidence ?? ''];
  return isScopeFinding(x)
    ? [...common, x.gatewayName, x.subject.name, ...(x.teamNames ?? x.teams)]
    : [...common, x.client, x.secretType ?? ''];
}

export function filterFindings<F extends AnyFinding>(list: readonly F[], f: FindingFilters): F[] {
  const text = f.text.trim().toLowerCase();
  return list.filter(
    (x) =>
      (!f.severity || x.severity === f.severity) &&
      (!f.ruleId || x.ruleId === f.ruleId) &&
      (!f.client || originKey(x) === f.client) &&
      (!f.status || x.status === f.status) &&
      (!text || haystack(x).join('\n').toLowerCase().includes(text)),
  );
}

export function groupKey(f: AnyFinding, by: GroupBy): string {
  if (by === 'rule') return f.ruleId;
  if (isScopeFinding(f)) {
    if (by === 'server') return `${subjectLabel(f)} (${f.gatewayName})`;
    if (by === 'client') return `gateway ${f.gatewayName}`;
    return '';
  }
  if (by === 'server') return f.server ? `${f.server} (${f.client})` : `(file) ${f.location.file}`;
  if (by === 'client') return f.client;
  return '';
}

/** Groups in order of their most severe finding, then name. */
export function groupFindings<F extends AnyFinding>(list: readonly F[], by: GroupBy): { key: string; items: F[] }[] {
  if (by === 'none') return [{ key: '', items: [...list] }];
  const map = new Map<string, F[]>();
  for (const f of list) {
    const k = groupKey(f, by);
    const g = map.get(k);
    if (g) g.push(f);
    else map.set(k, [f]);
  }
  const worst = (items: F[]) => Math.min(...items.map((i) => SEVERITY_ORDER.indexOf(i.severity)));
  return [...map]
    .map(([key, items]) => ({ key, items }))
    .sort((a, b) => worst(a.items) - worst(b.items) || a.key.localeCompare(b.key));
}

export function severityClass(s: Severity): string {
  return `sev sev-${s}`;
}

/** Sortable columns of the findings table (the URL's `sort`). */
export const SORT_KEYS = ['severity', 'title', 'server', 'client', 'firstSeen', 'status'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface SortState {
  key: SortKey;
  dir: 'asc' | 'desc';
}

const STATUS_ORDER = ['open', 'suppressed', 'fixed'];

function sortValue(f: AnyFinding, key: SortKey): string | number {
  switch (key) {
    case 'severity':
      return SEVERITY_ORDER.indexOf(f.severity);
    case 'title':
      return f.title.toLowerCase();
    case 'server':
      return subjectLabel(f).toLowerCase();
    case 'client':
      return originLabel(f).toLowerCase();
    case 'firstSeen':
      return f.firstSeen;
    case 'status':
      return STATUS_ORDER.indexOf(f.status);
  }
}

/**
 * Rows in column order (stable: ties keep the service's order, most severe first). Ascending
 * severity is most severe first, as on the rest of the page.
 */
export function sortFindings<F extends AnyFinding>(list: readonly F[], sort: SortState | null): F[] {
  if (!sort) return [...list];
  const sign = sort.dir === 'asc' ? 1 : -1;
  return list
    .map((f, i) => ({ f, i, v: sortValue(f, sort.key) }))
    .sort((a, b) => (a.v < b.v ? -sign : a.v > b.v ? sign : a.i - b.i))
    .map((x) => x.f);
}

/** `sort=title` / `sort=-title` (descending) ⇄ SortState. */
export function parseSort(v: string | null): SortState | null {
  if (!v) return null;
  const desc = v.startsWith('-');
  const key = (desc ? v.slice(1) : v) as SortKey;
  return SORT_KEYS.includes(key) ? { key, dir: desc ? 'desc' : 'asc' } : null;
}

export function formatSort(s: SortState | null): string {
  return s ? `${s.dir === 'desc' ? '-' : ''}${s.key}` : '';
}
