import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigChange } from '../../shared/model/config-write.js';
import type { Finding } from '../../shared/model/finding.js';
import type { ScopeFinding } from '../../shared/model/tenant.js';
import { skippedByReason, undoPlan, uniqueNotes } from '../../renderer/src/components/config-change/undo.js';
import { actorsOf, filterGroups, groupChanges, NO_CHANGE_FILTERS } from '../../renderer/src/pages/changes/model.js';
import { bulkFixScope } from '../../renderer/src/pages/findings/bulk-fix.js';

/** The change dialog's and the Changes page's view logic: undo by group, grouping, filters, bulk scope. */

function change(id: string, over: Partial<ConfigChange> = {}): ConfigChange {
  return {
    id,
    at: '2026-12-01T10:00:00Z',
    actor: 'jo (cli)',
    kind: 'edit',
    file: `/home/u/${id}.json`,
    summary: `edit ${id}`,
    pointers: ['/mcpServers/x'],
    diff: '',
    beforeSha256: 'a'.repeat(64),
    afterSha256: 'b'.repeat(64),
    status: 'applied',
    notes: [],
    undoable: true,
    ...over,
  };
}

test('undoPlan: one group undo when every change shares the group, else each id newest first', () => {
  assert.deepEqual(undoPlan([change('a', { group: 'g1' }), change('b', { group: 'g1' })]), { group: 'g1' });
  // As apply returns them (in write order): undo the later write first.
  assert.deepEqual(undoPlan([change('a'), change('b')]), { ids: ['b', 'a'] });
  assert.deepEqual(undoPlan([change('a', { group: 'g1' }), change('b', { group: 'g2' })]), { ids: ['b', 'a'] });
  assert.deepEqual(undoPlan([change('a', { group: 'g1' }), change('b')]), { ids: ['b', 'a'] });
  assert.deepEqual(undoPlan([]), { ids: [] });
});

test('uniqueNotes keeps each note once, in order', () => {
  assert.deepEqual(uniqueNotes([{ notes: ['x', 'y'] }, { notes: ['y', 'z'] }]), ['x', 'y', 'z']);
});

test('skippedByReason groups the findings a bulk preview left out, most frequent reason first', () => {
  const out = skippedByReason([
    { findingId: 'f1', reason: 'manual fix' },
    { findingId: 'f2', reason: 'same file twice' },
    { findingId: 'f3', reason: 'manual fix' },
  ]);
  assert.deepEqual(out, [
    { reason: 'manual fix', findingIds: ['f1', 'f3'] },
    { reason: 'same file twice', findingIds: ['f2'] },
  ]);
});

test('groupChanges: one row per group in newest-first order; ungrouped changes stand alone', () => {
  const list = [
    change('c3', { at: '2026-12-01T12:00:00Z' }),
    change('c2', { group: 'g', at: '2026-12-01T11:00:00Z', actor: 'ann (gui)' }),
    change('c1', { group: 'g', at: '2026-12-01T11:00:00Z' }),
    change('c0', { at: '2026-12-01T09:00:00Z', status: 'undone', undoable: false }),
  ];
  const groups = groupChanges(list);
  assert.deepEqual(
    groups.map((g) => [g.key, g.changes.map((c) => c.id), g.status, g.undoable]),
    [
      ['c3', ['c3'], 'applied', true],
      ['g', ['c2', 'c1'], 'applied', true],
      ['c0', ['c0'], 'undone', false],
    ],
  );
  assert.equal(groups[1]!.group, 'g');
  assert.equal(groups[1]!.actor, 'ann (gui), jo (cli)');
  assert.equal(groups[0]!.group, undefined);
});

test('groupChanges: a group with one blocked file cannot be undone, and says which file and why', () => {
  const [g] = groupChanges([
    change('a', { group: 'g' }),
    change('b', { group: 'g', undoable: false, undoBlocked: 'the file changed since' }),
  ]);
  assert.equal(g!.undoable, false);
  assert.equal(g!.undoBlocked, '/home/u/b.json: the file changed since');
  // Partly undone: what is left can still be undone as a group.
  const [p] = groupChanges([
    change('a', { group: 'g' }),
    change('b', { group: 'g', status: 'undone', undoable: false }),
  ]);
  assert.equal(p!.status, 'mixed');
  assert.equal(p!.undoable, true);
});

test('filterGroups by file part and actor; oldest first on request', () => {
  const groups = groupChanges([
    change('c2', { file: '/home/u/.cursor/mcp.json', actor: 'ann' }),
    change('c1', { group: 'g', file: '/home/u/.codeium/windsurf/mcp_config.json' }),
    change('c0', { group: 'g', file: '/home/u/.config/Claude/claude_desktop_config.json' }),
  ]);
  assert.deepEqual(
    filterGroups(groups, { ...NO_CHANGE_FILTERS, file: 'CLAUDE' }).map((g) => g.key),
    ['g'],
  );
  assert.deepEqual(
    filterGroups(groups, { ...NO_CHANGE_FILTERS, actor: 'ann' }).map((g) => g.key),
    ['c2'],
  );
  assert.deepEqual(
    filterGroups(groups, { ...NO_CHANGE_FILTERS, sort: 'oldest' }).map((g) => g.key),
    ['g', 'c2'],
  );
  assert.deepEqual(filterGroups(groups, { ...NO_CHANGE_FILTERS, file: 'nothing' }), []);
  assert.deepEqual(actorsOf(groups.flatMap((g) => g.changes)), ['ann', 'jo (cli)']);
});

function finding(id: string, over: Partial<Finding> = {}): Finding {
  return {
    id,
    ruleId: 'secret.literal',
    severity: 'critical',
    title: 'Literal secret',
    message: '',
    client: 'cursor',
    server: 's',
    location: { file: '/f', pointer: '/mcpServers/s/env/T' },
    status: 'open',
    firstSeen: '2026-11-01T00:00:00Z',
    ...over,
  };
}
const scope = {
  id: 'g1',
  ruleId: 'scope.public-server',
  source: 'gateway',
  status: 'open',
} as unknown as ScopeFinding;

test('bulkFixScope: the rows shown when the filter is one rule, only open workstation findings', () => {
  const rows = [finding('a'), finding('b', { status: 'suppressed' }), finding('c')];
  assert.deepEqual(bulkFixScope(rows, 'secret.literal', new Set()), {
    ruleId: 'secret.literal',
    title: 'Literal secret',
    findingIds: ['a', 'c'],
  });
  // No rule filter and nothing selected: no bulk fix.
  assert.equal(bulkFixScope(rows, '', new Set()), null);
  // Nothing open.
  assert.equal(bulkFixScope([finding('b', { status: 'suppressed' })], 'secret.literal', new Set()), null);
  assert.equal(bulkFixScope([scope], 'scope.public-server', new Set()), null);
});

test('bulkFixScope: selected rows of one rule, refused when they mix rules', () => {
  const rows = [finding('a'), finding('b', { ruleId: 'config.permissions', title: 'Readable' }), finding('c')];
  assert.deepEqual(bulkFixScope(rows, '', new Set(['a', 'c']))?.findingIds, ['a', 'c']);
  assert.equal(bulkFixScope(rows, '', new Set(['a', 'b'])), null);
  // A selection wins over the filter.
  assert.deepEqual(bulkFixScope(rows, 'secret.literal', new Set(['b'])), {
    ruleId: 'config.permissions',
    title: 'Readable',
    findingIds: ['b'],
  });
});
