import type { AuditExclude, AuditFilter, AuditOrder, AuditScope } from '../../../../shared/model/audit.js';
import { readHashQuery } from '../../app/url-state.js';
import { clean, filterFromParams } from './filter.js';
import { QUICK_RANGES, quickRangeMs, type QuickRange, type TimeZoneMode } from './time.js';

/**
 * Everything the Audit page shows, as it lives in the URL (`#/audit?outcome=denied&not.tenant=a&
 * range=24h&tz=utc&order=oldest&at=…&ev=42&scope=team`): a reload or a shared link restores it.
 */
export interface AuditView {
  /** Which timeline: this workstation's or the team store's (event ids belong to one of them). */
  scope: AuditScope;
  /** Include lists and `exclude` (no time bounds, no text: those are below). */
  filter: AuditFilter;
  q: string;
  range: QuickRange | 'custom';
  /** Custom range bounds (ISO). */
  since?: string;
  until?: string;
  tz: TimeZoneMode;
  order: AuditOrder;
  /** Jump target (ISO): the list starts there. */
  at?: string;
  /** Selected event id (detail open). */
  ev?: string;
}

export const LIST_KEYS = [
  'outcome',
  'tenant',
  'subject',
  'user',
  'client',
  'server',
  'tool',
  'method',
  'source',
] as const;
type ListKey = (typeof LIST_KEYS)[number];

export const DEFAULT_VIEW: AuditView = {
  scope: 'workstation',
  filter: {},
  q: '',
  range: 'all',
  tz: 'local',
  order: 'newest',
};

/** The view a URL describes: the hash query, else a filtered link's route parameters (`#/audit/user/x`). */
export function viewFromUrl(params: readonly string[], query: URLSearchParams = readHashQuery()): AuditView {
  const view: AuditView = { ...DEFAULT_VIEW, filter: {} };
  if (![...query.keys()].length) {
    const f = filterFromParams(params);
    const { since, until, ...rest } = f;
    view.filter = rest;
    if (since || until) Object.assign(view, { range: 'custom', since, until });
    return view;
  }
  const include: Record<string, string[]> = {};
  const exclude: Record<string, string[]> = {};
  for (const [k, v] of query) {
    if (!v) continue;
    const not = k.startsWith('not.');
    const key = (not ? k.slice(4) : k) as ListKey;
    if (!(LIST_KEYS as readonly string[]).includes(key)) continue;
    const into = not ? exclude : include;
    if (!into[key]?.includes(v)) into[key] = [...(into[key] ?? []), v];
  }
  view.filter = clean({ ...include, ...(Object.keys(exclude).length ? { exclude: exclude as AuditExclude } : {}) });
  view.q = query.get('q') ?? '';
  const range = query.get('range');
  if (range === 'custom' || QUICK_RANGES.some(([k]) => k === range)) view.range = range as AuditView['range'];
  const iso = (k: string) => {
    const v = query.get(k);
    return v && Number.isFinite(Date.parse(v)) ? v : undefined;
  };
  view.since = iso('from');
  view.until = iso('to');
  if ((view.since || view.until) && !query.get('range')) view.range = 'custom';
  if (view.range !== 'custom') {
    view.since = undefined;
    view.until = undefined;
  }
  view.tz = query.get('tz') === 'utc' ? 'utc' : 'local';
  view.order = query.get('order') === 'oldest' ? 'oldest' : 'newest';
  view.at = iso('at');
  view.ev = query.get('ev') || undefined;
  view.scope = query.get('scope') === 'team' ? 'team' : 'workstation';
  return view;
}

/** The URL query for a view (defaults left out). */
export function viewToQuery(view: AuditView): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of LIST_KEYS) for (const v of (view.filter[k] as string[] | undefined) ?? []) p.append(k, v);
  for (const k of LIST_KEYS) for (const v of view.filter.exclude?.[k] ?? []) p.append(`not.${k}`, v);
  if (view.q) p.set('q', view.q);
  if (view.range !== 'all') p.set('range', view.range);
  if (view.range === 'custom') {
    if (view.since) p.set('from', view.since);
    if (view.until) p.set('to', view.until);
  }
  if (view.tz !== 'local') p.set('tz', view.tz);
  if (view.order !== 'newest') p.set('order', view.order);
  if (view.at) p.set('at', view.at);
  if (view.ev) p.set('ev', view.ev);
  if (view.scope !== 'workstation') p.set('scope', view.scope);
  return p;
}

/** Writes the view into the hash query (replaceState: no history entry per keystroke). */
export function writeView(view: AuditView): void {
  const hash = window.location.hash;
  // A filtered link's route parameters (`#/audit/user/x`) move into the query: the query is the
  // whole state from now on (a filter removed here must not come back from the path on reload).
  const path = '#/audit';
  const query = viewToQuery(view).toString();
  const next = query ? `${path}?${query}` : path;
  if (next !== hash) window.history.replaceState(window.history.state, '', next);
}

/** The filter the queries take: the view's lists, the search text and the time bounds. */
export function queryFilter(view: AuditView, now: number): AuditFilter {
  const f: AuditFilter = { ...view.filter, text: view.q.trim() || undefined };
  if (view.range === 'custom') {
    f.since = view.since;
    f.until = view.until;
  } else {
    const ms = quickRangeMs(view.range);
    if (ms) f.since = new Date(now - ms).toISOString();
  }
  return clean(f);
}

/** Whether a value is excluded for a list field. */
export function isExcluded(filter: AuditFilter, field: ListKey, value: string): boolean {
  return ((filter.exclude?.[field] as string[] | undefined) ?? []).includes(value);
}

/**
 * Cycles one value of a field: include ↔ none, or (with `exclude`) exclude ↔ none. Including a value
 * drops its exclusion and the other way round, so a value is never both.
 */
export function setValue(filter: AuditFilter, field: ListKey, value: string, mode: 'include' | 'exclude'): AuditFilter {
  const inc = ((filter[field] as string[] | undefined) ?? []).filter((v) => v !== value);
  const exc = ((filter.exclude?.[field] as string[] | undefined) ?? []).filter((v) => v !== value);
  const wasInc = ((filter[field] as string[] | undefined) ?? []).includes(value);
  const wasExc = ((filter.exclude?.[field] as string[] | undefined) ?? []).includes(value);
  if (mode === 'include' && !wasInc) inc.push(value);
  if (mode === 'exclude' && !wasExc) exc.push(value);
  const exclude: Record<string, string[]> = { ...filter.exclude, [field]: exc };
  for (const k of Object.keys(exclude)) if (!exclude[k]?.length) delete exclude[k];
  const out: AuditFilter = { ...filter, [field]: inc };
  if (Object.keys(exclude).length) out.exclude = exclude as AuditExclude;
  else delete out.exclude;
  return clean(out);
}
