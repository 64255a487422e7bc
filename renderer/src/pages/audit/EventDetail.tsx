import type { AuditEvent } from '../../../../shared/model/audit.js';

const FIELDS: [keyof AuditEvent, string][] = [
  ['time', 'Time'],
  ['source', 'Source'],
  ['outcome', 'Outcome'],
  ['tenant', 'Tenant'],
  ['user.id', 'User (user.id)'],
  ['client', 'Client'],
  ['client.address', 'Client address'],
  ['mcp.method.name', 'Method (mcp.method.name)'],
  ['server', 'Server'],
  ['gen_ai.tool.name', 'Tool (gen_ai.tool.name)'],
  ['gen_ai.prompt.name', 'Prompt'],
  ['mcp.resource.uri', 'Resource'],
  ['reason', 'Reason'],
  ['error.type', 'error.type'],
  ['durationMs', 'Duration (ms)'],
  ['jsonrpc.request.id', 'jsonrpc.request.id'],
  ['mcp.session.id', 'mcp.session.id'],
  ['sourceRecordId', 'Source record id'],
];

/** One event: its normalized fields and the original record (masked, as plain text). */
export function EventDetail({ event, onClose }: { event: AuditEvent; onClose: () => void }) {
  return (
    <aside className="panel audit-detail" data-testid="audit-detail" aria-label="Event detail">
      <header className="panel-head">
        <h2>Event {event.id}</h2>
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
        <dl className="detail">
          {FIELDS.map(([k, label]) => {
            const v = event[k];
            if (v === null || v === undefined || v === '') return null;
            return (
              <div key={k} className="detail-pair" data-field={k}>
                <dt>{label}</dt>
                <dd className={k === 'time' || k === 'outcome' ? '' : 'mono'}>
                  {k === 'time' ? `${new Date(String(v)).toLocaleString()} (${String(v)})` : String(v)}
                </dd>
              </div>
            );
          })}
        </dl>
        <h3 className="audit-original-title">Original record</h3>
        <pre className="audit-original" data-testid="audit-original">
          {JSON.stringify(event.original, null, 2)}
        </pre>
      </div>
    </aside>
  );
}
