import { createHash } from 'node:crypto';
import semver from 'semver';
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
import { isActive } from '../findings/engine.js';
import { runnerTarget } from '../findings/rules/runner.js';
import { mergePlans, planEach, type Skip } from './bulk.js';
import { fixOptions, ManualFix, planFix, planQuarantine, type FixInput, type FixPlan, type Strategy } from './fixes.js';
import type { WritableFs } from './fs.js';
import { planContext, writerDeps, type PlanContext } from './plan-context.js';
import { defaultVersionLookup, suggestVersion, type VersionLookup, type VersionSuggestion } from './versions.js';
import {
  commitGroup,
  computeWrite,
  listChanges,
  RolledBack,
  undoChange,
  undoGroup,
  WriteRefused,
  type ComputedWrite,
} from './writer.js';

/**
 * Config-write service: preview a change (fix, quarantine, copy/move), then apply exactly that
 * preview with its token. The token names the request and the before/after hash of every file, so a
 * confirmation can only ever write the bytes the admin saw.
 */
export type ChangeRequest =
  | { kind: 'fix'; findingId: string; strategy?: Strategy; input?: FixInput }
  | { kind: 'fix-rule'; ruleId: string; findingIds?: string[]; strategy?: Strategy; input?: FixInput }
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

/** Per-call options: an injected write port (tests inject a full disk) and the version lookups. */
export interface ChangeOptions {
  writeFs?: WritableFs;
  /** Version lookups for pin suggestions; default: local caches plus the configured registries. */
  versionLookup?: VersionLookup | null;
}

async function lookupOf(ctx: ServiceContext, opts: ChangeOptions): Promise<VersionLookup | undefined> {
  if (opts.versionLookup === null) return undefined;
  return opts.versionLookup ?? (await defaultVersionLookup(ctx.workstation, ctx.fs));
}

/** Suggested pin versions for runner.unpinned findings, looked up in parallel (one per package). */
async function suggestionsFor(
  pc: PlanContext,
  drafts: IdentifiedDraft[],
  opts: ChangeOptions,
): Promise<Map<string, VersionSuggestion>> {
  const out = new Map<string, VersionSuggestion>();
  const pins = drafts.filter((d) => d.ruleId === 'runner.unpinned');
  if (pins.length === 0) return out;
  const lookup = await lookupOf(pc.ctx, opts);
  const byPackage = new Map<string, Promise<VersionSuggestion | undefined>>();
  const targets = pins.map((d) => {
    const s = d.serverId ? pc.server(d.serverId) : undefined;
    const t = s ? runnerTarget(s) : undefined;
    if (t && !byPackage.has(`${t.ecosystem}:${t.name}`))
      byPackage.set(`${t.ecosystem}:${t.name}`, suggestVersion(pc.ctx.workstation, pc.ctx.fs, t, lookup));
    return [d, t] as const;
  });
  for (const [d, t] of targets) {
    const v = t ? await byPackage.get(`${t.ecosystem}:${t.name}`) : undefined;
    const floor = t && t.ecosystem !== 'oci' && t.version ? semver.coerce(t.version)?.version : undefined;
    if (v) out.set(d.id, v);
    else if (floor)
      out.set(d.id, { version: floor, source: `the lowest version the range "${t!.version}" in the command allows` });
  }
  return out;
}

export async function optionsFor(
  ctx: ServiceContext,
  findingId: string,
  opts: ChangeOptions = {},
): Promise<FixOption[]> {
  const pc = await planContext(ctx);
  const d = findDraft(ctx, findingId);
  const options = fixOptions(pc, d);
  const pin = options.find((o) => o.strategy === 'pin' && o.input);
  if (pin?.input) {
    const v = (await suggestionsFor(pc, [d], opts)).get(d.id);
    if (v) {
      pin.input.suggestion = v.version;
      pin.explanation += ` Suggested: ${v.version}, ${v.source}; check it before you confirm.`;
    }
  }
  return options;
}

/** The findings a bulk request names: open ones of the rule in the latest scan, or the listed ids. */
function bulkSelection(
  ctx: ServiceContext,
  req: Extract<ChangeRequest, { kind: 'fix-rule' }>,
): { drafts: IdentifiedDraft[]; skipped: Skip[] } {
  const all = latestDrafts(ctx);
  const sup = new FindingsRepository(ctx.db).suppressions();
  const now = ctx.clock.now();
  const open = (d: IdentifiedDraft) => !isActive(sup.get(d.id), now);
  if (!req.findingIds) return { drafts: all.filter((d) => d.ruleId === req.ruleId && open(d)), skipped: [] };
  const drafts: IdentifiedDraft[] = [];
  const skipped: Skip[] = [];
  for (const id of req.findingIds) {
    const d = all.find((x) => x.id === id) ?? (id.length >= 6 ? all.find((x) => x.id.startsWith(id)) : undefined);
    if (!d) skipped.push({ findingId: id, reason: 'Not in the latest scan: scan again.', kind: 'refused' });
    else if (d.ruleId !== req.ruleId)
      skipped.push({ findingId: d.id, reason: `A ${d.ruleId} finding, not ${req.ruleId}.`, kind: 'refused' });
    else if (!open(d)) skipped.push({ findingId: d.id, reason: 'Suppressed: unsuppress it first.', kind: 'refused' });
    else if (!drafts.includes(d)) drafts.push(d);
  }
  return { drafts, skipped };
}

