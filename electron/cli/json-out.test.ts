import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeJson } from './json-out.js';

async function written(value: unknown): Promise<string> {
  let out = '';
  await writeJson({ stdout: (t) => (out += t), stderr: () => {} }, value);
  return out;
}

test('writeJson writes a large document in a few batched writes, not one per element', async () => {
  const writes: string[] = [];
  const value = { servers: Array.from({ length: 3000 }, (_, i) => ({ id: `s${i}` })), findings: [] };
  await writeJson({ stdout: (t) => writes.push(t), stderr: () => {} }, value);
  assert.equal(writes.join(''), JSON.stringify(value, null, 2) + '\n');
  assert.ok(writes.length > 1 && writes.length < 10, `${writes.length} writes`);
});

test('writeJson writes exactly JSON.stringify(value, null, 2) + newline', async () => {
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
  for (const value of cases)
    assert.equal(await written(value), JSON.stringify(value, null, 2) + '\n', JSON.stringify(value));
});

test('writeJson waits for a held batch before writing the next (a pipe whose reader lags)', async () => {
  const value = { servers: Array.from({ length: 3000 }, (_, i) => ({ id: `s${i}`, note: 'x'.repeat(40) })) };
  const writes: string[] = [];
  let held: (() => void) | undefined;
  let writtenWhileHeld = 0;
  const io = {
    stdout: (t: string) => {
      if (held) writtenWhileHeld++;
      writes.push(t);
    },
    stderr: () => {},
    // Every batch is held until the "reader" takes it on a later turn.
    stdoutBacklog: () =>
      new Promise<void>((resolve) => {
        held = () => {
          held = undefined;
          resolve();
        };
        setImmediate(() => held?.());
      }),
  };
  await writeJson(io, value);
  assert.equal(writes.join(''), JSON.stringify(value, null, 2) + '\n');
  assert.ok(writes.length > 3, `${writes.length} writes`);
  assert.equal(writtenWhileHeld, 0);
});
