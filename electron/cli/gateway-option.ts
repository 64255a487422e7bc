import type { MergedInventory } from '../../shared/model/gateway.js';
import { SEVERITY_ORDER, type Severity } from '../../shared/model/finding.js';
import type { ScopeFinding } from '../../shared/model/tenant.js';
import type { ServiceContext } from '../services/context.js';
import { gatewayInventory } from '../services/gateways/handlers.js';
import { syncGateways, type SyncOutcome } from '../services/gateways/service.js';
import { scopeFindings } from '../services/tenants/service.js';
import { renderTable } from './table.js';

// The flag itself lives in common-options.ts (commands load this module only when it is given).
export { GATEWAY_FLAG_HELP, gatewayFlag } from './common-options.js';

export interface GatewayInclusion {
  sync: SyncOutcome[];
  inventory: MergedInventory;
  findings: ScopeFinding[];
}

/** Syncs the named gateways, then returns the merged inventory and their scope findings. */
export async function includeGateways(ctx: ServiceContext, names: string[]): Promise<GatewayInclusion> {
  const sync: SyncOutcome[] = [];
  for (const n of names) sync.push(...(await syncGateways(ctx, n)));
  const wanted = new Set(sync.map((s) => s.gatewayId));
  const inventory = gatewayInventory(ctx);
  const findings = [...wanted].flatMap((id) => scopeFindings(ctx, id));
  return { sync, inventory, findings };
}

export function gatewayTables(g: GatewayInclusion): string {
  const failed = g.sync.filter((s) => !s.ok);
  const servers = renderTable(
    ['NAME', 'URL', 'TRANSPORT', 'SOURCES', 'TOOLS'],
    g.inventory.servers
      .filter((s) => s.sources.some((x) => x.kind === 'gateway'))
      .map((s) => [
        s.name,
        s.url ?? '',
        s.transport,
        s.sources.map((x) => (x.kind === 'gateway' ? `gateway:${x.gatewayName}` : `${x.client}`)).join(','),
        String(s.tools.length),
      ]),
  );
  const virtual = renderTable(
    ['GATEWAY', 'VIRTUAL SERVER', 'TEAM', 'VISIBILITY', 'TOOLS'],
    g.inventory.virtualServers.map((v) => [
      v.gatewayName,
      v.name,
      v.teamName ?? '',
      v.visibility,
      String(v.tools.length),
    ]),
  );
  return (
    `\nGateway upstreams\n${servers}\nVirtual servers\n${virtual}` +
    (failed.length ? `\n${failed.map((f) => `gateway sync failed: ${f.message}`).join('\n')}\n` : '')
  );
}

/** Scope findings as a table (for `scan --gateway` in table format). */
export function scopeFindingsTable(findings: ScopeFinding[]): string {
  if (findings.length === 0) return 'No gateway scope findings.\n';
  return (
    '\nGateway scope findings\n' +
    renderTable(
      ['SEVERITY', 'RULE', 'GATEWAY', 'SUBJECT', 'TITLE'],
      findings.map((f) => [f.severity, f.ruleId, f.gatewayName, `${f.subject.type} ${f.subject.name}`, f.title]),
    ) +
    `\n${findings.length} gateway scope finding(s)\n`
  );
}

/** 1 when an open (not suppressed) scope finding is at or above the --fail-on threshold. */
export function scopeExitCode(findings: ScopeFinding[], failOn: Severity): 0 | 1 {
  const limit = SEVERITY_ORDER.indexOf(failOn);
  return findings.some((f) => f.status === 'open' && SEVERITY_ORDER.indexOf(f.severity) <= limit) ? 1 : 0;
}
