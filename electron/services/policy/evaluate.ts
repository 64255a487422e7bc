import type {
  MatrixDeltaEntry,
  PolicyAction,
  PolicyAssignment,
  PolicyDocument,
  PolicyRole,
  PolicyRule,
  PolicyServer,
  PolicyTool,
} from '../../../shared/model/policy.js';
import { grants, SERVER_PERMISSION, TOOL_PERMISSION } from '../tenants/access.js';

/**
 * Gatehouse's reference evaluator: what a policy document means. The Cedar and CEL compilers and
 * the simulator must agree with it (equivalence.test.ts checks every request of a fixture).
 *
 * - Default deny. A request is allowed iff (a structural grant OR an allow rule matches) AND no deny
 *   rule matches: deny wins, rule order never changes a decision.
 * - Structural grant (mirrors ContextForge, see tenants/access.ts): `call_tool` / `list_tools` on
 *   tool T via virtual server S iff S is enabled, S lists T, T is not disabled in `tools[]`, S is
 *   visible to the user and the user holds the permissions in a team context that applies:
 *   - visibility: `public` → any known user (a team member or an assignment holder); `team` →
 *     members of S.team; `private` → nobody (its owner is not part of the document);
 *   - tool visibility from `tools[]`: `private` → hidden; `team` → only members of S.team;
 *   - permissions: `servers.use` (list) and also `tools.execute` (call), from the union of the
 *     user's global roles and the team-scoped roles of the context team (S.team for a team server;
 *     any of the user's teams for a public one). Wildcards `*` and `area.*` count;
 *   - default member rule: a member of team X with NO team-scoped assignment for X holds
 *     DEFAULT_TEAM_MEMBER_PERMISSIONS in X (ContextForge assigns its `viewer` team role to every
 *     member it adds; a pulled document lists that assignment, so the default only speaks for
 *     members a draft adds). With any team-scoped assignment for X, only the assigned roles count.
 *   - expired assignments count for nothing.
 * - Prompts and resources have no structural grant in the document: only rules reach them.
 * - Subjects: `team:X` (member of X), `user:E` (e-mail, case-insensitive), `role:R` (holds R in any
 *   scope), `*` (any caller). Resources: `server:S` (anything via S), `tool:T` (T via any server),
 *   `server:S/tool:T`, `prompt:P`, `resource:URI` (exact), `*`.
 * - A tool request naming a server that does not list the tool is denied: there is nothing to call.
 */

/** ContextForge 1.0.7 `viewer` (default_team_member_role) grants these among others. */
export const DEFAULT_TEAM_MEMBER_PERMISSIONS: readonly string[] = [SERVER_PERMISSION, TOOL_PERMISSION];

export interface PolicyRequest {
  user: string;
  /** Teams the caller is a member of (default: from the document). */
  teams?: readonly string[];
  /** Roles the caller holds (default: from the document's assignments). */
  roles?: readonly string[];
  action: PolicyAction;
  server?: string;
  tool?: string;
  prompt?: string;
  resource?: string;
}

export interface Decision {
  allowed: boolean;
  reason: string;
  /** What decided: a rule id, `structural`, or `default`. */
  by: string;
}

export const lower = (s: string) => s.toLowerCase();

/** Lookup tables of one document, built once (WeakMap-cached per document object). */
export interface PolicyIndex {
  doc: PolicyDocument;
  teamsOf: Map<string, Set<string>>;
  members: Map<string, string[]>;
  roles: Map<string, PolicyRole>;
  assignmentsOf: Map<string, PolicyAssignment[]>;
  servers: Map<string, PolicyServer>;
  serverTools: Map<string, Set<string>>;
  /** Tool → servers listing it. */
  toolServers: Map<string, string[]>;
  toolSettings: Map<string, PolicyTool>;
  knownUsers: Set<string>;
  allows: PolicyRule[];
  denies: PolicyRule[];
  /** Users named by a `user:` subject (they can decide differently from their peers). */
  namedUsers: Set<string>;
}

const cache = new WeakMap<PolicyDocument, PolicyIndex>();

function live(a: PolicyAssignment, now: number): boolean {
  if (!a.expires) return true;
  const t = Date.parse(/T/.test(a.expires) || a.expires.length > 10 ? a.expires : `${a.expires}T23:59:59Z`);
  return Number.isNaN(t) || t > now;
}

