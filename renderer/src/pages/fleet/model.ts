import type { FleetFilter } from '../../../../shared/model/fleet.js';
import { csvCell } from '../../lib/export-file.js';

export const FLEET_TABS = [
  { id: 'machines', label: 'Machines' },
  { id: 'servers', label: 'Servers' },
  { id: 'findings', label: 'Findings' },
  { id: 'credentials', label: 'Shared credentials' },
  { id: 'trend', label: 'Trend' },
] as const;
export type FleetTab = (typeof FLEET_TABS)[number]['id'];

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** The page's filters as typed (strings), kept in the URL: `#/fleet?tab=findings&server=github&pkg=x@1.0.0`. */
export interface FleetFilters {
  server: string;
  /** `package` or `package@version` (a scoped name's leading @ is part of the name). */
  pkg: string;
  rule: string;
  severity: string;
  /** Days since the last report, at least. */
  stale: string;
}

export const NO_FILTERS: FleetFilters = { server: '', pkg: '', rule: '', severity: '', stale: '' };

/** Which filters a tab uses (the query behind it ignores the others). */
export const TAB_FILTERS: Record<FleetTab, readonly (keyof FleetFilters)[]> = {
  machines: ['server', 'pkg', 'stale'],
  servers: ['server', 'pkg', 'stale'],
  findings: ['server', 'pkg', 'rule', 'severity', 'stale'],
  credentials: ['server', 'pkg', 'stale'],
  trend: ['server', 'pkg'],
};

export function parseTab(v: string | null): FleetTab {
  return FLEET_TABS.some((t) => t.id === v) ? (v as FleetTab) : 'machines';
}

export function filtersFromQuery(q: URLSearchParams): FleetFilters {
  return {
    server: q.get('server') ?? '',
    pkg: q.get('pkg') ?? '',
    rule: q.get('rule') ?? '',
    severity: SEVERITIES.includes(q.get('severity') as (typeof SEVERITIES)[number]) ? q.get('severity')! : '',
    stale: q.get('stale') ?? '',
  };
}

/** `@scope/name@1.2.3` → package `@scope/name`, version `1.2.3`; `name` → package only. */
export function splitPackage(spec: string): { package?: string; version?: string } {
  const s = spec.trim();
  if (!s) return {};
  const at = s.lastIndexOf('@');
  if (at > 0) {
    const name = s.slice(0, at);
    const version = s.slice(at + 1);
    return version ? { package: name, version } : { package: name };
  }
  return { package: s };
}

/** The API filter for a tab: only the filters the tab uses, empty ones left out. */
export function apiFilter(tab: FleetTab, f: FleetFilters): FleetFilter {
  const use = new Set(TAB_FILTERS[tab]);
  const out: FleetFilter = {};
  if (use.has('server') && f.server.trim()) out.server = f.server.trim();
  if (use.has('pkg')) Object.assign(out, splitPackage(f.pkg));
  if (use.has('rule') && f.rule.trim()) out.ruleId = f.rule.trim();
  if (use.has('severity') && f.severity) out.severity = f.severity;
  const stale = Number(f.stale);
  if (use.has('stale') && f.stale.trim() && Number.isFinite(stale) && stale >= 0) out.staleDays = stale;
  return out;
}

/** CSV (RFC 4180) of the rows shown; arrays joined with spaces, formula-leading cells prefixed with '. */
export function toCsv(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\r\n') + '\r\n';
}
