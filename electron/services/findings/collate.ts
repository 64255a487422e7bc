/**
 * `a.localeCompare(b)`'s order (the default locale's `Intl.Collator`) without loading ICU's
 * collation data when it is not needed. Creating any collator maps ~2.6 MB of ICU data and code
 * into the process (peak RSS of `gatehouse scan`, issue #13), yet the strings sorted here (file
 * paths, pointers, rule ids) are almost always printable ASCII, and for printable ASCII the root
 * collation order is short to write down: the table below (CLDR root, ICU 74-77), compared level
 * by level as ICU does. English and the C/POSIX locale use the root order; for any other default
 * locale, on Windows (ICU asks the OS there), and for any other character, the real collator
 * decides. collate.test.ts checks every answer against `Intl.Collator` (random strings, and child
 * processes under several locales).
 */

/** Printable ASCII in root collation order; letters share a primary weight with their capital. */
const ROOT_ORDER = [
  ' ',
  '_',
  '-',
  ',',
  ';',
  ':',
  '!',
  '?',
  '.',
  "'",
  '"',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '@',
  '*',
  '/',
  '\\',
  '&',
  '#',
  '%',
  '`',
  '^',
  '+',
  '<',
  '=',
  '>',
  '|',
  '~',
  '$',
  ...'0123456789',
  ...'abcdefghijklmnopqrstuvwxyz',
];

/** Primary weight by char code 0x20–0x7e (index code - 0x20). */
const PRIMARY = new Uint8Array(0x7f - 0x20);
ROOT_ORDER.forEach((ch, i) => {
  PRIMARY[ch.charCodeAt(0) - 0x20] = i + 1;
  if (ch >= 'a' && ch <= 'z') PRIMARY[ch.toUpperCase().charCodeAt(0) - 0x20] = i + 1;
});

function isPrintableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * Whether the default locale collates like the root (as ICU picks it on POSIX systems: LC_ALL,
 * else LC_MESSAGES, else LANG; unset, C and POSIX are en-US for V8). Anything unusual: no.
 */
export function defaultLocaleIsRootOrder(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: string = process.platform,
): boolean {
  if (platform === 'win32') return false;
  const id = env.LC_ALL ?? env.LC_MESSAGES ?? env.LANG;
  return id === undefined || /^(?:C|POSIX|en(?:_[A-Z]{2})?)(?:\.[A-Za-z0-9-]+)?$/.test(id);
}

/** Printable-ASCII strings in root order: primary weights first (case-blind), then lowercase first. */
export function compareRootAscii(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = PRIMARY[a.charCodeAt(i) - 0x20]! - PRIMARY[b.charCodeAt(i) - 0x20]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  // Same letters: the first difference in case decides, lowercase first (ICU's tertiary level).
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x > y ? -1 : 1; // same primary weight: x is the capital when x < y
  }
  return 0;
}

let collator: Intl.Collator | undefined;
let rootOrder: boolean | undefined;

/** The sign of `new Intl.Collator().compare(a, b)` (-1, 0 or 1). */
export function collate(a: string, b: string): number {
  rootOrder ??= defaultLocaleIsRootOrder();
  if (rootOrder && isPrintableAscii(a) && isPrintableAscii(b)) return compareRootAscii(a, b);
  collator ??= new Intl.Collator();
  return collator.compare(a, b);
}
