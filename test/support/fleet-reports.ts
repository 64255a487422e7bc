import type { FleetReport } from '../../shared/model/fleet.js';

/** A synthetic workstation's report: `n` servers, a shared leaked key on every third machine. */
export function syntheticReport(i: number, scannedAt: string): FleetReport {
  const machineId = `ws-${String(i).padStart(2, '0')}`;
  const servers = Array.from({ length: 3 }, (_, k) => ({
    serverId: `${machineId}-s${k}`,
    name: ['github', 'filesystem', 'memory'][k]!,
    client: 'cursor',
    scope: 'user',
    transport: 'stdio',
    command: 'npx',
    ecosystem: 'npm',
    package: ['@modelcontextprotocol/server-github', '@modelcontextprotocol/server-filesystem', 'mem'][k]!,
    ...(k === 0 ? { version: i % 2 ? '1.0.0' : '2.0.0' } : {}),
    disabled: false,
  }));
  const findings = [
    {
      findingId: `f-${machineId}-literal`,
      ruleId: 'secret.literal',
      severity: 'high',
      status: 'open',
      title: 'Credential in config',
      client: 'cursor',
      server: 'github',
      file: '/home/u/.cursor/mcp.json',
      pointer: '/mcpServers/github/env/GITHUB_TOKEN',
      evidence: 'ghp_…abcd',
      fingerprint: i % 3 === 0 ? 'tf1:' + 'a'.repeat(32) : 'tf1:' + i.toString(16).padStart(32, '0'),
      secretType: 'github-token',
    },
    {
      findingId: `f-${machineId}-unpinned`,
      ruleId: 'runner.unpinned',
      severity: 'medium',
      status: i % 4 === 0 ? 'suppressed' : 'open',
      title: 'Unpinned',
      client: 'cursor',
      server: 'memory',
      file: '/home/u/.cursor/mcp.json',
      pointer: '/mcpServers/memory/args/1',
    },
  ];
  return {
    machine: { machineId, hostname: `host-${i}`, osUser: 'dev', platform: 'linux' },
    scannedAt,
    gatehouseVersion: '0.1.0',
    servers,
    findings,
  };
}
