import { RULE_META } from '../rule-meta.js';
import type { FindingDraft, StaticRule } from '../types.js';
import { secretCountOf } from './lines.js';

/** A config file holding credentials that its group or other users can read (POSIX only). */
export const configPermissions: StaticRule = {
  id: 'config.permissions',
  run(ctx) {
    if (ctx.platform === 'win32') return [];
    const out: FindingDraft[] = [];
    const seen = new Set<string>();
    for (const o of ctx.secrets) {
      const src = o.source;
      if (seen.has(src.source.path) || src.mode === undefined) continue;
      seen.add(src.source.path);
      const bits = src.mode & 0o777;
      if ((bits & 0o077) === 0) continue;
      const count = secretCountOf(ctx, src);
      const who = bits & 0o007 ? 'every user on this machine' : "the file's group";
      out.push({
        ruleId: 'config.permissions',
        severity: bits & 0o044 ? 'medium' : 'low',
        title: RULE_META['config.permissions'].title,
        message: `${src.source.path} holds ${count} credential(s) and has mode ${bits.toString(8).padStart(4, '0')}: ${who} can read it.`,
        client: src.source.client,
        server: '',
        location: { file: src.source.path, pointer: '' },
        evidence: `mode ${bits.toString(8).padStart(4, '0')}`,
        remediation: `Restrict the file to its owner: chmod 600 "${src.source.path}" (and move the credentials out of it; see the secret findings for this file).`,
      });
    }
    return out;
  },
};
