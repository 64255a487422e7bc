import { AdminError } from '../../../shared/api/errors.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';

type PolicyMethod =
  | 'policy.schema'
  | 'policy.pull'
  | 'policy.validate'
  | 'policy.plan'
  | 'policy.simulate'
  | 'policy.push'
  | 'policy.versions'
  | 'policy.version'
  | 'policy.diffVersions'
  | 'policy.rollback'
  | 'policy.compile';

// Transitional: the policy capability is being built in this batch; every method answers
// "unavailable" until its service lands (replaced before this change is submitted).
const pending = async (): Promise<never> => {
  throw new AdminError('unavailable', 'The policy capability is not built yet.');
};

export function policyHandlers(_ctx: ServiceContext): HandlerGroup<PolicyMethod> {
  return {
    'policy.schema': pending,
    'policy.pull': pending,
    'policy.validate': pending,
    'policy.plan': pending,
    'policy.simulate': pending,
    'policy.push': pending,
    'policy.versions': pending,
    'policy.version': pending,
    'policy.diffVersions': pending,
    'policy.rollback': pending,
    'policy.compile': pending,
  };
}
