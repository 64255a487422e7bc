import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { actorOf, CONSOLE_KEY, getProvider, getSession, signOut } from './sessions.js';

export function identityHandlers(ctx: ServiceContext): HandlerGroup<'identity.whoami' | 'identity.signOut'> {
  return {
    'identity.whoami': async () => ({
      provider: getProvider(ctx, CONSOLE_KEY),
      session: await getSession(ctx, CONSOLE_KEY),
      actor: actorOf(ctx),
    }),
    'identity.signOut': async () => signOut(ctx, CONSOLE_KEY),
  };
}
