import { AdminError } from '../../../shared/api/errors.js';
import type { GatewayConnection, GatewaySnapshot } from '../../../shared/model/gateway.js';
import type {
  CompileResult,
  CompileTarget,
  PolicyDiagnostic,
  PolicyDocument,
  PolicyFormat,
  PolicyPlan,
  PolicyVersion,
  PushResult,
  SimulationResult,
} from '../../../shared/model/policy.js';
import { appendAdminAction } from '../audit/admin-log.js';
import { inlineAuditQueries } from '../audit/query-port.js';
import { AuditStore } from '../audit/store.js';
import { actorOf as identityActorOf } from '../identity/sessions.js';
import type { ServiceContext } from '../context.js';
import { ContextForgeAdapter } from '../gateways/contextforge.js';
import { ContextForgeWriter } from '../gateways/contextforge-write.js';
import { getGateway, listGateways, loadSnapshot, syncGateway, targetFor } from '../gateways/service.js';
import { compilePolicy } from './compile/index.js';
import { formatPolicy, parsePolicyText, policyHash, type ParsedPolicy } from './document.js';
import { matrixDelta } from './evaluate.js';
import { policyFromSnapshot } from './from-snapshot.js';
import { diffDocuments, planChanges } from './plan.js';
import { pushPolicy, rollbackPolicy, type PushDeps } from './push.js';
import { simulatePolicy } from './simulate.js';
import { validatePolicy } from './validate.js';
import { teamState } from '../team-state/open.js';
import type { PolicyVersionRepository } from '../team-state/types.js';
import { latestVersion, loadPullBase, policyObjectName, prunePullBases, savePullBase } from './versions.js';

/**
 * The policy capability as the adapters and the CLI see it: text in (what the editor or a file
 * holds), located diagnostics, plans, simulations and push results out. Pure logic lives in the
 * modules it calls (document, validate, evaluate, plan, push, simulate, compile); this file only
 * resolves gateways, snapshots and bases, and wires progress and identity.
 */

/** Who acts: the signed-in admin (identity capability), else the OS account and the surface. */
export function actorOf(ctx: ServiceContext): string {
  return identityActorOf(ctx);
}

const hasErrors = (ds: PolicyDiagnostic[]) => ds.some((d) => d.severity === 'error');

function parsed(text: string): ParsedPolicy {
  return parsePolicyText(text);
}

/** A gateway by id or name; else the document's binding; else the only configured gateway. */
async function resolveGateway(
  ctx: ServiceContext,
  ref: string | undefined,
  doc?: PolicyDocument,
): Promise<GatewayConnection | undefined> {
  const name = ref ?? doc?.gateway;
  if (name) return getGateway(ctx, name);
  const all = await listGateways(ctx);
  return all.length === 1 ? all[0] : undefined;
}

async function requireGateway(ctx: ServiceContext, ref: string | undefined, doc?: PolicyDocument) {
  const gw = await resolveGateway(ctx, ref, doc);
  if (!gw) throw new AdminError('bad-request', 'Name a gateway (several are configured and the document binds none)');
  if (gw.kind !== 'contextforge')
    throw new AdminError('bad-request', `Gateway ${gw.name}: policy is not supported for ${gw.kind}`);
  return gw;
}

/** Reads the gateway now and returns the stored snapshot (failing with the sync's own message). */
async function freshSnapshot(ctx: ServiceContext, gw: GatewayConnection): Promise<GatewaySnapshot> {
  const r = await syncGateway(ctx, gw.id);
  const snap = r.ok ? loadSnapshot(ctx, gw.id) : null;
  if (!snap) throw new AdminError('unavailable', `Gateway ${gw.name} could not be read: ${r.message}`);
  return snap;
}

function storedSnapshot(ctx: ServiceContext, gw: GatewayConnection): GatewaySnapshot {
  const snap = loadSnapshot(ctx, gw.id);
  if (!snap) throw new AdminError('unavailable', `Gateway ${gw.name} has not been read yet: sync or pull it first`);
  return snap;
}

/** The base a push checks against: the named pull, else this gateway's latest pull, else now. */
async function baseFor(ctx: ServiceContext, gw: GatewayConnection, baseId?: string): Promise<GatewaySnapshot> {
  if (baseId) {
    const snap = loadPullBase(ctx.db, baseId);
    if (snap.gatewayId !== gw.id) throw new AdminError('bad-request', `Base ${baseId} was pulled from another gateway`);
    return snap;
  }
  const row = ctx.db
    .prepare('SELECT id FROM policy_bases WHERE gateway_id = ? ORDER BY fetched_at DESC LIMIT 1')
    .get(gw.id) as { id: string } | undefined;
  return row ? loadPullBase(ctx.db, row.id) : freshSnapshot(ctx, gw);
}

