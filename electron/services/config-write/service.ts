import { createHash } from 'node:crypto';
import type {
  ChangePreview,
  ConfigChange,
  CopyTarget,
  CopyTargetInfo,
  FixOption,
} from '../../../shared/model/config-write.js';
import type { ServiceContext } from '../context.js';
import type { IdentifiedDraft } from '../findings/engine.js';
import { FindingsRepository } from '../findings/store.js';
import { copyTargetsFor, planCopy } from './copy.js';
import { fixOptions, ManualFix, planFix, planQuarantine, type FixInput, type FixPlan, type Strategy } from './fixes.js';
import { planContext, writerDeps, type PlanContext } from './plan-context.js';
import { commitWrite, computeWrite, listChanges, undoChange, WriteRefused, type ComputedWrite } from './writer.js';

/**
 * Config-write service: preview a change (fix, quarantine, copy/move), then apply exactly that
 * preview with its token. The token names the request and the before/after hash of every file, so a
 * confirmation can only ever write the bytes the admin saw.
 */
export type ChangeRequest =
  | { kind: 'fix'; findingId: string; strategy?: Strategy; input?: FixInput }
  | { kind: 'fix-rule'; ruleId: string; findingIds?: string[]; strategy?: Strategy }
  | { kind: 'quarantine'; serverId: string }
  | { kind: 'copy'; serverId: string; to: CopyTarget; move?: boolean };

export { ManualFix, WriteRefused };

function latestDrafts(ctx: ServiceContext): IdentifiedDraft[] {
  return new FindingsRepository(ctx.db).latestScan()?.drafts ?? [];
}

function findDraft(ctx: ServiceContext, id: string): IdentifiedDraft {
  const all = latestDrafts(ctx);
  const d = all.find((x) => x.id === id) ?? (id.length >= 6 ? all.filter((x) => x.id.startsWith(id)) : [])[0];
  if (!d) throw new WriteRefused(`No finding ${id} in the latest scan: scan again.`);
  return d;
}

export async function optionsFor(ctx: ServiceContext, findingId: string): Promise<FixOption[]> {
  const pc = await planContext(ctx);
  return fixOptions(pc, findDraft(ctx, findingId));
}

async function planFor(pc: PlanContext, req: ChangeRequest): Promise<FixPlan> {
  if (req.kind === 'fix') return planFix(pc, findDraft(pc.ctx, req.findingId), req.strategy, req.input);
  // TODO(bulk): one combined plan over every open finding of the rule.
  if (req.kind === 'fix-rule') throw new WriteRefused('Bulk fix is not available yet.');
  const s = pc.server(req.serverId);
  if (!s) throw new WriteRefused(`No server ${req.serverId} on this workstation (discover again).`);
  if (req.kind === 'quarantine') return planQuarantine(pc, s);
  return planCopy(pc, s, req.to, !!req.move);
}

async function computeAll(ctx: ServiceContext, req: ChangeRequest) {
  const pc = await planContext(ctx);
  const plan = await planFor(pc, req);
  const deps = writerDeps(ctx);
  const computed: ComputedWrite[] = [];
  for (const p of plan.plans) computed.push(await computeWrite(deps, p));
  return { plan, computed };
}

function tokenOf(req: ChangeRequest, computed: ComputedWrite[]): string {
  const body = {
    req,
    files: computed.map((c) => [c.preview.file, c.preview.beforeSha256, c.preview.afterSha256]),
  };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** Computes the change and its masked diff; nothing is written. */
export async function previewChange(ctx: ServiceContext, req: ChangeRequest): Promise<ChangePreview> {
  const { plan, computed } = await computeAll(ctx, req);
  return {
    token: tokenOf(req, computed),
    title: plan.title,
    files: computed.map((c) => c.preview),
    notes: plan.notes,
    skipped: [],
  };
}

/** Applies a previewed change (by its token): secrets first into the store, then each file. */
export async function applyChange(ctx: ServiceContext, token: string): Promise<ConfigChange[]> {
  let parsed: { req: ChangeRequest; files: Array<[string, string, string]> };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw new WriteRefused('Invalid confirmation token: preview the change again.');
  }
  const { plan, computed } = await computeAll(ctx, parsed.req);
  if (
    computed.length !== parsed.files.length ||
    computed.some((c, i) => {
      const f = parsed.files[i]!;
      return c.preview.file !== f[0] || c.preview.beforeSha256 !== f[1] || c.preview.afterSha256 !== f[2];
    })
  )
    throw new WriteRefused('A file changed since the preview (or the change would differ): preview it again.');
  for (const s of plan.secrets) {
    await ctx.secrets.set(s.name, s.value);
    if ((await ctx.secrets.get(s.name)) !== s.value)
      throw new WriteRefused(`The secret store (${ctx.secrets.kind}) did not keep "${s.name}": nothing was written.`);
  }
  const deps = writerDeps(ctx);
  const out: ConfigChange[] = [];
  for (const c of computed) {
    try {
      out.push(await commitWrite(deps, c.plan, c.preview, plan.notes));
    } catch (err) {
      if (out.length === 0) throw err;
      throw new WriteRefused(
        `${(err as Error).message} Already applied: ${out.map((o) => `${o.file} (change ${o.id.slice(0, 8)})`).join(', ')}; undo them with \`gatehouse config undo ID\` if needed.`,
      );
    }
  }
  ctx.events.emit('store.changed', { topics: ['config-changes'] });
  return out;
}

/** Where a server can be copied or moved to: every client, with its scopes or why it is refused. */
export async function copyTargets(ctx: ServiceContext, serverId: string): Promise<CopyTargetInfo[]> {
  const pc = await planContext(ctx);
  const s = pc.server(serverId);
  if (!s) throw new WriteRefused(`No server ${serverId} on this workstation (discover again).`);
  return copyTargetsFor(pc, s);
}

export async function changes(ctx: ServiceContext): Promise<ConfigChange[]> {
  return listChanges(writerDeps(ctx));
}

export async function undo(ctx: ServiceContext, id?: string): Promise<ConfigChange> {
  const c = await undoChange(writerDeps(ctx), id);
  ctx.events.emit('store.changed', { topics: ['config-changes'] });
  return c;
}

/** A short id for display. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