interface Computed {
  plan: FixPlan;
  computed: ComputedWrite[];
  skipped: Skip[];
  /** Versions a bulk pin used (bound into the token, so the apply does not look them up again). */
  pins?: Record<string, VersionSuggestion>;
}

/** One version the admin gave for a bulk pin: only meaningful when the set pins one package. */
function givenVersion(pc: PlanContext, drafts: IdentifiedDraft[], version: string): Map<string, VersionSuggestion> {
  const names = new Set<string>();
  for (const d of drafts) {
    const s = d.serverId ? pc.server(d.serverId) : undefined;
    const t = s ? runnerTarget(s) : undefined;
    if (t) names.add(t.name);
  }
  if (names.size > 1)
    throw new WriteRefused(
      `One version (${version}) for ${names.size} different packages (${[...names].join(', ')}): name the findings of one package, or leave the version out to use each package's suggestion.`,
    );
  return new Map(drafts.map((d) => [d.id, { version, source: 'the version you gave' }]));
}

async function computeBulk(
  pc: PlanContext,
  req: Extract<ChangeRequest, { kind: 'fix-rule' }>,
  pins: Record<string, VersionSuggestion> | undefined,
  opts: ChangeOptions,
): Promise<Computed> {
  const { drafts, skipped: unselected } = bulkSelection(pc.ctx, req);
  if (drafts.length === 0 && !req.findingIds)
    throw new WriteRefused(`No open ${req.ruleId} finding in the latest scan (scan again).`);
  const found: ReadonlyMap<string, VersionSuggestion> = req.input?.version
    ? givenVersion(pc, drafts, req.input.version)
    : pins
      ? new Map(Object.entries(pins))
      : await suggestionsFor(pc, drafts, opts);
  const versions = new Map([...found].map(([id, v]) => [id, v.version]));
  const { planned, skipped: manual } = planEach(pc, drafts, req.strategy, versions);
  const deps = writerDeps(pc.ctx);
  // A file that cannot be written leaves out every finding that needs it; then merge again.
  const refused: Skip[] = [];
  let remaining = planned;
  for (;;) {
    const merged = mergePlans(req.ruleId, remaining);
    const computed: ComputedWrite[] = [];
    const bad = new Map<string, string>();
    for (const p of merged.plans) {
      try {
        computed.push(await computeWrite({ ...deps, ...(opts.writeFs ? { writeFs: opts.writeFs } : {}) }, p));
      } catch (err) {
        if (!(err instanceof WriteRefused)) throw err;
        bad.set(p.file, err.message);
      }
    }
    if (bad.size === 0) {
      const used = merged.fixed.filter((id) => found.has(id)).map((id) => [id, found.get(id)!] as const);
      const notes = [
        ...new Set(used.map(([, v]) => `Pinned to ${v.version}: ${v.source}. Check each version before you confirm.`)),
      ];
      return {
        plan: { ...merged, notes: [...notes, ...merged.notes] },
        computed,
        skipped: [...unselected, ...manual, ...refused, ...merged.skipped],
        pins: Object.fromEntries(used),
      };
    }
    remaining = remaining.filter((p) => {
      const file = p.plan.plans.map((w) => w.file).find((f) => bad.has(f));
      if (file) refused.push({ findingId: p.draft.id, reason: bad.get(file)!, kind: 'refused' });
      return !file;
    });
  }
}

async function planFor(pc: PlanContext, req: Exclude<ChangeRequest, { kind: 'fix-rule' }>): Promise<FixPlan> {
  if (req.kind === 'fix') return planFix(pc, findDraft(pc.ctx, req.findingId), req.strategy, req.input);
  const s = pc.server(req.serverId);
  if (!s) throw new WriteRefused(`No server ${req.serverId} on this workstation (discover again).`);
  if (req.kind === 'quarantine') return planQuarantine(pc, s);
  return planCopy(pc, s, req.to, !!req.move);
}

