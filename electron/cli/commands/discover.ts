import { parseArgs } from 'node:util';
import type { DiscoveryResult } from '../../../shared/model/discovery.js';
import { runDiscovery } from '../../services/discovery/handlers.js';
import type { Command } from '../command.js';
import { DISCOVERY_FLAGS_HELP, discoveryFlags, formatFrom, GATEWAY_FLAG_HELP, gatewayFlag } from '../common-options.js';
import { contextFrom } from '../context.js';
import { writeJson } from '../json-out.js';
import { renderTable } from '../table.js';

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'List every MCP server configured on the workstation',
  usage: `gatehouse discover [options]

${DISCOVERY_FLAGS_HELP}
${GATEWAY_FLAG_HELP}
  --format F           table | json (default table)`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { ...discoveryFlags, ...gatewayFlag, format: { type: 'string' } },
      strict: true,
    });
    const format = formatFrom(values.format, ['table', 'json'] as const, 'table');
    const ctx = contextFrom(values);
    try {
      const { run } = await runDiscovery(ctx);
      // Gateway code (HTTP clients, tenants) is loaded only when a gateway is asked for.
      const gwOption = values.gateway?.length ? await import('../gateway-option.js') : undefined;
      const gw = gwOption && values.gateway ? await gwOption.includeGateways(ctx, values.gateway) : undefined;
      if (format === 'json') await writeJson(io, gw ? { ...run.result, gateways: gw } : run.result);
      else io.stdout(discoveryTable(run.result) + (gw && gwOption ? gwOption.gatewayTables(gw) : ''));
      return gw && gw.sync.some((s) => !s.ok) ? 2 : 0;
    } finally {
      ctx.db.close();
    }
  },
};

function discoveryTable(result: DiscoveryResult): string {
  const servers = renderTable(
    ['CLIENT', 'SCOPE', 'NAME', 'TRANSPORT', 'COMMAND / URL', 'ENV', 'DISABLED'],
    result.servers.map((s) => [
      s.client,
      s.scope,
      s.name,
      s.transport,
      s.url ?? [s.command ?? '', ...(s.args ?? [])].join(' ').trim(),
      s.envKeys.join(','),
      s.disabled ? 'yes' : '',
    ]),
  );
  const problems = result.sources.filter((s) => s.status !== 'ok');
  const sourceLines = problems.map(
    (s) => `  ${s.status}: ${s.path}${s.line ? `:${s.line}` : ''}${s.error ? ` — ${s.error}` : ''}`,
  );
  return (
    servers +
    `\n${result.servers.length} server(s) in ${result.sources.length} config file(s)` +
    (problems.length ? `; ${problems.length} file(s) with problems:\n${sourceLines.join('\n')}\n` : '\n')
  );
}
