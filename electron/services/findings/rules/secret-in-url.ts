import { urlCredentialPart } from '../remediation.js';
import type { StaticRule } from '../types.js';
import { describeSecret, primarySecretRule, secretDraft } from './common.js';

/** A credential in a URL's userinfo or query string. */
export const secretInUrl: StaticRule = {
  id: 'secret.in-url',
  run(ctx) {
    return ctx.secrets
      .filter((o) => primarySecretRule(o) === 'secret.in-url')
      .map((o) => {
        const where = urlCredentialPart(o.secretType, o.fieldKey).replace(/^the /, '');
        const project =
          o.source.source.scope === 'project' ? ' The file is project-scope, so it is likely committed too.' : '';
        return secretDraft(
          'secret.in-url',
          o,
          `A ${describeSecret(o)} is embedded in the URL (${where}) of server "${o.server?.entry.name ?? ''}"; URLs end up in logs and proxies.${project}`,
          o.critical ? 'critical' : 'high',
        );
      });
  },
};
