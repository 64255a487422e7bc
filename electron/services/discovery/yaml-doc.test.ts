import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOC_LIMITS, parseDoc } from './document.js';
import { parseYamlSlow } from './parse-fallback.js';
import { readYamlDoc } from './yaml-doc.js';
import { rng } from '../../../test/support/rng.js';

const KEYS = [
  'name',
  'command',
  'args',
  'env',
  'X-Client',
  'LOG_LEVEL',
  'a.b',
  'Code - Insiders',
  '"quoted key"',
  "'it''s'",
  '1abc',
  '$k',
  'k~0/1',
];
const ODD_KEYS = ['true', '12', 'null', '-dash', '? k', '<<'];
/** Scalars of the subset readYamlDoc reads. */
const SCALARS = [
  'docker',
  'srv-1640',
  'streamable-http',
  '1.0.0',
  'v1',
  'http://x.example.com:80/a?b=c',
  'a b  c',
  '$TOKEN',
  './p',
  '/abs/path',
  '"-y"',
  '"@example/mcp-server-1"',
  '"${input:tok}"',
  '"a \\"b\\" c"',
  '"\\u00e9t\\u00e9"',
  '"tab\\tnew\\nline"',
  '"\\/"',
  "'single'",
  "'it''s'",
  '\'a "b"\'',
  'true',
  'False',
  'TRUE',
  '300',
  '-5',
  '007',
  '+3',
  'ghp_0123456789abcdefABCDEF0123456789abcd',
  'é ü',
  '"a # not a comment"',
];
/** Scalars it leaves to the yaml package (other types, indicators, YAML-only escapes, errors). */
const ODD = [
  '"\\x41"',
  '1.5',
  '.inf',
  '0x1F',
  '~',
  'null',
  '',
  'a#b',
  'a: b',
  'key:',
  '@at',
  '`tick',
  '&anchor v',
  '*alias',
  '!tag v',
  '[1, 2]',
  '{a: 1}',
  '|',
  '>',
  '"multi',
  '- - x',
  '-y',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function scalar(r: () => number): string {
  const s = r() < 0.03 ? pick(r, ODD) : pick(r, SCALARS);
  const comment = r() < 0.15 ? ' # note' : '';
  const trail = r() < 0.1 ? '  ' : '';
  return `${s}${trail}${comment}`;
}

/** Lines of a block node whose items sit at column `indent`. */
function block(r: () => number, indent: number, depth: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  const n = 1 + Math.floor(r() * 3);
  if (r() < 0.4) {
    for (let i = 0; i < n; i++) {
      if (depth < 4 && r() < 0.4) {
        // `- key: v` then more keys of the same compact mapping two columns in.
        const inner = block(r, indent + 2, depth + 1).filter((l) => !l.trimStart().startsWith('- '));
        const first = inner.findIndex((l) => l.trim() && !l.trimStart().startsWith('#'));
        if (first >= 0 && /^\s*[^-\s]/.test(inner[first]!)) {
          out.push(`${pad}- ${inner[first]!.slice(indent + 2)}`, ...inner.slice(first + 1));
          continue;
        }
      }
      out.push(`${pad}- ${scalar(r)}`);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const key = r() < 0.03 ? pick(r, ODD_KEYS) : pick(r, KEYS);
      if (depth < 4 && r() < 0.4) {
        out.push(`${pad}${key}:${r() < 0.1 ? ' # c' : ''}`);
        const deeper = r() < 0.2 ? indent : indent + 2 + Math.floor(r() * 2);
        const child = block(r, deeper, depth + 1);
        // At the key's own column only a list may follow.
        if (deeper === indent && !child[0]?.trimStart().startsWith('- ')) out.push(...block(r, indent + 2, depth + 1));
        else out.push(...child);
      } else out.push(`${pad}${key}: ${scalar(r)}`);
      if (r() < 0.1) out.push(r() < 0.5 ? '' : `${pad}# comment`);
    }
  }
  return out;
}

function mutate(r: () => number, text: string): string {
  const at = Math.floor(r() * (text.length + 1));
  const junk = [
    '',
    ':',
    '- ',
    '\t',
    '#',
    ' ',
    '  ',
    '&a ',
    '*a',
    '!t ',
    '{',
    '[',
    '|',
    '"',
    "'",
    '\n---\n',
    '\r',
    '\n',
    '\n  ',
    'x: y\n',
  ];
  return text.slice(0, at) + pick(r, junk) + text.slice(at + (r() < 0.5 ? 1 : 0));
}

test('readYamlDoc builds the very tree the yaml package does, or declines (generated documents)', async () => {
  let read = 0;
  let declined = 0;
  for (let seed = 1; seed <= 4000; seed++) {
    const r = rng(seed);
    let text = block(r, r() < 0.1 ? 1 : 0, 0).join('\n') + (r() < 0.5 ? '\n' : '');
    if (seed % 2 === 0) text = mutate(r, text);
    const fast = readYamlDoc(text, DOC_LIMITS.depth);
    if (fast === undefined) {
      declined++;
      continue;
    }
    read++;
    const slow = parseYamlSlow(text);
    assert.ok(slow.ok, `seed ${seed}: read a document the yaml package rejects: ${JSON.stringify(text)}`);
    assert.deepStrictEqual(fast, slow.root, `seed ${seed}: ${JSON.stringify(text)}`);
  }
  // Both paths were exercised (a generator that only produced declined documents would prove nothing).
  assert.ok(read > 1000 && declined > 1000, `read ${read}, declined ${declined}`);
});

test('readYamlDoc: nesting at and over the limit, empty files', async () => {
  // n nested `kI:` keys, then `leaf: v`: the scalar sits n + 1 levels down (the limit allows 64).
  const nested = (n: number) =>
    Array.from({ length: n }, (_, i) => `${' '.repeat(2 * i)}k${i}:`).join('\n') + `\n${' '.repeat(2 * n)}leaf: v\n`;
  const atLimit = nested(DOC_LIMITS.depth - 1);
  const slow = parseYamlSlow(atLimit);
  assert.ok(slow.ok);
  assert.deepStrictEqual(readYamlDoc(atLimit, DOC_LIMITS.depth), slow.root);
  const over = nested(DOC_LIMITS.depth);
  assert.equal(readYamlDoc(over, DOC_LIMITS.depth), undefined);
  const out = await parseDoc(over, 'yaml');
  assert.ok(!out.ok && out.reason === 'nested deeper than 64 levels (YAML)', JSON.stringify(out));
  for (const empty of ['', '\n', '# only a comment\n']) {
    assert.equal(readYamlDoc(empty, DOC_LIMITS.depth), undefined);
    assert.deepEqual(await parseDoc(empty, 'yaml'), parseYamlSlow(empty));
  }
});
