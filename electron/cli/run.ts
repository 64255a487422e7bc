import type { Command } from './command.js';
import { processIo } from './command.js';
import { discoverCommand } from './commands/discover.js';
import { serveCommand } from './commands/serve.js';
import { UsageError } from './usage-error.js';

/** Every sub-command; capabilities add theirs here. */
export const COMMANDS: Command[] = [discoverCommand, serveCommand];

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
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.stderr(`gatehouse: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
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
