import type { AuditFacetName, AuditFilter } from '../../../../shared/model/audit.js';

/** Facets on the page, and which filter field a click on one sets. */
export const PAGE_FACETS = [
  'outcome',
  'tenant',
  'subject',
  'server',
  'tool',
  'method',
] as const satisfies readonly AuditFacetName[];
export type PageFacet = (typeof PAGE_FACETS)[number];

export const FACET_FIELD: Record<PageFacet, 'outcome' | 'tenant' | 'user' | 'server' | 'tool' | 'method'> = {
  outcome: 'outcome',
  tenant: 'tenant',
  subject: 'user',
  server: 'server',
  tool: 'tool',
  method: 'method',
};

export const FACET_LABEL: Record<PageFacet, string> = {
  outcome: 'Outcome',
  tenant: 'Tenant',
  subject: 'Subject',
  server: 'Server',
  tool: 'Tool',
  method: 'Method',
};

export function selected(filter: AuditFilter, facet: PageFacet): readonly string[] {
  return filter[FACET_FIELD[facet]] ?? [];
}

/** Toggles one facet value in the filter (a new object; empty lists are dropped). */
export function toggleFacet(filter: AuditFilter, facet: PageFacet, value: string): AuditFilter {
  const field = FACET_FIELD[facet];
  const cur = (filter[field] ?? []) as string[];
  const next = cur.includes(value) ? cur.filter((v) => v !== value) : [...cur, value];
  const out: AuditFilter = { ...filter };
  if (next.length) (out as Record<string, unknown>)[field] = next;
  else delete out[field];
  return out;
}

/** The filter without empty parts (stable query keys). */
export function clean(filter: AuditFilter): AuditFilter {
  const out: AuditFilter = {};
  for (const [k, v] of Object.entries(filter) as [keyof AuditFilter, unknown][]) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** Filter fields a link can carry in the URL: `#/audit/user/a@x.io/tool/echo`. */
const URL_FIELDS = ['user', 'tool', 'server', 'tenant', 'subject', 'since', 'until'] as const;
type UrlField = (typeof URL_FIELDS)[number];

/** Route parameters for a filtered Audit link (other pages link here, e.g. Policy's simulation). */
export function auditParams(filter: Partial<Record<UrlField, string | string[] | undefined>>): string[] {
  const out: string[] = [];
  for (const k of URL_FIELDS) {
    const v = filter[k];
    for (const x of Array.isArray(v) ? v : v ? [v] : []) out.push(k, x);
  }
  return out;
}

/** The filter a link's route parameters describe (unknown pairs are ignored). */
export function filterFromParams(params: readonly string[]): AuditFilter {
  const out: AuditFilter = {};
  for (let i = 0; i + 1 < params.length; i += 2) {
    const k = params[i] as UrlField;
    const v = params[i + 1] ?? '';
    if (!(URL_FIELDS as readonly string[]).includes(k) || !v) continue;
    if (k === 'since' || k === 'until') out[k] = v;
    else out[k] = [...(out[k] ?? []), v];
  }
  return out;
}
