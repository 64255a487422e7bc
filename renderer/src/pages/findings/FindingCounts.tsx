import { SEVERITY_ORDER, type Severity } from '../../../../shared/model/finding.js';
import { useAdminQuery } from '../../client/index.js';
import { severityClass } from './model.js';
import './findings.css';

const SHORT: Record<Severity, string> = { critical: 'C', high: 'H', medium: 'M', low: 'L', info: 'I' };

/** The worst severity among one server's open findings (null: none, or no scan yet). */
export function useWorstSeverity(serverId: string): Severity | null {
  const q = useAdminQuery('findings.list', {});
  const counts = q.data?.serverCounts[serverId];
  return SEVERITY_ORDER.find((s) => (counts?.[s] ?? 0) > 0) ?? null;
}

/**
 * Open findings of one server: its worst severity spelled out (so a poisoned server never reads as
 * just "ok"), then counts by severity (for the Inventory's Risk column).
 */
export function FindingCounts({ serverId }: { serverId: string }) {
  // One shared query for all rows (TanStack Query de-duplicates by key).
  const q = useAdminQuery('findings.list', {});
  const counts = q.data?.serverCounts[serverId];
  if (!q.data?.scanId) return <span className="faint">—</span>;
  const present = SEVERITY_ORDER.filter((s) => (counts?.[s] ?? 0) > 0);
  if (present.length === 0)
    return (
      <span className="faint" data-testid="finding-counts" data-total={0} title="No open findings">
        none
      </span>
    );
  return (
    <span
      className="finding-counts"
      data-testid="finding-counts"
      data-total={present.reduce((n, s) => n + (counts?.[s] ?? 0), 0)}
      data-worst={present[0]}
      title={`Open findings: ${present.map((s) => `${counts?.[s]} ${s}`).join(', ')}`}
    >
      {present[0] && (
        <span className={`${severityClass(present[0])} worst`} data-testid="worst-severity" data-severity={present[0]}>
          {counts?.[present[0]]} {present[0]}
        </span>
      )}
      {present.slice(1).map((s) => (
        <span key={s} className={severityClass(s)} data-severity={s}>
          {SHORT[s]}
          {counts?.[s]}
        </span>
      ))}
    </span>
  );
}