export function indexPolicy(doc: PolicyDocument, now = Date.now()): PolicyIndex {
  const hit = cache.get(doc);
  if (hit) return hit;
  const teamsOf = new Map<string, Set<string>>();
  const members = new Map<string, string[]>();
  const knownUsers = new Set<string>();
  for (const t of doc.teams) {
    const list: string[] = [];
    for (const m of t.members) {
      const e = lower(m.email);
      list.push(e);
      knownUsers.add(e);
      let s = teamsOf.get(e);
      if (!s) teamsOf.set(e, (s = new Set()));
      s.add(t.name);
    }
    members.set(t.name, list);
  }
  const assignmentsOf = new Map<string, PolicyAssignment[]>();
  for (const a of doc.assignments) {
    if (!live(a, now)) continue;
    const e = lower(a.user);
    knownUsers.add(e);
    const l = assignmentsOf.get(e);
    if (l) l.push(a);
    else assignmentsOf.set(e, [a]);
  }
  const serverTools = new Map<string, Set<string>>();
  const toolServers = new Map<string, string[]>();
  for (const s of doc.servers) {
    serverTools.set(s.name, new Set(s.tools));
    for (const t of s.tools) {
      const l = toolServers.get(t);
      if (l) l.push(s.name);
      else toolServers.set(t, [s.name]);
    }
  }
  const namedUsers = new Set<string>();
  for (const r of doc.rules) for (const s of r.subjects) if (s.startsWith('user:')) namedUsers.add(lower(s.slice(5)));
  const idx: PolicyIndex = {
    doc,
    teamsOf,
    members,
    roles: new Map(doc.roles.map((r) => [r.name, r])),
    assignmentsOf,
    servers: new Map(doc.servers.map((s) => [s.name, s])),
    serverTools,
    toolServers,
    toolSettings: new Map(doc.tools.map((t) => [t.name, t])),
    knownUsers,
    allows: doc.rules.filter((r) => r.effect === 'allow'),
    denies: doc.rules.filter((r) => r.effect === 'deny'),
    namedUsers,
  };
  cache.set(doc, idx);
  return idx;
}

/** The user's teams and roles as the document states them. */
export function subjectOf(idx: PolicyIndex, user: string): { teams: string[]; roles: string[] } {
  const e = lower(user);
  return {
    teams: [...(idx.teamsOf.get(e) ?? [])].sort(),
    roles: [...new Set((idx.assignmentsOf.get(e) ?? []).map((a) => a.role))].sort(),
  };
}

/** Permissions held in a team context (undefined = global roles only), with the roles that gave them. */
export function permissionsIn(
  idx: PolicyIndex,
  user: string,
  team: string | undefined,
  teams: ReadonlySet<string>,
): { perms: string[]; via: string } {
  const assigned = idx.assignmentsOf.get(lower(user)) ?? [];
  const perms: string[] = [];
  const via: string[] = [];
  let teamScoped = false;
  for (const a of assigned) {
    const role = idx.roles.get(a.role);
    if (!role) continue;
    if (a.team === undefined) {
      perms.push(...role.permissions);
      via.push(`role ${role.name}`);
    } else if (a.team === team) {
      teamScoped = true;
      perms.push(...role.permissions);
      via.push(`role ${role.name}@${team}`);
    }
  }
  if (team !== undefined && !teamScoped && teams.has(team)) {
    perms.push(...DEFAULT_TEAM_MEMBER_PERMISSIONS);
    via.push(`default member permissions in ${team}`);
  }
  return { perms, via: via.join(', ') };
}

