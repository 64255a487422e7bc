import type {
  GatewaySnapshot,
  GwMember,
  GwRole,
  GwRoleAssignment,
  GwTeam,
  GwTool,
  GwVirtualServer,
  Visibility,
} from '../../../shared/model/gateway.js';
import type {
  PolicyChange,
  PolicyConflict,
  PolicyDocument,
  PolicyPlan,
  PushResult,
  PushStep,
} from '../../../shared/model/policy.js';
import { appendAdminAction, type AdminAction } from '../audit/admin-log.js';
import type { PolicyWriter } from '../gateways/contextforge-write.js';
import type { Clock } from '../ports.js';
import type { Database } from '../store/database.js';
import { indexSnapshot, planChanges, type PlanOptions } from './plan.js';
import type { AdminLogRepository, PolicyVersionRepository } from '../team-state/types.js';
import { checkExpectedHead, getVersion, latestVersion, policyHash, saveVersion } from './versions.js';
import { servingWrite, type WriteTurnsBuffer } from '../store/write-turns.js';

/** What push reads from the gateway (ContextForgeAdapter satisfies it). */
export interface PolicyReader {
  snapshot(): Promise<GatewaySnapshot>;
  listTeams(): Promise<GwTeam[]>;
  listRoles(): Promise<GwRole[]>;
  listMembers(teamId: string): Promise<GwMember[]>;
  listRoleAssignments(email: string): Promise<GwRoleAssignment[]>;
  listVirtualServers(): Promise<GwVirtualServer[]>;
  getVirtualServer(id: string): Promise<GwVirtualServer>;
  getTool(id: string): Promise<GwTool>;
  readonly requests?: number;
}

export interface PushDeps {
  adapter: PolicyReader;
  writer: PolicyWriter;
  db: Database;
  clock: Clock;
  /** Who pushes (OS user or `cli`): admin log and version author. */
  actor: string;
  onProgress?: (done: number, total: number, message: string) => void;
  /**
   * With a team store: versions are read from and saved to it, and every logged outcome is also
   * appended to its admin log (an applied push's entry in the same transaction as its version).
   * Omitted: the local store only, as before.
   */
  team?: { versions: PolicyVersionRepository; adminLog: AdminLogRepository };
  /**
   * Turns at the local store's write lock with an audit import's worker (write-turns.ts): a push
   * outlasts its action's turn, and its closing writes wait for their own.
   */
  turns?: WriteTurnsBuffer;
}

export interface PushInput {
  draft: PolicyDocument;
  gatewayId: string;
  gatewayName: string;
  /** The gateway state the draft was edited against (the pull); conflicts are changes since then. */
  baseSnapshot: GatewaySnapshot;
  message: string;
  dryRun: boolean;
  origin?: 'push' | 'rollback';
  /** Rollback of a pulled document resets tools it does not list (see plan.ts). */
  unlistedTools?: PlanOptions['unlistedTools'];
  /** The gateway's latest version hash the draft was based on (null: none); checked before any write. */
  expected?: string | null;
}

/**
 * Plan → conflict check (re-read every touched object) → ordered writes → re-pull and verify.
 * On a failed write, every change already applied is undone in reverse order from its recorded
 * before-state; the result says per step what happened. Every non-dry-run outcome is admin-logged.
 */
