import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { GatewaySnapshot } from '../../../shared/model/gateway.js';
import type { PolicyChange, PolicyDiagnostic, PolicyDocument, PolicyObjectKind } from '../../../shared/model/policy.js';
import { assignmentKey, normalizeExpiry, policyFromSnapshot, toolDefaults } from './from-snapshot.js';

/**
 * Draft vs gateway (or draft vs document) as an ordered list of name-keyed changes.
 *
 * What a draft owns (objects it does not own are never touched):
 * - Teams it lists: created when missing, visibility/description updated. Teams it omits are
 *   untouched, with their members and assignments. Teams are never deleted.
 * - Members of a listed team: exactly the listed ones (others are removed).
 * - Custom (non-system) roles: exactly the listed ones — an unlisted custom role is deleted, unless it
 *   is still assigned in a team the draft does not list (then a warning, and it stays).
 * - Assignments of custom roles: exactly the listed ones within its reach (team assignments of listed
 *   teams, global/personal assignments). System-role assignments are created when listed, never removed.
 * - Servers it lists: created when missing, updated otherwise. Unlisted servers are untouched; a push
 *   never deletes a virtual server (tokens are scoped to its id).
 * - Tools it lists: the listed settings. Unlisted tools keep their settings — except with
 *   `unlistedTools: 'default'` (rollback of a pulled document), where they return to their default.
 */

export interface PlanOptions {
  unlistedTools?: 'keep' | 'default';
  /** Comparing two documents: a tool listed on one side only is a change of its settings. */
  documents?: boolean;
}

export interface PlanOutput {
  changes: PolicyChange[];
  diagnostics: PolicyDiagnostic[];
}

type State = Record<string, unknown>;

/** One policy object as the planner sees it: document-terms state plus the gateway's id/version. */
export interface IndexEntry {
  kind: PolicyObjectKind;
  key: string;
  state: State;
  objectId?: string;
  version?: string;
  /** System role, or an assignment of one. */
  system?: boolean;
  /** Default settings of a tool (for `unlistedTools: 'default'`). */
  defaults?: State;
}

export type PolicyIndex = Map<string, IndexEntry>;

export const teamKey = (name: string) => `team:${name}`;
export const memberKey = (team: string, email: string) => `team:${team}/member:${email}`;
export const roleKey = (name: string) => `role:${name}`;
export const serverKey = (name: string) => `server:${name}`;
export const toolKey = (name: string) => `tool:${name}`;

/** SHA-256 of canonical JSON (RFC 8785). */
export function contentHash(v: unknown): string {
  return createHash('sha256')
    .update(canonicalize(v) ?? 'null')
    .digest('hex');
}

