import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from './fuzz.js';

/**
 * The short fuzz pass of `npm run test:unit`: 1,000 seeded cases (mutated fixtures and the issue #12
 * attack shapes at client paths). Same seed every run, so a failure is reproducible with
 * `npm run fuzz -- --case <seed>`. The full pass is `npm run fuzz` (10,000 cases).
 */
test(
  'fuzz: 1,000 mutated configs: no crash, sibling kept, nothing leaked, each file within 5 s',
  { timeout: 120_000 },
  async () => {
    const s = await fuzz(20_260_001, 1_000, { budgetMs: 5_000 });
    const report = s.failures.map((f) => `case ${f.seed} (${f.source}; ${f.mutations.join(',')}): ${f.failure}`);
    assert.deepEqual(report, [], `reproduce with: npm run fuzz -- --case <seed>\n${report.join('\n')}`);
    assert.ok(s.maxMs <= 5_000, `slowest case ${s.maxSeed}: ${s.maxMs} ms`);
  },
);
