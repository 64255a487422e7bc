import type { ReactNode } from 'react';
import type { ServerEntry } from '../../../../shared/model/discovery.js';
import { routeHref } from '../../app/router.js';
import type { PageProps } from '../../app/routes.js';
import { useAdminQuery } from '../../client/index.js';
import { ServerActions } from './ServerActions.js';
import { clientLabel, SOURCE_STATUS_LABELS } from '../../lib/labels.js';
import { severityClass } from '../findings/model.js';
import { useWorstSeverity } from '../findings/FindingCounts.js';
import { LivePanel } from './LivePanel.js';
import { ServerFindings } from './ServerFindings.js';
import './live.css';

function Row({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </>
  );
}

/** The server's worst open finding, in its header: risk is the first thing on its page. */
function RiskBadge({ serverId }: { serverId: string }) {
  const worst = useWorstSeverity(serverId);
  if (!worst) return null;
  return (
    <a
      href="#server-findings-title"
      className={severityClass(worst)}
      data-testid="server-risk"
      data-severity={worst}
      title="Worst open finding of this server"
      onClick={(e) => {
        e.preventDefault();
        document.getElementById('server-findings-title')?.scrollIntoView();
      }}
    >
      {worst} risk
    </a>
  );
}

function None() {
  return <span className="faint">—</span>;
}

function KeyList({ keys }: { keys: string[] }) {
  if (keys.length === 0) return <None />;
  return (
    <ul className="arg-list">
      {keys.map((k) => (
        <li key={k} className="key-chip">
          {k}
        </li>
      ))}
    </ul>
  );
}

/**
 * One configured server (`#/servers/<id>`), from the latest discovery run: every field of the
 * entry as discovered (values already masked by the service; env and headers are key names only).
 */
export default function ServerPage({ params }: PageProps) {
  const id = params[0] ?? '';
  const latest = useAdminQuery('discovery.latest', {});
  const server: ServerEntry | undefined = latest.data?.result.servers.find((s) => s.id === id);
  const source = server
    ? latest.data?.result.sources.find((s) => s.path === server.source && s.client === server.client)
    : undefined;

  return (
    <section className="page" data-testid="page-servers" aria-labelledby="server-title">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <a href={routeHref('inventory')} data-testid="server-back">
          Inventory
        </a>{' '}
        / <span>{server?.name ?? id}</span>
      </nav>
      {latest.isPending ? (
        <p className="muted">Loading…</p>
      ) : latest.isError ? (
        <div className="callout callout-error" role="alert">
          Could not load the inventory: {latest.error.message}
        </div>
      ) : !server ? (
        <div className="callout" role="status" data-testid="server-missing">
          No server with this id in the latest discovery run. It may have been removed from its config file since.
        </div>
      ) : (
        <>
          <header className="page-header">
            <h1 id="server-title">{server.name}</h1>
            <span className="badge">{clientLabel(server.client)}</span>
            <span className="badge">{server.scope}</span>
            <span className={server.transport === 'unknown' ? 'badge badge-warn' : 'badge badge-accent'}>
              {server.transport}
            </span>
            {server.disabled && <span className="badge badge-warn">disabled</span>}
            <RiskBadge serverId={server.id} />
            <span className="spacer" />
            <ServerActions server={server} />
          </header>
          <ServerFindings serverId={server.id} />
          <dl className="detail" data-testid="server-detail" data-server-id={server.id}>
            <Row label="Client">{clientLabel(server.client)}</Row>
            <Row label="Scope">
              {server.scope}
              {server.project ? <span className="muted"> · project {server.project}</span> : null}
            </Row>
            <Row label="Transport">{server.transport}</Row>
            {server.command !== undefined && (
              <Row label="Command" testId="server-command">
                <code>{server.command}</code>
              </Row>
            )}
            {server.command !== undefined && (
              <Row label="Arguments" testId="server-args">
                {server.args && server.args.length > 0 ? (
                  <ol className="arg-list">
                    {server.args.map((a, i) => (
                      <li key={i}>
                        <code className="key-chip">{a}</code>
                      </li>
                    ))}
                  </ol>
                ) : (
                  <None />
                )}
              </Row>
            )}
            {server.url !== undefined && (
              <Row label="URL" testId="server-url">
                <code>{server.url}</code>
              </Row>
            )}
            {server.cwd !== undefined && (
              <Row label="Working directory">
                <code>{server.cwd}</code>
              </Row>
            )}
            <Row label="Env keys" testId="server-env-keys">
              <KeyList keys={server.envKeys} />
            </Row>
            <Row label="Header keys" testId="server-header-keys">
              <KeyList keys={server.headerKeys} />
            </Row>
            <Row label="Disabled">{server.disabled ? 'yes' : 'no'}</Row>
            <Row label="Source file" testId="server-source">
              <code>{server.source}</code>
              {source && source.status !== 'ok' ? (
                <span className="muted"> ({SOURCE_STATUS_LABELS[source.status]})</span>
              ) : null}
            </Row>
            <Row label="Pointer" testId="server-pointer">
              <code>{server.pointer}</code>
            </Row>
            {server.problems && server.problems.length > 0 && (
              <Row label="Problems" testId="server-problems">
                <ul className="problem-list">
                  {server.problems.map((p, i) => (
                    <li key={i}>{p}</li>
                  ))}
                </ul>
              </Row>
            )}
            <Row label="Id">
              <code className="muted">{server.id}</code>
            </Row>
          </dl>
          <p className="faint">
            Values that carry credentials are masked. Environment variables and headers are listed by name only: the
            inventory API carries key names, not values (the consent dialog shows execution-affecting values).
          </p>
          <LivePanel serverId={server.id} transport={server.transport} disabled={server.disabled} />
        </>
      )}
    </section>
  );
}
