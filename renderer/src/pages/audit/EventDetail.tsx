import type { AuditEvent } from '../../../../shared/model/audit.js';
import { CopyId } from './CopyId.js';
import { targetOf } from './EventList.js';
import { formatTime, zoneLabel, type TimeZoneMode } from './time.js';

/** Long opaque values: shown shortened with a copy button (full value in the title). */
const ID_FIELDS = new Set<keyof AuditEvent>(['sourceRecordId', 'jsonrpc.request.id', 'mcp.session.id']);

function fields(e: AuditEvent): [keyof AuditEvent, string][] {
  // Gatehouse's own actions: `user.id` is the recorded actor (the signed-in admin or OS account + surface).
  const own = e.sourceKind === 'gatehouse';
  return [
    ['source', 'Source'],
    ['outcome', 'Outcome'],
    ['tenant', 'Tenant'],
    ['user.id', own ? 'Actor (recorded identity)' : 'User (user.id)'],
    ['client', own ? 'Surface' : 'Client'],
    ['client.address', 'Client address'],
    ['mcp.method.name', own ? 'Action' : 'Method (mcp.method.name)'],
    ['server', 'Server'],
    ['gen_ai.tool.name', 'Tool (gen_ai.tool.name)'],
    ['gen_ai.prompt.name', 'Prompt'],
    ['mcp.resource.uri', 'Resource'],
    ['reason', own ? 'Target / reason' : 'Reason'],
    ['error.type', 'error.type'],
    ['durationMs', 'Duration (ms)'],
    ['jsonrpc.request.id', 'jsonrpc.request.id'],
    ['mcp.session.id', 'mcp.session.id'],
    ['sourceRecordId', 'Source record id'],
  ];
}

/**
 * One event: a readable title, its normalized fields (ids shortened with copy), the original record
 * (masked), and "View in context" (the events around it, filters cleared). A side panel on wide
 * windows, an overlay drawer on narrow ones (the list keeps its columns); Escape closes it. Focus
 * stays in the list (arrows move the selection and the detail follows); Tab reaches the detail.
 */
export function EventDetail({
  event,
  tz,
  onClose,
  onContext,
}: {
  event: AuditEvent;
  tz: TimeZoneMode;
  onClose: () => void;
  onContext: (e: AuditEvent) => void;
}) {
  const what = [event['mcp.method.name'], targetOf(event)].filter(Boolean).join(' · ') || 'Event';
  return (
    <aside
      className="panel audit-detail"
      data-testid="audit-detail"
      aria-labelledby="audit-detail-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <header className="panel-head audit-detail-head">
        <h2 id="audit-detail-title" title={what}>
          {what}
        </h2>
        <span className="spacer" />
        <button
          type="button"
          className="btn btn-ghost"
          onClick={onClose}
          aria-label="Close detail"
          data-testid="audit-detail-close"
        >
          ✕
        </button>
      </header>
      <div className="panel-body audit-detail-body">
        <div className="audit-detail-summary">
          <span className={`badge audit-outcome-${event.outcome}`}>{event.outcome}</span>
          <span className="mono" data-testid="audit-detail-time">
            {formatTime(event.time, tz, { ms: true })}
          </span>
          <span className="muted">{zoneLabel(tz, Date.parse(event.time))}</span>
        </div>
        <div className="audit-detail-actions">
          <button
            type="button"
            className="btn"
            data-testid="audit-context"
            onClick={() => onContext(event)}
            title="Show the events around this one in time, with every filter cleared"
          >
            View in context
          </button>
          <span className="muted">
            Event id <CopyId value={event.id} label="event id" />
          </span>
        </div>
        <dl className="detail">
          <div className="detail-pair" data-field="time">
            <dt>Time (UTC)</dt>
            <dd className="mono">{event.time}</dd>
          </div>
          {fields(event).map(([k, label]) => {
            const v = event[k];
            if (v === null || v === undefined || v === '') return null;
            const text = String(v);
            return (
              <div key={k} className="detail-pair" data-field={k}>
                <dt>{label}</dt>
                <dd className={k === 'outcome' ? '' : 'mono'} title={text}>
                  {ID_FIELDS.has(k) && text.length > 12 ? <CopyId value={text} label={label} /> : text}
                </dd>
              </div>
            );
          })}
        </dl>
        <h3 className="audit-original-title">Original record (credentials masked)</h3>
        <pre className="audit-original" data-testid="audit-original">
          {JSON.stringify(event.original, null, 2)}
        </pre>
      </div>
    </aside>
  );
}
