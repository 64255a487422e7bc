import { useAdminQuery } from '../../client/index.js';
import { useConfigChangeDialog } from '../../components/ConfigChangeDialog.js';
import type { BulkFixScope } from './bulk-fix.js';

/**
 * "Fix all N…" for one rule's findings (the filter is one rule, or the selected rows share one):
 * shown when the rule has an automatic fix that needs no per-finding input (asked of the service
 * for the first finding), and opens one combined preview of every file.
 */
export function BulkFixBar({ scope }: { scope: BulkFixScope | null }) {
  const first = scope?.findingIds[0] ?? '';
  const options = useAdminQuery('config.fixOptions', { findingId: first }, { enabled: !!first, retry: false });
  const open = useConfigChangeDialog((s) => s.open);
  const auto = options.data?.some((o) => o.kind === 'fix' && o.strategy !== 'quarantine' && !o.input);
  if (!scope || !auto) return null;
  const n = scope.findingIds.length;
  return (
    <div className="toolbar findings-fixall" role="group" aria-label="Fix by rule" data-testid="findings-fixall">
      <span>
        <span className="mono">{scope.ruleId}</span>: {n} open finding{n === 1 ? '' : 's'} can be fixed in one
        confirmation.
      </span>
      <button
        type="button"
        className="btn btn-primary"
        data-testid="findings-fix-all"
        data-count={n}
        title="One combined preview of every file, then confirm; Undo restores them all"
        onClick={() =>
          open({ kind: 'fix-rule', ruleId: scope.ruleId, title: scope.title, findingIds: scope.findingIds, count: n })
        }
      >
        Fix all {n}…
      </button>
    </div>
  );
}
