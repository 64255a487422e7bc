import type { PolicyDiagnostic, PolicyDocument, PolicyRule } from '../../../../shared/model/policy.js';
import { indexPolicy, structuralGrant, subjectMatches, subjectOf, type PolicyIndex } from '../evaluate.js';

/**
 * ContextForge target: its policy is structure only (teams, members, roles, server visibility and
 * composition). A rule is expressible when it changes no decision the structure already makes; the
 * rest is listed with why and the restructuring that would express it (plan.ts pushes structure
 * only, so nothing here is ever silently dropped).
 */

const NON_TOOL = new Set(['get_prompt', 'read_resource', 'list_prompts', 'list_resources']);

function coveredCells(idx: PolicyIndex, rule: PolicyRule): [string, string][] {
  const out: [string, string][] = [];
  for (const s of idx.doc.servers)
    for (const t of s.tools)
      if (
        rule.resources.some(
          (r) => r === '*' || r === `server:${s.name}` || r === `tool:${t}` || r === `server:${s.name}/tool:${t}`,
        )
      )
        out.push([s.name, t]);
  return out;
}

export function contextforgeInexpressible(doc: PolicyDocument): PolicyDiagnostic[] {
  const idx = indexPolicy(doc);
  const users = [...new Set([...idx.knownUsers, ...idx.namedUsers])];
  const out: PolicyDiagnostic[] = [];
  const push = (i: number, message: string, hint: string) =>
    out.push({
      severity: 'warning',
      code: 'target.inexpressible',
      message,
      path: ['rules', i],
      target: 'contextforge',
      hint,
    });
  doc.rules.forEach((rule, i) => {
    const nonTool =
      rule.actions.filter((a) => NON_TOOL.has(a)).length > 0 ||
      rule.resources.some((r) => r.startsWith('prompt:') || r.startsWith('resource:'));
    if (nonTool)
      push(
        i,
        `rule ${rule.id}: ContextForge has no prompt- or resource-level rules`,
        'set the prompt/resource visibility (team or private) on the gateway, or keep this rule for another target',
      );
    if (!rule.actions.some((a) => a === 'call_tool' || a === 'list_tools')) return;
    const cells = coveredCells(idx, rule);
    // Which (user, server, tool) decisions would the rule change compared with the structure alone?
    const changed: { user: string; server: string; tool: string }[] = [];
    for (const u of users) {
      const { teams: tl, roles } = subjectOf(idx, u);
      const teams = new Set(tl);
      if (!rule.subjects.some((s) => subjectMatches(s, u, teams, new Set(roles)))) continue;
      for (const [server, tool] of cells) {
        const granted = !!structuralGrant(idx, u, teams, 'call_tool', server, tool);
        if (granted === (rule.effect === 'deny')) changed.push({ user: u, server, tool });
      }
    }
    if (!changed.length) return;
    const c = changed[0] as { user: string; server: string; tool: string };
    const who = rule.subjects.join(', ');
    if (rule.effect === 'deny') {
      const toolLevel = rule.resources.some((r) => r.startsWith('tool:') || r.includes('/tool:'));
      push(
        i,
        toolLevel
          ? `rule ${rule.id}: ContextForge has no per-tool deny inside a shared server (${c.user} still reaches ${c.tool} via ${c.server})`
          : `rule ${rule.id}: ContextForge has no deny rules (${c.user} still reaches server ${c.server} by its visibility and roles)`,
        toolLevel
          ? `move ${c.tool} into a separate server not visible to ${who}, or remove it from ${c.server}`
          : `make ${c.server} team-visible to a team ${who} is not in, or remove servers.use/tools.execute from their roles`,
      );
    } else {
      const userScoped = rule.subjects.some((s) => s.startsWith('user:'));
      push(
        i,
        userScoped
          ? `rule ${rule.id}: ContextForge has no per-user allow outside team membership (${c.user} cannot reach ${c.tool} via ${c.server})`
          : `rule ${rule.id}: ContextForge grants only through visibility and roles (${c.user} cannot reach ${c.tool} via ${c.server})`,
        userScoped
          ? `add ${c.user} to the team owning ${c.server} (with a role holding servers.use + tools.execute), or make ${c.server} public`
          : `give ${c.server} to a team of ${who} (or make it public) and a role with servers.use + tools.execute to its members`,
      );
    }
  });
  return out;
}
