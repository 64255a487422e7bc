import { useState } from 'react';
import type { MergedInventory } from '../../../../shared/model/gateway.js';
import { useAdminQuery } from '../../client/index.js';
import './gateways.css';

/**
 * Servers that come from configured gateways, merged with workstation entries on the same upstream
 * URL, and the gateways' virtual servers. Renders nothing until a gateway is configured, so it can
 * sit under the Inventory table without changing it for users without gateways.
 */
export function GatewayInventorySection({ compact = false }: { compact?: boolean }) {
  const gateways = useAdminQuery('gateways.list', {});
  const inv = useAdminQuery('gateways.inventory', {}, { topics: ['discovery', 'gateways'] });
  // Under the Inventory table (compact) it is a drawer: closed on short windows so the table keeps the height.
  const [open, setOpen] = useState(() => !compact || window.innerHeight >= 880);
  if (!gateways.data?.length) return null;
  const count = inv.data
    ? `${inv.data.servers.length} upstreams · ${inv.data.virtualServers.length} virtual servers`
    : '';
  return (
    <section
      className={compact ? 'panel gw-drawer' : 'panel'}
      data-testid="gateway-inventory"
      data-open={open}
      aria-labelledby="gateway-inventory-title"
    >
      <header className="panel-head">
        <h2 id="gateway-inventory-title" className="gw-section-title">
          {compact ? (
            <button
              type="button"
              className="drawer-toggle"
              aria-expanded={open}
              aria-controls="gateway-inventory-body"
              onClick={() => setOpen(!open)}
              data-testid="gateway-inventory-toggle"
            >
              <span aria-hidden="true">{open ? '▾' : '▸'}</span> Gateway servers
            </button>
          ) : (
            'Gateway servers'
          )}
        </h2>
        <span className="muted">
          {count && `${count} · `}registered in {gateways.data.map((g) => g.name).join(', ')}
        </span>
      </header>
      <div className="panel-body" id="gateway-inventory-body" hidden={!open}>
        {inv.isError && (
          <div className="callout callout-error" role="alert">
            Could not load gateway servers: {inv.error.message}
          </div>
        )}
        {inv.data && <GatewayInventoryTables inv={inv.data} compact={compact} />}
      </div>
    </section>
  );
}

export function GatewayInventoryTables({ inv, compact }: { inv: MergedInventory; compact?: boolean }) {
  const rows = inv.servers.filter((s) => s.sources.some((x) => x.kind === 'gateway'));
  return (
    <>
      {inv.notes.map((n) => (
        <div key={n} className="callout" data-testid="gateway-inventory-note">
          {n}
        </div>
      ))}
      <table className="gw-table" data-testid="gateway-upstreams">
        <thead>
          <tr>
            <th>Upstream</th>
            <th>URL</th>
            <th>Transport</th>
            <th>Sources</th>
            <th>Tools</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No upstream servers yet: sync a gateway.
              </td>
            </tr>
          )}
          {rows.map((s) => (
            <tr key={s.key} data-testid="gateway-upstream-row" data-name={s.name}>
              <td>{s.name}</td>
              <td className="mono">{s.url}</td>
              <td>{s.transport}</td>
              <td>
                <span className="gw-tools">
                  {s.sources.map((x) =>
                    x.kind === 'gateway' ? (
                      <span
                        key={`g-${x.gatewayId}-${x.upstreamId}`}
                        className="badge badge-accent"
                        data-testid="source-gateway"
                      >
                        gateway: {x.gatewayName}
                      </span>
                    ) : (
                      <span key={`w-${x.serverId}`} className="badge" data-testid="source-workstation" title={x.file}>
                        {x.client}: {x.name}
                      </span>
                    ),
                  )}
                </span>
              </td>
              <td>{compact ? s.tools.length : <ToolChips names={s.tools.map((t) => t.name)} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="gw-table" data-testid="gateway-virtual-servers">
        <thead>
          <tr>
            <th>Virtual server</th>
            <th>Gateway</th>
            <th>Team</th>
            <th>Visibility</th>
            <th>Tools</th>
          </tr>
        </thead>
        <tbody>
          {inv.virtualServers.map((v) => (
            <tr key={`${v.gatewayId}-${v.id}`} data-testid="virtual-server-row" data-name={v.name}>
              <td>
                {v.name}
                {!v.enabled && <span className="badge badge-warn"> disabled</span>}
              </td>
              <td>{v.gatewayName}</td>
              <td>{v.teamName ?? <span className="muted">—</span>}</td>
              <td>
                <span className={`badge ${v.visibility === 'public' ? 'badge-warn' : ''}`}>{v.visibility}</span>
              </td>
              <td>{compact ? v.tools.length : <ToolChips names={v.tools.map((t) => t.name)} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function ToolChips({ names }: { names: string[] }) {
  return (
    <span className="gw-tools">
      {names.map((n) => (
        <span key={n} className="gw-chip">
          {n}
        </span>
      ))}
    </span>
  );
}
