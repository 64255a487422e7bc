import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rng } from '../../../bench/audit.js';
import { HAS_RUN_RE, maskAuditText, mayHoldSecret, SHORT_HINT_RE } from './mask.js';

/**
 * mayHoldSecret decides whether a string is masked at all, so its one-pass table check must answer
 * exactly what the two regexes answer, for every string: random ones over an alphabet dense in the
 * characters and words the patterns look for, and adversarial ones (runs of exactly 15/16, hints
 * at the edges, case variants, look-alike non-ASCII letters, URLs with userinfo, name=value pairs).
 */

const reference = (t: string) => t.length >= 8 && (HAS_RUN_RE.test(t) || SHORT_HINT_RE.test(t));

const WORDS = [
  'Bearer',
  'bearer ',
  'BASIC',
  'basic',
  'Token ',
  'token',
  'PRIVATE KEY',
  'private key',
  '://',
  'https://u:p@h',
  '@',
  'key',
  'KEY',
  'secret',
  'passw',
  'pwd',
  'auth',
  'sig',
  'cookie',
  'credential',
  'session',
  'jwt',
  'dsn',
  'pat',
  '=',
  ':',
  '"',
  "'",
  ' ',
  '\t',
  '\n',
  '-',
  '_',
  '.',
  '~',
  '/',
  '+',
  'b',
  'B',
  'ß',
  'ſ',
  'K',
  'ｂ',
  'Ｂ',
  'é',
  '\u0000',
  '\u{1F600}',
  'abcdefghijklmno',
  'abcdefghijklmnop',
  '0123456789abcdef',
];
const CHARS = 'aZ09+/=_-.~:@ "\'\tbBkKé€ſ\u0131\u0130';

test('mayHoldSecret answers exactly what the regexes answer (random and adversarial strings)', () => {
  const r = rng(4242);
  const pick = <T>(xs: readonly T[] | string): T => xs[Math.floor(r() * xs.length)] as T;
  const cases: string[] = [
    '',
    'abcdefg',
    'abcdefgh',
    'a'.repeat(15),
    'a'.repeat(16),
    `${'a'.repeat(15)}@${'b'.repeat(15)}`,
    `${'a'.repeat(15)}é${'a'.repeat(15)}`,
    'Bearerxx',
    'xxBASICx',
    'ｂearer xx',
    'ſession=1',
    'tokenxxx',
    'token   ',
    'key\t\t=1',
    "key'  :1",
    'key"=abc',
    `key${'x'.repeat(32)}=`,
    `key${'x'.repeat(33)}=`,
    `s://${'a'.repeat(256)}@`,
    `s://${'a'.repeat(257)}@`,
    'PRIVATE KEYxx',
    'privatekey=',
  ];
  for (let i = 0; i < 60_000; i++) {
    let s = '';
    const parts = 1 + Math.floor(r() * 8);
    for (let k = 0; k < parts; k++) s += r() < 0.5 ? pick(WORDS) : pick<string>(CHARS).repeat(1 + Math.floor(r() * 18));
    cases.push(s);
  }
  let yes = 0;
  for (const s of cases) {
    const want = reference(s);
    assert.equal(mayHoldSecret(s), want, JSON.stringify(s));
    if (want) yes++;
    // When it answers no, masking leaves the string as it is.
    else if (s.length < 4000) assert.equal(maskAuditText(s), s, JSON.stringify(s));
  }
  assert.ok(yes > 10_000 && yes < cases.length - 10_000, `both answers exercised (${yes} yes)`);
});
