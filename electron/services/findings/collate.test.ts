import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { rng } from '../../../test/support/rng.js';
import { collate, compareRootAscii, defaultLocaleIsRootOrder } from './collate.js';

const ALL_PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
/** Mostly path-, pointer- and id-like characters, so that many pairs share long prefixes. */
const PATHY = 'aAbBzZ09/._-~ ';

function randomString(next: () => number, alphabet: string, maxLen: number): string {
  const n = Math.floor(next() * (maxLen + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}

test('compareRootAscii answers as the root Intl.Collator does, for random printable-ASCII strings', () => {
  const root = new Intl.Collator('en').compare;
  const next = rng(13);
  for (let i = 0; i < 60_000; i++) {
    const alphabet = i % 2 ? ALL_PRINTABLE : PATHY;
    const a = randomString(next, alphabet, 12);
    // Half the pairs are near each other: a copy with one character changed, or its case.
    const b =
      i % 3 === 0
        ? a.replace(/./, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()))
        : i % 3 === 1
          ? randomString(next, alphabet, 12)
          : a.slice(0, Math.floor(next() * (a.length + 1))) + randomString(next, alphabet, 2);
    assert.equal(compareRootAscii(a, b), root(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});

test('compareRootAscii: every pair of printable characters, alone and after a common prefix', () => {
  const root = new Intl.Collator('en').compare;
  for (const x of ALL_PRINTABLE)
    for (const y of ALL_PRINTABLE) {
      assert.equal(compareRootAscii(x, y), root(x, y), `${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
      assert.equal(compareRootAscii(`ab${x}C`, `aB${y}c`), root(`ab${x}C`, `aB${y}c`));
    }
});

test('collate falls back to the collator for other characters', () => {
  const c = new Intl.Collator().compare;
  for (const [a, b] of [
    ['résumé', 'resume'],
    ['a\tb', 'a b'],
    ['ä/x', 'a/x'],
    ['\u0000', ''],
    ['Z', 'é'],
  ] as const)
    assert.equal(collate(a, b), c(a, b), `${a} vs ${b}`);
});

test('the root order is taken for English and C/POSIX locales only, never on Windows', () => {
  assert.equal(defaultLocaleIsRootOrder({}, 'linux'), true);
  assert.equal(defaultLocaleIsRootOrder({ LANG: 'C.UTF-8' }, 'linux'), true);
  assert.equal(defaultLocaleIsRootOrder({ LANG: 'en_GB.UTF-8' }, 'darwin'), true);
  assert.equal(defaultLocaleIsRootOrder({ LC_ALL: 'da_DK.UTF-8', LANG: 'en_US.UTF-8' }, 'linux'), false);
  assert.equal(defaultLocaleIsRootOrder({ LC_MESSAGES: 'sv_SE', LANG: 'C' }, 'linux'), false);
  assert.equal(defaultLocaleIsRootOrder({ LANG: '' }, 'linux'), false);
  assert.equal(defaultLocaleIsRootOrder({ LANG: 'en_US.UTF-8@euro' }, 'linux'), false);
  assert.equal(defaultLocaleIsRootOrder({}, 'win32'), false);
});

test('collate equals localeCompare under the locale a process starts with (child processes)', () => {
  const words = [
    '.mcp.json',
    '/a/B',
    '/a/b',
    '/a_b',
    '/a-b',
    'aa',
    'AB',
    'ab',
    'b',
    'z',
    'Z',
    '/env/X~1',
    '$x',
    '10',
    '9',
  ];
  const script = `
    const { collate } = await import(${JSON.stringify(new URL('./collate.ts', import.meta.url).href)});
    const words = ${JSON.stringify(words)};
    const bad = [];
    for (const a of words) for (const b of words) if (collate(a, b) !== a.localeCompare(b)) bad.push([a, b]);
    process.stdout.write(JSON.stringify(bad));`;
  for (const env of [{ LANG: 'C' }, { LANG: 'POSIX' }, { LANG: 'en_US.UTF-8' }, { LANG: 'da_DK.UTF-8' }, {}]) {
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      LC_ALL: undefined,
      LC_MESSAGES: undefined,
      LANG: undefined,
      ...env,
    };
    for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: childEnv,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [], JSON.stringify(env));
  }
});
