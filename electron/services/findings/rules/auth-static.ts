import type { FindingDraft, StaticRule } from '../types.js';
import { serverDraft } from './common.js';
import { secretsOfServer } from './lines.js';

/**
 * A remote server configured with a static credential although it advertises OAuth. Needs the live
 * auth probe (ScanContext.probes); without probe data it reports nothing.
 */
export const authStatic: StaticRule = {
  id: 'auth.static',
  run(ctx) {
    if (!ctx.probes || ctx.probes.size === 0) return [];
    const out: FindingDraft[] = [];
    for (const s of ctx.scan.servers) {
      const probe = ctx.probes.get(s.entry.id);
      if (!probe?.advertisesOAuth || !s.raw.url) continue;
      const secrets = secretsOfServer(ctx, s);
      const headerNames = Object.keys(s.raw.headers).filter((h) => /authorization|key|token|secret|auth/i.test(h));
      const urlCred = secrets.some((o) => o.field === 'url');
      if (headerNames.length === 0 && !urlCred) continue;
      const pointer = headerNames.length
        ? (s.pointers.headers[headerNames[0]!] ?? s.entry.pointer)
        : (s.pointers.url ?? s.entry.pointer);
      out.push(
        serverDraft('auth.static', s, pointer, undefined, {
          message: `Server "${s.entry.name}" advertises OAuth${probe.resourceMetadata ? ` (${probe.resourceMetadata})` : ''} but is configured with a static credential (${headerNames.length ? `header ${headerNames.join(', ')}` : 'in the URL'}).`,
          remediation:
            'Remove the static header/URL credential and let the client sign in with OAuth (short-lived, scoped, revocable tokens); then revoke the static credential.',
        }),
      );
    }
    return out;
  },
};
