import { actorOf } from '../identity/sessions.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { readWithTeamSuppressions, teamState } from '../team-state/open.js';
import {
  findingsSarif,
  listFindings,
  runFindingsScan,
  suppressFinding,
  suppressFindingShared,
  unsuppressFinding,
  unsuppressFindingShared,
} from './service.js';

/**
 * With a team store configured, suppressions are the team's (read once per request, written with
 * row versions); without one, the local store exactly as before.
 */
export function findingsHandlers(
  ctx: ServiceContext,
): HandlerGroup<'findings.scan' | 'findings.list' | 'findings.sarif' | 'findings.suppress' | 'findings.unsuppress'> {
  return {
    'findings.scan': async () => (await runFindingsScan(ctx)).report,
    'findings.list': (input) => readWithTeamSuppressions(ctx, () => listFindings(ctx, input)),
    'findings.sarif': (input) => readWithTeamSuppressions(ctx, () => findingsSarif(ctx, input)),
    'findings.suppress': async (input) => {
      const state = await teamState(ctx);
      return state.kind === 'local'
        ? suppressFinding(ctx, input, actorOf(ctx))
        : suppressFindingShared(ctx, state, input, actorOf(ctx));
    },
    'findings.unsuppress': async (input) => {
      const state = await teamState(ctx);
      return state.kind === 'local'
        ? unsuppressFinding(ctx, input, actorOf(ctx))
        : unsuppressFindingShared(ctx, state, input, actorOf(ctx));
    },
  };
}