/** Why a structural grant applies, or undefined when none does. */
export function structuralGrant(
  idx: PolicyIndex,
  user: string,
  teams: ReadonlySet<string>,
  action: PolicyAction,
  serverName: string,
  tool: string | undefined,
): string | undefined {
  if (action !== 'call_tool' && action !== 'list_tools') return undefined;
  const s = idx.servers.get(serverName);
  if (!s || !s.enabled) return undefined;
  if (tool !== undefined) {
    if (!idx.serverTools.get(s.name)?.has(tool)) return undefined;
    const setting = idx.toolSettings.get(tool);
    if (setting?.enabled === false || setting?.visibility === 'private') return undefined;
    if (setting?.visibility === 'team' && !(s.team !== undefined && teams.has(s.team))) return undefined;
  } else if (action === 'call_tool') return undefined;
  let contexts: (string | undefined)[];
  if (s.visibility === 'public') {
    if (!idx.knownUsers.has(lower(user)) && teams.size === 0) return undefined;
    contexts = [undefined, ...teams];
  } else if (s.visibility === 'team') {
    if (s.team === undefined || !teams.has(s.team)) return undefined;
    contexts = [s.team];
  } else return undefined;
  const needed = action === 'call_tool' ? [SERVER_PERMISSION, TOOL_PERMISSION] : [SERVER_PERMISSION];
  for (const c of contexts) {
    const { perms, via } = permissionsIn(idx, user, c, teams);
    if (needed.every((n) => grants(perms, n))) {
      const vis =
        s.visibility === 'public' ? `server ${s.name} is public` : `server ${s.name} is visible to team ${s.team}`;
      return `${vis}; ${needed.join(' + ')} via ${via || 'no role'}`;
    }
  }
  return undefined;
}

/**
 * What a structural grant depends on for a user: known or not, teams, live assignments. Users with
 * the same key are granted alike (structuralGrant reads nothing else of the user).
 */
const grantKeys = new WeakMap<PolicyIndex, Map<string, string>>();
function grantKey(idx: PolicyIndex, user: string): string {
  let m = grantKeys.get(idx);
  if (!m) grantKeys.set(idx, (m = new Map()));
  let k = m.get(user);
  if (k === undefined) {
    const e = lower(user);
    const teams = [...(idx.teamsOf.get(e) ?? [])].sort();
    const assigns = (idx.assignmentsOf.get(e) ?? []).map((a) => `${a.role}@${a.team ?? ''}`).sort();
    m.set(user, (k = JSON.stringify([idx.knownUsers.has(e), teams, assigns])));
  }
  return k;
}

/** The users (in their order) a structural grant lets do `action` on `tool` via `server`; one check per grant profile. */
export function grantedUsers(
  idx: PolicyIndex,
  users: readonly string[],
  action: PolicyAction,
  server: string,
  tool: string | undefined,
): string[] {
  const seen = new Map<string, boolean>();
  return users.filter((u) => {
    const k = grantKey(idx, u);
    let g = seen.get(k);
    if (g === undefined)
      seen.set(k, (g = !!structuralGrant(idx, u, idx.teamsOf.get(lower(u)) ?? new Set(), action, server, tool)));
    return g;
  });
}

export function subjectMatches(subject: string, user: string, teams: ReadonlySet<string>, roles: ReadonlySet<string>) {
  if (subject === '*') return true;
  const i = subject.indexOf(':');
  const kind = subject.slice(0, i);
  const name = subject.slice(i + 1);
  if (kind === 'team') return teams.has(name);
  if (kind === 'user') return lower(name) === lower(user);
  if (kind === 'role') return roles.has(name);
  return false;
}

/** Does a rule resource cover the request's object? */
export function resourceMatches(resource: string, req: PolicyRequest): boolean {
  if (resource === '*') return true;
  const toolish = req.action === 'call_tool' || req.action === 'list_tools';
  if (resource.startsWith('server:')) {
    const slash = resource.indexOf('/tool:');
    const server = slash < 0 ? resource.slice(7) : resource.slice(7, slash);
    if (req.server !== server) return false;
    if (slash < 0) return true;
    return toolish && req.tool === resource.slice(slash + 6);
  }
  if (resource.startsWith('tool:')) return toolish && req.tool === resource.slice(5);
  if (resource.startsWith('prompt:')) return req.action === 'get_prompt' && req.prompt === resource.slice(7);
  if (resource.startsWith('resource:')) return req.action === 'read_resource' && req.resource === resource.slice(9);
  return false;
}

export function ruleMatches(
  rule: PolicyRule,
  req: PolicyRequest,
  teams: ReadonlySet<string>,
  roles: ReadonlySet<string>,
): boolean {
  return (
    rule.actions.includes(req.action) &&
    rule.subjects.some((s) => subjectMatches(s, req.user, teams, roles)) &&
    rule.resources.some((r) => resourceMatches(r, req))
  );
}

