import type { StaticRule } from '../types.js';
import { describeSecret, primarySecretRule, secretDraft } from './common.js';

/** A credential in a URL's userinfo or query string. */
export const secretInUrl: StaticRule = {
  id: 'secret.in-url',
  run(ctx) {
    return ctx.secrets
      .filter((o) => primarySecretRule(o) === 'secret.in-url')
      .map((o) => {
        const where =
          o.fieldKey && o.fieldKey !== 'password' ? `query parameter "${o.fieldKey}"` : 'user:password@ part';
        const project =
          o.source.source.scope === 'project' ? ' The file is project-scope, so it is likely committed too.' : '';
        return secretDraft(
          'secret.in-url',
          o,
          `A ${describeSecret(o)} is embedded in the URL (${o.secretType === 'url-credentials' ? 'user:password@ part' : where}) of server "${o.server?.entry.name ?? ''}"; URLs end up in logs and proxies.${project}`,
          o.critical ? 'critical' : 'high',
        );
      });
  },
};
