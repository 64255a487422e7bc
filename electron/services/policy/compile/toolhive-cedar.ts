import type { EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import type {
  CompileResult,
  PolicyAction,
  PolicyDiagnostic,
  PolicyDocument,
  PolicyRule,
} from '../../../../shared/model/policy.js';
import { grantedUsers, indexPolicy, lower, type PolicyIndex } from '../evaluate.js';
import { cedar } from './cedar.js';
import { CEDAR_SCHEMA } from './cedar-schema.js';

/**
 * ToolHive target: one authz config per virtual server (ToolHive runs one proxy per MCP server).
 * Structural grants (evaluate.ts) become permits over the principals the document grants (a whole
 * team as `principal in THVGroup::"team"` when every member is granted); allow rules become
 * permits, deny rules forbids (Cedar: forbid wins, as in the document). `role:` subjects are
 * expanded to the role's holders in the document (ToolHive's tokens carry groups, not our roles).
 */

export function cedarStr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}
const uid = (type: string, id: string) => `${type}::${cedarStr(id)}`;
const set = (type: string, ids: Iterable<string>) => `[${[...ids].map((i) => uid(type, i)).join(', ')}]`;

const FEATURE: Partial<Record<PolicyAction, string>> = {
  list_tools: 'tool',
  list_prompts: 'prompt',
  list_resources: 'resource',
};

function subjectExpr(idx: PolicyIndex, subject: string): string {
  if (subject === '*') return 'true';
  const i = subject.indexOf(':');
  const name = subject.slice(i + 1);
  switch (subject.slice(0, i)) {
    case 'team':
      return `principal in ${uid('THVGroup', name)}`;
    case 'user':
      return `principal == ${uid('Client', lower(name))}`;
    default: {
      const holders = [...idx.assignmentsOf].filter(([, as]) => as.some((a) => a.role === name)).map(([u]) => u);
      return holders.length ? `principal in ${set('Client', holders.sort())}` : 'false';
    }
  }
}

/** The resource condition of one rule for one action inside server `server`, or null: nothing there. */
function resourceExpr(idx: PolicyIndex, rule: PolicyRule, action: PolicyAction, server: string): string | null {
  const tools = idx.serverTools.get(server) ?? new Set<string>();
  if (action === 'call_tool') {
    const hit = new Set<string>();
    for (const r of rule.resources) {
      if (r === '*' || r === `server:${server}`) for (const t of tools) hit.add(t);
      else if (r.startsWith(`server:${server}/tool:`)) {
        const t = r.slice(`server:${server}/tool:`.length);
        if (tools.has(t)) hit.add(t);
      } else if (r.startsWith('tool:') && tools.has(r.slice(5))) hit.add(r.slice(5));
    }
    return hit.size ? `resource in ${set('Tool', [...hit].sort())}` : null;
  }
  const whole = rule.resources.some((r) => r === '*' || r === `server:${server}`);
  if (action === 'get_prompt' || action === 'read_resource') {
    const [type, prefix] = action === 'get_prompt' ? ['Prompt', 'prompt:'] : ['Resource', 'resource:'];
    if (whole) return `resource is ${type}`;
    const names = rule.resources.filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length));
    return names.length ? `resource in ${set(type, names.sort())}` : null;
  }
  const feature = FEATURE[action];
  return whole && feature ? `resource == ${uid('FeatureType', feature)}` : null;
}

/** Users of the document, their teams (for `principal in THVGroup`) and the team member lists. */
function principals(idx: PolicyIndex): string[] {
  return [...new Set([...idx.knownUsers, ...idx.namedUsers])].sort();
}

/** A principal condition for exactly `users`: whole teams first, then the remaining users. */
function principalSetExpr(idx: PolicyIndex, users: string[]): string {
  const want = new Set(users);
  const covered = new Set<string>();
  const parts: string[] = [];
  for (const [team, members] of [...idx.members].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (members.length && members.every((m) => want.has(m))) {
      parts.push(`principal in ${uid('THVGroup', team)}`);
      members.forEach((m) => covered.add(m));
    }
  }
  const rest = users.filter((u) => !covered.has(u));
  if (rest.length) parts.push(`principal in ${set('Client', rest)}`);
  return parts.join(' || ') || 'false';
}

export interface CedarPolicySet {
  /** Policy id → Cedar text. */
  policies: Record<string, string>;
  entities: EntityJson[];
  diagnostics: PolicyDiagnostic[];
}

/** Entities: every tool of the server, every team, every user with its teams as parents. */
export function cedarEntities(idx: PolicyIndex, server: string): EntityJson[] {
  const out: EntityJson[] = [];
  for (const t of [...(idx.serverTools.get(server) ?? [])].sort())
    out.push({ uid: { type: 'Tool', id: t }, attrs: {}, parents: [] });
  for (const team of [...idx.members.keys()].sort())
    out.push({ uid: { type: 'THVGroup', id: team }, attrs: {}, parents: [] });
  for (const u of principals(idx))
    out.push({
      uid: { type: 'Client', id: u },
      attrs: {},
      parents: [...(idx.teamsOf.get(u) ?? [])].sort().map((t) => ({ type: 'THVGroup', id: t })),
    });
  return out;
}

