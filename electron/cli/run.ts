import type { Command } from './command.js';
import { processIo } from './command.js';
import { UsageError } from './usage-error.js';

interface CommandEntry {
  name: string;
  summary: string;
  /** Loaded on use, so one command's dependencies never slow down or break another. */
  load: () => Promise<Command>;
}

/** Every sub-command; capabilities add theirs here (one line each). */
export const COMMANDS: CommandEntry[] = [
  {
    name: 'discover',
    summary: 'List every MCP server configured on the workstation',
    load: async () => (await import('./commands/discover.js')).discoverCommand,
  },
  {
    name: 'serve',
    summary: 'Serve the admin console to a browser on 127.0.0.1 (browser mode)',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  {
    name: 'scan',
    summary: 'Find exposed, static or reused credentials and risky server configurations',
    load: async () => (await import('./commands/scan.js')).scanCommand,
  },
  {
    name: 'audit',
    summary: 'Import, query and verify the audit timeline',
    load: async () => (await import('./commands/audit.js')).auditCommand,
  },
  {
    name: 'gateway',
    summary: 'Configure MCP gateways (ContextForge) and read their tenant scopes',
    load: async () => (await import('./commands/gateway.js')).gatewayCommand,
  },
  {
    name: 'policy',
    summary: 'Pull, validate, diff, simulate, push, version and compile gateway policy',
    load: async () => (await import('./commands/policy.js')).policyCommand,
  },
  {
    name: 'login',
    summary: 'Sign in to the console identity provider (OIDC); your identity becomes the admin-log actor',
    load: async () => (await import('./commands/login.js')).loginCommand,
  },
  {
    name: 'whoami',
    summary: 'Show who Gatehouse records as the actor (the signed-in admin, or the OS user)',
    load: async () => (await import('./commands/login.js')).whoamiCommand,
  },
  {
    name: 'logout',
    summary: 'Sign out of the console identity provider (revokes, then deletes the tokens)',
    load: async () => (await import('./commands/login.js')).logoutCommand,
  },
  {
    name: 'server',
    summary: 'Sign in to or out of OAuth-protected remote MCP servers',
    load: async () => (await import('./commands/server.js')).serverCommand,
  },
  {
    name: 'fix',
    summary: 'Fix findings in place (masked diff, confirm, atomic write, undo)',
    load: async () => (await import('./commands/fix.js')).fixCommand,
  },
  {
    name: 'config',
    summary: 'Copy/move servers between clients, quarantine, list and undo changes, generate managed policy',
    load: async () => (await import('./commands/config.js')).configCommand,
  },
  {
    name: 'run',
    summary: 'Start an MCP server with credentials from the secret store',
    load: async () => (await import('./commands/run-launcher.js')).runLauncherCommand,
  },
  {
    name: 'fleet',
    summary: 'Fleet view of the team store (PostgreSQL): machines, servers, findings, shared credentials',
    load: async () => (await import('./commands/fleet.js')).fleetCommand,
  },
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `gatehouse — govern the MCP servers on this workstation

Usage: gatehouse <command> [options]   (gatehouse <command> --help for details)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
`;
}

export async function main(argv: string[], io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { packageVersion } = await import('../node/runtime.js');
    io.stdout(packageVersion() + '\n');
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`gatehouse: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const cmd = await entry.load();
  // bin/gatehouse.mjs compiles a scan's modules eagerly (into the compile cache); the rest lazily.
  (globalThis as Record<symbol, (() => void) | undefined>)[Symbol.for('gatehouse.cli.commandLoaded')]?.();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    const e = err as Error & { code?: string };
    // parseArgs errors (unknown flag, missing value) are usage errors too.
    const usage = e instanceof UsageError || (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS'));
    io.stderr(`gatehouse ${name}: ${e.message}\n${usage ? `\nUsage: ${cmd.usage}\n` : ''}`);
    return 2;
  }
}
