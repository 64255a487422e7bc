import type { StaticRule } from '../types.js';
import { describeSecret, placeOf, primarySecretRule, secretDraft } from './common.js';

/** A credential written literally in a user/managed-scope config value (env, headers, other fields). */
export const secretLiteral: StaticRule = {
  id: 'secret.literal',
  run(ctx) {
    return ctx.secrets
      .filter((o) => primarySecretRule(o) === 'secret.literal')
      .map((o) =>
        secretDraft(
          'secret.literal',
          o,
          `A ${describeSecret(o)} is written literally in ${placeOf(o)}${o.server ? ` of server "${o.server.entry.name}"` : ''}.`,
          o.critical ? 'critical' : 'high',
        ),
      );
  },
};
