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

/** Printable ASCII in root collation order (letters share a primary weight with their capital). */
const ROOT_ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A string's primary sort key: lowercase, with each other character replaced by a control
 * character in root order (all below '0'), so that comparing keys by code unit — natively — is
 * comparing primary weights. Digits and lowercase letters keep their code units: root order there
 * is code-unit order.
 */
const KEY_CHAR: Record<string, string> = {};
[...ROOT_ORDER].forEach((ch, i) => {
  if (!/[0-9a-z]/.test(ch)) KEY_CHAR[ch] = String.fromCharCode(i + 1);
});
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const NOT_ALNUM = /[^0-9a-z]/g;

/** Keys of recently compared strings (a sort compares each many times); bounded for long-lived processes. */
const keys = new Map<string, string | null>();
const MAX_KEYS = 8192;

/** The primary key of a printable-ASCII string; null for any other string. */
function keyOf(s: string): string | null {
  let k = keys.get(s);
  if (k !== undefined) return k;
  k = PRINTABLE_ASCII.test(s) ? s.toLowerCase().replace(NOT_ALNUM, (c) => KEY_CHAR[c]!) : null;
  if (keys.size >= MAX_KEYS) keys.clear();
  keys.set(s, k);
  return k;
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

/**
 * Printable-ASCII strings in root order: primary weights first (case-blind: the keys), then, when
 * only case differs, the first difference in case decides, lowercase first (ICU's tertiary level;
 * a capital has the smaller code unit). Undefined when either string is not printable ASCII.
 */
export function compareRootAscii(a: string, b: string): number | undefined {
  if (a === b) return 0;
  const ka = keyOf(a);
  const kb = keyOf(b);
  if (ka === null || kb === null) return undefined;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a < b ? 1 : -1;
}

let collator: Intl.Collator | undefined;
let rootOrder: boolean | undefined;

/** The sign of `new Intl.Collator().compare(a, b)` (-1, 0 or 1). */
export function collate(a: string, b: string): number {
  rootOrder ??= defaultLocaleIsRootOrder();
  if (rootOrder) {
    const c = compareRootAscii(a, b);
    if (c !== undefined) return c;
  }
  collator ??= new Intl.Collator();
  return collator.compare(a, b);
}
