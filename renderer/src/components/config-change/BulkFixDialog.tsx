import type { Finding } from '../../../../shared/model/finding.js';
import { useAdminQuery } from '../../client/index.js';
import { ChangeFlow } from './ChangeFlow.js';
import { plural } from './undo.js';

/** What a bulk fix is about: the open findings of one rule (all of them, or the listed ones). */
export interface BulkFixSubject {
  ruleId: Finding['ruleId'];
  /** The rule's title, for the heading. */
  title: string;
  /** Exactly these findings; every open one of the rule when absent. */
  findingIds?: string[];
  count: number;
}

/**
 * Fix every finding of one rule in one confirmation: one combined preview (every file's diff, the
 * file count, and the findings left out with why) → confirm → one change group → Undo restores the
 * whole group.
 */
export function BulkFixDialog({ subject, onClose }: { subject: BulkFixSubject; onClose(): void }) {
  // Names the findings the preview leaves out (from the list the Findings page already holds).
  const findings = useAdminQuery('findings.list', {}).data?.findings;
  const describe = (id: string) => {
    const f = findings?.find((x) => x.id === id);
    if (!f) return undefined;
    return `${f.title}${f.server ? ` · ${f.server}` : ''} · ${f.location.file}`;
  };
  const targets = (f: { id: string; ruleId: string; status: string }) =>
    f.status === 'open' && (subject.findingIds ? subject.findingIds.includes(f.id) : f.ruleId === subject.ruleId);

  return (
    <ChangeFlow
      kind="fix-rule"
      heading={{ choose: `Fix all ${subject.count}`, applied: 'Fixed', undone: 'Undone' }}
      subtitle={
        <>
          <span className="mono">{subject.ruleId}</span> · {subject.title} · {plural(subject.count, 'finding')}
        </>
      }
      subtitleTitle={subject.title}
      request={{
        kind: 'fix-rule',
        ruleId: subject.ruleId,
        ...(subject.findingIds ? { findingIds: subject.findingIds } : {}),
      }}
      describeFinding={describe}
      afterRescan={(report) => {
        const left = report.findings.filter(targets).length;
        return {
          open: left > 0,
          text:
            left > 0
              ? `Rescanned: ${plural(left, 'finding')} of ${subject.count} still reported.`
              : `Rescanned: none of the ${subject.count} findings is reported any more.`,
        };
      }}
      onClose={onClose}
    />
  );
}
