import type { ConfigChange } from '../../../../shared/model/config-write.js';

/** What one confirmation wrote: its changes (one per file), shown and undone together. */
export interface ChangeGroup {
  /** The group id, or the change id of a change recorded alone. */
  key: string;
  group?: string;
  /** Newest first, as the service lists them. */
  changes: ConfigChange[];
  /** The newest change's time. */
  at: string;
  actor: string;
  status: ConfigChange['status'] | 'mixed';
  /** Something left to undo, and all of it can be undone now. */
  undoable: boolean;
  undoBlocked?: string;
}

/**
 * Changes (newest first) as groups: changes sharing `group` are one row (one confirmation = one
 * group = one undo); a change without a group is its own. Group order follows its newest change.
 */
export function groupChanges(changes: readonly ConfigChange[]): ChangeGroup[] {
  const byKey = new Map<string, ConfigChange[]>();
  for (const c of changes) {
    const key = c.group ?? c.id;
    byKey.set(key, [...(byKey.get(key) ?? []), c]);
  }
  return [...byKey].map(([key, list]) => {
    const first = list[0]!;
    const statuses = new Set(list.map((c) => c.status));
    const left = list.filter((c) => c.status !== 'undone');
    const blocked = left.find((c) => !c.undoable);
    const reason = blocked?.undoBlocked ?? (blocked ? 'cannot be undone' : undefined);
    return {
      key,
      ...(first.group ? { group: first.group } : {}),
      changes: list,
      at: first.at,
      actor: [...new Set(list.map((c) => c.actor))].join(', '),
      status: statuses.size === 1 ? first.status : 'mixed',
      undoable: left.length > 0 && !blocked,
      ...(reason ? { undoBlocked: list.length > 1 && blocked ? `${blocked.file}: ${reason}` : reason } : {}),
    } satisfies ChangeGroup;
  });
}

export interface ChangeFilters {
  /** Part of a file path (case-insensitive). */
  file: string;
  /** An actor exactly, '' for all. */
  actor: string;
  sort: 'newest' | 'oldest';
}

export const NO_CHANGE_FILTERS: ChangeFilters = { file: '', actor: '', sort: 'newest' };

/** The groups that touch a matching file and were made by the actor, in the chosen order. */
export function filterGroups(groups: readonly ChangeGroup[], f: ChangeFilters): ChangeGroup[] {
  const needle = f.file.trim().toLowerCase();
  const out = groups.filter(
    (g) =>
      (!needle || g.changes.some((c) => c.file.toLowerCase().includes(needle))) &&
      (!f.actor || g.changes.some((c) => c.actor === f.actor)),
  );
  return f.sort === 'oldest' ? out.reverse() : out;
}

/** Every actor that made a change, sorted. */
export function actorsOf(changes: readonly ConfigChange[]): string[] {
  return [...new Set(changes.map((c) => c.actor))].sort((a, b) => a.localeCompare(b));
}
