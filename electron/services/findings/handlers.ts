import { actorOf } from '../identity/sessions.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { findingsSarif, listFindings, runFindingsScan, suppressFinding, unsuppressFinding } from './service.js';

export function findingsHandlers(
  ctx: ServiceContext,
): HandlerGroup<'findings.scan' | 'findings.list' | 'findings.sarif' | 'findings.suppress' | 'findings.unsuppress'> {
  return {
    'findings.scan': async () => (await runFindingsScan(ctx)).report,
    'findings.list': async (input) => listFindings(ctx, input),
    'findings.sarif': async (input) => findingsSarif(ctx, input),
    'findings.suppress': async (input) => suppressFinding(ctx, input, actorOf(ctx)),
    'findings.unsuppress': async (input) => unsuppressFinding(ctx, input, actorOf(ctx)),
  };
}
