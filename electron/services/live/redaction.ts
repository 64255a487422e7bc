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

/** Values common enough that masking them would shred ordinary text (settings, not secrets). */
const COMMON_VALUES =
  /^(?:true|false|yes|no|on|off|enabled?|disabled?|none|null|undefined|default|production|development|staging|localhost|info|debug|warning|error|verbose|stdio|http|https)$/i;

/**
 * Whether a configured literal (env/header value, argument) is worth masking wherever a server
 * echoes it, whatever its name: a value that is not secret-named can still be a credential
 * (`CONFIG=Qz8vLm2pR7tX`). Kept readable, because they carry no secret and servers routinely
 * print them: values under 8 chars (too short to tell from ordinary words; secret-named ones are
 * masked anyway), common words and numbers, flags, absolute/relative paths (they name files,
 * and masking them would hide which file a tool reads), URLs (their credentials are added
 * separately by `urlSecrets`) and package specs (`@scope/pkg@1.2.3`, `pkg==1.0`).
 */
export function isMeaningfulLiteral(value: string): boolean {
  const v = value.trim();
  if (v.length < 8 || COMMON_VALUES.test(v)) return false;
  if (/^[\d.,:_-]+$/.test(v)) return false; // numbers, versions, ports, dates
  if (/^--?[A-Za-z][A-Za-z0-9_.-]*$/.test(v)) return false; // a flag
  if (/^(?:\/|\.{1,2}[\\/]|~[\\/]|[A-Za-z]:[\\/])/.test(v) && !/\s/.test(v) && !looksLikeSecret(v)) return false;
  if (/^[a-z][a-z0-9+.-]{0,30}:\/\//i.test(v)) return false;
  if (/^@[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*(?:@[A-Za-z0-9._^~<>=-]+)?$/.test(v)) return false;
  if (/^[a-z0-9][a-z0-9._-]*(?:@|==)\d[A-Za-z0-9._-]*$/.test(v)) return false;
  return true;
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
