import type { Severity } from '../../../../shared/model/finding.js';
import type { StaticRule } from '../types.js';
import { describeSecret, placeOf, primarySecretRule, secretDraft } from './common.js';

/**
 * A literal credential in a project-scope file (likely committed). Worse when the folder is a git
 * work tree and git does not ignore the file (critical); ignored by git: medium; no git: high.
 */
export const secretProjectFile: StaticRule = {
  id: 'secret.project-file',
  run(ctx) {
    return ctx.secrets
      .filter((o) => primarySecretRule(o) === 'secret.project-file')
      .map((o) => {
        const git = ctx.git.get(o.source.source.path);
        let severity: Severity = 'high';
        let gitNote = 'The folder is not a git work tree, but project files travel with the project.';
        if (git?.workTree && !git.ignored) {
          severity = 'critical';
          gitNote = `The file is in the git work tree ${git.workTree} and git does not ignore it: it is (or will be) committed.`;
        } else if (git?.workTree && git.ignored) {
          severity = 'medium';
          gitNote = `The file is in the git work tree ${git.workTree} but git ignores it.`;
        } else if (!git) {
          gitNote = 'Whether git tracks the file was not checked.';
        }
        if (o.critical && severity !== 'critical') severity = 'critical';
        return secretDraft(
          'secret.project-file',
          o,
          `A ${describeSecret(o)} is written literally in ${placeOf(o)}${o.server ? ` of server "${o.server.entry.name}"` : ''} in a project-scope file. ${gitNote}`,
          severity,
        );
      });
  },
};
