import { maskUrl } from '../../secrets/redact.js';
import { leafAt } from './lines.js';
import type { FindingDraft, StaticRule } from '../types.js';
import { serverDraft } from './common.js';

/** Loopback hosts: localhost (and *.localhost), 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    /^127(?:\.\d{1,3}){3}$/.test(h) ||
    h === '::1' ||
    h === '0:0:0:0:0:0:0:1'
  );
}

/** The host of an http(s) URL, or undefined when the URL is not parseable. */
export function urlHost(url: string): string | undefined {
  try {
    return new URL(url.trim()).hostname;
  } catch {
    return /^[a-z]+:\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^:/?#]+)/i.exec(url.trim())?.[1];
  }
}

/**
 * Whether a URL carries credentials: userinfo, or a query parameter named like key/token/secret/auth.
 * Parsed by hand: the old `[?&](?:[^=]*(?:key|token|secret|auth)[^=]*)=` backtracked cubically
 * (seconds on a 5,000-char URL with many `?key`).
 */
export function urlCarriesCredentials(url: string): boolean {
  if (url.includes('@')) return true;
  const q = url.indexOf('?');
  if (q < 0) return false;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  return query.split(/[&?]/).some((pair) => {
    const eq = pair.indexOf('=');
    return eq >= 0 && /key|token|secret|auth/i.test(pair.slice(0, eq));
  });
}

/** A remote server reached over http:// on a non-loopback host. */
export const transportPlaintext: StaticRule = {
  id: 'transport.plaintext',
  run(ctx) {
    const out: FindingDraft[] = [];
    for (const s of ctx.scan.servers) {
      const url = s.raw.url;
      if (!url || !/^http:\/\//i.test(url.trim()) || !s.pointers.url) continue;
      const host = urlHost(url);
      if (!host || isLoopbackHost(host)) continue;
      const leaf = leafAt(ctx, s.entry.source, s.pointers.url);
      const hasCreds = s.entry.headerKeys.length > 0 || urlCarriesCredentials(url);
      out.push(
        serverDraft('transport.plaintext', s, s.pointers.url, leaf?.line, {
          message: `Server "${s.entry.name}" is reached over plain HTTP at ${host}${hasCreds ? '; its credentials travel unencrypted too' : ''}.`,
          evidence: maskUrl(url),
          remediation: `Use https:// for ${host} (terminate TLS at the server or a reverse proxy). If the server only runs on this machine, bind it to 127.0.0.1 and use http://127.0.0.1.`,
        }),
      );
    }
    return out;
  },
};
