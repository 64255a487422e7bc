import { appendAdminAction } from '../audit/admin-log.js';
import type { IdentitySession } from '../../../shared/model/identity.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { openInSystemBrowser } from './browser.js';
import { actorOf, CONSOLE_KEY, getProvider, getSession, setProvider, signIn, signOut, undoSignIn } from './sessions.js';
import { servingWrite } from '../store/write-turns.js';

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
      openUrl: (url) => {
        opened = true;
        ctx.events.emit('identity.signIn', { stage: 'waiting' });
        return openInSystemBrowser(ctx, url).then((opened) => resolve({ authorizationUrl: url, opened }));
      },
    })
      .then(async (session) => {
        await recordConsoleLogin(ctx, session);
        return session;
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

/**
 * The admin-log entry of a completed console sign-in (UI and CLI). A sign-in the log cannot record
 * does not stand (every admin action is attributable): it is signed out again and the error says so.
 */
export async function recordConsoleLogin(ctx: ServiceContext, session: IdentitySession): Promise<void> {
  try {
    // (Long after the action's turn at the write lock: a turn of its own, write-turns.ts.)
    await servingWrite(ctx.writeTurns, () =>
      appendAdminAction(ctx.db, ctx.clock, {
        action: 'identity.login',
        target: CONSOLE_KEY,
        actor: actorOf(ctx),
        details: { issuer: session.issuer, subject: session.subject, email: session.email ?? null },
      }),
    );
  } catch (err) {
    const undone = await undoSignIn(ctx, CONSOLE_KEY);
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      undone
        ? `the sign-in could not be recorded in the admin log, so it was undone: ${why}`
        : `the sign-in could not be recorded in the admin log, and undoing it failed (sign out to remove it): ${why}`,
      { cause: err },
    );
  }
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
      const before = actorOf(ctx);
      const r = await signOut(ctx, CONSOLE_KEY);
      if (r.signedOut)
        appendAdminAction(ctx.db, ctx.clock, {
          action: 'identity.logout',
          target: CONSOLE_KEY,
          actor: before,
          details: { revoked: r.revoked },
        });
      return r;
    },
  };
}
