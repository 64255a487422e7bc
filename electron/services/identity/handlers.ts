import { appendAdminAction } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { openInSystemBrowser } from './browser.js';
import {
  actorOf,
  CONSOLE_KEY,
  getProvider,
  getSession,
  setProvider,
  signIn,
  signOut,
  type SignInRecord,
} from './sessions.js';

/** The console sign-in waiting for its browser redirect, per context (a new one replaces it). */
const pending = new WeakMap<ServiceContext, AbortController>();

/**
 * Starts the console sign-in from the UI: resolves with the authorization URL as soon as the
 * loopback listener is up; the rest (callback, code exchange, ID token checks, storing) runs in the
 * background and reports through the `identity.signIn` event. Errors before the URL exists (IdP
 * down, wrong issuer, no PKCE) are the method's error.
 */
export function startConsoleSignIn(ctx: ServiceContext): Promise<{ authorizationUrl: string; opened: boolean }> {
  pending.get(ctx)?.abort();
  const abort = new AbortController();
  pending.set(ctx, abort);
  return new Promise((resolve, reject) => {
    let opened = false;
    signIn(ctx, CONSOLE_KEY, {
      signal: abort.signal,
      record: consoleLoginRecord(ctx),
      openUrl: (url) => {
        opened = true;
        ctx.events.emit('identity.signIn', { stage: 'waiting' });
        return openInSystemBrowser(ctx, url).then((opened) => resolve({ authorizationUrl: url, opened }));
      },
    })
      .then(
        (session) => {
          ctx.events.emit('identity.signIn', {
            stage: 'signed-in',
            ...(session.email ? { email: session.email } : {}),
          });
          ctx.events.emit('store.changed', { topics: ['identity'] });
        },
        (err: Error) => {
          if (!abort.signal.aborted) ctx.events.emit('identity.signIn', { stage: 'failed', error: err.message });
          if (!opened) reject(err);
        },
      )
      .finally(() => {
        if (pending.get(ctx) === abort) pending.delete(ctx);
      });
  });
}

/** The admin-log entry of a console sign-in (UI and CLI), written with its session (saveSignIn). */
export function consoleLoginRecord(ctx: ServiceContext): SignInRecord {
  return (id) => ({
    action: 'identity.login',
    target: CONSOLE_KEY,
    actor: actorOf(ctx),
    details: { issuer: id.issuer, subject: id.subject, email: id.email ?? null },
  });
}

export function identityHandlers(
  ctx: ServiceContext,
): HandlerGroup<'identity.whoami' | 'identity.configure' | 'identity.signIn' | 'identity.signOut'> {
  return {
    'identity.whoami': async () => ({
      provider: getProvider(ctx, CONSOLE_KEY),
      session: await getSession(ctx, CONSOLE_KEY),
      actor: actorOf(ctx),
    }),
    'identity.configure': async ({ issuer, clientId, scopes }) => {
      const p = setProvider(ctx, CONSOLE_KEY, {
        issuer,
        clientId,
        scopes: scopes?.length ? scopes : ['openid', 'email', 'profile', 'offline_access'],
      });
      appendAdminAction(ctx.db, ctx.clock, {
        action: 'identity.provider.set',
        target: CONSOLE_KEY,
        actor: actorOf(ctx),
        details: { issuer: p.issuer, clientId: p.clientId, scopes: p.scopes },
      });
      ctx.events.emit('store.changed', { topics: ['identity'] });
      return p;
    },
    'identity.signIn': async () => startConsoleSignIn(ctx),
    'identity.signOut': async () => {
      pending.get(ctx)?.abort();
      return consoleSignOut(ctx);
    },
  };
}

/** The console sign-out (UI and `gatehouse logout`), logged under the admin whose session ends. */
export async function consoleSignOut(ctx: ServiceContext): Promise<{ signedOut: boolean; revoked: boolean }> {
  // Who is signing out: read once a sign-in still being stored has landed (signOut runs after it).
  let before = actorOf(ctx);
  const r = await signOut(ctx, CONSOLE_KEY, () => (before = actorOf(ctx)));
  if (r.signedOut)
    appendAdminAction(ctx.db, ctx.clock, {
      action: 'identity.logout',
      target: CONSOLE_KEY,
      actor: before,
      details: { revoked: r.revoked },
    });
  return r;
}
