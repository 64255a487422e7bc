import type { ReactNode } from 'react';

export interface FilterBarProps {
  /** Accessible name of the search landmark ("Filter findings"). */
  label: string;
  /** Whether any filter is set: only then the clear button shows. */
  filtering: boolean;
  onClear: () => void;
  /** The clear button's text; pages differ ("Clear", "Reset", "Clear filters"). */
  clearLabel: string;
  clearTestId?: string;
  /** The filters: search boxes, FilterSelects. */
  children: ReactNode;
  /** Pushed to the bar's right end after a spacer (exports, the row count); no spacer when absent. */
  end?: ReactNode;
}

/** A page's filter toolbar: `role="search"`, its filters, a clear button while filtering, then `end`. */
export function FilterBar({ label, filtering, onClear, clearLabel, clearTestId, children, end }: FilterBarProps) {
  return (
    <div className="toolbar" role="search" aria-label={label}>
      {children}
      {filtering && (
        <button type="button" className="btn btn-ghost" data-testid={clearTestId} onClick={onClear}>
          {clearLabel}
        </button>
      )}
      {end !== undefined && (
        <>
          <span className="spacer" />
          {end}
        </>
      )}
    </div>
  );
}

export interface SearchFilterProps {
  /** Accessible name (the visible hint is `placeholder`). */
  label: string;
  placeholder: string;
  testId: string;
  value: string;
  onChange: (value: string) => void;
  title?: string;
  /** The wide free-text box of a toolbar (`.input-search`); false for a narrow field filter. */
  wide?: boolean;
}

/** One text filter of a FilterBar: a search input whose value is the filter. */
export function SearchFilter({ label, placeholder, testId, value, onChange, title, wide = true }: SearchFilterProps) {
  return (
    <input
      className={wide ? 'input input-search' : 'input'}
      type="search"
      placeholder={placeholder}
      title={title}
      aria-label={label}
      data-testid={testId}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
