import type { ConfigChange } from '../../../../shared/model/config-write.js';

/** How to undo what one confirmation wrote. */
export type UndoPlan = { group: string } | { ids: string[] };

/**
 * One confirmation = one undo: when every change carries the same group, the service restores the
 * whole group (all or none); otherwise each change by id, newest first (a later write to the same
 * file must be undone before an earlier one).
 */
export function undoPlan(changes: readonly ConfigChange[]): UndoPlan {
  const group = changes[0]?.group;
  if (group && changes.every((c) => c.group === group)) return { group };
  return { ids: [...changes].reverse().map((c) => c.id) };
}

/** Notes of several changes, each once, in order. */
export function uniqueNotes(changes: readonly Pick<ConfigChange, 'notes'>[]): string[] {
  return [...new Set(changes.flatMap((c) => c.notes))];
}

/** "1 file" / "3 files". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Skipped findings of a bulk preview, by reason (most frequent first). */
export function skippedByReason(
  skipped: readonly { findingId: string; reason: string }[],
): { reason: string; findingIds: string[] }[] {
  const m = new Map<string, string[]>();
  for (const s of skipped) m.set(s.reason, [...(m.get(s.reason) ?? []), s.findingId]);
  return [...m]
    .map(([reason, findingIds]) => ({ reason, findingIds }))
    .sort((a, b) => b.findingIds.length - a.findingIds.length || a.reason.localeCompare(b.reason));
}