/** Gateway state indexed by key, with every tool and every assignment (system ones flagged). */
export function indexSnapshot(snap: GatewaySnapshot): PolicyIndex {
  const doc = policyFromSnapshot(snap);
  const idx = indexDocument(doc);
  const teamByName = new Map(snap.teams.filter((t) => !t.personal).map((t) => [t.name, t]));
  const teamName = new Map(snap.teams.filter((t) => !t.personal).map((t) => [t.id, t.name]));
  for (const e of idx.values()) {
    if (e.kind === 'team') {
      const t = teamByName.get(String(e.state.name));
      e.objectId = t?.id;
      e.version = stamp(undefined, t?.updatedAt, e.state);
    } else if (e.kind === 'member') {
      e.objectId = String(e.state.email);
      e.version = stamp(undefined, undefined, e.state);
    }
  }
  for (const r of snap.roles) {
    const e = idx.get(roleKey(r.name));
    if (e) {
      e.objectId = r.id;
      e.version = stamp(undefined, r.updatedAt, e.state);
    } else if (r.system) {
      idx.set(roleKey(r.name), {
        kind: 'role',
        key: roleKey(r.name),
        state: { name: r.name, scope: r.scope, permissions: [...r.permissions].sort() },
        objectId: r.id,
        system: true,
      });
    }
  }
  // System-role assignments: not in the document, but the planner must know they exist.
  const roleById = new Map(snap.roles.map((r) => [r.id, r]));
  for (const a of snap.assignments) {
    const role = roleById.get(a.roleId);
    if (!a.active || !role) continue;
    const team = a.scope === 'team' ? (a.scopeId ? teamName.get(a.scopeId) : undefined) : undefined;
    if (a.scope === 'team' && !team) continue;
    const key = assignmentKey({ user: a.email, role: role.name, team });
    let e = idx.get(key);
    if (!e && role.system) {
      const expires = normalizeExpiry(a.expiresAt);
      e = {
        kind: 'assignment',
        key,
        state: { user: a.email, role: role.name, ...(team ? { team } : {}), ...(expires ? { expires } : {}) },
        system: true,
      };
      idx.set(key, e);
    }
    if (e) {
      e.objectId = a.roleId;
      e.version = stamp(undefined, undefined, e.state);
    }
  }
  const serverByName = new Map(snap.servers.map((s) => [s.name, s]));
  for (const e of idx.values()) {
    if (e.kind !== 'server') continue;
    const s = serverByName.get(String(e.state.name));
    e.objectId = s?.id;
    e.version = stamp(s?.version, s?.updatedAt, e.state);
  }
  const defaults = toolDefaults(snap);
  for (const t of snap.tools) {
    const d = defaults(t);
    idx.set(toolKey(t.name), {
      kind: 'tool',
      key: toolKey(t.name),
      state: { name: t.name, visibility: t.visibility, enabled: t.enabled },
      objectId: t.id,
      version: stamp(t.version, t.updatedAt, { visibility: t.visibility, enabled: t.enabled }),
      defaults: { name: t.name, visibility: d.visibility, enabled: d.enabled },
    });
  }
  return idx;
}

/** What the gateway's object looked like: its version/updated_at where it has one, and its content. */
function stamp(version: number | undefined, updatedAt: string | undefined, state: State): string {
  const parts: string[] = [];
  if (version !== undefined) parts.push(`v${version}`);
  if (updatedAt) parts.push(`at ${updatedAt}`);
  parts.push(`sha256:${contentHash(state).slice(0, 16)}`);
  return parts.join(' ');
}

/** A document indexed by key (document terms; tools only with the fields the document sets). */
export function indexDocument(doc: PolicyDocument): PolicyIndex {
  const idx: PolicyIndex = new Map();
  const put = (e: IndexEntry) => idx.set(e.key, e);
  for (const t of doc.teams) {
    put({
      kind: 'team',
      key: teamKey(t.name),
      state: { name: t.name, visibility: t.visibility, ...(t.description ? { description: t.description } : {}) },
    });
    for (const m of t.members)
      put({ kind: 'member', key: memberKey(t.name, m.email), state: { team: t.name, email: m.email, role: m.role } });
  }
  for (const r of doc.roles)
    put({
      kind: 'role',
      key: roleKey(r.name),
      state: {
        name: r.name,
        scope: r.scope,
        ...(r.description ? { description: r.description } : {}),
        permissions: [...r.permissions].sort(),
      },
    });
  for (const a of doc.assignments) {
    const expires = normalizeExpiry(a.expires);
    put({
      kind: 'assignment',
      key: assignmentKey(a),
      state: { user: a.user, role: a.role, ...(a.team ? { team: a.team } : {}), ...(expires ? { expires } : {}) },
    });
  }
  for (const s of doc.servers)
    put({
      kind: 'server',
      key: serverKey(s.name),
      state: {
        name: s.name,
        ...(s.team ? { team: s.team } : {}),
        visibility: s.visibility,
        enabled: s.enabled,
        ...(s.description ? { description: s.description } : {}),
        tools: [...new Set(s.tools)].sort(),
      },
    });
  for (const t of doc.tools)
    put({
      kind: 'tool',
      key: toolKey(t.name),
      state: {
        name: t.name,
        ...(t.visibility !== undefined ? { visibility: t.visibility } : {}),
        ...(t.enabled !== undefined ? { enabled: t.enabled } : {}),
      },
    });
  return idx;
}

/** Changes that turn the gateway state of `snapshot` into `draft`. */
export function planChanges(draft: PolicyDocument, snapshot: GatewaySnapshot, opts: PlanOptions = {}): PlanOutput {
  const current = indexSnapshot(snapshot);
  const diagnostics = checkNames(draft, snapshot);
  return { changes: diffIndexes(indexDocument(draft), current, draft, opts, diagnostics), diagnostics };
}

