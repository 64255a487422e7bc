import type { ConfigSource, SourceStatus } from '../../../../shared/model/discovery.js';
import { clientLabel, commonDir, SOURCE_STATUS_LABELS } from '../../lib/labels.js';

const STATUS_ORDER: Record<SourceStatus, number> = { 'parse-error': 0, unreadable: 1, unsupported: 2, ok: 3 };
const STATUS_BADGE: Record<SourceStatus, string> = {
  ok: 'badge badge-ok',
  'parse-error': 'badge badge-danger',
  unreadable: 'badge badge-danger',
  unsupported: 'badge badge-warn',
};

/** Key of a source in server counts (a path can, in principle, be read by two clients). */
export function sourceKey(client: string, path: string): string {
  return `${client}\u0000${path}`;
}

function problem(s: ConfigSource): string | null {
  if (s.status === 'ok') return null;
  const where = s.line !== undefined ? `line ${s.line}: ` : '';
  return where + (s.error ?? SOURCE_STATUS_LABELS[s.status]);
}

/**
 * Every config file discovery looked at, problems first, with the reason and line of each.
 * Collapsible to a narrow rail that keeps the file count and the problem count in view.
 */
export function SourcesPanel({
  sources,
  serverCounts,
  open,
  onOpenChange,
}: {
  sources: ConfigSource[];
  serverCounts: Map<string, number>;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const sorted = [...sources].sort(
    (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.path.localeCompare(b.path),
  );
  const problems = sources.filter((s) => s.status !== 'ok').length;
  // Paths are shown relative to the folder they all share (full path on hover and in data-path).
  const base = commonDir(sources.map((s) => s.path));
  const shown = (path: string) => (base ? path.slice(base.length + 1) : path);
  if (!open) {
    return (
      <aside className="sources-rail" data-testid="sources-rail" aria-label="Sources (collapsed)">
        <button
          type="button"
          className="sources-rail-btn"
          data-testid="sources-expand"
          aria-expanded={false}
          aria-controls="sources-panel"
          title={`Show the ${sources.length} config files looked at`}
          onClick={() => onOpenChange(true)}
        >
          <span className="sources-rail-chevron" aria-hidden="true">
            «
          </span>
          <span className="badge" data-testid="sources-count">
            {sources.length}
          </span>
          {problems > 0 && (
            <span
              className="badge badge-danger"
              data-testid="sources-problem-count"
              title={`${problems} with problems`}
            >
              {problems}
            </span>
          )}
          <span className="sources-rail-label">Sources</span>
        </button>
      </aside>
    );
  }
  return (
    <section
      id="sources-panel"
      className="panel sources-panel"
      data-testid="sources-panel"
      aria-labelledby="sources-title"
    >
      <header className="panel-head">
        <h2 id="sources-title">Sources</h2>
        <span className="badge" data-testid="sources-count" title="Config files looked at">
          {sources.length}
        </span>
        {problems > 0 && (
          <span className="badge badge-danger" data-testid="sources-problem-count">
            {problems} with problems
          </span>
        )}
        <span className="spacer" style={{ flex: 1 }} />
        <button
          type="button"
          className="btn btn-ghost sources-collapse"
          data-testid="sources-collapse"
          aria-expanded={true}
          aria-controls="sources-panel"
          aria-label="Collapse sources"
          title="Collapse the Sources panel"
          onClick={() => onOpenChange(false)}
        >
          »
        </button>
      </header>
      {base && (
        <div className="panel-sub mono" title={base} data-testid="sources-base">
          in {base}
        </div>
      )}
      {/* Focusable so the list scrolls from the keyboard too (axe scrollable-region-focusable). */}
      <div className="panel-body" tabIndex={0} role="region" aria-label="Config files">
        {sorted.length === 0 ? (
          <p className="grid-empty">No MCP config files were found in the places Gatehouse looks.</p>
        ) : (
          <ul className="source-list">
            {sorted.map((s) => {
              const err = problem(s);
              const n = serverCounts.get(sourceKey(s.client, s.path)) ?? 0;
              return (
                <li
                  key={`${s.client}\u0000${s.path}`}
                  className="source-row"
                  data-testid="source-row"
                  data-status={s.status}
                  data-client={s.client}
                  data-path={s.path}
                >
                  <span className="source-path" title={s.path}>
                    {shown(s.path)}
                  </span>
                  <span className={STATUS_BADGE[s.status]}>{SOURCE_STATUS_LABELS[s.status]}</span>
                  <span className="source-meta">
                    {clientLabel(s.client)} · {s.scope}
                    {s.status === 'ok' ? ` · ${n} server${n === 1 ? '' : 's'}` : ''}
                  </span>
                  {err && (
                    <span className="source-error" data-testid="source-error">
                      {err}
                    </span>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </section>
  );
}
