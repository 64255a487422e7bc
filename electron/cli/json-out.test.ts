import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeJson } from './json-out.js';

function written(value: unknown): string {
  let out = '';
  writeJson({ stdout: (t) => (out += t), stderr: () => {} }, value);
  return out;
}

test('writeJson writes a large document in a few batched writes, not one per element', () => {
  const writes: string[] = [];
  const value = { servers: Array.from({ length: 3000 }, (_, i) => ({ id: `s${i}` })), findings: [] };
  writeJson({ stdout: (t) => writes.push(t), stderr: () => {} }, value);
  assert.equal(writes.join(''), JSON.stringify(value, null, 2) + '\n');
  assert.ok(writes.length > 1 && writes.length < 10, `${writes.length} writes`);
});

test('writeJson writes exactly JSON.stringify(value, null, 2) + newline', () => {
  const cases: unknown[] = [
    {
      servers: [
        { id: 'a', args: ['-y', 'x'], env: {}, url: 'https://h/p?k=ghp_…q7m5' },
        { id: 'b', n: 1 },
      ],
      findings: [],
    },
    { servers: [], findings: [{ ruleId: 'r', location: { file: '/a "b"\nc', line: 3 }, t: 'line\nbreak' }] },
    { a: [[1, [2, []], {}], null, 'x', undefined, () => 1], b: undefined, c: { d: [1, 2] }, e: 'é€𝄞' },
    { only: [undefined, { nested: { deep: [{ x: [] }] } }] },
    { gateways: { sync: [], findings: [{ id: 1 }] }, servers: [{ id: 's' }] },
    { when: new Date(0), list: [new Date(1)] },
    {},
    { f: () => 1 },
    [1, 2],
    'text',
    null,
    { toJSON: () => ({ replaced: [1] }) },
    // An element whose toJSON reads its key, and nested empty and non-empty members.
    {
      list: [
        { toJSON: (k: string) => ({ k }) },
        { a: {}, b: [], c: [{}, [[]]], d: 'x\ny' },
        { toJSON: (k: string) => ({ k, toJSON: () => 'never called' }) },
        0,
        false,
        new Date(2),
      ],
    },
    // Past the ~64 KiB write batches: written in several pieces, the same bytes.
    { servers: Array.from({ length: 3000 }, (_, i) => ({ id: `s${i}`, v: 'é…'.repeat(i % 7) })), findings: [1] },
  ];
  for (const value of cases) assert.equal(written(value), JSON.stringify(value, null, 2) + '\n', JSON.stringify(value));
});
