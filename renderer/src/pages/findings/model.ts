import { SEVERITY_ORDER, type Finding, type Severity } from '../../../../shared/model/finding.js';

/** Pure view logic of the Findings page (filters, grouping), kept out of the components. */
export type GroupBy = 'none' | 'rule' | 'server' | 'client';

export interface FindingFilters {
  text: string;
  severity: Severity | '';
  ruleId: string;
  client: string;
  status: 'open' | 'suppressed' | '';
}

export const NO_FILTERS: FindingFilters = { text: '', severity: '', ruleId: '', client: '', status: '' };

export function filterFindings(list: readonly Finding[], f: FindingFilters): Finding[] {
  const text = f.text.trim().toLowerCase();
  return list.filter(
    (x) =>
      (!f.severity || x.severity === f.severity) &&
      (!f.ruleId || x.ruleId === f.ruleId) &&
      (!f.client || x.client === f.client) &&
      (!f.status || x.status === f.status) &&
      (!text ||
        [
          x.ruleId,
          x.title,
          x.message,
          x.client,
          x.server,
          x.location.file,
          x.location.pointer,
          x.secretType ?? '',
          x.evidence ?? '',
        ]
          .join('\n')
          .toLowerCase()
          .includes(text)),
  );
}

export function groupKey(f: Finding, by: GroupBy): string {
  if (by === 'rule') return f.ruleId;
  if (by === 'server') return f.server ? `${f.server} (${f.client})` : `(file) ${f.location.file}`;
  if (by === 'client') return f.client;
  return '';
}

/** Groups in order of their most severe finding, then name. */
export function groupFindings(list: readonly Finding[], by: GroupBy): { key: string; items: Finding[] }[] {
  if (by === 'none') return [{ key: '', items: [...list] }];
  const map = new Map<string, Finding[]>();
  for (const f of list) {
    const k = groupKey(f, by);
    const g = map.get(k);
    if (g) g.push(f);
    else map.set(k, [f]);
  }
  const worst = (items: Finding[]) => Math.min(...items.map((i) => SEVERITY_ORDER.indexOf(i.severity)));
  return [...map]
    .map(([key, items]) => ({ key, items }))
    .sort((a, b) => worst(a.items) - worst(b.items) || a.key.localeCompare(b.key));
}

export function severityClass(s: Severity): string {
  return `sev sev-${s}`;
}
