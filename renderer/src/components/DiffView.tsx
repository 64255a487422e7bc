import { useMemo } from 'react';
import './config-change.css';

export interface DiffLine {
  kind: 'context' | 'add' | 'del' | 'hunk';
  text: string;
  /** Line number in the old file (context and removed lines). */
  oldNo?: number;
  /** Line number in the new file (context and added lines). */
  newNo?: number;
}

/**
 * Parses a unified diff (as the config-write service produces it: `---`/`+++` headers, `@@` hunks)
 * into numbered lines. The file headers are dropped: the dialog names the file itself.
 */
export function parseUnifiedDiff(diff: string): DiffLine[] {
  const out: DiffLine[] = [];
  // Within a run of changed lines, removals are shown before additions (as `diff -u` does), whatever
  // order the producer interleaved them in; each line keeps its own number.
  let run: DiffLine[] = [];
  const flush = () => {
    out.push(...run.filter((l) => l.kind === 'del'), ...run.filter((l) => l.kind === 'add'));
    run = [];
  };
  let oldNo = 0;
  let newNo = 0;
  for (const line of diff.split('\n')) {
    if (!line.startsWith('+') && !line.startsWith('-')) flush();
    if (line.startsWith('--- ') || line.startsWith('+++ ')) continue;
    const h = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (h) {
      oldNo = Number(h[1]);
      newNo = Number(h[2]);
      out.push({ kind: 'hunk', text: line });
      continue;
    }
    if (line.startsWith('+')) run.push({ kind: 'add', text: line.slice(1), newNo: newNo++ });
    else if (line.startsWith('-')) run.push({ kind: 'del', text: line.slice(1), oldNo: oldNo++ });
    else if (line.startsWith(' ')) out.push({ kind: 'context', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
    else if (line.startsWith('\\')) out.push({ kind: 'hunk', text: line });
  }
  flush();
  return out;
}

const SIGN: Record<DiffLine['kind'], string> = { context: ' ', add: '+', del: '−', hunk: '' };

/**
 * A unified diff, line-numbered (old | new), added lines green and removed red, with the +/− sign
 * kept as text so the meaning never rests on color alone. Monospace; scrolls both ways.
 * The text is shown as given: callers pass the service's masked diff, never raw file contents.
 */
export function DiffView({ diff, label, testId = 'diff-view' }: { diff: string; label: string; testId?: string }) {
  const lines = useMemo(() => parseUnifiedDiff(diff), [diff]);
  if (lines.length === 0)
    return (
      <div className="diff-empty muted" data-testid={testId}>
        No content change.
      </div>
    );
  const adds = lines.filter((l) => l.kind === 'add').length;
  const dels = lines.filter((l) => l.kind === 'del').length;
  return (
    <div
      className="diff-scroll"
      data-testid={testId}
      role="region"
      aria-label={`${label}: ${adds} line${adds === 1 ? '' : 's'} added, ${dels} removed`}
      tabIndex={0}
    >
      <table className="diff">
        <thead className="cc-sr-only">
          <tr>
            <th scope="col">Old line</th>
            <th scope="col">New line</th>
            <th scope="col">Change</th>
            <th scope="col">Text</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l, i) =>
            l.kind === 'hunk' ? (
              <tr key={i} className="diff-hunk">
                <td colSpan={4}>{l.text}</td>
              </tr>
            ) : (
              <tr key={i} className={`diff-${l.kind}`} data-kind={l.kind}>
                <td className="diff-no">{l.oldNo ?? ''}</td>
                <td className="diff-no">{l.newNo ?? ''}</td>
                <td className="diff-sign" aria-label={l.kind === 'add' ? 'added' : l.kind === 'del' ? 'removed' : ''}>
                  {SIGN[l.kind]}
                </td>
                <td className="diff-text">{l.text}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}
