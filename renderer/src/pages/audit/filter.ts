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
