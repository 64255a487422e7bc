import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOC_LIMITS, parseDoc } from './document.js';
import { parseJsonSlow } from './parse-fallback.js';
import { readJsonDoc } from './json-doc.js';
import { rng } from '../../../test/support/rng.js';

const STRINGS = [
  '',
  'plain',
  'a/b~c',
  'ghp_0123456789abcdefABCDEF0123456789abcd',
  'tab\\there',
  'quote \\" inside',
  'uni \\u00e9 \\uD83D\\uDE00 \\u2028',
  'back\\\\slash\\/',
  '\u00e9t\u00e9 \u2028 \u{1F600}',
  '\\b\\f\\n\\r',
];
const NUMBERS = ['0', '-0', '12', '-3.25', '1e3', '2E-2', '6.02e+23', '123456789012345678901234567890'];
const SPACE = [' ', '  ', '\n', '\r\n', '\t', '\n  ', ' // line comment\n', ' /* block\n comment */ ', '/**/'];

function generate(r: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ws = () => (r() < 0.5 ? pick(SPACE) : '');
  const roll = r();
  if (depth < 4 && roll < 0.35) {
    const n = Math.floor(r() * 4);
    const parts = Array.from(
      { length: n },
      () => `${ws()}"${pick(STRINGS)}"${ws()}:${ws()}${generate(r, depth + 1)}${ws()}`,
    );
    return `{${parts.join(',')}${n && r() < 0.3 ? ',' : ''}${ws()}}`;
  }
  if (depth < 4 && roll < 0.55) {
    const n = Math.floor(r() * 4);
    const parts = Array.from({ length: n }, () => `${ws()}${generate(r, depth + 1)}${ws()}`);
    return `[${parts.join(',')}${n && r() < 0.3 ? ',' : ''}${ws()}]`;
  }
  if (roll < 0.8) return `"${pick(STRINGS)}"`;
  if (roll < 0.9) return pick(NUMBERS);
  return pick(['true', 'false', 'null']);
}

/** Small edits that often make a document invalid (or valid in a way only jsonc-parser reads). */
function mutate(r: () => number, text: string): string {
  const at = Math.floor(r() * (text.length + 1));
  const junk = [
    '',
    ',',
    '}',
    ']',
    '"',
    '\\',
    '/',
    '*',
    ':',
    '\u00a0',
    '\u2028',
    '\x01',
    'x',
    '01',
    '1.',
    '-',
    'tru',
    '\n',
  ];
  const insert = junk[Math.floor(r() * junk.length)]!;
  const cut = r() < 0.5 ? 1 : 0;
  return text.slice(0, at) + insert + text.slice(at + cut);
}

test('readJsonDoc builds the very tree jsonc-parser does, or declines (generated documents)', async () => {
  let read = 0;
  let declined = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed);
    let text = `${r() < 0.5 ? ' ' : ''}${generate(r)}${r() < 0.5 ? '\n// end\n' : ''}`;
    if (seed % 2 === 0) text = mutate(r, text);
    const slow = parseJsonSlow(text);
    const fast = readJsonDoc(text, DOC_LIMITS.depth);
    if (fast === undefined) {
      declined++;
      continue;
    }
    read++;
    assert.ok(slow.ok, `seed ${seed}: read a document jsonc-parser rejects: ${JSON.stringify(text)}`);
    assert.deepStrictEqual(fast, slow.root, `seed ${seed}: ${JSON.stringify(text)}`);
  }
  // Both paths were exercised (a generator that only produced errors would prove nothing).
  assert.ok(read > 1500 && declined > 300, `read ${read}, declined ${declined}`);
});

test('readJsonDoc: empty and comment-only files, nesting at and over the limit', async () => {
  assert.deepStrictEqual(readJsonDoc('', 64), { kind: 'null', value: null, pointer: '', line: 1 });
  const blank = ' // nothing\n/* here */\n';
  assert.deepStrictEqual(readJsonDoc(blank, 64), (parseJsonSlow(blank) as { root: unknown }).root);
  // At the limit both read it; one level more, the fast reader declines and the limit error stands.
  const nest = (n: number, leaf: string) => '[{"k":'.repeat(n / 2) + leaf + '}]'.repeat(n / 2);
  const atLimit = nest(DOC_LIMITS.depth, '"v"');
  assert.deepStrictEqual(readJsonDoc(atLimit, DOC_LIMITS.depth), (parseJsonSlow(atLimit) as { root: unknown }).root);
  for (const over of [nest(DOC_LIMITS.depth, '[]'), nest(DOC_LIMITS.depth + 2, '1')]) {
    assert.equal(readJsonDoc(over, DOC_LIMITS.depth), undefined);
    assert.deepEqual(await parseDoc(over, 'json'), {
      ok: false,
      line: 1,
      reason: 'nested deeper than 64 levels (JSON)',
    });
  }
});

test('parseDoc JSON errors keep jsonc-parser wording and lines', async () => {
  for (const text of ['{\n "a": 1\n "b": 2\n}', '{\n  "a": "x', '[1,,2]', '{"a": 01}', '{"a":\u00a01}', '/* open']) {
    const out = await parseDoc(text, 'json');
    assert.deepEqual(out, parseJsonSlow(text), JSON.stringify(text));
    if (text !== '{"a":\u00a01}') assert.equal(out.ok, false, JSON.stringify(text));
  }
});
