import type { FindingDraft, StaticRule } from '../types.js';
import { secretDraft } from './common.js';

/** The same credential (keyed fingerprint) used by more than one server or client: one finding per use. */
export const secretReused: StaticRule = {
  id: 'secret.reused',
  run(ctx) {
    const groups = new Map<string, typeof ctx.secrets>();
    for (const o of ctx.secrets) {
      const g = groups.get(o.fingerprint);
      if (g) g.push(o);
      else groups.set(o.fingerprint, [o]);
    }
    const out: FindingDraft[] = [];
    for (const occ of groups.values()) {
      const owners = new Set(
        occ.map((o) => `${o.source.source.client}\u0000${o.server?.entry.id ?? o.source.source.path}`),
      );
      if (owners.size < 2) continue;
      const names = [...new Set(occ.map((o) => `${o.server?.entry.name ?? '(file)'} (${o.source.source.client})`))];
      for (const o of occ) {
        const others = names.filter((n) => n !== `${o.server?.entry.name ?? '(file)'} (${o.source.source.client})`);
        out.push(
          secretDraft(
            'secret.reused',
            o,
            `The same ${o.secretType} (${o.evidence}) is also used by ${others.join(', ') || 'another entry of this server'}: ${owners.size} servers/clients share one credential, so it cannot be revoked for one alone.`,
            'medium',
          ),
        );
      }
    }
    return out.map((d) => ({
      ...d,
      remediation:
        `Issue a separate credential for each server and client, scoped to what each needs, then revoke the shared one. ${d.remediation ?? ''}`.trim(),
    }));
  },
};
