import { isDeepStrictEqual } from 'node:util';
import type { IdentifiedDraft } from '../findings/engine.js';
import { pointerParts, type EditOp } from './edit.js';
import { fixOptions, ManualFix, planFix, type FixPlan, type SecretMove, type Strategy } from './fixes.js';
import type { PlanContext } from './plan-context.js';
import type { PlannedWrite } from './writer.js';

/**
 * Bulk fix of one rule: every finding is planned on its own (from the same file contents), then the
 * plans are merged into one write per file, so the admin sees one diff per file and confirms once.
 * A finding whose edits would touch what another finding's edits already touch (the same entry, or
 * an entry being removed) is left out with the reason, never merged into a surprising result.
 */
export interface Skip {
  findingId: string;
  reason: string;
  /** `manual`: no automatic fix; `refused`: a fix exists but cannot be written now. */
  kind: 'manual' | 'refused';
}

export interface PlannedFinding {
  draft: IdentifiedDraft;
  plan: FixPlan;
}

export interface MergedPlan extends FixPlan {
  /** The findings whose edits are in `plans`. */
  fixed: string[];
  skipped: Skip[];
}

/** Plans each finding alone: the ones without an automatic fix (or the asked strategy) are skipped with why. */
export function planEach(
  pc: PlanContext,
  drafts: IdentifiedDraft[],
  strategy: Strategy | undefined,
  versions: ReadonlyMap<string, string>,
): { planned: PlannedFinding[]; skipped: Skip[] } {
  const planned: PlannedFinding[] = [];
  const skipped: Skip[] = [];
  for (const d of drafts) {
    try {
      const options = fixOptions(pc, d);
      // Without a strategy only the recommended fix is used: never a quarantine in place of a manual fix.
      if (!strategy && options[0]?.kind !== 'fix') throw new ManualFix(options[0]?.explanation ?? 'No automatic fix.');
      if (strategy && !options.some((o) => o.kind === 'fix' && o.strategy === strategy))
        throw new ManualFix(`The "${strategy}" fix is not offered for this finding.`);
      const version = versions.get(d.id);
      planned.push({ draft: d, plan: planFix(pc, d, strategy, version ? { version } : {}) });
    } catch (err) {
      if (!(err instanceof ManualFix)) throw err;
      skipped.push({ findingId: d.id, reason: err.message, kind: 'manual' });
    }
  }
  return { planned, skipped };
}

/** Whether two pointers address the same node or one contains the other. */
function overlaps(a: string, b: string): boolean {
  const pa = pointerParts(a);
  const pb = pointerParts(b);
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) if (pa[i] !== pb[i]) return false;
  return true;
}

function sameOp(a: EditOp, b: EditOp): boolean {
  return (
    a.op === b.op &&
    a.pointer === b.pointer &&
    isDeepStrictEqual('value' in a ? a.value : undefined, 'value' in b ? b.value : undefined)
  );
}

/** The op of `next` that collides with `existing` (undefined: they can be applied together). */
function collision(existing: readonly EditOp[], next: EditOp): EditOp | undefined {
  for (const e of existing) {
    if (sameOp(e, next)) continue;
    if (e.op === 'append' && next.op === 'append' && e.pointer === next.pointer) continue; // two new list items
    if (overlaps(e.pointer, next.pointer)) return e;
  }
  return undefined;
}

/** Numeric-aware, descending: list removals go last-first so the earlier indexes stay right. */
function removalOrder(a: EditOp, b: EditOp): number {
  const pa = pointerParts(a.pointer);
  const pb = pointerParts(b.pointer);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    const na = Number(pa[i]);
    const nb = Number(pb[i]);
    if (Number.isInteger(na) && Number.isInteger(nb)) return nb - na;
    return pb[i]! < pa[i]! ? -1 : 1;
  }
  return pb.length - pa.length;
}

interface FileAcc {
  first: PlannedWrite;
  ops: EditOp[];
  pointers: string[];
  secretValues: string[];
  summaries: string[];
}

/** Merges the per-finding plans into one write per file (in first-seen order). */
export function mergePlans(ruleId: string, planned: PlannedFinding[]): MergedPlan {
  const files = new Map<string, FileAcc>();
  const secrets = new Map<string, SecretMove>();
  const notes: string[] = [];
  const fixed: string[] = [];
  const skipped: Skip[] = [];
  for (const { draft, plan } of planned) {
    let why: string | undefined;
    for (const s of plan.secrets) {
      const had = secrets.get(s.name);
      if (had && had.value !== s.value) why = `another finding in this set stores a different value as "${s.name}"`;
      const clash = s.variable
        ? [...secrets.values()].find((x) => x.variable === s.variable && x.value !== s.value)
        : undefined;
      if (clash)
        why = `another finding in this set has a different value for the variable ${s.variable} (clients read one environment): rename one of the variables first`;
    }
    for (const w of plan.plans) {
      if (why) break;
      const acc = files.get(w.file);
      if (!acc) continue;
      if (acc.first.kind !== w.kind) why = `another finding in this set changes ${w.file} in another way`;
      else if (w.kind === 'edit') {
        for (const op of w.ops) {
          const c = collision(acc.ops, op);
          if (c) {
            why = `another finding in this set already edits ${c.pointer} in ${w.file}`;
            break;
          }
        }
      }
    }
    if (why) {
      skipped.push({
        findingId: draft.id,
        reason: `${why}: apply this set, then fix this one again.`,
        kind: 'refused',
      });
      continue;
    }
    for (const w of plan.plans) {
      const acc = files.get(w.file);
      if (!acc) {
        files.set(w.file, {
          first: w,
          ops: w.kind === 'edit' ? [...w.ops] : [],
          pointers: [...w.pointers],
          secretValues: w.kind === 'edit' ? [...(w.secretValues ?? [])] : [],
          summaries: [w.summary],
        });
        continue;
      }
      if (w.kind === 'edit') {
        for (const op of w.ops) if (!acc.ops.some((e) => sameOp(e, op))) acc.ops.push(op);
        acc.secretValues.push(...(w.secretValues ?? []));
      }
      for (const p of w.pointers) if (!acc.pointers.includes(p)) acc.pointers.push(p);
      if (!acc.summaries.includes(w.summary)) acc.summaries.push(w.summary);
    }
    for (const s of plan.secrets) secrets.set(s.name, s);
    for (const n of plan.notes) if (!notes.includes(n)) notes.push(n);
    fixed.push(draft.id);
  }
  const plans: PlannedWrite[] = [...files.values()].map((acc) => {
    const summary = acc.summaries.join('; ');
    if (acc.first.kind === 'chmod') return { ...acc.first, summary, pointers: acc.pointers };
    const removes = acc.ops.filter((o) => o.op === 'remove').sort(removalOrder);
    return {
      ...acc.first,
      ops: [...acc.ops.filter((o) => o.op !== 'remove'), ...removes],
      pointers: acc.pointers,
      secretValues: [...new Set(acc.secretValues)],
      summary,
    };
  });
  const n = fixed.length;
  return {
    title: `Fix ${n} ${ruleId} finding${n === 1 ? '' : 's'} in ${plans.length} file${plans.length === 1 ? '' : 's'}`,
    plans,
    secrets: [...secrets.values()],
    notes,
    fixed,
    skipped,
  };
}
