import { useState } from 'react';
import type { AuditFilter, AuditScope, FacetCount } from '../../../../shared/model/audit.js';
import { useAdminQuery } from '../../client/index.js';
import { FACET_FIELD, FACET_LABEL, PAGE_FACETS, type PageFacet } from './filter.js';
import { isExcluded, setValue } from './view.js';

/** Values shown per facet before "more". */
export const FACET_TOP = 8;
const MORE_LIMIT = 50;

/**
 * The facet rail: per facet the most frequent values with counts under the rest of the filter.
 * Click a value to include it, ⊘ to exclude it ("not outcome=success"); "More" lists up to 50 with
 * a search over all values.
 */
export function Facets({
  filter,
  scope,
  counts,
  onChange,
}: {
  /** The query filter (with text and time bounds): counts are under it. */
  filter: AuditFilter;
  scope: AuditScope;
  counts: Record<string, FacetCount[]> | undefined;
  onChange: (f: (prev: AuditFilter) => AuditFilter) => void;
}) {
  return (
    <nav className="panel audit-facets" aria-label="Facets" data-testid="audit-facets">
      {PAGE_FACETS.map((name) => (
        <FacetGroup key={name} name={name} filter={filter} scope={scope} top={counts?.[name]} onChange={onChange} />
      ))}
    </nav>
  );
}

function FacetGroup({
  name,
  filter,
  scope,
  top,
  onChange,
}: {
  name: PageFacet;
  filter: AuditFilter;
  scope: AuditScope;
  top: FacetCount[] | undefined;
  onChange: (f: (prev: AuditFilter) => AuditFilter) => void;
}) {
  const [expanded, setExpanded] = useState(false);
  const [search, setSearch] = useState('');
  const more = useAdminQuery(
    'audit.facets',
    { filter, facets: [name], limit: MORE_LIMIT, scope, ...(search.trim() ? { search: search.trim() } : {}) },
    { enabled: expanded, placeholderData: (prev) => prev },
  );
  const field = FACET_FIELD[name];
  const included = (filter[field] as string[] | undefined) ?? [];
  const excluded = (filter.exclude?.[field] as string[] | undefined) ?? [];
  const list = expanded ? (more.data?.[name] ?? top ?? []) : (top ?? []).slice(0, FACET_TOP);
  const hasMore = expanded || (top?.length ?? 0) > FACET_TOP;
  // Selected values outside the list still show (with 0 when nothing matches).
  const extra = [...included, ...excluded].filter((s) => !list.some((v) => v.value === s));
  const rows: FacetCount[] = [...list, ...extra.map((value) => ({ value, count: 0 }))];
  const label = FACET_LABEL[name];
  const titleId = `audit-facet-title-${name}`;
  return (
    <div className="audit-facet-group" data-testid="audit-facet-group" data-facet={name} data-expanded={expanded}>
      <h2 className="audit-facet-title" id={titleId}>
        {label}
      </h2>
      {expanded && (
        <input
          className="input audit-facet-search"
          type="search"
          placeholder={`Find a ${label.toLowerCase()}…`}
          aria-label={`Search ${label.toLowerCase()} values`}
          data-testid="audit-facet-search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          autoFocus
        />
      )}
      {rows.length === 0 && <p className="muted audit-facet-none">{search ? 'No match' : '—'}</p>}
      <ul aria-labelledby={titleId}>
        {rows.map((v) => {
          const value = v.value;
          const on = value !== null && included.includes(value);
          const off = value !== null && isExcluded(filter, field, value);
          const shown = value ?? '(none)';
          return (
            <li key={value ?? '\u0000'} className="audit-facet-row">
              <button
                type="button"
                className={`audit-facet${on ? ' on' : ''}${off ? ' off' : ''}`}
                data-testid="audit-facet"
                data-facet={name}
                data-value={value ?? ''}
                data-state={on ? 'include' : off ? 'exclude' : 'none'}
                aria-pressed={on}
                disabled={value === null}
                title={off ? `Excluded: ${shown} (click to include)` : shown}
                onClick={() => value !== null && onChange((f) => setValue(f, field, value, 'include'))}
              >
                <span className="audit-facet-value">
                  {off && <span className="audit-not">not </span>}
                  {shown}
                </span>
                <span className="count">{v.count.toLocaleString()}</span>
              </button>
              {value !== null && (
                <button
                  type="button"
                  className={`audit-facet-exclude${off ? ' on' : ''}`}
                  data-testid="audit-facet-exclude"
                  data-facet={name}
                  data-value={value}
                  aria-pressed={off}
                  aria-label={`${off ? 'Stop excluding' : 'Exclude'} ${label.toLowerCase()} ${shown}`}
                  title={`${off ? 'Stop excluding' : 'Exclude'} ${shown}`}
                  onClick={() => onChange((f) => setValue(f, field, value, 'exclude'))}
                >
                  ⊘
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {hasMore && (
        <button
          type="button"
          className="btn btn-ghost audit-facet-more"
          data-testid="audit-facet-more"
          aria-expanded={expanded}
          onClick={() => {
            setExpanded((x) => !x);
            setSearch('');
          }}
        >
          {expanded ? 'Fewer' : 'More…'}
        </button>
      )}
    </div>
  );
}
