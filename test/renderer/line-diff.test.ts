import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unifiedDiff } from '../../renderer/src/lib/line-diff.js';

type Line = { kind: 'context' | 'add' | 'del' | 'hunk'; text: string; oldNo?: number; newNo?: number };

/** The unified-diff reading DiffView does (it imports CSS, so it is not loaded here). */
function parseUnifiedDiff(diff: string): Line[] {
  const out: Line[] = [];
  let o = 0;
  let n = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('--- ') || line.startsWith('+++ ')) continue;
    const h = /^@@ -(\d+),\d+ \+(\d+),\d+ @@$/.exec(line);
    if (h) {
      o = Number(h[1]);
      n = Number(h[2]);
      out.push({ kind: 'hunk', text: line });
    } else if (line.startsWith('+')) out.push({ kind: 'add', text: line.slice(1), newNo: n++ });
    else if (line.startsWith('-')) out.push({ kind: 'del', text: line.slice(1), oldNo: o++ });
    else if (line.startsWith(' ')) out.push({ kind: 'context', text: line.slice(1), oldNo: o++, newNo: n++ });
    else assert.fail(`unexpected diff line ${JSON.stringify(line)}`);
  }
  return out;
}

/** Applies a parsed diff's lines to rebuild both sides: they must be exactly the two texts. */
function sides(diff: string, oldText: string, newText: string) {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  for (const l of parseUnifiedDiff(diff)) {
    if (l.kind === 'context') {
      assert.equal(a[l.oldNo! - 1], l.text);
      assert.equal(b[l.newNo! - 1], l.text);
    } else if (l.kind === 'del') assert.equal(a[l.oldNo! - 1], l.text);
    else if (l.kind === 'add') assert.equal(b[l.newNo! - 1], l.text);
  }
}

test('equal texts: no diff', () => {
  assert.equal(unifiedDiff('a\nb', 'a\nb'), '');
});

test('a changed line in a long document: one hunk with three lines of context, numbered in both texts', () => {
  const old = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
  const draft = old.replace('line 20', 'line 20 (edited)').replace('line 5\n', '');
  const d = unifiedDiff(old, draft);
  const lines = parseUnifiedDiff(d);
  assert.deepEqual(
    lines.filter((l) => l.kind === 'add' || l.kind === 'del').map((l) => [l.kind, l.text]),
    [
      ['del', 'line 5'],
      ['del', 'line 20'],
      ['add', 'line 20 (edited)'],
    ],
  );
  assert.equal(lines.filter((l) => l.kind === 'hunk').length, 2, 'far-apart changes: two hunks');
  assert.ok(!lines.some((l) => l.text === 'line 30'), 'unchanged lines far from a change are left out');
  sides(d, old, draft);
});

test('beyond the cell budget the changed middle is one replacement (still exact)', () => {
  const old = 'h\n' + Array.from({ length: 50 }, (_, i) => `o${i}`).join('\n') + '\nt';
  const draft = 'h\n' + Array.from({ length: 50 }, (_, i) => `n${i}`).join('\n') + '\nt';
  const d = unifiedDiff(old, draft, 3, 100);
  const lines = parseUnifiedDiff(d);
  assert.equal(lines.filter((l) => l.kind === 'del').length, 50);
  assert.equal(lines.filter((l) => l.kind === 'add').length, 50);
  sides(d, old, draft);
});
