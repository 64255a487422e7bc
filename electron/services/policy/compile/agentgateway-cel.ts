import { parse } from '@bufbuild/cel';
import { stringify } from 'yaml';
import type { CompileResult, PolicyDiagnostic, PolicyDocument, PolicyRule } from '../../../../shared/model/policy.js';
import { grantedUsers, indexPolicy, lower, type PolicyIndex } from '../evaluate.js';

/**
 * agentgateway target: `policies.mcpAuthorization.rules`, a list of CEL allow expressions over the
 * JWT (`jwt.sub`, the groups claim) and `mcp.tool.name`, one file per virtual server (the backend
 * the policy is attached to). A call is allowed when any expression is true. There are no deny
 * rules, so every deny that can hit this server is folded into each allow as `&& !(...)`.
 * Assumes `jwt.sub` is the user's e-mail, as in the document.
 */

export interface CelOptions {
  /** CEL path of the groups claim (default `jwt.groups`). */
  groupsClaim?: string;
}

const str = (s: string) => JSON.stringify(s);
const list = (xs: Iterable<string>) => `[${[...xs].map(str).join(', ')}]`;

function principalExpr(idx: PolicyIndex, subject: string, groups: string): string {
  if (subject === '*') return 'true';
  const i = subject.indexOf(':');
  const name = subject.slice(i + 1);
  switch (subject.slice(0, i)) {
    case 'team':
      return `${str(name)} in ${groups}`;
    case 'user':
      return `jwt.sub == ${str(lower(name))}`;
    default: {
      const holders = [...idx.assignmentsOf].filter(([, as]) => as.some((a) => a.role === name)).map(([u]) => u);
      return holders.length ? `jwt.sub in ${list(holders.sort())}` : 'false';
    }
  }
}

function usersExpr(idx: PolicyIndex, users: string[], groups: string): string {
  const want = new Set(users);
  const covered = new Set<string>();
  const parts: string[] = [];
  for (const [team, members] of [...idx.members].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (members.length && members.every((m) => want.has(m))) {
      parts.push(`${str(team)} in ${groups}`);
      members.forEach((m) => covered.add(m));
    }
  }
  const rest = users.filter((u) => !covered.has(u));
  if (rest.length) parts.push(`jwt.sub in ${list(rest)}`);
  return parts.length ? parts.join(' || ') : 'false';
}

/** Tools of `server` a rule's call_tool covers. */
function ruleTools(idx: PolicyIndex, rule: PolicyRule, server: string): string[] {
  const tools = idx.serverTools.get(server) ?? new Set<string>();
  const hit = new Set<string>();
  for (const r of rule.resources) {
    if (r === '*' || r === `server:${server}`) for (const t of tools) hit.add(t);
    else if (r.startsWith(`server:${server}/tool:`)) {
      const t = r.slice(`server:${server}/tool:`.length);
      if (tools.has(t)) hit.add(t);
    } else if (r.startsWith('tool:') && tools.has(r.slice(5))) hit.add(r.slice(5));
  }
  return [...hit].sort();
}

function ruleExpr(idx: PolicyIndex, rule: PolicyRule, server: string, groups: string): string | null {
  if (!rule.actions.includes('call_tool')) return null;
  const tools = ruleTools(idx, rule, server);
  if (!tools.length) return null;
  const who = rule.subjects.map((s) => principalExpr(idx, s, groups));
  const principal = who.includes('true') ? 'true' : who.map((w) => `(${w})`).join(' || ');
  return `(${principal}) && mcp.tool.name in ${list(tools)}`;
}

/** Parses an emitted expression; failing here means the compiler is wrong, not the document. */
function checked(expr: string): string {
  try {
    parse(expr);
  } catch (err) {
    throw new Error(`agentgateway CEL compiler emitted an unparsable expression (${(err as Error).message}): ${expr}`, {
      cause: err,
    });
  }
  return expr;
}

/** The allow expressions for one server, denies folded in. */
export function celRules(doc: PolicyDocument, server: string, opts: CelOptions = {}): string[] {
  const idx = indexPolicy(doc);
  const groups = opts.groupsClaim ?? 'jwt.groups';
  const denies = idx.denies.map((r) => ruleExpr(idx, r, server, groups)).filter((x): x is string => x !== null);
  const fold = (e: string) => [`(${e})`, ...denies.map((d) => `!(${d})`)].join(' && ');
  const out: string[] = [];
  const users = [...new Set([...idx.knownUsers, ...idx.namedUsers])].sort();
  const byUsers = new Map<string, string[]>();
  for (const t of [...(idx.serverTools.get(server) ?? [])].sort()) {
    const granted = grantedUsers(idx, users, 'call_tool', server, t);
    if (!granted.length) continue;
    const k = granted.join('\n');
    byUsers.set(k, [...(byUsers.get(k) ?? []), t]);
  }
  for (const [k, tools] of byUsers)
    out.push(checked(fold(`(${usersExpr(idx, k.split('\n'), groups)}) && mcp.tool.name in ${list(tools)}`)));
  for (const r of idx.allows) {
    const e = ruleExpr(idx, r, server, groups);
    if (e) out.push(checked(fold(e)));
  }
  return out;
}

/** Rules agentgateway cannot express: it authorizes tools only (calls, and listing by the same rules). */
export function agentgatewayInexpressible(doc: PolicyDocument): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  doc.rules.forEach((r, i) => {
    const other = r.actions.filter((a) => a !== 'call_tool');
    if (!other.length) return;
    out.push({
      severity: 'warning',
      code: 'target.inexpressible',
      message: `rule ${r.id}: agentgateway's mcpAuthorization decides on tools (mcp.tool.name) only; ${other.join(', ')} ${other.length > 1 ? 'are' : 'is'} not compiled`,
      path: ['rules', i, 'actions'],
      target: 'agentgateway-cel',
      hint: other.some((a) => a === 'list_tools')
        ? 'agentgateway filters tools/list with the call_tool rules: express it with call_tool'
        : 'govern prompts and resources at the upstream server, or drop those actions for this target',
    });
  });
  return out;
}

export function compileAgentgatewayCel(doc: PolicyDocument, opts: CelOptions = {}): CompileResult {
  const files: CompileResult['files'] = [];
  for (const s of [...doc.servers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rules = celRules(doc, s.name, opts);
    files.push({
      name: `agentgateway/${s.name}.policy.yaml`,
      text: stringify({ policies: { mcpAuthorization: { rules } } }, { lineWidth: 0 }),
    });
  }
  return { target: 'agentgateway-cel', files, diagnostics: agentgatewayInexpressible(doc) };
}