/**
 * Document vs document (stored versions). The `from` document stands for the gateway: tools it does
 * not list are taken as unchanged, and system objects are unknown.
 */
export function diffDocuments(from: PolicyDocument, to: PolicyDocument): PlanOutput {
  const current = indexDocument(from);
  const diagnostics: PolicyDiagnostic[] = [];
  // Tools listed only in `to`: compare against an empty state so they show as a change of setting.
  return { changes: diffIndexes(indexDocument(to), current, to, { documents: true }, diagnostics), diagnostics };
}

const ORDER: Array<[PolicyObjectKind, PolicyChange['op'][]]> = [
  ['team', ['create', 'update']],
  ['role', ['create', 'update']],
  ['member', ['create', 'update']],
  ['assignment', ['create', 'update']],
  ['server', ['create', 'update']],
  ['tool', ['update']],
  // Deletions in reverse dependency order: assignments, then members, then roles.
  ['assignment', ['delete']],
  ['member', ['delete']],
  ['role', ['delete']],
];

function diffIndexes(
  desired: PolicyIndex,
  current: PolicyIndex,
  draft: PolicyDocument,
  opts: PlanOptions,
  diagnostics: PolicyDiagnostic[],
): PolicyChange[] {
  const draftTeams = new Set(draft.teams.map((t) => t.name));
  const raw: Array<Omit<PolicyChange, 'seq'>> = [];
  const change = (
    op: PolicyChange['op'],
    kind: PolicyObjectKind,
    key: string,
    cur: IndexEntry | undefined,
    after: State | null,
  ) => {
    raw.push({
      op,
      kind,
      key,
      ...(cur?.objectId ? { objectId: cur.objectId } : {}),
      summary: summarize(op, kind, cur?.state ?? null, after),
      before: cur ? cur.state : null,
      after,
      baseVersion: cur?.version ?? 'absent',
    });
  };

  for (const [key, want] of desired) {
    const cur = current.get(key);
    if (want.kind === 'tool') {
      if (!cur) {
        // Against the gateway an unknown tool is reported by checkNames; between documents it is news.
        if (opts.documents)
          change('update', 'tool', key, { kind: 'tool', key, state: { name: want.state.name } }, want.state);
        continue;
      }
      const after = { ...cur.state, ...want.state };
      if (!same(after, cur.state)) change('update', 'tool', key, cur, after);
      continue;
    }
    let after = want.state;
    // Descriptions a draft leaves out are kept, not cleared.
    if (cur && after.description === undefined && cur.state.description !== undefined)
      after = { ...after, description: cur.state.description };
    if (want.kind === 'role' && cur?.system) {
      diagnostics.push(
        diag(
          'error',
          'system-role',
          `Role ${String(want.state.name)} is a system role of the gateway; reference it in assignments, do not redefine it`,
          ['roles'],
        ),
      );
      continue;
    }
    if (want.kind === 'role' && cur && cur.state.scope !== after.scope) {
      diagnostics.push(
        diag(
          'error',
          'role-scope-change',
          `Role ${String(after.name)}: the gateway cannot change a role's scope (${String(cur.state.scope)} → ${String(after.scope)}); use a new role name`,
          ['roles'],
        ),
      );
      continue;
    }
    if (want.kind === 'server' && cur && (cur.state.team ?? null) !== (after.team ?? null)) {
      diagnostics.push(
        diag(
          'error',
          'server-team-change',
          `Server ${String(after.name)}: moving a server between teams is not supported by push`,
          ['servers'],
        ),
      );
      continue;
    }
    if (!cur) change('create', want.kind, key, undefined, after);
    else if (!same(after, cur.state)) change('update', want.kind, key, cur, after);
  }

  const assignedElsewhere = new Set<string>();
  for (const [key, cur] of current) {
    if (desired.has(key) || cur.system) continue;
    if (cur.kind === 'member' && draftTeams.has(String(cur.state.team))) change('delete', 'member', key, cur, null);
    if (cur.kind === 'assignment') {
      const team = cur.state.team as string | undefined;
      if (team === undefined || draftTeams.has(team)) change('delete', 'assignment', key, cur, null);
      else assignedElsewhere.add(String(cur.state.role));
    }
    if (cur.kind === 'tool' && opts.unlistedTools === 'default' && cur.defaults && !same(cur.defaults, cur.state))
      change('update', 'tool', key, cur, cur.defaults);
    if (cur.kind === 'tool' && opts.documents) change('update', 'tool', key, cur, { name: cur.state.name });
    if (cur.kind === 'server')
      diagnostics.push(
        diag(
          'info',
          'server-not-in-draft',
          `Server ${String(cur.state.name)} is on the gateway but not in the draft; push leaves it as it is`,
          ['servers'],
        ),
      );
  }
  for (const [key, cur] of current) {
    if (cur.kind !== 'role' || cur.system || desired.has(key)) continue;
    const name = String(cur.state.name);
    if (assignedElsewhere.has(name)) {
      diagnostics.push(
        diag(
          'warning',
          'role-still-assigned',
          `Role ${name} is not in the draft but is assigned in a team the draft does not list; it is kept`,
          ['roles'],
        ),
      );
      continue;
    }
    change('delete', 'role', key, cur, null);
  }

  const ordered: PolicyChange[] = [];
  for (const [kind, ops] of ORDER)
    for (const c of raw)
      if (c.kind === kind && ops.includes(c.op) && !ordered.some((o) => o.key === c.key && o.op === c.op))
        ordered.push({ seq: ordered.length, ...c });
  return ordered;
}

