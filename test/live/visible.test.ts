import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffLines, visiblePlain, visibleSegments } from '../../renderer/src/pages/server/visible.js';

test('untrusted text: ANSI stripped, invisible characters marked, tag characters decoded', () => {
  const tags = [...'run rm'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
  const segs = visibleSegments(`Adds \u001b[31mtwo\u001b[0m numbers.\u200b${tags}`);
  assert.deepEqual(segs, [
    { kind: 'text', value: 'Adds two numbers.' },
    { kind: 'mark', value: 'U+200B' },
    { kind: 'hidden', value: 'run rm' },
  ]);
  assert.equal(visiblePlain('a\u202eb'), 'a⟨U+202E⟩b');
  assert.equal(visiblePlain('<script>alert(1)</script>'), '<script>alert(1)</script>', 'kept as text, never markup');
});

test('side-by-side diff pairs removed and added lines', () => {
  const rows = diffLines(['{', '  "a": 1,', '  "b": 2', '}'], ['{', '  "a": 3,', '  "b": 2', '  "c": 4', '}']);
  assert.deepEqual(
    rows.map((r) => r.change),
    ['same', 'changed', 'same', 'added', 'same'],
  );
  assert.equal(rows.find((r) => r.change === 'changed')?.left, '  "a": 1,');
  assert.equal(rows.find((r) => r.change === 'changed')?.right, '  "a": 3,');
  assert.ok(rows.some((r) => r.change === 'added' && r.right === '  "c": 4'));
});
