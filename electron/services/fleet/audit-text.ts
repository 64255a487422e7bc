/**
 * Text as the team timeline stores it. PostgreSQL `text` cannot hold U+0000, which the local
 * timeline (SQLite) stores as is: a NUL is kept as ESC + '0' and ESC itself as ESC ESC (ESC is
 * U+E000, private use), a reversible encoding that leaves every other string unchanged. Filter
 * values are encoded the same way, so equality, facets and exclusions mean what they mean locally;
 * everything read back is decoded. Neither NUL nor U+E000 is a letter or digit, so tokens for
 * full-text search are unchanged.
 */
const ESC = '\uE000';
const NEEDS_ENCODING = /[\0\uE000]/;
const NEEDS_DECODING = /\uE000/;

export function toPgText(s: string): string;
export function toPgText(s: string | null): string | null;
export function toPgText(s: string | null): string | null {
  if (s === null || !NEEDS_ENCODING.test(s)) return s;
  return s.replace(/[\0\uE000]/g, (c) => (c === ESC ? ESC + ESC : `${ESC}0`));
}

export function fromPgText(s: string): string;
export function fromPgText(s: string | null): string | null;
export function fromPgText(s: string | null): string | null {
  if (s === null || !NEEDS_DECODING.test(s)) return s;
  return s.replace(/\uE000(\uE000|0)/g, (_, c: string) => (c === ESC ? ESC : '\0'));
}

/**
 * One field of a COPY … FROM STDIN row in text format: `\N` for NULL; backslash, newline, carriage
 * return and tab escaped (the only characters the format gives a meaning to). The value must
 * already be NUL-free (toPgText).
 */
export function copyField(s: string | null): string {
  if (s === null) return '\\N';
  if (!/[\\\n\r\t]/.test(s)) return s;
  return s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}