/** The Cedar policy set for one virtual server (also used by the simulator for any server name). */
export function cedarPolicySet(doc: PolicyDocument, server: string): CedarPolicySet {
  const idx = indexPolicy(doc);
  const policies: Record<string, string> = {};
  const diagnostics: PolicyDiagnostic[] = [];
  const users = principals(idx);
  const tools = [...(idx.serverTools.get(server) ?? [])].sort();
  // Structural grants: tools grouped by the exact set of users granted, one permit per group.
  for (const action of ['call_tool', 'list_tools'] as const) {
    const byUsers = new Map<string, string[]>();
    if (action === 'call_tool') {
      for (const t of tools) {
        const granted = grantedUsers(idx, users, action, server, t);
        if (!granted.length) continue;
        const k = granted.join('\n');
        byUsers.set(k, [...(byUsers.get(k) ?? []), t]);
      }
      let n = 0;
      for (const [k, ts] of byUsers)
        policies[`grant.call_tool.${n++}`] =
          `@id("grant.call_tool")\npermit (principal, action == Action::"call_tool", resource)\nwhen { (${principalSetExpr(idx, k.split('\n'))}) && resource in ${set('Tool', ts)} };`;
    } else {
      const granted = grantedUsers(idx, users, action, server, undefined);
      if (granted.length)
        policies['grant.list_tools'] =
          `@id("grant.list_tools")\npermit (principal, action == Action::"list_tools", resource == FeatureType::"tool")\nwhen { ${principalSetExpr(idx, granted)} };`;
    }
  }
  for (const rule of idx.doc.rules) {
    const who = rule.subjects.map((s) => subjectExpr(idx, s));
    const principal = who.includes('true') ? 'true' : who.join(' || ');
    for (const action of rule.actions) {
      const res = resourceExpr(idx, rule, action, server);
      if (!res) continue;
      const effect = rule.effect === 'allow' ? 'permit' : 'forbid';
      policies[`rule.${rule.id}.${action}`] =
        `@id(${cedarStr(rule.id)})\n${effect} (principal, action == Action::"${action}", resource)\nwhen { (${principal}) && ${res} };`;
    }
  }
  return { policies, entities: cedarEntities(idx, server), diagnostics };
}

/** Validates a policy set against the Gatehouse schema; every error is a diagnostic. */
export function validateCedar(policies: Record<string, string>, server: string): PolicyDiagnostic[] {
  const ans = cedar().validate({
    schema: CEDAR_SCHEMA,
    policies: { staticPolicies: policies },
    validationSettings: { mode: 'strict' },
  });
  if (ans.type === 'failure')
    return ans.errors.map((e) => ({
      severity: 'error',
      code: 'target.cedar-invalid',
      message: `server ${server}: ${e.message}`,
      path: [],
      target: 'toolhive-cedar',
    }));
  return ans.validationErrors.map((e) => ({
    severity: 'error',
    code: 'target.cedar-invalid',
    message: `server ${server}, policy ${e.policyId}: ${e.error.message}`,
    path: [],
    target: 'toolhive-cedar',
  }));
}

/** What ToolHive's Cedar cannot say: per-tool listing (list_tools is one FeatureType per proxy). */
export function toolhiveInexpressible(doc: PolicyDocument): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  doc.rules.forEach((r, i) => {
    if (!r.actions.includes('list_tools')) return;
    const perTool = r.resources.some((x) => x.startsWith('tool:') || x.includes('/tool:'));
    if (perTool)
      out.push({
        severity: 'warning',
        code: 'target.inexpressible',
        message: `rule ${r.id}: ToolHive authorizes list_tools per server (FeatureType "tool"), not per tool; the tool-level list_tools part is not compiled`,
        path: ['rules', i, 'actions'],
        target: 'toolhive-cedar',
        hint: 'ToolHive filters tools/list by call_tool: govern the tool with call_tool, or name server:NAME for list_tools',
      });
  });
  return out;
}

export function compileToolHiveCedar(doc: PolicyDocument): CompileResult {
  const files: CompileResult['files'] = [];
  const diagnostics: PolicyDiagnostic[] = toolhiveInexpressible(doc);
  for (const s of [...doc.servers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const ps = cedarPolicySet(doc, s.name);
    diagnostics.push(...ps.diagnostics, ...validateCedar(ps.policies, s.name));
    const config = {
      version: '1.0',
      type: 'cedarv1',
      cedar: {
        policies: Object.values(ps.policies),
        entities_json: JSON.stringify(ps.entities),
        group_claim_name: 'groups',
      },
    };
    files.push({ name: `toolhive/${s.name}.authz.json`, text: `${JSON.stringify(config, null, 2)}\n` });
  }
  return { target: 'toolhive-cedar', files, diagnostics };
}