/**
 * Where policy versions live: the team store when one is configured (so every admin sees the same
 * lineage), else the local store (the local team state wraps the same tables and functions as before).
 */
async function versionStore(ctx: ServiceContext): Promise<PolicyVersionRepository> {
  return (await teamState(ctx)).policyVersions;
}

/** The team store's repositories for a push, or undefined without one (local behaviour unchanged). */
async function teamPushDeps(ctx: ServiceContext): Promise<PushDeps['team']> {
  const state = await teamState(ctx);
  return state.kind === 'team' ? { versions: state.policyVersions, adminLog: state.adminLog } : undefined;
}

function progress(ctx: ServiceContext, operation: 'push' | 'simulate' | 'pull') {
  return (done: number, total: number, message = '') =>
    ctx.events.emit('policy.progress', { operation, done, total, message });
}

export async function pullPolicy(
  ctx: ServiceContext,
  gatewayRef: string,
  format: PolicyFormat,
): Promise<{ text: string; baseId: string; fetchedAt: string; diagnostics: PolicyDiagnostic[]; versionHash: string }> {
  const gw = await requireGateway(ctx, gatewayRef);
  progress(ctx, 'pull')(0, 1, `Reading ${gw.name}`);
  const snap = await freshSnapshot(ctx, gw);
  const doc: PolicyDocument = { ...policyFromSnapshot(snap), gateway: gw.name };
  const baseId = savePullBase(ctx.db, snap);
  prunePullBases(ctx.db, gw.id);
  const team = await teamPushDeps(ctx);
  const saved = await (
    await versionStore(ctx)
  ).save(
    {
      doc,
      author: actorOf(ctx),
      message: `Pulled from ${gw.name}`,
      origin: 'pull',
      gatewayId: gw.id,
      gatewayName: gw.name,
      changes: 0,
    },
    // A pull adds a version to the shared lineage: the team's log says who (the local log never did).
    team ? { action: 'policy.pull', target: gw.name, actor: actorOf(ctx), details: { gatewayId: gw.id } } : undefined,
  );
  const text = formatPolicy(doc, format);
  // Located against the text we hand out, so the editor can underline them.
  const diagnostics = validatePolicy(doc, { snapshot: snap, locate: parsed(text).locate, targets: ['contextforge'] });
  progress(ctx, 'pull')(1, 1, 'Done');
  return { text, baseId, fetchedAt: snap.fetchedAt, diagnostics, versionHash: saved.hash };
}

export async function validatePolicyText(
  ctx: ServiceContext,
  text: string,
  gatewayRef?: string,
): Promise<{ ok: boolean; diagnostics: PolicyDiagnostic[] }> {
  const p = parsed(text);
  if (!p.document) return { ok: false, diagnostics: p.diagnostics };
  const gw = await resolveGateway(ctx, gatewayRef, p.document).catch(() => undefined);
  const snapshot = gw ? (loadSnapshot(ctx, gw.id) ?? undefined) : undefined;
  const diagnostics = [...p.diagnostics, ...validatePolicy(p.document, { snapshot, locate: p.locate })];
  return { ok: !hasErrors(diagnostics), diagnostics };
}

export async function planPolicy(
  ctx: ServiceContext,
  input: { text: string; gatewayId?: string; versionHash?: string; baseId?: string },
): Promise<PolicyPlan> {
  const p = parsed(input.text);
  const draftHash = p.document ? policyHash(p.document) : '';
  if (input.versionHash) {
    const base = await (await versionStore(ctx)).get(input.versionHash);
    const against = { kind: 'version' as const, versionHash: base.version.hash };
    if (!p.document) return { against, draftHash, changes: [], delta: [], diagnostics: p.diagnostics };
    const diff = diffDocuments(base.document, p.document);
    return {
      against,
      draftHash,
      changes: diff.changes,
      delta: matrixDelta(base.document, p.document),
      diagnostics: [...p.diagnostics, ...diff.diagnostics, ...validatePolicy(p.document, { locate: p.locate })],
    };
  }
  const gw = await requireGateway(ctx, input.gatewayId, p.document);
  const snap = input.baseId ? await baseFor(ctx, gw, input.baseId) : await freshSnapshot(ctx, gw);
  const against = { kind: 'gateway' as const, gatewayId: gw.id, gatewayName: gw.name, fetchedAt: snap.fetchedAt };
  if (!p.document) return { against, draftHash, changes: [], delta: [], diagnostics: p.diagnostics };
  const plan = planChanges(p.document, snap);
  return {
    against,
    draftHash,
    changes: plan.changes,
    delta: matrixDelta(policyFromSnapshot(snap), p.document),
    diagnostics: [
      ...p.diagnostics,
      ...plan.diagnostics,
      ...validatePolicy(p.document, { snapshot: snap, locate: p.locate, targets: ['contextforge'] }),
    ],
  };
}