/** Names the draft uses that the gateway (or the draft itself) does not define. */
function checkNames(draft: PolicyDocument, snap: GatewaySnapshot): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  const users = new Set(snap.users.map((u) => u.email.toLowerCase()));
  const tools = new Set(snap.tools.map((t) => t.name));
  const teams = new Set([
    ...snap.teams.filter((t) => !t.personal).map((t) => t.name),
    ...draft.teams.map((t) => t.name),
  ]);
  const roles = new Map<string, string>([
    ...snap.roles.map((r): [string, string] => [r.name, r.scope]),
    ...draft.roles.map((r): [string, string] => [r.name, r.scope]),
  ]);
  const dup = (names: string[], what: string, path: string) => {
    const seen = new Set<string>();
    for (const [i, n] of names.entries()) {
      if (seen.has(n)) out.push(diag('error', 'duplicate', `${what} ${n} is listed twice`, [path, i]));
      seen.add(n);
    }
  };
  dup(
    draft.teams.map((t) => t.name),
    'Team',
    'teams',
  );
  dup(
    draft.roles.map((r) => r.name),
    'Role',
    'roles',
  );
  dup(
    draft.servers.map((s) => s.name),
    'Server',
    'servers',
  );
  dup(
    draft.tools.map((t) => t.name),
    'Tool',
    'tools',
  );
  const serverNames = snap.servers.map((s) => s.name);
  if (new Set(serverNames).size !== serverNames.length)
    out.push(
      diag(
        'warning',
        'ambiguous-server-name',
        'Two virtual servers on the gateway share a name; the planner matches the first',
        ['servers'],
      ),
    );
  draft.teams.forEach((t, i) =>
    t.members.forEach((m, j) => {
      if (!users.has(m.email.toLowerCase()))
        out.push(
          diag('error', 'unknown-user', `No gateway account for ${m.email} (team ${t.name})`, [
            'teams',
            i,
            'members',
            j,
            'email',
          ]),
        );
    }),
  );
  draft.assignments.forEach((a, i) => {
    // ContextForge accepts an assignment for an e-mail without an account: check it here.
    if (!users.has(a.user.toLowerCase()))
      out.push(diag('error', 'unknown-user', `No gateway account for ${a.user}`, ['assignments', i, 'user']));
    const scope = roles.get(a.role);
    if (!scope)
      out.push(
        diag('error', 'unknown-role', `Role ${a.role} is neither in the draft nor on the gateway`, [
          'assignments',
          i,
          'role',
        ]),
      );
    if (scope === 'team' && !a.team)
      out.push(
        diag('error', 'assignment-team', `Role ${a.role} is team-scoped: the assignment needs a team`, [
          'assignments',
          i,
        ]),
      );
    if (scope && scope !== 'team' && a.team)
      out.push(
        diag('error', 'assignment-team', `Role ${a.role} is ${scope}-scoped: the assignment takes no team`, [
          'assignments',
          i,
          'team',
        ]),
      );
    if (a.team && !teams.has(a.team))
      out.push(
        diag('error', 'unknown-team', `Team ${a.team} is neither in the draft nor on the gateway`, [
          'assignments',
          i,
          'team',
        ]),
      );
  });
  draft.servers.forEach((s, i) => {
    if (s.team && !teams.has(s.team))
      out.push(
        diag('error', 'unknown-team', `Team ${s.team} is neither in the draft nor on the gateway`, [
          'servers',
          i,
          'team',
        ]),
      );
    s.tools.forEach((t, j) => {
      if (!tools.has(t))
        out.push(diag('error', 'unknown-tool', `No gateway tool named ${t}`, ['servers', i, 'tools', j]));
    });
  });
  draft.tools.forEach((t, i) => {
    if (!tools.has(t.name))
      out.push(diag('error', 'unknown-tool', `No gateway tool named ${t.name}`, ['tools', i, 'name']));
  });
  return out;
}