export async function pushPolicy(deps: PushDeps, input: PushInput): Promise<PushResult> {
  const started = performance.now();
  const req0 = requestCount(deps);
  const origin = input.origin ?? 'push';
  const { changes, diagnostics } = planChanges(input.draft, input.baseSnapshot, { unlistedTools: input.unlistedTools });
  const draftHash = policyHash(input.draft);
  const plan: PolicyPlan = {
    against: {
      kind: 'gateway',
      gatewayId: input.gatewayId,
      gatewayName: input.gatewayName,
      fetchedAt: input.baseSnapshot.fetchedAt,
    },
    draftHash,
    changes,
    delta: [],
    diagnostics,
  };
  const result = (r: Pick<PushResult, 'status' | 'ok' | 'message'> & Partial<PushResult>): PushResult => ({
    gatewayId: input.gatewayId,
    gatewayName: input.gatewayName,
    plan,
    steps: [],
    conflicts: [],
    verified: false,
    requests: requestCount(deps) - req0,
    durationMs: Math.round(performance.now() - started),
    ...r,
  });
  const entryFor = (r: PushResult): AdminAction => ({
    action: `policy.${origin}`,
    target: input.gatewayName,
    actor: deps.actor,
    details: {
      gatewayId: input.gatewayId,
      status: r.status,
      versionHash: r.versionHash ?? draftHash,
      changes: changes.length,
      applied: r.steps.filter((s) => s.status === 'applied').length,
      conflicts: r.conflicts.length,
      verified: r.verified,
      requests: r.requests,
      message: input.message,
    },
  });
  /** Local admin log always; the team's too unless the entry went in with the version (`inTeam`). */
  const log = async (r: PushResult, inTeam = false): Promise<PushResult> => {
    const entry = entryFor(r);
    await servingWrite(deps.turns, () => appendAdminAction(deps.db, deps.clock, entry));
    if (deps.team && !inTeam) await deps.team.adminLog.append(entry);
    return r;
  };

  if (diagnostics.some((d) => d.severity === 'error'))
    return result({ status: 'invalid', ok: false, message: 'The draft has errors; nothing was written.' });
  // A draft based on a version another admin has since superseded is refused before anything is
  // read or written (StaleVersionError: a conflict naming who saved last).
  if (input.expected !== undefined) {
    const head = deps.team
      ? (await deps.team.versions.list(input.gatewayId))[0]
      : latestVersion(deps.db, input.gatewayId);
    checkExpectedHead({ expected: input.expected, gatewayId: input.gatewayId, gatewayName: input.gatewayName }, head);
  }
  if (input.dryRun)
    return result({ status: 'dry-run', ok: true, message: `Dry run: ${changes.length} change(s) would be applied.` });
  if (changes.length === 0)
    return result({
      status: 'no-changes',
      ok: true,
      message: 'The gateway already matches the draft.',
      verified: true,
    });

  const live = await readLive(deps.adapter, input.baseSnapshot, changes);
  const conflicts = findConflicts(changes, live);
  if (conflicts.length)
    return log(
      result({
        status: 'conflict',
        ok: false,
        conflicts,
        message: `${conflicts.length} object(s) changed on the gateway since the pull; nothing was written. Pull again and re-apply the edit.`,
      }),
    );

  const steps: PushStep[] = changes.map((c) => ({ seq: c.seq, summary: c.summary, status: 'skipped' }));
  const undo: Array<{ seq: number; run: () => Promise<void> }> = [];
  const ids = new Resolver(live);
  let failedAt: number | undefined;
  for (const c of changes) {
    deps.onProgress?.(c.seq, changes.length, c.summary);
    try {
      undo.push({ seq: c.seq, run: await apply(deps.writer, ids, c) });
      steps[c.seq]!.status = 'applied';
    } catch (err) {
      steps[c.seq]!.status = 'failed';
      steps[c.seq]!.error = (err as Error).message;
      failedAt = c.seq;
      break;
    }
  }

  if (failedAt !== undefined) {
    const notRestored: string[] = [];
    for (const u of undo.reverse()) {
      try {
        await u.run();
        steps[u.seq]!.status = 'compensated';
      } catch (err) {
        steps[u.seq]!.status = 'compensation-failed';
        steps[u.seq]!.error = (err as Error).message;
        notRestored.push(steps[u.seq]!.summary);
      }
    }
    const failed = steps[failedAt]!;
    return log(
      result({
        status: notRestored.length ? 'partial' : 'rolled-back',
        ok: false,
        steps,
        message: notRestored.length
          ? `Step ${failedAt + 1} (${failed.summary}) failed: ${failed.error}. Undoing the ${undo.length} applied change(s) left ${notRestored.length} not restored: ${notRestored.join('; ')}.`
          : `Step ${failedAt + 1} (${failed.summary}) failed: ${failed.error}. The ${undo.length} change(s) applied before it were undone; the gateway is as before the push.`,
      }),
    );
  }

  const after = await deps.adapter.snapshot();
  const residual = planChanges(input.draft, after, { unlistedTools: input.unlistedTools }).changes;
  const verified = residual.length === 0;
  const applied = result({
    status: 'applied',
    ok: verified,
    steps,
    verified,
    versionHash: draftHash,
    message: verified
      ? `Applied ${changes.length} change(s); the gateway now matches the draft (version ${draftHash.slice(0, 12)}).`
      : `Applied ${changes.length} change(s), but a re-read still differs from the draft: ${residual.map((r) => r.summary).join('; ')}.`,
  });
  // The gateway has changed: the version is recorded unconditionally (the expected-version check
  // ran before the first write), with its team admin-log entry in the same transaction.
  const save = {
    doc: input.draft,
    author: deps.actor,
    message: input.message,
    origin,
    gatewayId: input.gatewayId,
    gatewayName: input.gatewayName,
    changes: changes.length,
  };
  if (deps.team) await deps.team.versions.save(save, entryFor(applied));
  else await servingWrite(deps.turns, () => saveVersion(deps.db, deps.clock, save));
  return log(applied, deps.team !== undefined);
}

