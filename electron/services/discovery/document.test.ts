import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectLeaves, parseDoc, type DocNode } from './document.js';
import { locateToml } from './toml-locate.js';

async function leavesOf(text: string, format: 'json' | 'toml' | 'yaml') {
  const r = await parseDoc(text, format);
  assert.ok(r.ok, JSON.stringify(r));
  return collectLeaves((r as { root: DocNode }).root).map((l) => ({
    pointer: l.pointer,
    key: l.key,
    value: l.value,
    line: l.line,
    token: l.offset === undefined ? undefined : text.slice(l.offset, l.offset + l.length!),
  }));
}

test('JSONC: comments, trailing commas, escaped keys and pointer escaping', async () => {
  const text = '{\n  // c\n  "a/b": { "x~y": "v\\"1", },\n  "list": [ "p", /* q */ "r", ],\n}\n';
  assert.deepEqual(await leavesOf(text, 'json'), [
    { pointer: '/a~1b/x~0y', key: 'x~y', value: 'v"1', line: 3, token: '"v\\"1"' },
    { pointer: '/list/0', key: '0', value: 'p', line: 4, token: '"p"' },
    { pointer: '/list/1', key: '1', value: 'r', line: 4, token: '"r"' },
  ]);
});

test('JSON parse errors carry the 1-based line', async () => {
  assert.deepEqual(await parseDoc('{\n  "a": 1\n  "b": 2\n}', 'json'), {
    ok: false,
    line: 3,
    reason: 'comma expected (JSON)',
  });
  assert.deepEqual(await parseDoc('{\n  "a": "x', 'json'), {
    ok: false,
    line: 2,
    reason: 'unterminated string (JSON)',
  });
});

test('YAML: plain, quoted and block scalars, flow collections, aliases', async () => {
  const text = [
    'a: plain value',
    "b: 'single'",
    'c: "double"',
    'd: |',
    '  block',
    '  text',
    'e: [x, "y"]',
    'base: &b',
    '  k: anchored',
    'f: *b',
    '',
  ].join('\n');
  assert.deepEqual(await leavesOf(text, 'yaml'), [
    { pointer: '/a', key: 'a', value: 'plain value', line: 1, token: 'plain value' },
    { pointer: '/b', key: 'b', value: 'single', line: 2, token: "'single'" },
    { pointer: '/c', key: 'c', value: 'double', line: 3, token: '"double"' },
    { pointer: '/d', key: 'd', value: 'block\ntext\n', line: 4, token: '|\n  block\n  text\n' },
    { pointer: '/e/0', key: '0', value: 'x', line: 7, token: 'x' },
    { pointer: '/e/1', key: '1', value: 'y', line: 7, token: '"y"' },
    { pointer: '/base/k', key: 'k', value: 'anchored', line: 9, token: 'anchored' },
    { pointer: '/f/k', key: 'k', value: 'anchored', line: 9, token: 'anchored' },
  ]);
});

test('YAML parse errors carry the line', async () => {
  const r = await parseDoc('a: 1\nb: [1, 2\nc: 3\n', 'yaml');
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.line >= 2 && r.line <= 3, JSON.stringify(r));
});

test('TOML: tables, dotted keys, inline tables, arrays over lines, multi-line and literal strings', async () => {
  const text = [
    'top = "t" # comment',
    '[a.b]',
    'k = "v"',
    "dotted.key = 'lit'",
    '"quoted key" = { x = "1", y = ["p", "q"] }',
    'arr = [',
    '  "one", # c',
    '  """two',
    'lines""",',
    ']',
    '[[list]]',
    'n = "first"',
    '[[list]]',
    'n = "second"',
    '[list.sub]',
    's = "deep"',
    'num = 3',
    '',
  ].join('\n');
  assert.deepEqual(await leavesOf(text, 'toml'), [
    { pointer: '/top', key: 'top', value: 't', line: 1, token: '"t"' },
    { pointer: '/a/b/k', key: 'k', value: 'v', line: 3, token: '"v"' },
    { pointer: '/a/b/dotted/key', key: 'key', value: 'lit', line: 4, token: "'lit'" },
    { pointer: '/a/b/quoted key/x', key: 'x', value: '1', line: 5, token: '"1"' },
    { pointer: '/a/b/quoted key/y/0', key: '0', value: 'p', line: 5, token: '"p"' },
    { pointer: '/a/b/quoted key/y/1', key: '1', value: 'q', line: 5, token: '"q"' },
    { pointer: '/a/b/arr/0', key: '0', value: 'one', line: 7, token: '"one"' },
    { pointer: '/a/b/arr/1', key: '1', value: 'two\nlines', line: 8, token: '"""two\nlines"""' },
    { pointer: '/list/0/n', key: 'n', value: 'first', line: 12, token: '"first"' },
    { pointer: '/list/1/n', key: 'n', value: 'second', line: 14, token: '"second"' },
    { pointer: '/list/1/sub/s', key: 's', value: 'deep', line: 16, token: '"deep"' },
  ]);
  assert.equal(locateToml(text).get('/list/1/sub/num')?.length, 1);
});

test('TOML parse errors carry the line', async () => {
  const r = await parseDoc('a = 1\n\n[t]\nb = = 2\n', 'toml');
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.line, 4);
});
