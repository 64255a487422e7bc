/** Environment variable naming the team store (keeps the password off the command line). */
export const DATABASE_URL_ENV = 'GATEHOUSE_DATABASE_URL';

/** `--report-to` / `--database-url`, else $GATEHOUSE_DATABASE_URL, else none. */
export function teamStoreUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? (env[DATABASE_URL_ENV] || undefined);
}

/**
 * Database URLs carry a password: it is never printed. `maskDatabaseUrl` is what errors, logs and
 * outputs show; `redactSecrets` scrubs a URL's password (raw and URL-encoded) out of any text, such
 * as a driver error message.
 */
export function maskDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    for (const k of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(k)) u.searchParams.set(k, '****');
    }
    return u.toString();
  } catch {
    // Not parseable: hide everything between "//" and "@".
    return url.replace(/\/\/[^@/]*@/, '//****@');
  }
}

export function databasePassword(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    return undefined;
  }
}

export function redactSecrets(text: string, url: string | undefined): string {
  if (!url) return text;
  let out = text.split(url).join(maskDatabaseUrl(url));
  const pw = databasePassword(url);
  if (pw) {
    for (const v of new Set([pw, encodeURIComponent(pw)])) if (v.length >= 1) out = out.split(v).join('****');
  }
  return out;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** An error whose message has the URL's password scrubbed (the original is not kept as cause). */
export function safeError(err: unknown, url: string | undefined): Error {
  const e = err as Error & { code?: string };
  const out = new Error(redactSecrets(e?.message ?? String(err), url)) as Error & { code?: string };
  if (e?.code) out.code = e.code;
  return out;
}
