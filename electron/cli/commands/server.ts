import { parseArgs } from 'node:util';
import { AdminError } from '../../../shared/api/errors.js';
import { signInFromCli, signOutFromCli } from '../../services/live/oauth/cli.js';
import type { Command } from '../command.js';
import { DISCOVERY_FLAGS_HELP, discoveryFlags, formatFrom } from '../common-options.js';
import { contextFrom } from '../context.js';
import { UsageError } from '../usage-error.js';
import { openInBrowser } from './login.js';

const USAGE = `gatehouse server <login|logout> SERVER [options]

  Sign in to (or out of) an OAuth-protected remote MCP server from the live inventory, following the
  MCP authorization spec (protected resource metadata, authorization server metadata, dynamic or
  pre-registered client, PKCE, resource indicator; redirect to a loopback listener on 127.0.0.1).
  Tokens go to the secret store only; once signed in the server is enumerated and pinned.
  SERVER is the server's id (gatehouse scan --format json) or its name when unambiguous.

  login SERVER [--client-id ID] [--no-browser] [--timeout S]
  logout SERVER          revoke the tokens where the authorization server offers it, then delete them

  --client-id ID       a client id registered in advance (default: dynamic client registration)
  --no-browser         do not open a browser; only print the URL (also: GATEHOUSE_NO_BROWSER=1)
  --timeout S          seconds to wait for the browser (default 300)
  --format F           table | json (default table)
${DISCOVERY_FLAGS_HELP}`;

export const serverCommand: Command = {
  name: 'server',
  summary: 'Sign in to or out of OAuth-protected remote MCP servers',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        ...discoveryFlags,
        'client-id': { type: 'string' },
        'no-browser': { type: 'boolean' },
        timeout: { type: 'string' },
        format: { type: 'string' },
      },
    });
    const [sub, target, ...rest] = positionals;
    if (sub !== 'login' && sub !== 'logout') throw new UsageError('expected login or logout');
    if (!target) throw new UsageError(`server ${sub} needs a SERVER (id or name)`);
    if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`);
    const format = formatFrom(values.format, ['table', 'json'] as const, 'table');
    const timeoutS = values.timeout !== undefined ? Number(values.timeout) : 300;
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout must be seconds');
    const noBrowser = values['no-browser'] === true || process.env.GATEHOUSE_NO_BROWSER === '1';
    const ctx = contextFrom(values);
    try {
      if (sub === 'logout') {
        const r = await signOutFromCli(ctx, target);
        if (format === 'json') io.stdout(JSON.stringify(r, null, 2) + '\n');
        else
          io.stdout(
            !r.signedOut
              ? `Not signed in to ${r.name}.\n`
              : `Signed out of ${r.name}${r.revoked ? ' (tokens revoked at the authorization server)' : ' (no revocation offered; tokens deleted here)'}\n`,
          );
        return 0;
      }
      const r = await signInFromCli(ctx, target, {
        ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
        timeoutMs: timeoutS * 1000,
        openUrl: (url) => {
          io.stderr(`Sign in to the server's authorization server in the browser:\n  ${url}\n`);
          if (!noBrowser) openInBrowser(url);
        },
      });
      if (format === 'json') io.stdout(JSON.stringify(r, null, 2) + '\n');
      else
        io.stdout(
          `Signed in to ${r.name} at ${r.issuer}${r.expiresAt ? `; access token until ${r.expiresAt}` : ''} (tokens in the secret store)\n`,
        );
      return 0;
    } catch (err) {
      if (err instanceof AdminError) {
        io.stderr(`gatehouse server ${sub}: ${err.message}\n`);
        return 2;
      }
      throw err;
    } finally {
      ctx.db.close();
    }
  },
};
