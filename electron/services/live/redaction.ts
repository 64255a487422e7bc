import { isSecretName, looksLikeSecret, maskOccurrences, redactText } from '../secrets/redact.js';

/**
 * Redaction of everything a live connection can echo back (error messages, stderr tails, notes):
 * first the values known to be credentials for that server (resolved references, secret-position
 * arguments, URL credentials), then a generic pass for credential-shaped text.
 *
 * The generic pass and the masking are the shared ones (`secrets/redact.ts`).
 */

/** The shared generic pass (URL credentials, secret-named pairs, `Bearer x`, token-shaped runs). */
export function redactGeneric(text: string): string {
  return text ? redactText(text) : text;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Credentials in a URL: userinfo, secret-named or secret-looking query values, token-like path segments. */
export function urlSecrets(url: string): string[] {
  const out: string[] = [];
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return out;
  }
  if (u.password) out.push(u.password, decodeSafe(u.password));
  if (u.username && (u.password || looksLikeSecret(decodeSafe(u.username))))
    out.push(u.username, decodeSafe(u.username));
  for (const [name, value] of u.searchParams) {
    if (value && (isSecretName(name) || looksLikeSecret(value))) out.push(value, encodeURIComponent(value));
  }
  for (const seg of u.pathname.split('/')) if (seg && looksLikeSecret(decodeSafe(seg))) out.push(seg, decodeSafe(seg));
  return out.filter(Boolean);
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Masks each known value wherever it appears (values of 8+ chars anywhere, shorter ones as whole
 * tokens; 1–2 char values cannot be told from ordinary text).
 */
export function knownValues(values: Iterable<string>): (text: string) => string {
  const list = [...new Set([...values].map((v) => v.trim()).filter((v) => v.length >= 3))].sort(
    (a, b) => b.length - a.length,
  );
  const long = list.filter((v) => v.length >= 8);
  const short = list.filter((v) => v.length < 8);
  const shortRe = short.length
    ? new RegExp(`(?<![A-Za-z0-9])(?:${short.map(escapeRe).join('|')})(?![A-Za-z0-9])`, 'g')
    : undefined;
  return (text) => {
    if (!text) return text;
    const out = maskOccurrences(text, long);
    if (shortRe) return out.replace(shortRe, '****');
    return out;
  };
}

/** The redactor of one server: its known values (and their encoded forms), then the generic pass. */
export function redactor(values: Iterable<string>): (text: string) => string {
  const list = [...new Set(values)];
  const short = knownValues(list.filter((v) => v.trim().length < 8));
  return (text) => (text ? redactText(short(text), list) : text);
}

/** Applies `redact` to every string inside a JSON-like value (returns a copy). */
export function redactDeep<T>(value: T, redact: (t: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, redact)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactDeep(v, redact);
    return out as T;
  }
  return value;
}
