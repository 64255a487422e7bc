import type { ChangePreview } from '../../../../shared/model/config-write.js';
import { DiffView } from '../DiffView.js';
import { plural, skippedByReason } from './undo.js';

/** Up to this many files the diffs start expanded; beyond it the admin opens the ones to read. */
const OPEN_UP_TO = 4;

/**
 * What a previewed change will write: every file (one collapsible section each: kind, path,
 * summary, masked diff) with the file count, and for a bulk preview the findings left out, by
 * reason. Diffs are the service's masked text; nothing here holds a value.
 */
export function PreviewFiles({
  preview,
  describeFinding,
}: {
  preview: ChangePreview;
  /** How to name a skipped finding (its title, server); the id when unknown. */
  describeFinding?: (findingId: string) => string | undefined;
}) {
  const n = preview.files.length;
  const skipped = skippedByReason(preview.skipped);
  return (
    <div className="cc-preview" data-testid="fix-preview" data-files={n} data-skipped={preview.skipped.length}>
      <p>
        <strong>{preview.title}</strong>{' '}
        <span className="muted" data-testid="fix-file-count">
          — {n === 0 ? 'nothing to write.' : `${plural(n, 'file')} will be written.`} Secret values are masked; files
          keep their comments and formatting.
        </span>
      </p>
      {preview.files.map((f) => (
        <details key={f.file} className="cc-file" data-testid="fix-file" data-file={f.file} open={n <= OPEN_UP_TO}>
          <summary className="cc-file-head">
            <span className={f.kind === 'chmod' ? 'badge badge-accent' : 'badge'}>{f.kind}</span>
            <span className="cc-file-path" title={f.file}>
              <bdi>{f.file}</bdi>
            </span>
          </summary>
          <div className="muted cc-file-summary">{f.summary}</div>
          {f.kind === 'edit' && <DiffView diff={f.diff} label={f.file} testId="fix-diff" />}
        </details>
      ))}
      {skipped.length > 0 && (
        <div className="callout callout-warn cc-skipped" data-testid="fix-skipped" data-count={preview.skipped.length}>
          <strong>{plural(preview.skipped.length, 'finding')} left out</strong> (fix them one by one, or by hand):
          <ul>
            {skipped.map((s) => (
              <li key={s.reason} data-testid="fix-skipped-reason">
                {s.reason} <span className="muted">({s.findingIds.length})</span>
                <ul className="cc-skipped-items">
                  {s.findingIds.map((id) => (
                    <li key={id} className="muted" data-testid="fix-skipped-item" data-id={id}>
                      {describeFinding?.(id) ?? id}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