export interface RollbackInput extends Omit<PushInput, 'draft' | 'origin' | 'unlistedTools'> {
  /** Version hash or unique prefix. */
  hash: string;
}

/** Rollback = push an earlier stored version through the same checks. */
export async function rollbackPolicy(deps: PushDeps, input: RollbackInput): Promise<PushResult> {
  const { document, version } = deps.team ? await deps.team.versions.get(input.hash) : getVersion(deps.db, input.hash);
  return pushPolicy(deps, {
    ...input,
    draft: document,
    origin: 'rollback',
    // A pulled document lists only tools off their defaults: the rest go back to the default.
    unlistedTools: 'default',
    message: input.message || `Roll back to ${version.hash.slice(0, 12)}`,
  });
}

function requestCount(deps: PushDeps): number {
  return (deps.adapter.requests ?? 0) + deps.writer.requests;
}

/** The base snapshot with every object the plan touches re-read from the gateway. */
async function readLive(
  reader: PolicyReader,
  base: GatewaySnapshot,
  changes: PolicyChange[],
): Promise<GatewaySnapshot> {
  const live: GatewaySnapshot = structuredClone(base);
  const kinds = new Set(changes.map((c) => c.kind));
  if (kinds.has('team') || kinds.has('member') || kinds.has('assignment') || kinds.has('server'))
    live.teams = await reader.listTeams();
  if (kinds.has('role') || kinds.has('assignment')) live.roles = await reader.listRoles();
  const teamIds = new Map(live.teams.map((t) => [t.name, t.id]));
  const memberTeams = new Set(
    changes.filter((c) => c.kind === 'member').map((c) => String((c.after ?? c.before)!.team)),
  );
  const memberTeamIds = [...memberTeams].map((n) => teamIds.get(n)).filter((x): x is string => !!x);
  live.members = live.members.filter((m) => !memberTeamIds.includes(m.teamId));
  for (const id of memberTeamIds) live.members.push(...(await reader.listMembers(id)));
  const emails = [
    ...new Set(changes.filter((c) => c.kind === 'assignment').map((c) => String((c.after ?? c.before)!.user))),
  ];
  live.assignments = live.assignments.filter((a) => !emails.includes(a.email));
  for (const e of emails) live.assignments.push(...(await reader.listRoleAssignments(e)));
  const serverChanges = changes.filter((c) => c.kind === 'server');
  if (serverChanges.some((c) => c.op === 'create')) live.servers = await reader.listVirtualServers();
  else
    for (const c of serverChanges) {
      const fresh = await readOrGone(() => reader.getVirtualServer(c.objectId!));
      live.servers = live.servers.filter((s) => s.id !== c.objectId);
      if (fresh) live.servers.push(fresh);
    }
  for (const c of changes.filter((x) => x.kind === 'tool' && x.objectId)) {
    const fresh = await readOrGone(() => reader.getTool(c.objectId!));
    live.tools = live.tools.filter((t) => t.id !== c.objectId);
    if (fresh) live.tools.push(fresh);
  }
  live.fetchedAt = new Date().toISOString();
  return live;
}