export function decide(docOrIndex: PolicyDocument | PolicyIndex, req: PolicyRequest): Decision {
  const idx = 'teamsOf' in docOrIndex ? docOrIndex : indexPolicy(docOrIndex);
  const own = req.teams && req.roles ? undefined : subjectOf(idx, req.user);
  const teams = new Set(req.teams ?? own?.teams ?? []);
  const roles = new Set(req.roles ?? own?.roles ?? []);
  const toolish = req.action === 'call_tool' || req.action === 'list_tools';
  if (toolish && req.tool !== undefined && req.server !== undefined) {
    if (!idx.serverTools.get(req.server)?.has(req.tool))
      return { allowed: false, by: 'default', reason: `server ${req.server} does not expose tool ${req.tool}` };
  }
  for (const r of idx.denies)
    if (ruleMatches(r, req, teams, roles)) return { allowed: false, by: r.id, reason: `denied by rule ${r.id}` };
  if (toolish) {
    const servers =
      req.server !== undefined ? [req.server] : req.tool !== undefined ? (idx.toolServers.get(req.tool) ?? []) : [];
    for (const s of servers) {
      const why = structuralGrant(idx, req.user, teams, req.action, s, req.tool);
      if (why) return { allowed: true, by: 'structural', reason: why };
    }
  }
  for (const r of idx.allows)
    if (ruleMatches(r, req, teams, roles)) return { allowed: true, by: r.id, reason: `allowed by rule ${r.id}` };
  return { allowed: false, by: 'default', reason: 'no grant and no allow rule (default deny)' };
}

// ---------------------------------------------------------------------------------------------
// Access matrix: who can call which tool via which server. Users with the same teams, roles and no
// rule naming them decide identically, so each such profile is evaluated once.

export interface MatrixCell {
  /** `team:X` when every member of X has it, else `user:E`. */
  subject: string;
  server: string;
  tool: string;
  via: string;
}

const SEP = '\u0000';
const cellKey = (server: string, tool: string) => `${server}${SEP}${tool}`;

interface Profiles {
  idx: PolicyIndex;
  /** user → profile id */
  profileOf: Map<string, string>;
  /** profile id → reachable cells (server\0tool → via) */
  cells: Map<string, Map<string, string>>;
}

function profileKey(idx: PolicyIndex, user: string): string {
  if (idx.namedUsers.has(user)) return `user:${user}`;
  const teams = [...(idx.teamsOf.get(user) ?? [])].sort();
  const assigns = (idx.assignmentsOf.get(user) ?? []).map((a) => `${a.role}@${a.team ?? ''}`).sort();
  return JSON.stringify([teams, assigns]);
}

function computeProfiles(idx: PolicyIndex, users: Iterable<string>): Profiles {
  const profileOf = new Map<string, string>();
  const cells = new Map<string, Map<string, string>>();
  for (const user of users) {
    const key = profileKey(idx, user);
    profileOf.set(user, key);
    if (cells.has(key)) continue;
    const { teams: tl, roles: rl } = subjectOf(idx, user);
    const teams = new Set(tl);
    const roles = new Set(rl);
    // Candidates: structurally visible servers plus whatever an allow rule of this user names.
    const cand = new Map<string, [string, string]>();
    const addServer = (name: string) => {
      for (const t of idx.serverTools.get(name) ?? []) cand.set(cellKey(name, t), [name, t]);
    };
    for (const s of idx.doc.servers)
      if (s.visibility === 'public' || (s.visibility === 'team' && s.team !== undefined && teams.has(s.team)))
        addServer(s.name);
    for (const r of idx.allows) {
      if (!r.actions.includes('call_tool') || !r.subjects.some((s) => subjectMatches(s, user, teams, roles))) continue;
      ruleCells(idx, r, cand);
    }
    const out = new Map<string, string>();
    const base = { user, teams: tl, roles: rl, action: 'call_tool' as const };
    for (const [k, [server, tool]] of cand) {
      const d = decide(idx, { ...base, server, tool });
      if (d.allowed) out.set(k, d.reason);
    }
    cells.set(key, out);
  }
  return { idx, profileOf, cells };
}

function allUsers(...idxs: PolicyIndex[]): string[] {
  const s = new Set<string>();
  for (const i of idxs) for (const u of i.knownUsers) s.add(u);
  for (const i of idxs) for (const u of i.namedUsers) s.add(u);
  return [...s].sort();
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf(SEP);
  return [k.slice(0, i), k.slice(i + 1)];
}

