import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatPolicy, parsePolicyText, policyHash, policyJsonSchema } from './document.js';
import { fixtureDoc } from './test-fixtures.js';

const HEAD = 'apiVersion: gatehouse/v1\nkind: Policy\n';

test('unknown field typo points at the key; wrong type at the value', () => {
  const text = `${HEAD}teams:\n  - name: red\n    memebers: []\nservers:\n  - name: s\n    enabled: "yes"\n`;
  const r = parsePolicyText(text);
  assert.equal(r.document, undefined);
  const typo = r.diagnostics.find((d) => d.code === 'schema.unknown-field');
  assert.deepEqual([typo?.line, typo?.column], [5, 5]);
  assert.equal(text.slice(typo?.from, typo?.to), 'memebers');
  const wrong = r.diagnostics.find((d) => d.path.join('.') === 'servers.0.enabled');
  assert.equal(text.slice(wrong?.from, wrong?.to), '"yes"');
  assert.equal(wrong?.line, 8);
});

test('JSON: located diagnostics and duplicate keys', () => {
  const text = '{"apiVersion":"gatehouse/v1","kind":"Policy",\n"roles":[{"name":"r","scope":"galaxy"}]}';
  const r = parsePolicyText(text);
  assert.equal(r.format, 'json');
  const d = r.diagnostics.find((x) => x.path.join('.') === 'roles.0.scope');
  assert.equal(text.slice(d?.from, d?.to), '"galaxy"');
  assert.equal(d?.line, 2);
  const dup = parsePolicyText('{"apiVersion":"gatehouse/v1","kind":"Policy","kind":"Policy"}');
  assert.equal(dup.diagnostics[0]?.code, 'parse.duplicate-key');
});

test('unknown apiVersion, duplicate YAML keys, aliases are clear errors', () => {
  const v = parsePolicyText('apiVersion: gatehouse/v9\nkind: Policy\n');
  assert.equal(v.diagnostics[0]?.message, 'apiVersion must be gatehouse/v1, got "gatehouse/v9"');
  assert.equal(v.diagnostics[0]?.line, 1);
  assert.equal(parsePolicyText(`${HEAD}teams: []\nteams: []\n`).diagnostics[0]?.code, 'parse.duplicate-key');
  let bomb = `${HEAD}a: &a ["x","x","x","x","x","x","x","x","x"]\n`;
  for (let i = 0; i < 9; i++)
    bomb += `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]\n`;
  const b = parsePolicyText(bomb);
  assert.equal(b.document, undefined);
  assert.equal(b.diagnostics[0]?.code, 'parse.alias');
});

test('10 MB and 10,000-deep documents are refused without a crash', () => {
  const big = parsePolicyText(`${HEAD}# ${'x'.repeat(10 * 1024 * 1024)}\n`);
  assert.equal(big.diagnostics[0]?.code, 'parse.too-large');
  assert.match(big.diagnostics[0]?.message ?? '', /10\.0 MiB; the limit is 2 MiB/);
  for (const deep of [
    `${HEAD}x: ${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    `{"a":${'['.repeat(10_000)}`,
    '- '.repeat(10_000),
  ]) {
    const r = parsePolicyText(deep);
    assert.equal(r.diagnostics[0]?.code, 'parse.too-deep');
  }
});

test('format is canonical and round-trips; hash ignores order where order has no meaning', () => {
  const doc = fixtureDoc();
  for (const f of ['yaml', 'json'] as const) {
    const text = formatPolicy(doc, f);
    const back = parsePolicyText(text);
    assert.deepEqual(back.diagnostics, []);
    assert.equal(formatPolicy(back.document!, f), text);
    assert.equal(policyHash(back.document!), policyHash(doc));
  }
  const yaml = formatPolicy(doc, 'yaml');
  assert.ok(yaml.indexOf('teams:') < yaml.indexOf('roles:') && yaml.indexOf('rules:') < yaml.indexOf('guardrails:'));
  const shuffled = { ...doc, teams: [...doc.teams].reverse(), rules: [...doc.rules].reverse() };
  assert.equal(policyHash(shuffled), policyHash(doc));
  assert.notEqual(policyHash({ ...doc, servers: doc.servers.slice(1) }), policyHash(doc));
});

test('shared/model/policy.schema.json is in sync with the zod model (regenerate: scripts/policy-schema.ts)', () => {
  const file = fileURLToPath(new URL('../../../shared/model/policy.schema.json', import.meta.url));
  const onDisk = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  assert.deepEqual(onDisk, policyJsonSchema(), 'stale: run node --import tsx scripts/policy-schema.ts');
});
