import type { RuleId } from '../../../../shared/model/finding.js';
import { isScopeFinding, type AnyFinding } from '../../../../shared/model/tenant.js';

/** The findings a "Fix all" would cover: open workstation findings of one rule. */
export interface BulkFixScope {
  ruleId: RuleId;
  title: string;
  findingIds: string[];
}

/**
 * What "Fix all N…" covers, or null when it does not apply: the selected rows when some are
 * checked (all of one rule, else nothing), otherwise the rows shown when the filter is one rule.
 * Only open workstation findings count (gateway scope findings are not config files); the ids are
 * passed explicitly so exactly what the admin sees is fixed.
 */
export function bulkFixScope(
  shown: readonly AnyFinding[],
  ruleFilter: string,
  checked: ReadonlySet<string>,
): BulkFixScope | null {
  const pick = checked.size > 0 ? shown.filter((f) => checked.has(f.id)) : ruleFilter ? shown : [];
  const open = pick.filter((f) => f.status === 'open' && !isScopeFinding(f));
  const first = open[0];
  if (!first || isScopeFinding(first)) return null;
  if (open.some((f) => f.ruleId !== first.ruleId)) return null;
  if (checked.size === 0 && first.ruleId !== ruleFilter) return null;
  return { ruleId: first.ruleId, title: first.title, findingIds: open.map((f) => f.id) };
}