export async function simulatePolicyText(
  ctx: ServiceContext,
  input: { text: string; gatewayId?: string; since?: string; until?: string },
): Promise<SimulationResult> {
  const p = parsed(input.text);
  if (!p.document) throw new AdminError('bad-request', `The draft does not parse: ${firstError(p.diagnostics)}`);
  const gw = await requireGateway(ctx, input.gatewayId, p.document);
  const live = policyFromSnapshot(storedSnapshot(ctx, gw));
  // On the audit query workers when serving (the grouping is cut across them; the event loop stays free).
  const queries = ctx.auditQueries ?? inlineAuditQueries(new AuditStore(ctx.db, { readOnly: true }));
  return simulatePolicy(queries, p.document, live, { since: input.since, until: input.until }, (done, total) =>
    progress(ctx, 'simulate')(done, total, `Evaluated ${done} of ${total} distinct calls`),
  );
}

function firstError(ds: PolicyDiagnostic[]): string {
  const d = ds.find((x) => x.severity === 'error') ?? ds[0];
  if (!d) return 'unknown error';
  return `${d.line ? `line ${d.line}${d.column ? `:${d.column}` : ''}: ` : ''}${d.message}`;
}

async function pushDeps(ctx: ServiceContext, gw: GatewayConnection): Promise<PushDeps> {
  const target = await targetFor(ctx, gw.id);
  return {
    adapter: new ContextForgeAdapter(target),
    writer: new ContextForgeWriter(target),
    db: ctx.db,
    ...(ctx.writeTurns ? { turns: ctx.writeTurns } : {}),
    clock: ctx.clock,
    actor: actorOf(ctx),
    onProgress: progress(ctx, 'push'),
    team: await teamPushDeps(ctx),
  };
}

/** After a write the stored snapshot is stale: re-read so Tenants, Inventory and findings show the change. */
async function refreshAfter(ctx: ServiceContext, gw: GatewayConnection, r: PushResult): Promise<PushResult> {
  if (r.status === 'dry-run' || r.status === 'no-changes' || r.status === 'conflict' || r.status === 'invalid')
    return r;
  await syncGateway(ctx, gw.id).catch(() => undefined);
  return r;
}

/** A push refused before anything was planned (the draft does not parse or validate). */
function invalid(gw: GatewayConnection, draftHash: string, diagnostics: PolicyDiagnostic[]): PushResult {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  return {
    status: 'invalid',
    ok: false,
    message: `Nothing written: the draft has ${errors.length} error(s), first ${firstError(errors)}`,
    gatewayId: gw.id,
    gatewayName: gw.name,
    plan: {
      against: { kind: 'gateway', gatewayId: gw.id, gatewayName: gw.name },
      draftHash,
      changes: [],
      delta: [],
      diagnostics,
    },
    steps: [],
    conflicts: [],
    verified: false,
    requests: 0,
    durationMs: 0,
  };
}

export async function pushPolicyText(
  ctx: ServiceContext,
  input: {
    text: string;
    gatewayId: string;
    message: string;
    dryRun: boolean;
    baseId?: string | undefined;
    expectedVersion?: string | null | undefined;
  },
): Promise<PushResult> {
  const p = parsed(input.text);
  const gw = await requireGateway(ctx, input.gatewayId, p.document);
  if (!p.document || hasErrors(p.diagnostics)) return invalid(gw, '', p.diagnostics);
  const base = await baseFor(ctx, gw, input.baseId);
  const diagnostics = validatePolicy(p.document, { snapshot: base, locate: p.locate, targets: ['contextforge'] });
  if (hasErrors(diagnostics)) return invalid(gw, policyHash(p.document), diagnostics);
  const result = await pushPolicy(await pushDeps(ctx, gw), {
    draft: p.document,
    gatewayId: gw.id,
    gatewayName: gw.name,
    baseSnapshot: base,
    message: input.message,
    dryRun: input.dryRun,
    ...(input.expectedVersion !== undefined ? { expected: input.expectedVersion } : {}),
  });
  // Rules ContextForge cannot enforce are never dropped silently: they travel with the result.
  const unenforced = diagnostics.filter((d) => d.code === 'target.inexpressible');
  const withNotes: PushResult = {
    ...result,
    plan: {
      ...result.plan,
      delta: matrixDelta(policyFromSnapshot(base), p.document),
      diagnostics: [...result.plan.diagnostics, ...diagnostics],
    },
    message: unenforced.length
      ? `${result.message} ${unenforced.length} rule(s) are not enforced by ContextForge (see the plan's diagnostics).`
      : result.message,
  };
  return refreshAfter(ctx, gw, withNotes);
}

