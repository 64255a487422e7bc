import type { CompileResult, CompileTarget, PolicyDocument } from '../../../../shared/model/policy.js';
import { compileAgentgatewayCel, type CelOptions } from './agentgateway-cel.js';
import { contextforgeInexpressible } from './contextforge.js';
import { compileToolHiveCedar } from './toolhive-cedar.js';

/** Compiles a document for a target. ContextForge's object changes come from plan.ts; here, only what it cannot express. */
export function compilePolicy(doc: PolicyDocument, target: CompileTarget, opts: CelOptions = {}): CompileResult {
  switch (target) {
    case 'toolhive-cedar':
      return compileToolHiveCedar(doc);
    case 'agentgateway-cel':
      return compileAgentgatewayCel(doc, opts);
    case 'contextforge':
      return { target, files: [], diagnostics: contextforgeInexpressible(doc) };
  }
}