/** Every (subject, server, tool) that can call: team rows where a whole team can, user rows for the rest. */
export function accessMatrix(doc: PolicyDocument): MatrixCell[] {
  const idx = indexPolicy(doc);
  const users = allUsers(idx);
  const p = computeProfiles(idx, users);
  const cellsOf = (u: string) => p.cells.get(p.profileOf.get(u) ?? '') ?? new Map<string, string>();
  const out: MatrixCell[] = [];
  const covered = new Map<string, Set<string>>();
  for (const [team, members] of [...idx.members].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!members.length) continue;
    const first = cellsOf(members[0] as string);
    const rest = [...new Set(members.slice(1).map((m) => p.profileOf.get(m)))].map((k) => p.cells.get(k ?? ''));
    for (const [k, via] of first) {
      if (!rest.every((c) => c?.has(k))) continue;
      const [server, tool] = splitKey(k);
      out.push({ subject: `team:${team}`, server, tool, via });
      for (const m of members) {
        let c = covered.get(m);
        if (!c) covered.set(m, (c = new Set()));
        c.add(k);
      }
    }
  }
  for (const u of users) {
    const c = covered.get(u);
    for (const [k, via] of cellsOf(u)) {
      if (c?.has(k)) continue;
      const [server, tool] = splitKey(k);
      out.push({ subject: `user:${u}`, server, tool, via });
    }
  }
  return out;
}

/** Everything but the rules, for telling whether two documents differ in their rules only. */
const structureCache = new WeakMap<PolicyDocument, string>();
function structureOf(doc: PolicyDocument): string {
  let s = structureCache.get(doc);
  if (s === undefined) structureCache.set(doc, (s = JSON.stringify({ ...doc, rules: [] })));
  return s;
}

/** Adds the (server, tool) cells a rule's call_tool can reach (none when it has no call_tool). */
function ruleCells(idx: PolicyIndex, rule: PolicyRule, out: Map<string, [string, string]>): void {
  if (!rule.actions.includes('call_tool')) return;
  const addServer = (name: string) => {
    for (const t of idx.serverTools.get(name) ?? []) out.set(cellKey(name, t), [name, t]);
  };
  for (const res of rule.resources) {
    if (res === '*') for (const s of idx.doc.servers) addServer(s.name);
    else if (res.startsWith('server:')) {
      const slash = res.indexOf('/tool:');
      if (slash < 0) addServer(res.slice(7));
      else {
        const s = res.slice(7, slash);
        const t = res.slice(slash + 6);
        if (idx.serverTools.get(s)?.has(t)) out.set(cellKey(s, t), [s, t]);
      }
    } else if (res.startsWith('tool:')) {
      const t = res.slice(5);
      for (const s of idx.toolServers.get(t) ?? []) out.set(cellKey(s, t), [s, t]);
    }
  }
}

export interface MatrixDeltaOptions {
  /**
   * Compare every reachable cell of every profile (default: when the documents differ in their
   * rules only, only the cells a changed rule reaches). The tests compare the two.
   */
  exhaustive?: boolean;
}

/**
 * Cells of the tenant matrix a draft changes: team rows when every member of the team gains (or
 * loses) the tool, user rows for the rest (user-scoped rules, role differences).
 *
 * When the documents differ in their rules only (the common edit), a decision can change only where
 * a rule present in one document and not the other matches (allowed = no deny matches and a grant
 * or an allow matches; the structure and the common rules decide alike), so only those rules' cells
 * are decided, for the users their subjects match.
 */
