import type { ServiceContext } from '../context.js';

/**
 * Desktop: opens a sign-in page in the system browser (RFC 8252: never an embedded view) and
 * returns true; browser mode and the CLI return false (the UI opens a tab, the CLI prints it).
 */
export async function openInSystemBrowser(ctx: ServiceContext, url: string): Promise<boolean> {
  if (ctx.mode !== 'desktop' || !ctx.shell?.openExternal || !/^https?:\/\//i.test(url)) return false;
  try {
    await ctx.shell.openExternal(url);
    return true;
  } catch {
    return false;
  }
}
