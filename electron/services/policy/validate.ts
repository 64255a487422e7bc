import type { GatewaySnapshot } from '../../../shared/model/gateway.js';
import type { CompileTarget, PolicyDiagnostic, PolicyDocument, PolicyRule } from '../../../shared/model/policy.js';
import { agentgatewayInexpressible } from './compile/agentgateway-cel.js';
import { contextforgeInexpressible } from './compile/contextforge.js';
import { toolhiveInexpressible } from './compile/toolhive-cedar.js';
import type { Locate, PolicyPath } from './document.js';
import { accessMatrix, indexPolicy, lower } from './evaluate.js';
import { CONTEXTFORGE_PERMISSIONS } from './permissions.js';

export interface ValidateContext {
  snapshot?: GatewaySnapshot;
  /** The gateway's permission names (`/v1/rbac/permissions/available`); default: ContextForge 1.0.7's. */
  availablePermissions?: readonly string[];
  /** Tool names known from the merged inventory (a server may list them before the gateway does). */
  inventoryTools?: readonly string[];
  locate?: Locate;
  /** Targets to report inexpressible rules for (default: all three). */
  targets?: readonly CompileTarget[];
  now?: Date;
}

const DAY = 86_400_000;

/** Does rule resource `outer` cover everything `inner` names? */
function resourceCovers(outer: string, inner: string): boolean {
  if (outer === '*' || outer === inner) return true;
  if (outer.startsWith('server:') && !outer.includes('/tool:')) return inner.startsWith(`${outer}/tool:`);
  if (outer.startsWith('tool:')) return inner.startsWith('server:') && inner.endsWith(`/${outer}`);
  return false;
}

/** Does `outer` match every request `inner` matches? */
function ruleCovers(outer: PolicyRule, inner: PolicyRule): boolean {
  const subj = outer.subjects.includes('*') || inner.subjects.every((s) => outer.subjects.includes(s));
  return (
    subj &&
    inner.actions.every((a) => outer.actions.includes(a)) &&
    inner.resources.every((r) => outer.resources.some((o) => resourceCovers(o, r)))
  );
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));