async function readOrGone<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { kind?: string }).kind === 'not-found') return undefined;
    throw err;
  }
}

/** Three-way: what was pulled (base), what is there now (live), what the draft wants. */
function findConflicts(changes: PolicyChange[], live: GatewaySnapshot): PolicyConflict[] {
  const idx = indexSnapshot(live);
  const out: PolicyConflict[] = [];
  for (const c of changes) {
    const now = idx.get(c.key);
    const liveVersion = now?.version ?? 'absent';
    if (liveVersion === c.baseVersion) continue;
    out.push({
      kind: c.kind,
      key: c.key,
      ...(c.objectId ? { objectId: c.objectId } : {}),
      base: c.before,
      live: now?.state ?? null,
      draft: c.after,
      message: !now
        ? `${c.key} was removed on the gateway after the pull`
        : c.baseVersion === 'absent'
          ? `${c.key} was created on the gateway after the pull`
          : `${c.key} changed on the gateway after the pull (${c.baseVersion} → ${liveVersion})`,
    });
  }
  return out;
}

/** Names → ids: what was live before the writes, plus what the push created. */
class Resolver {
  private readonly teams = new Map<string, string>();
  private readonly roles = new Map<string, { id: string; scope: string }>();
  private readonly tools = new Map<string, string>();
  private readonly servers = new Map<string, string>();
  constructor(live: GatewaySnapshot) {
    for (const t of live.teams) if (!t.personal) this.teams.set(t.name, t.id);
    for (const r of live.roles) this.roles.set(r.name, { id: r.id, scope: r.scope });
    for (const t of live.tools) this.tools.set(t.name, t.id);
    for (const s of live.servers) if (!this.servers.has(s.name)) this.servers.set(s.name, s.id);
  }
  team(name: string): string {
    return must(this.teams.get(name), `team ${name}`);
  }
  setTeam(name: string, id: string | undefined) {
    if (id) this.teams.set(name, id);
    else this.teams.delete(name);
  }
  role(name: string): { id: string; scope: string } {
    return must(this.roles.get(name), `role ${name}`);
  }
  setRole(name: string, v: { id: string; scope: string } | undefined) {
    if (v) this.roles.set(name, v);
    else this.roles.delete(name);
  }
  tool(name: string): string {
    return must(this.tools.get(name), `tool ${name}`);
  }
  server(name: string): string {
    return must(this.servers.get(name), `server ${name}`);
  }
  setServer(name: string, id: string | undefined) {
    if (id) this.servers.set(name, id);
    else this.servers.delete(name);
  }
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} is not on the gateway`);
  return v;
}

type S = Record<string, unknown>;
const str = (s: S | null, k: string): string | undefined => (typeof s?.[k] === 'string' ? (s[k] as string) : undefined);
const list = (s: S | null, k: string): string[] => (Array.isArray(s?.[k]) ? (s[k] as string[]) : []);

/** Applies one change; returns how to undo it (from the recorded before-state). */
async function apply(w: PolicyWriter, ids: Resolver, c: PolicyChange): Promise<() => Promise<void>> {
  const b = c.before;
  const a = c.after;
  switch (c.kind) {
    case 'team': {
      const name = str(a, 'name')!;
      const vis = (s: S | null) => (str(s, 'visibility') === 'public' ? 'public' : 'private');
      if (c.op === 'create') {
        const id = await w.createTeam({ name, visibility: vis(a), description: str(a, 'description') });
        ids.setTeam(name, id);
        return async () => {
          await w.deleteTeam(id);
          ids.setTeam(name, undefined);
        };
      }
      const id = ids.team(name);
      await w.updateTeam(id, { visibility: vis(a), description: str(a, 'description') });
      return () => w.updateTeam(id, { visibility: vis(b), description: str(b, 'description') ?? '' });
    }
    case 'member': {
      const s = (a ?? b)!;
      const team = ids.team(str(s, 'team')!);
      const email = str(s, 'email')!;
      const role = (x: S | null) => (str(x, 'role') === 'owner' ? 'owner' : 'member');
      if (c.op === 'create') {
        await w.addMember(team, email, role(a));
        return () => w.removeMember(team, email);
      }
      if (c.op === 'update') {
        await w.updateMember(team, email, role(a));
        return () => w.updateMember(team, email, role(b));
      }
      await w.removeMember(team, email);
      return () => w.addMember(team, email, role(b));
    }
    case 'role': {
      const s = (a ?? b)!;
      const name = str(s, 'name')!;
      const spec = (x: S | null) => ({ permissions: list(x, 'permissions'), description: str(x, 'description') });
      const create = async (x: S | null) => {
        const scope = str(x, 'scope') ?? 'global';
        const id = await w.createRole({ name, scope, ...spec(x) });
        ids.setRole(name, { id, scope });
      };
      if (c.op === 'create') {
        await create(a);
        return async () => {
          await w.deleteRole(ids.role(name).id);
          ids.setRole(name, undefined);
        };
      }
      if (c.op === 'update') {
        const id = ids.role(name).id;
        await w.updateRole(id, spec(a));
        return () => w.updateRole(id, { ...spec(b), description: str(b, 'description') ?? '' });
      }
      await w.deleteRole(ids.role(name).id);
      ids.setRole(name, undefined);
      // Re-created with a new id; the resolver hands the new id to assignments undone after this.
      return () => create(b);
    }
    case 'assignment': {
      const s = (a ?? b)!;
      const email = str(s, 'user')!;
      const roleName = str(s, 'role')!;
      const team = str(s, 'team');
      const target = () => {
        const r = ids.role(roleName);
        return { roleId: r.id, scope: r.scope, ...(team ? { scopeId: ids.team(team) } : {}) };
      };
      const grant = (x: S | null) => w.assignRole(email, { ...target(), expiresAt: str(x, 'expires') });
      const revoke = () => w.revokeRole(email, target());
      if (c.op === 'create') {
        await grant(a);
        return revoke;
      }
      if (c.op === 'delete') {
        await revoke();
        return () => grant(b);
      }
      // An assignment's expiry cannot be edited: revoke and grant again.
      await revoke();
      await grant(a);
      return async () => {
        await revoke();
        await grant(b);
      };
    }
    case 'server': {
      const name = str(a, 'name')!;
      const toolIds = (x: S | null) => list(x, 'tools').map((t) => ids.tool(t));
      const vis = (x: S | null) => (str(x, 'visibility') ?? 'team') as Visibility;
      if (c.op === 'create') {
        const team = str(a, 'team');
        const id = await w.createServer({
          name,
          description: str(a, 'description'),
          teamId: team ? ids.team(team) : undefined,
          visibility: vis(a),
          toolIds: toolIds(a),
        });
        ids.setServer(name, id);
        if (a?.enabled === false) await w.setServerEnabled(id, false);
        return async () => {
          await w.deleteServer(id);
          ids.setServer(name, undefined);
        };
      }
      const id = ids.server(name);
      const write = async (x: S | null, from: S | null) => {
        await w.updateServer(id, { visibility: vis(x), toolIds: toolIds(x), description: str(x, 'description') ?? '' });
        if (x?.enabled !== from?.enabled) await w.setServerEnabled(id, x?.enabled !== false);
      };
      await write(a, b);
      return () => write(b, a);
    }
    case 'tool': {
      const id = ids.tool(str(a, 'name')!);
      const write = async (x: S | null, from: S | null) => {
        if (x?.visibility !== from?.visibility && x?.visibility !== undefined)
          await w.updateTool(id, { visibility: x.visibility as Visibility });
        if (x?.enabled !== from?.enabled && x?.enabled !== undefined) await w.setToolEnabled(id, x.enabled === true);
      };
      await write(a, b);
      return () => write(b, a);
    }
  }
}
