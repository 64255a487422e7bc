import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PolicyDocument } from '../../../shared/model/policy.js';
import { matrixDelta } from './evaluate.js';
import { randomDoc, rng } from './test-fixtures.js';

test('matrix delta: deciding only the changed rules’ cells gives the exhaustive delta (seeded random drafts)', () => {
  let entries = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const input = randomDoc(r);
    const other = randomDoc(r);
    const live = PolicyDocument.parse(input);
    // A rules-only edit: drop some rules, keep the rest, add some of another document's.
    const rules = [
      ...(input.rules ?? []).filter(() => r() < 0.6),
      ...(other.rules ?? []).filter(() => r() < 0.6).map((x) => ({ ...x, id: `n-${x.id}` })),
    ];
    const draft = PolicyDocument.parse({ ...input, rules });
    for (const [a, b] of [
      [live, draft],
      [draft, live],
      [live, live],
    ] as const) {
      const fast = matrixDelta(a, b);
      assert.deepEqual(fast, matrixDelta(a, b, { exhaustive: true }), `seed ${seed}`);
      entries += fast.length;
    }
    // A structural edit takes the exhaustive path either way.
    const moved = PolicyDocument.parse(other);
    assert.deepEqual(matrixDelta(live, moved), matrixDelta(live, moved, { exhaustive: true }));
  }
  assert.ok(entries > 100, `the random drafts change the matrix (${entries} entries)`);
});
