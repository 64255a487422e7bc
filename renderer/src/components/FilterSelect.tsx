export interface FilterOption<T extends string = string> {
  value: T;
  label: string;
}

export interface FilterSelectProps<T extends string> {
  /** The visible label the select sits in. */
  label: string;
  testId: string;
  value: T;
  onChange: (value: T) => void;
  options: readonly FilterOption<T>[];
  /** Text of a leading option with value `''` that means "no filter" (`All`, `Any`); none when absent. */
  allLabel?: string;
}

/** One labelled filter select of a page toolbar: `<label>Label <select>[All] options…</select></label>`. */
export function FilterSelect<T extends string>({
  label,
  testId,
  value,
  onChange,
  options,
  allLabel,
}: FilterSelectProps<T>) {
  return (
    <label className="field-label">
      {label}
      <select className="select" data-testid={testId} value={value} onChange={(e) => onChange(e.target.value as T)}>
        {allLabel !== undefined && <option value="">{allLabel}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