export function matrixDelta(
  live: PolicyDocument,
  draft: PolicyDocument,
  opts: MatrixDeltaOptions = {},
): MatrixDeltaEntry[] {
  const li = indexPolicy(live);
  const di = indexPolicy(draft);
  const users = allUsers(li, di);
  type Change = { key: string; server: string; tool: string; change: 'gains' | 'loses'; via: string };
  const pairCache = new Map<string, Map<string, Change>>();
  const sorted = (m: Map<string, Change>) => new Map([...m].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
  let changesOf: (u: string) => Map<string, Change>;
  if (!opts.exhaustive && structureOf(live) === structureOf(draft)) {
    const text = (r: PolicyRule) => JSON.stringify(r);
    const liveRules = new Set(live.rules.map(text));
    const draftRules = new Set(draft.rules.map(text));
    const changed = [
      ...live.rules.filter((r) => !draftRules.has(text(r))),
      ...draft.rules.filter((r) => !liveRules.has(text(r))),
    ].filter((r) => r.actions.includes('call_tool'));
    const cellsOf = new Map<PolicyRule, Map<string, [string, string]>>();
    for (const r of changed) {
      const m = new Map<string, [string, string]>();
      ruleCells(li, r, m);
      cellsOf.set(r, m);
    }
    changesOf = (u) => {
      const pk = `${profileKey(li, u)}${SEP}${profileKey(di, u)}`;
      const hit = pairCache.get(pk);
      if (hit) return hit;
      const { teams: tl, roles: rl } = subjectOf(li, u);
      const teams = new Set(tl);
      const roles = new Set(rl);
      const cand = new Map<string, [string, string]>();
      for (const r of changed) {
        if (!r.subjects.some((s) => subjectMatches(s, u, teams, roles))) continue;
        for (const [k, c] of cellsOf.get(r) ?? []) cand.set(k, c);
      }
      const out = new Map<string, Change>();
      const base = { user: u, teams: tl, roles: rl, action: 'call_tool' as const };
      for (const [k, [server, tool]] of cand) {
        const a = decide(li, { ...base, server, tool });
        const b = decide(di, { ...base, server, tool });
        if (a.allowed === b.allowed) continue;
        if (b.allowed) out.set(`g${SEP}${k}`, { key: k, server, tool, change: 'gains', via: b.reason });
        else out.set(`l${SEP}${k}`, { key: k, server, tool, change: 'loses', via: `${b.reason} (was: ${a.reason})` });
      }
      const res = sorted(out);
      pairCache.set(pk, res);
      return res;
    };
  } else {
    const lp = computeProfiles(li, users);
    const dp = computeProfiles(di, users);
    changesOf = (u) => {
      const lk = lp.profileOf.get(u) ?? '';
      const dk = dp.profileOf.get(u) ?? '';
      const pk = `${lk}${SEP}${dk}`;
      const hit = pairCache.get(pk);
      if (hit) return hit;
      const a = lp.cells.get(lk) ?? new Map<string, string>();
      const b = dp.cells.get(dk) ?? new Map<string, string>();
      const out = new Map<string, Change>();
      for (const [k, via] of b) {
        if (a.has(k)) continue;
        const [server, tool] = splitKey(k);
        out.set(`g${SEP}${k}`, { key: k, server, tool, change: 'gains', via });
      }
      for (const [k, via] of a) {
        if (b.has(k)) continue;
        const [server, tool] = splitKey(k);
        // The user's own decision under the draft says why it is gone (deny rule, role, visibility).
        const now = decide(di, { user: u, action: 'call_tool', server, tool });
        out.set(`l${SEP}${k}`, { key: k, server, tool, change: 'loses', via: `${now.reason} (was: ${via})` });
      }
      const res = sorted(out);
      pairCache.set(pk, res);
      return res;
    };
  }
  const entries: MatrixDeltaEntry[] = [];
  const covered = new Map<string, Set<string>>();
  const teamNames = [...new Set([...li.members.keys(), ...di.members.keys()])].sort();
  for (const team of teamNames) {
    const members = di.members.get(team) ?? li.members.get(team) ?? [];
    if (!members.length) continue;
    const first = changesOf(members[0] as string);
    if (!first.size) continue;
    const rest = members.slice(1).map(changesOf);
    for (const [ck, c] of first) {
      if (!rest.every((r) => r.has(ck))) continue;
      entries.push({ subject: `team:${team}`, server: c.server, tool: c.tool, change: c.change, via: c.via });
      for (const m of members) {
        let s = covered.get(m);
        if (!s) covered.set(m, (s = new Set()));
        s.add(ck);
      }
    }
  }
  for (const u of users) {
    const cov = covered.get(u);
    for (const [ck, c] of changesOf(u)) {
      if (cov?.has(ck)) continue;
      entries.push({ subject: `user:${u}`, server: c.server, tool: c.tool, change: c.change, via: c.via });
    }
  }
  return entries;
}
