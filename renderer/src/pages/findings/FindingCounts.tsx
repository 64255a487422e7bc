import { SEVERITY_ORDER, type Severity } from '../../../../shared/model/finding.js';
import { useAdminQuery } from '../../client/index.js';
import { severityClass } from './model.js';
import './findings.css';

const SHORT: Record<Severity, string> = { critical: 'C', high: 'H', medium: 'M', low: 'L', info: 'I' };

/** Open findings of one server by severity (for the Inventory's Findings column). */
export function FindingCounts({ serverId }: { serverId: string }) {
  // One shared query for all rows (TanStack Query de-duplicates by key).
  const q = useAdminQuery('findings.list', {});
  const counts = q.data?.serverCounts[serverId];
  if (!q.data?.scanId) return <span className="faint">—</span>;
  const present = SEVERITY_ORDER.filter((s) => (counts?.[s] ?? 0) > 0);
  if (present.length === 0)
    return (
      <span className="faint" data-testid="finding-counts" data-total={0}>
        0
      </span>
    );
  return (
    <span
      className="finding-counts"
      data-testid="finding-counts"
      data-total={present.reduce((n, s) => n + (counts?.[s] ?? 0), 0)}
      title={present.map((s) => `${counts?.[s]} ${s}`).join(', ')}
    >
      {present.map((s) => (
        <span key={s} className={severityClass(s)} data-severity={s}>
          {SHORT[s]}
          {counts?.[s]}
        </span>
      ))}
    </span>
  );
}