async function computeAll(
  ctx: ServiceContext,
  req: ChangeRequest,
  pins: Record<string, VersionSuggestion> | undefined,
  opts: ChangeOptions,
): Promise<Computed> {
  const pc = await planContext(ctx);
  if (req.kind === 'fix-rule') return computeBulk(pc, req, pins, opts);
  const plan = await planFor(pc, req);
  const deps = { ...writerDeps(ctx), ...(opts.writeFs ? { writeFs: opts.writeFs } : {}) };
  const computed: ComputedWrite[] = [];
  for (const p of plan.plans) computed.push(await computeWrite(deps, p));
  return { plan, computed, skipped: [] };
}

interface TokenBody {
  req: ChangeRequest;
  pins?: Record<string, VersionSuggestion>;
  files: Array<[string, string, string]>;
}

function tokenOf(req: ChangeRequest, c: Computed): string {
  const body: TokenBody = {
    req,
    ...(c.pins && Object.keys(c.pins).length ? { pins: c.pins } : {}),
    files: c.computed.map((x) => [x.preview.file, x.preview.beforeSha256, x.preview.afterSha256]),
  };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** Computes the change and its masked diff; nothing is written. */
export async function previewChange(
  ctx: ServiceContext,
  req: ChangeRequest,
  opts: ChangeOptions = {},
): Promise<ChangePreview> {
  const c = await computeAll(ctx, req, undefined, opts);
  return {
    token: tokenOf(req, c),
    title: c.plan.title,
    files: c.computed.map((x) => x.preview),
    notes: c.plan.notes,
    skipped: c.skipped,
  };
}

/** Puts the secret store back as it was before an apply that did not happen (delete, or the old value). */
async function restoreSecrets(ctx: ServiceContext, before: Map<string, string | null>): Promise<void> {
  for (const [name, value] of before) {
    if (value === null) await ctx.secrets.delete(name);
    else await ctx.secrets.set(name, value);
  }
}

/**
 * Applies a previewed change (by its token), all or nothing: the secrets go into the store first,
 * then every file (all checked before any is written, see commitGroup). If a file fails, the files
 * already written are restored from their backups and the secrets this apply stored are removed.
 */
export async function applyChange(
  ctx: ServiceContext,
  token: string,
  opts: ChangeOptions = {},
): Promise<ConfigChange[]> {
  let parsed: TokenBody;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as TokenBody;
    if (!parsed || typeof parsed !== 'object' || !parsed.req || !Array.isArray(parsed.files)) throw new Error();
  } catch {
    throw new WriteRefused('Invalid confirmation token: preview the change again.');
  }
  const { plan, computed } = await computeAll(
    ctx,
    parsed.req,
    parsed.pins ?? (parsed.req.kind === 'fix-rule' ? {} : undefined),
    opts,
  );
  if (
    computed.length !== parsed.files.length ||
    computed.some((c, i) => {
      const f = parsed.files[i]!;
      return c.preview.file !== f[0] || c.preview.beforeSha256 !== f[1] || c.preview.afterSha256 !== f[2];
    })
  )
    throw new WriteRefused('A file changed since the preview (or the change would differ): preview it again.');
  if (computed.length === 0) throw new WriteRefused('Nothing to apply: every finding of this set was left out.');
  const before = new Map<string, string | null>();
  try {
    for (const s of plan.secrets) {
      if (!before.has(s.name)) before.set(s.name, await ctx.secrets.get(s.name));
      await ctx.secrets.set(s.name, s.value);
      if ((await ctx.secrets.get(s.name)) !== s.value)
        throw new WriteRefused(`The secret store (${ctx.secrets.kind}) did not keep "${s.name}": nothing was written.`);
    }
  } catch (err) {
    await restoreSecrets(ctx, before);
    throw err;
  }
  const deps = { ...writerDeps(ctx), ...(opts.writeFs ? { writeFs: opts.writeFs } : {}) };
  let out: ConfigChange[];
  try {
    out = await commitGroup(
      deps,
      computed.map((c) => ({ plan: c.plan, expect: c.preview })),
      plan.notes,
    );
  } catch (err) {
    // Only when every file is back as it was: a file left changed still needs its secret.
    const clean = !(err instanceof RolledBack) || err.stuck.length === 0;
    if (clean && before.size) {
      await restoreSecrets(ctx, before);
      throw new WriteRefused(`${(err as Error).message} The secret(s) it had stored were removed again.`);
    }
    throw err;
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

/** Undoes every change of one apply (a group), all or none. */
export async function undoGroupOf(
  ctx: ServiceContext,
  group: string,
  opts: ChangeOptions = {},
): Promise<ConfigChange[]> {
  const out = await undoGroup({ ...writerDeps(ctx), ...(opts.writeFs ? { writeFs: opts.writeFs } : {}) }, group);
  ctx.events.emit('store.changed', { topics: ['config-changes'] });
  return out;
}

/** A short id for display. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