export async function rollbackPolicyVersion(
  ctx: ServiceContext,
  input: { hash: string; gatewayId: string; message: string; dryRun: boolean },
): Promise<PushResult> {
  const gw = await requireGateway(ctx, input.gatewayId);
  // A rollback compares with the gateway as it is now: the earlier version is the draft.
  const base = await freshSnapshot(ctx, gw);
  const result = await rollbackPolicy(await pushDeps(ctx, gw), {
    hash: input.hash,
    gatewayId: gw.id,
    gatewayName: gw.name,
    baseSnapshot: base,
    message: input.message,
    dryRun: input.dryRun,
  });
  return refreshAfter(ctx, gw, result);
}

/**
 * Stores a draft as a version without pushing it (origin `import`). `expectedVersion` is the
 * lineage's latest hash the draft was based on: when another admin saved since, the save is refused
 * as a conflict naming them and nothing is written. With a team store the version and its admin-log
 * entry commit together there; the local admin log records it too.
 */
export async function savePolicyText(
  ctx: ServiceContext,
  input: { text: string; gatewayId?: string | undefined; message: string; expectedVersion?: string | null | undefined },
): Promise<PolicyVersion> {
  const p = parsed(input.text);
  if (!p.document || hasErrors(p.diagnostics))
    throw new AdminError('bad-request', `The policy text does not parse: ${firstError(p.diagnostics)}`);
  const errors = validatePolicy(p.document, { locate: p.locate }).filter((d) => d.severity === 'error');
  if (errors.length) throw new AdminError('bad-request', `The policy is not valid: ${firstError(errors)}`);
  const gw = input.gatewayId ? await getGateway(ctx, input.gatewayId) : undefined;
  const state = await teamState(ctx);
  const actor = actorOf(ctx);
  const hash = policyHash(p.document);
  const entry = {
    action: 'policy.save',
    target: policyObjectName({ gatewayId: gw?.id ?? null, gatewayName: gw?.name ?? null }),
    actor,
    details: { gatewayId: gw?.id ?? null, versionHash: hash, expectedVersion: input.expectedVersion ?? null },
  };
  const version = await state.policyVersions.save(
    {
      doc: p.document,
      author: actor,
      message: input.message || 'Saved draft',
      origin: 'import',
      gatewayId: gw?.id ?? null,
      gatewayName: gw?.name ?? null,
      changes: 0,
      ...(input.expectedVersion !== undefined ? { expected: input.expectedVersion } : {}),
    },
    entry,
  );
  // The local repository logged it with the version; a team save logged it in the team store.
  if (state.kind === 'team') appendAdminAction(ctx.db, ctx.clock, entry);
  return version;
}

export async function listPolicyVersions(ctx: ServiceContext, gatewayRef?: string): Promise<PolicyVersion[]> {
  const gatewayId = gatewayRef ? (await getGateway(ctx, gatewayRef)).id : undefined;
  return (await versionStore(ctx)).list(gatewayId);
}

export async function versionText(ctx: ServiceContext, hash: string, format: PolicyFormat) {
  const { version, document } = await (await versionStore(ctx)).get(hash);
  return { version, text: formatPolicy(document, format) };
}

export async function diffPolicyVersions(ctx: ServiceContext, from: string, to: string): Promise<PolicyPlan> {
  const versions = await versionStore(ctx);
  const a = await versions.get(from);
  const b = await versions.get(to);
  const d = diffDocuments(a.document, b.document);
  return {
    against: { kind: 'version', versionHash: a.version.hash },
    draftHash: b.version.hash,
    changes: d.changes,
    delta: matrixDelta(a.document, b.document),
    diagnostics: d.diagnostics,
  };
}

export function compilePolicyText(text: string, target: CompileTarget): CompileResult {
  const p = parsed(text);
  if (!p.document) return { target, files: [], diagnostics: p.diagnostics };
  const r = compilePolicy(p.document, target);
  return {
    ...r,
    diagnostics: [...p.diagnostics, ...r.diagnostics.map((d) => ({ ...d, ...(p.locate(d.path) ?? {}) }))],
  };
}

export { latestVersion };
