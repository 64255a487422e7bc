import type { StaticRule } from '../types.js';
import { describeSecret, placeOf, primarySecretRule, secretDraft } from './common.js';

/** A credential on the command line: every local user can read it from the process list. */
export const secretInArgs: StaticRule = {
  id: 'secret.in-args',
  run(ctx) {
    return ctx.secrets
      .filter((o) => primarySecretRule(o) === 'secret.in-args')
      .map((o) => {
        const project =
          o.source.source.scope === 'project' ? ' The file is project-scope, so it is likely committed too.' : '';
        const url = o.inUrl ? ' It sits inside a URL argument.' : '';
        return secretDraft(
          'secret.in-args',
          o,
          `A ${describeSecret(o)} is passed as ${placeOf(o)} of server "${o.server?.entry.name ?? ''}"; any local user can read it from the process list.${url}${project}`,
          o.critical ? 'critical' : 'high',
        );
      });
  },
};
