import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { openNodeSecretStore } from '../../node/secret-store.js';
import type { CliIo, Command } from '../command.js';
import { stateDirFrom } from '../common-options.js';
import { UsageError } from '../usage-error.js';

/**
 * `gatehouse run --env VAR=secret:NAME … -- <command> [args…]`: the launcher a fixed config wraps a
 * stdio server with when its client has no reference syntax. It reads each secret from the OS
 * secret store at spawn and starts the server with it in its environment only; stdio is passed
 * straight through (the MCP stream), the value is never printed, and a missing secret or a locked
 * store stops here with a clear message: the server is not started without its credential.
 */
export const runLauncherCommand: Command = {
  name: 'run',
  summary: 'Start an MCP server with credentials from the secret store (used by fixed configs)',
  usage: `gatehouse run [--state DIR] --env VAR=secret:NAME [--env …] -- <command> [args…]`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const sep = argv.indexOf('--');
    if (sep < 0 || sep === argv.length - 1) throw new UsageError('the server command goes after --');
    const { values } = parseArgs({
      args: argv.slice(0, sep),
      options: { env: { type: 'string', multiple: true }, state: { type: 'string' } },
      strict: true,
    });
    const [command, ...args] = argv.slice(sep + 1);
    const pairs = (values.env ?? []).map((p) => {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=secret:(.+)$/.exec(p);
      if (!m) throw new UsageError(`--env takes VAR=secret:NAME (got "${p.split('=')[0]}=…")`);
      return { name: m[1]!, key: m[2]! };
    });
    const env: Record<string, string | undefined> = { ...process.env };
    let store;
    try {
      store = openNodeSecretStore(stateDirFrom(values));
    } catch (err) {
      io.stderr(
        `gatehouse run: the secret store cannot be opened (${(err as Error).message}); ${command} was not started.\n`,
      );
      return 1;
    }
    for (const p of pairs) {
      let value: string | null;
      try {
        value = await store.get(p.key);
      } catch (err) {
        io.stderr(
          `gatehouse run: the secret store (${store.kind}) is locked or unavailable (${(err as Error).message}); ${command} was not started.\n`,
        );
        return 1;
      }
      if (value === null || value === '') {
        io.stderr(
          `gatehouse run: secret "${p.key}" (for ${p.name}) is not in the secret store (${store.kind}); ${command} was not started. Re-apply the fix in Gatehouse, or undo it to restore the original configuration.\n`,
        );
        return 1;
      }
      env[p.name] = value;
    }
    return new Promise<number>((resolve) => {
      const child = spawn(command!, args, { stdio: 'inherit', env });
      const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
      const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
      for (const [s, h] of handlers) process.on(s, h);
      const done = (code: number) => {
        for (const [s, h] of handlers) process.off(s, h);
        resolve(code);
      };
      child.on('error', (err: NodeJS.ErrnoException) => {
        io.stderr(`gatehouse run: cannot start ${command} (${err.code ?? err.message}).\n`);
        done(127);
      });
      child.on('exit', (code, signal) => done(code ?? (signal ? 128 + 1 : 1)));
    });
  },
};
