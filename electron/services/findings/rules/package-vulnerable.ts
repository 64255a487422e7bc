// The four functions, not the package index (which loads all of semver's ~50 modules at start-up).
import coerce from 'semver/functions/coerce.js';
import gt from 'semver/functions/gt.js';
import satisfies from 'semver/functions/satisfies.js';
import valid from 'semver/functions/valid.js';
import type { FindingDraft, StaticRule } from '../types.js';
import { maxSeverity, serverDraft } from './common.js';
import { lineOf } from './lines.js';
import { runnerTarget } from './runner.js';

/** A server package pinned to a version that a shipped advisory lists as affected. */
export const packageVulnerable: StaticRule = {
  id: 'package.vulnerable',
  run(ctx) {
    const out: FindingDraft[] = [];
    for (const s of ctx.scan.servers) {
      const t = runnerTarget(s);
      if (!t || !t.pinned || !t.version || t.ecosystem === 'oci') continue;
      const version = valid(t.version) ?? valid(coerce(t.version));
      if (!version) continue;
      const hits = ctx.advisories.filter(
        (a) =>
          a.ecosystem === t.ecosystem &&
          a.package.toLowerCase() === t.name.toLowerCase() &&
          satisfies(version, a.affected),
      );
      if (hits.length === 0) continue;
      const severity = hits.reduce((acc, a) => maxSeverity(acc, a.severity), 'low' as FindingDraft['severity']);
      const fixed = hits.map((a) => a.fixed).filter((f): f is string => !!f);
      const target = fixed.length ? fixed.reduce((a, b) => (gt(coerce(a) ?? a, coerce(b) ?? b) ? a : b)) : undefined;
      out.push(
        serverDraft('package.vulnerable', s, t.spec.pointer, lineOf(ctx, s.entry.source, t.spec.pointer), {
          severity,
          message:
            `Server "${s.entry.name}" runs ${t.name}@${t.version}, affected by ${hits.map((a) => [a.id, ...a.aliases].join('/')).join(', ')}: ` +
            hits.map((a) => a.summary).join(' '),
          evidence: `${t.name}@${t.version}`,
          remediation: `${target ? `Upgrade to ${t.name}@${target} or later and pin that version.` : 'Upgrade to a fixed version and pin it.'} Advisories: ${hits.map((a) => a.url).join(' ')}`,
        }),
      );
    }
    return out;
  },
};