function summarize(op: PolicyChange['op'], kind: PolicyObjectKind, before: State | null, after: State | null): string {
  const s = (after ?? before)!;
  const n = String(s.name ?? '');
  switch (kind) {
    case 'team':
      return op === 'create'
        ? `Create team ${n} (${String(s.visibility)})`
        : `Update team ${n}: ${fieldsChanged(before, after)}`;
    case 'member':
      if (op === 'create') return `Add ${String(s.email)} to team ${String(s.team)} as ${String(s.role)}`;
      if (op === 'delete') return `Remove ${String(s.email)} from team ${String(s.team)}`;
      return `Make ${String(s.email)} ${String(s.role)} of team ${String(s.team)}`;
    case 'role':
      if (op === 'create')
        return `Create ${String(s.scope)} role ${n} (${(s.permissions as string[]).join(', ') || 'no permissions'})`;
      if (op === 'delete') return `Delete role ${n}`;
      return `Update role ${n}: ${fieldsChanged(before, after)}`;
    case 'assignment': {
      const where = s.team ? ` in team ${String(s.team)}` : '';
      if (op === 'create')
        return `Assign role ${String(s.role)} to ${String(s.user)}${where}${s.expires ? ` until ${String(s.expires)}` : ''}`;
      if (op === 'delete') return `Revoke role ${String(s.role)} from ${String(s.user)}${where}`;
      return `Change expiry of role ${String(s.role)} for ${String(s.user)}${where} to ${String(s.expires ?? 'never')}`;
    }
    case 'server':
      if (op === 'create')
        return `Create server ${n}${s.team ? ` in team ${String(s.team)}` : ''} (${String(s.visibility)}, ${(s.tools as string[]).length} tools)`;
      return `Update server ${n}: ${fieldsChanged(before, after)}`;
    case 'tool':
      return `Update tool ${n}: ${fieldsChanged(before, after)}`;
  }
}

function fieldsChanged(before: State | null, after: State | null): string {
  const parts: string[] = [];
  for (const k of new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])) {
    const b = before?.[k];
    const a = after?.[k];
    if (same(a, b)) continue;
    if (Array.isArray(a) || Array.isArray(b)) {
      const bs = new Set((b as string[] | undefined) ?? []);
      const as = new Set((a as string[] | undefined) ?? []);
      const add = [...as].filter((x) => !bs.has(x));
      const del = [...bs].filter((x) => !as.has(x));
      parts.push(`${k} ${[...add.map((x) => `+${x}`), ...del.map((x) => `-${x}`)].join(' ')}`);
    } else parts.push(`${k} ${String(b ?? '—')} → ${String(a ?? '—')}`);
  }
  return parts.join('; ');
}

export function same(a: unknown, b: unknown): boolean {
  return canonicalize(a ?? null) === canonicalize(b ?? null);
}

function diag(
  severity: PolicyDiagnostic['severity'],
  code: string,
  message: string,
  path: PolicyDiagnostic['path'],
): PolicyDiagnostic {
  return { severity, code, message, path };
}
