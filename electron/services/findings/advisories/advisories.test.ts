import assert from 'node:assert/strict';
import { test } from 'node:test';
import data from './advisories.json' with { type: 'json' };
import { checkAdvisoryFile, shippedAdvisories } from './index.js';
import { AdvisoryFile } from './schema.js';

test('the shipped advisories pass the zod schema and the scan-path check alike', () => {
  assert.ok(AdvisoryFile.safeParse(data).success);
  const shipped = shippedAdvisories();
  assert.equal(shipped.advisories.length, data.advisories.length);
  assert.deepEqual(shipped, AdvisoryFile.parse(data));
});

test('the scan-path check rejects what the schema rejects, naming the advisory and field', () => {
  const broken: Array<[string, (a: Record<string, unknown>) => void]> = [
    ['id', (a) => delete a.id],
    ['aliases', (a) => (a.aliases = [1])],
    ['ecosystem', (a) => (a.ecosystem = 'cargo')],
    ['severity', (a) => (a.severity = 'urgent')],
    ['affected', (a) => (a.affected = 3)],
    ['fixed', (a) => (a.fixed = null)],
    ['published', (a) => delete a.published],
  ];
  for (const [field, breakIt] of broken) {
    const copy = structuredClone(data) as { advisories: Record<string, unknown>[] };
    breakIt(copy.advisories[1]!);
    assert.equal(AdvisoryFile.safeParse(copy).success, false, field);
    assert.throws(() => checkAdvisoryFile(copy), new RegExp(`advisories\\[1\\]\\.${field}\\b`), field);
  }
  assert.throws(() => checkAdvisoryFile({ advisories: [] }), /compiled/);
  assert.throws(() => checkAdvisoryFile(null), /the file/);
});