export function validatePolicy(doc: PolicyDocument, ctx: ValidateContext = {}): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  const add = (
    code: string,
    message: string,
    path: PolicyPath,
    severity: PolicyDiagnostic['severity'] = 'error',
    extra: Partial<PolicyDiagnostic> = {},
  ) => out.push({ severity, code, message, path: [...path], ...(ctx.locate?.(path) ?? {}), ...extra });
  const now = (ctx.now ?? new Date()).getTime();
  const idx = indexPolicy(doc);
  const snap = ctx.snapshot;

  // Duplicates.
  const dupes = <T>(list: readonly T[], key: (t: T) => string, what: string, base: string, field: string) => {
    const seen = new Set<string>();
    list.forEach((t, i) => {
      const k = key(t);
      if (seen.has(k)) add('duplicate-name', `duplicate ${what} "${k}"`, [base, i, field]);
      seen.add(k);
    });
  };
  dupes(doc.teams, (t) => t.name, 'team', 'teams', 'name');
  dupes(doc.roles, (t) => t.name, 'role', 'roles', 'name');
  dupes(doc.servers, (t) => t.name, 'server', 'servers', 'name');
  dupes(doc.tools, (t) => t.name, 'tool', 'tools', 'name');
  dupes(doc.rules, (t) => t.id, 'rule id', 'rules', 'id');
  doc.teams.forEach((t, ti) => {
    const seen = new Set<string>();
    t.members.forEach((m, mi) => {
      if (seen.has(lower(m.email)))
        add('duplicate-name', `${m.email} is listed twice in team ${t.name}`, ['teams', ti, 'members', mi, 'email']);
      seen.add(lower(m.email));
    });
  });
  const seenAssign = new Set<string>();
  doc.assignments.forEach((a, i) => {
    const k = `${lower(a.user)}|${a.role}|${a.team ?? ''}`;
    if (seenAssign.has(k)) add('duplicate-name', `duplicate assignment of ${a.role} to ${a.user}`, ['assignments', i]);
    seenAssign.add(k);
  });

  // References within the document.
  const teamNames = new Set(doc.teams.map((t) => t.name));
  const roles = new Map(doc.roles.map((r) => [r.name, r]));
  doc.servers.forEach((s, i) => {
    if (s.team !== undefined && !teamNames.has(s.team))
      add('unknown-team', `server ${s.name}: team "${s.team}" is not defined in teams`, ['servers', i, 'team']);
  });
  doc.assignments.forEach((a, i) => {
    const role = roles.get(a.role);
    if (!role) add('unknown-role', `assignment: role "${a.role}" is not defined in roles`, ['assignments', i, 'role']);
    if (a.team !== undefined && !teamNames.has(a.team))
      add('unknown-team', `assignment: team "${a.team}" is not defined in teams`, ['assignments', i, 'team']);
    if (role?.scope === 'team' && a.team === undefined)
      add('assignment-scope', `role ${a.role} is team-scoped: the assignment needs a team`, ['assignments', i]);
    if (role && role.scope !== 'team' && a.team !== undefined)
      add('assignment-scope', `role ${a.role} is ${role.scope}-scoped: it cannot be assigned in a team`, [
        'assignments',
        i,
        'team',
      ]);
  });

  // Against the gateway.
  const gwUsers = new Set((snap?.users ?? []).map((u) => lower(u.email)));
  const userKnown = (e: string) => gwUsers.has(lower(e)) || idx.teamsOf.has(lower(e));
  if (snap) {
    doc.assignments.forEach((a, i) => {
      if (!userKnown(a.user))
        add('unknown-user', `${a.user} is not a gateway user and not a member of any team here`, [
          'assignments',
          i,
          'user',
        ]);
    });
  }
  const perms = new Set(ctx.availablePermissions ?? CONTEXTFORGE_PERMISSIONS);
  doc.roles.forEach((r, ri) =>
    r.permissions.forEach((p, pi) => {
      if (!perms.has(p) && !(p.endsWith('.*') && [...perms].some((q) => q.startsWith(p.slice(0, -1)))))
        add('unknown-permission', `role ${r.name}: unknown permission "${p}"`, ['roles', ri, 'permissions', pi]);
    }),
  );
  if (snap || ctx.inventoryTools) {
    const known = new Set([...(snap?.tools ?? []).map((t) => t.name), ...(ctx.inventoryTools ?? [])]);
    doc.servers.forEach((s, si) =>
      s.tools.forEach((t, ti) => {
        if (!known.has(t))
          add('unknown-tool', `server ${s.name}: tool "${t}" exists neither on the gateway nor in the inventory`, [
            'servers',
            si,
            'tools',
            ti,
          ]);
      }),
    );
  }

  // Rules.
  doc.rules.forEach((r, i) => {
    r.subjects.forEach((s, si) => {
      const name = s.slice(s.indexOf(':') + 1);
      const bad =
        (s.startsWith('team:') && !teamNames.has(name)) ||
        (s.startsWith('role:') && !roles.has(name)) ||
        (s.startsWith('user:') && !!snap && !userKnown(name));
      if (bad) add('rule-unknown-subject', `rule ${r.id}: ${s} is not defined`, ['rules', i, 'subjects', si]);
    });
    r.resources.forEach((res, ri) => {
      let bad = false;
      if (res.startsWith('server:')) {
        const slash = res.indexOf('/tool:');
        const server = slash < 0 ? res.slice(7) : res.slice(7, slash);
        bad = !idx.servers.has(server) || (slash >= 0 && !idx.serverTools.get(server)?.has(res.slice(slash + 6)));
      } else if (res.startsWith('tool:')) bad = !idx.toolServers.has(res.slice(5));
      if (bad)
        add('rule-unknown-resource', `rule ${r.id}: ${res} names no server or tool of this document`, [
          'rules',
          i,
          'resources',
          ri,
        ]);
    });
    for (let j = 0; j < doc.rules.length; j++) {
      const o = doc.rules[j] as PolicyRule;
      if (j === i) continue;
      if (
        o.effect !== r.effect &&
        sameSet(o.subjects, r.subjects) &&
        sameSet(o.actions, r.actions) &&
        sameSet(o.resources, r.resources)
      ) {
        if (r.effect === 'allow')
          add(
            'rule-contradiction',
            `rules ${r.id} and ${o.id} name the same requests with opposite effects (deny wins)`,
            ['rules', i],
          );
        continue;
      }
      if (r.effect === 'allow' && o.effect === 'deny' && ruleCovers(o, r)) {
        add(
          'rule-shadowed',
          `rule ${r.id} never allows anything: deny rule ${o.id} covers it`,
          ['rules', i],
          'warning',
        );
        break;
      }
      if (j < i && o.effect === r.effect && ruleCovers(o, r)) {
        add(
          'rule-shadowed',
          `rule ${r.id} is redundant: earlier rule ${o.id} already covers it`,
          ['rules', i],
          'warning',
        );
        break;
      }
    }
  });

  // Guardrails.
  const g = doc.guardrails;
  if (g.noPublicWriteTools && snap) {
    const byName = new Map(snap.tools.map((t) => [t.name, t]));
    doc.servers.forEach((s, si) => {
      if (s.visibility !== 'public' || !s.enabled) return;
      s.tools.forEach((t, ti) => {
        if (byName.get(t)?.readOnly !== true)
          add(
            'guardrail.public-write-tool',
            `public server ${s.name} exposes ${t}, which is not annotated read-only`,
            ['servers', si, 'tools', ti],
            'error',
            { hint: `make ${s.name} team-visible or move ${t} to a team server` },
          );
      });
    });
  }
  if (g.tokenMaxDays && snap) {
    for (const t of snap.tokens) {
      if (!t.active || t.revoked) continue;
      const from = t.createdAt ? Date.parse(t.createdAt) : now;
      const until = t.expiresAt ? Date.parse(t.expiresAt) : Infinity;
      if (until - from > g.tokenMaxDays * DAY)
        add(
          'guardrail.token-max-days',
          `token ${t.name} of ${t.userEmail} ${t.expiresAt ? `lives ${Math.round((until - from) / DAY)} days` : 'never expires'}; the limit is ${g.tokenMaxDays}`,
          ['guardrails', 'tokenMaxDays'],
          'error',
          { hint: 'revoke it and issue a token with expires_in_days within the limit' },
        );
    }
  }
  if (g.assignmentMaxDays) {
    doc.assignments.forEach((a, i) => {
      const until = a.expires ? Date.parse(a.expires) : Infinity;
      if (until - now > g.assignmentMaxDays! * DAY)
        add(
          'guardrail.assignment-max-days',
          `assignment of ${a.role} to ${a.user} ${a.expires ? 'expires too late' : 'has no expiry'}; the limit is ${g.assignmentMaxDays} days`,
          ['assignments', i, a.expires ? 'expires' : 'role'],
        );
    });
  }
  if (g.noSharedUpstreamCredentials && snap) {
    const upstreamOf = new Map(snap.tools.map((t) => [t.name, t.upstreamId]));
    const upstreams = new Map(snap.upstreams.map((u) => [u.id, u]));
    const teamsBy = new Map<string, Set<string>>();
    for (const c of accessMatrix(doc)) {
      const up = upstreamOf.get(c.tool);
      if (!up || upstreams.get(up)?.authType === 'none') continue;
      const teams = c.subject.startsWith('team:')
        ? [c.subject.slice(5)]
        : [...(idx.teamsOf.get(c.subject.slice(5)) ?? [`(user ${c.subject.slice(5)})`])];
      let s = teamsBy.get(up);
      if (!s) teamsBy.set(up, (s = new Set()));
      teams.forEach((t) => s.add(t));
    }
    for (const [up, teams] of teamsBy)
      if (teams.size > 1)
        add(
          'guardrail.shared-upstream-credentials',
          `upstream ${upstreams.get(up)?.name ?? up} (one credential) is reachable from ${teams.size} teams: ${[...teams].sort().join(', ')}`,
          ['guardrails', 'noSharedUpstreamCredentials'],
        );
  }

  // Targets.
  const targets = ctx.targets ?? ['contextforge', 'toolhive-cedar', 'agentgateway-cel'];
  const targetDiags = [
    ...(targets.includes('contextforge') ? contextforgeInexpressible(doc) : []),
    ...(targets.includes('toolhive-cedar') ? toolhiveInexpressible(doc) : []),
    ...(targets.includes('agentgateway-cel') ? agentgatewayInexpressible(doc) : []),
  ];
  for (const d of targetDiags) out.push({ ...d, ...(ctx.locate?.(d.path) ?? {}) });
  return out;
}
