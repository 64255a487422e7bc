import { AdminError } from '../../../../shared/api/errors.js';
import type { ServiceContext } from '../../context.js';
import { discover } from '../../discovery/discover.js';
import type { RawServer } from '../../discovery/types.js';
import { beginSignIn, endSession, type LiveServiceOptions } from '../handlers.js';
import { OAuthSessions } from './sessions.js';

/**
 * The CLI's hook into OAuth sign-in of remote MCP servers (`gatehouse server login|logout`): the
 * same flow as the server page's "Sign in…" (MCP authorization spec, loopback redirect), awaited
 * to the end. A server is named by its id or, when unambiguous, its name. Never returns a token.
 */

function pick(servers: RawServer[], idOrName: string): RawServer {
  const byId = servers.find((s) => s.entry.id === idOrName);
  if (byId) return byId;
  const named = servers.filter((s) => s.entry.name === idOrName);
  if (named.length === 1) return named[0]!;
  if (named.length > 1)
    throw new AdminError(
      'bad-request',
      `Several configured servers are named "${idOrName}"; use one of their ids: ${named.map((s) => `${s.entry.id} (${s.entry.client})`).join(', ')}.`,
    );
  throw new AdminError('not-found', `No configured server with id or name "${idOrName}".`);
}

export interface CliSignInResult {
  serverId: string;
  name: string;
  issuer: string;
  expiresAt: string | null;
}

/** Signs in to one server and waits until it is stored and enumerated (or fails, storing nothing). */
export async function signInFromCli(
  ctx: ServiceContext,
  idOrName: string,
  opts: { clientId?: string; timeoutMs?: number; openUrl: (url: string) => void; opts?: LiveServiceOptions },
): Promise<CliSignInResult> {
  const load = opts.opts?.loadScan ?? (() => discover(ctx.workstation, ctx.fs));
  const s = pick((await load()).servers, idOrName);
  let failure: string | undefined;
  const stop = ctx.events.subscribe((event, payload) => {
    if (event !== 'live.signIn') return;
    const p = payload as { serverId: string; stage: string; error?: string };
    if (p.serverId === s.entry.id && p.stage === 'failed') failure = p.error ?? 'sign-in failed';
  });
  try {
    const start = await beginSignIn(ctx, { ...opts.opts, loadScan: load }, s, opts.clientId, opts.timeoutMs);
    opts.openUrl(start.authorizationUrl);
    await start.done;
  } finally {
    stop();
  }
  if (failure) throw new AdminError('unauthorized', failure);
  const session = new OAuthSessions(ctx.db).latestFor(s.entry.id);
  if (!session) throw new AdminError('unauthorized', 'The sign-in did not complete; nothing was stored.');
  return { serverId: s.entry.id, name: s.entry.name, issuer: session.issuer, expiresAt: session.expiresAt };
}

/** Signs out of one server: revocation where offered (RFC 7009), then its tokens are deleted. */
export async function signOutFromCli(
  ctx: ServiceContext,
  idOrName: string,
): Promise<{ serverId: string; name: string; signedOut: boolean; revoked: boolean }> {
  const s = pick((await discover(ctx.workstation, ctx.fs)).servers, idOrName);
  const r = await endSession(ctx, s);
  return { serverId: s.entry.id, name: s.entry.name, ...r };
}
