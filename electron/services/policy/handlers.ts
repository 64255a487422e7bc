import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { policyJsonSchema } from './document.js';
import {
  compilePolicyText,
  diffPolicyVersions,
  planPolicy,
  pullPolicy,
  pushPolicyText,
  listPolicyVersions,
  rollbackPolicyVersion,
  savePolicyText,
  simulatePolicyText,
  validatePolicyText,
  versionText,
} from './service.js';

type PolicyMethod =
  | 'policy.schema'
  | 'policy.pull'
  | 'policy.validate'
  | 'policy.plan'
  | 'policy.simulate'
  | 'policy.push'
  | 'policy.save'
  | 'policy.versions'
  | 'policy.version'
  | 'policy.diffVersions'
  | 'policy.rollback'
  | 'policy.compile';

export function policyHandlers(ctx: ServiceContext): HandlerGroup<PolicyMethod> {
  return {
    'policy.schema': async () => ({ schema: policyJsonSchema() }),
    'policy.pull': async ({ gatewayId, format }) => pullPolicy(ctx, gatewayId, format),
    'policy.validate': async ({ text, gatewayId }) => validatePolicyText(ctx, text, gatewayId),
    'policy.plan': async (input) => planPolicy(ctx, input),
    'policy.simulate': async (input) => simulatePolicyText(ctx, input),
    'policy.push': async (input) => pushPolicyText(ctx, input),
    'policy.save': async (input) => savePolicyText(ctx, input),
    'policy.versions': async ({ gatewayId }) => listPolicyVersions(ctx, gatewayId),
    'policy.version': async ({ hash, format }) => versionText(ctx, hash, format),
    'policy.diffVersions': async ({ from, to }) => diffPolicyVersions(ctx, from, to),
    'policy.rollback': async (input) => rollbackPolicyVersion(ctx, input),
    'policy.compile': async ({ text, target }) => compilePolicyText(text, target),
  };
}
