import { useRef, useState } from 'react';
import type { ExportChunk } from '../../../../shared/api/audit.js';
import type { AuditExportFormat, AuditFilter, AuditScope } from '../../../../shared/model/audit.js';
import { useAdminClient } from '../../client/index.js';

/**
 * Export of the current filter: the service renders chunks by keyset cursor (`audit.export`), the
 * page collects them with progress and saves one file. Same path over IPC and HTTP; the file is
 * assembled in the page's memory (a Blob), so very large exports cost memory here. The first chunk
 * carries the admin log's anchor (count + head MAC), shown with the result so it can be recorded.
 */
export function ExportButton({ filter, scope }: { filter: AuditFilter; scope: AuditScope }) {
  const client = useAdminClient();
  const [format, setFormat] = useState<AuditExportFormat>('csv');
  const [progress, setProgress] = useState<{ done: number; total: number | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [lastDone, setLastDone] = useState<number | null>(null);
  const [anchor, setAnchor] = useState<ExportChunk['adminLogAnchor']>(null);
  const cancel = useRef(false);

  const run = async () => {
    cancel.current = false;
    setError(null);
    setLastDone(null);
    setAnchor(null);
    setProgress({ done: 0, total: null });
    const parts: string[] = [];
    let cursor: string | null = null;
    let total: number | null = null;
    let done = 0;
    try {
      do {
        const c: ExportChunk = await client.invoke('audit.export', {
          filter,
          format,
          cursor,
          limit: 5000,
          scope,
        });
        if (c.total !== null) total = c.total;
        if (c.adminLogAnchor !== undefined) setAnchor(c.adminLogAnchor);
        parts.push(c.chunk);
        done += c.rows;
        setProgress({ done, total });
        cursor = c.nextCursor;
      } while (cursor && !cancel.current);
      if (cancel.current) return;
      const blob = new Blob(parts, { type: format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `gatehouse-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.${format === 'csv' ? 'csv' : 'jsonl'}`;
      a.dataset.testid = 'audit-export-link';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setLastDone(done);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setProgress(null);
    }
  };

  return (
    <span className="audit-export">
      <select
        className="select"
        aria-label="Export format"
        data-testid="audit-export-format"
        value={format}
        onChange={(e) => setFormat(e.target.value as AuditExportFormat)}
        disabled={progress !== null}
      >
        <option value="csv">CSV</option>
        <option value="jsonl">JSON lines</option>
      </select>
      {progress ? (
        <>
          <span className="progress" role="status" aria-live="polite" data-testid="audit-export-progress">
            {progress.done.toLocaleString()}
            {progress.total !== null ? ` / ${progress.total.toLocaleString()}` : ''}
            <span className="progress-bar" aria-hidden="true">
              <span
                style={{
                  width: `${progress.total ? Math.round((100 * progress.done) / Math.max(1, progress.total)) : 5}%`,
                }}
              />
            </span>
          </span>
          <button type="button" className="btn btn-ghost" onClick={() => (cancel.current = true)}>
            Cancel
          </button>
        </>
      ) : (
        <button
          type="button"
          className="btn"
          data-testid="audit-export"
          onClick={() => void run()}
          title="Export every event matching the filter"
        >
          Export
        </button>
      )}
      {lastDone !== null && (
        <span className="muted" role="status" data-testid="audit-export-done">
          {lastDone.toLocaleString()} exported
          {anchor
            ? ` · ${scope === 'team' ? 'team store ' : ''}admin log anchored at ${anchor.count.toLocaleString()} entries (head ${anchor.headHash.slice(0, 16)}…, ${anchor.at})`
            : ''}
        </span>
      )}
      {error && (
        <span className="callout callout-error" role="alert">
          Export failed: {error}
        </span>
      )}
    </span>
  );
}
