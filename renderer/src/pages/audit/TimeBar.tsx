import { useState, type FormEvent } from 'react';
import { fromInputValue, QUICK_RANGES, toInputValue, zoneLabel, type TimeZoneMode } from './time.js';
import type { AuditView } from './view.js';

/**
 * Time controls: quick ranges (15 m … 30 d, all), a from/to picker and "jump to time", every time
 * read and shown in the page's zone.
 */
export function TimeBar({
  view,
  tz,
  onRange,
  onJump,
  canZoomOut,
  onZoomOut,
}: {
  view: AuditView;
  tz: TimeZoneMode;
  onRange: (r: Pick<AuditView, 'range' | 'since' | 'until'>) => void;
  onJump: (at: string) => void;
  canZoomOut: boolean;
  onZoomOut: () => void;
}) {
  const [from, setFrom] = useState(() => toInputValue(view.since, tz));
  const [to, setTo] = useState(() => toInputValue(view.until, tz));
  const [jump, setJump] = useState(() => toInputValue(view.at, tz, true));
  const [error, setError] = useState<string | null>(null);
  // The inputs follow the view (a zoom, a reload, a zone switch): state adjusted while rendering.
  const source = JSON.stringify([view.since, view.until, view.at, tz]);
  const [shownFor, setShownFor] = useState(source);
  if (shownFor !== source) {
    setShownFor(source);
    setFrom(toInputValue(view.since, tz));
    setTo(toInputValue(view.until, tz));
    setJump(toInputValue(view.at, tz, true));
  }

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const since = from ? fromInputValue(from, tz) : undefined;
    const until = to ? fromInputValue(to, tz) : undefined;
    if (since === null) return setError('From: not a date and time');
    if (until === null) return setError('To: not a date and time');
    if (since && until && since >= until) return setError('From must be before To');
    setError(null);
    onRange(since || until ? { range: 'custom', since, until } : { range: 'all' });
  };
  const go = (e: FormEvent) => {
    e.preventDefault();
    const at = fromInputValue(jump, tz);
    if (!at) return setError('Jump to: not a date and time');
    setError(null);
    onJump(at);
  };
  const zone = zoneLabel(tz);
  const [open, setOpen] = useState(view.range === 'custom' || !!view.at);
  return (
    <div className="audit-timebar">
      <div className="audit-quick" role="group" aria-label="Time range" data-testid="audit-quick">
        {QUICK_RANGES.map(([key, label]) => (
          <button
            key={key}
            type="button"
            className={`btn btn-seg${view.range === key ? ' on' : ''}`}
            aria-pressed={view.range === key}
            data-testid={`audit-range-${key}`}
            title={key === 'all' ? 'All events' : `The last ${label}`}
            onClick={() => onRange({ range: key })}
          >
            {label}
          </button>
        ))}
        {canZoomOut && (
          <button type="button" className="btn btn-ghost" onClick={onZoomOut} data-testid="audit-zoom-out">
            Zoom out
          </button>
        )}
        <button
          type="button"
          className={`btn btn-ghost audit-more-time${open ? ' on' : ''}`}
          aria-expanded={open}
          data-testid="audit-time-more"
          onClick={() => setOpen((o) => !o)}
        >
          From/to, jump…
        </button>
      </div>
      {open && (
        <>
          <form className="audit-range-form" onSubmit={apply} aria-label={`Custom range (${zone})`}>
            <input
              className="input"
              type="datetime-local"
              aria-label={`From (${zone})`}
              data-testid="audit-from"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
            />
            <span aria-hidden="true">–</span>
            <input
              className="input"
              type="datetime-local"
              aria-label={`To (${zone})`}
              data-testid="audit-to"
              value={to}
              onChange={(e) => setTo(e.target.value)}
            />
            <button
              type="submit"
              className={`btn${view.range === 'custom' ? ' on' : ''}`}
              data-testid="audit-range-apply"
            >
              Apply
            </button>
          </form>
          <form className="audit-range-form" onSubmit={go} aria-label={`Jump to time (${zone})`}>
            <input
              className="input"
              type="datetime-local"
              step={1}
              aria-label={`Jump to time (${zone})`}
              data-testid="audit-jump"
              value={jump}
              onChange={(e) => setJump(e.target.value)}
            />
            <button type="submit" className="btn" data-testid="audit-jump-go">
              Jump
            </button>
          </form>
        </>
      )}
      {error && (
        <span className="audit-timebar-error" role="alert" data-testid="audit-time-error">
          {error}
        </span>
      )}
    </div>
  );
}
