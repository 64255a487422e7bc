import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { AdminError } from '../../../shared/api/errors.js';
import type { IdentitySession } from '../../../shared/model/identity.js';
import { appendAdminAction } from '../../services/audit/admin-log.js';
import type { ServiceContext } from '../../services/context.js';
import { consoleLoginRecord, consoleSignOut } from '../../services/identity/handlers.js';
import {
  actorOf,
  CONSOLE_KEY,
  getProvider,
  getSession,
  setProvider,
  signIn,
} from '../../services/identity/sessions.js';
import type { Command, CliIo } from '../command.js';
import { formatFrom } from '../common-options.js';
import { contextFrom } from '../context.js';
import { UsageError } from '../usage-error.js';

const LOGIN_USAGE = `gatehouse login [--issuer URL --client-id ID] [--scope S]... [--device] [--no-browser]

  Signs the admin in to the console's identity provider (OpenID Connect, PKCE, loopback redirect on
  127.0.0.1). The signed-in admin becomes the actor of every admin-log entry.

  --issuer URL         configure the console identity provider (saved; needed once)
  --client-id ID       its native (public) client id, registered with redirect http://127.0.0.1/callback
  --scope S            a scope to request (repeatable; default openid email profile offline_access)
  --device             use the device authorization grant (enter a code on another device)
  --no-browser         do not open a browser; only print the URL (also: GATEHOUSE_NO_BROWSER=1)
  --timeout S          seconds to wait for the browser (default 300)
  --format F           table | json (default table)
  --state DIR          local store (default: OS app-data folder, or $GATEHOUSE_STATE)`;

/** Opens a URL in the system browser; errors are ignored (the URL is printed anyway). */
export function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    /* printed below anyway */
  }
}

function describe(s: IdentitySession): string {
  return `${s.email ?? s.subject} (subject ${s.subject} at ${s.issuer})`;
}

async function withContext(
  state: string | undefined,
  io: CliIo,
  name: string,
  fn: (ctx: ServiceContext) => Promise<number>,
): Promise<number> {
  const ctx = contextFrom({ state });
  try {
    return await fn(ctx);
  } catch (err) {
    if (err instanceof AdminError) {
      io.stderr(`gatehouse ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    ctx.db.close();
  }
}

export const loginCommand: Command = {
  name: 'login',
  summary: 'Sign in to the console identity provider (OIDC); your identity becomes the admin-log actor',
  usage: LOGIN_USAGE,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        scope: { type: 'string', multiple: true },
        device: { type: 'boolean' },
        'no-browser': { type: 'boolean' },
        timeout: { type: 'string' },
        format: { type: 'string' },
        state: { type: 'string' },
      },
    });
    const format = formatFrom(values.format, ['table', 'json'] as const, 'table');
    if ((values.issuer === undefined) !== (values['client-id'] === undefined))
      throw new UsageError('--issuer and --client-id go together');
    const timeoutS = values.timeout !== undefined ? Number(values.timeout) : 300;
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout must be seconds');
    const noBrowser = values['no-browser'] === true || process.env.GATEHOUSE_NO_BROWSER === '1';
    return withContext(values.state, io, 'login', async (ctx) => {
      if (values.issuer !== undefined) {
        const p = setProvider(ctx, CONSOLE_KEY, {
          issuer: values.issuer,
          clientId: values['client-id']!,
          scopes: values.scope?.length ? values.scope : ['openid', 'email', 'profile', 'offline_access'],
        });
        appendAdminAction(ctx.db, ctx.clock, {
          action: 'identity.provider.set',
          target: CONSOLE_KEY,
          actor: actorOf(ctx),
          details: { issuer: p.issuer, clientId: p.clientId, scopes: p.scopes },
        });
      } else if (!getProvider(ctx, CONSOLE_KEY)) {
        throw new UsageError('no console identity provider is configured yet: give --issuer and --client-id');
      }
      const session = await signIn(ctx, CONSOLE_KEY, {
        timeoutMs: timeoutS * 1000,
        record: consoleLoginRecord(ctx),
        ...(values.device
          ? {
              device: ({ verificationUri, verificationUriComplete, userCode }) =>
                io.stderr(
                  `To sign in, open ${verificationUri} and enter the code ${userCode}\n` +
                    (verificationUriComplete ? `  (or open ${verificationUriComplete})\n` : ''),
                ),
            }
          : {
              openUrl: (url: string) => {
                io.stderr(`Sign in with your identity provider in the browser:\n  ${url}\n`);
                if (!noBrowser) openInBrowser(url);
              },
            }),
      });
      if (format === 'json') io.stdout(JSON.stringify({ session, actor: actorOf(ctx) }, null, 2) + '\n');
      else io.stdout(`Signed in as ${describe(session)}\n`);
      return 0;
    });
  },
};

export const whoamiCommand: Command = {
  name: 'whoami',
  summary: 'Show who Gatehouse records as the actor (the signed-in admin, or the OS user)',
  usage: `gatehouse whoami [--format table|json] [--state DIR]`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: { format: { type: 'string' }, state: { type: 'string' } },
    });
    const format = formatFrom(values.format, ['table', 'json'] as const, 'table');
    return withContext(values.state, io, 'whoami', async (ctx) => {
      const provider = getProvider(ctx, CONSOLE_KEY);
      const session = await getSession(ctx, CONSOLE_KEY);
      const actor = actorOf(ctx);
      if (format === 'json') {
        io.stdout(JSON.stringify({ provider, session, actor }, null, 2) + '\n');
        return 0;
      }
      const lines = [`actor: ${actor}`];
      if (!provider) lines.push('identity provider: none configured (the OS user is recorded)');
      else lines.push(`identity provider: ${provider.issuer} (client ${provider.clientId})`);
      if (session) {
        lines.push(`signed in: ${describe(session)} since ${session.signedInAt}`);
        if (session.status !== 'active') lines.push(`status: ${session.statusMessage ?? 'sign in again'}`);
        else if (session.expiresAt)
          lines.push(`access token expires: ${session.expiresAt}${session.canRefresh ? ' (refreshable)' : ''}`);
      } else if (provider) lines.push('signed in: no (run gatehouse login)');
      io.stdout(lines.join('\n') + '\n');
      return 0;
    });
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'Sign out of the console identity provider (revokes the tokens, then deletes them)',
  usage: `gatehouse logout [--state DIR]`,
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, strict: true, options: { state: { type: 'string' } } });
    return withContext(values.state, io, 'logout', async (ctx) => {
      const r = await consoleSignOut(ctx);
      io.stdout(
        r.signedOut
          ? `Signed out${r.revoked ? ' (tokens revoked at the identity provider)' : ' (the identity provider offers no revocation; tokens deleted here)'}\n`
          : 'Not signed in.\n',
      );
      return 0;
    });
  },
};
