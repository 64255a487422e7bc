/**
 * Masking of credentials that sit in command arguments and URLs, so that every output (CLI table,
 * JSON, UI, store) shows `prefix…last4` and never the value. Reusable by other capabilities.
 */

/** Well-known credential prefixes (longest first so the most specific wins). */
const KNOWN_PREFIXES = [
  'github_pat_',
  'sk-proj-',
  'sk-ant-',
  'glpat-',
  'xoxb-',
  'xoxp-',
  'xoxa-',
  'xoxr-',
  'xoxs-',
  'xapp-',
  'ghp_',
  'gho_',
  'ghu_',
  'ghs_',
  'ghr_',
  'AKIA',
  'ASIA',
  'AIza',
  'hf_',
  'sk_live_',
  'sk_test_',
  'rk_live_',
  'pk_live_',
  'npm_',
  'pypi-',
  'dop_v1_',
  'lin_api_',
  'ntn_',
  'secret_',
  'sk-',
  'eyJ',
];

const KNOWN_TOKEN_RE = new RegExp(
  [
    'github_pat_[A-Za-z0-9_]{20,}',
    'gh[pousr]_[A-Za-z0-9]{20,}',
    'sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}',
    'sk_(?:live|test)_[A-Za-z0-9]{16,}',
    '[rp]k_live_[A-Za-z0-9]{16,}',
    'glpat-[A-Za-z0-9_-]{16,}',
    'xox[abprs]-[A-Za-z0-9-]{10,}',
    'xapp-[A-Za-z0-9-]{10,}',
    '(?:AKIA|ASIA)[A-Z0-9]{16}',
    'AIza[A-Za-z0-9_-]{30,}',
    'hf_[A-Za-z0-9]{20,}',
    'npm_[A-Za-z0-9]{30,}',
    'pypi-[A-Za-z0-9_-]{30,}',
    'dop_v1_[a-f0-9]{30,}',
    'lin_api_[A-Za-z0-9]{20,}',
    'ntn_[A-Za-z0-9]{20,}',
    'eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{4,}',
  ].join('|'),
);

const KNOWN_TOKEN_EXACT_RE = new RegExp(`^(?:${KNOWN_TOKEN_RE.source})$`);

/**
 * Names (flags, keys, query params, env-style assignments) that say "the value is a secret": the
 * name ends with one of these words (`--api-key`, `GITHUB_TOKEN`, `db_password`, `X-Api-Key`).
 */
const SECRET_NAME_RE =
  /(?:^|[-_.])(?:api[-_]?key|apikey|key|token|access[-_]?token|auth[-_]?token|secret|password|passwd|pwd|pass|pat|auth|authorization|bearer|credentials?|sig|signature|session|cookie)$/i;
/** Short flags known to take a secret as the next argument. */
const SECRET_SHORT_FLAGS = new Set(['-k']);

/** `${VAR}`, `${env:VAR}`, `${input:x}`, `$VAR`, `{env:VAR}`, `%VAR%`: indirections, not literals. */
export function isReference(value: string): boolean {
  const v = value.trim();
  return (
    /^\$\{[^}]+\}$/.test(v) ||
    /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(v) ||
    /^\{env:[^}]+\}$/.test(v) ||
    /^%[A-Za-z_][A-Za-z0-9_]*%$/.test(v) ||
    /^(?:Bearer|Basic|token)\s+(?:\$\{[^}]+\}|\$[A-Za-z_]\w*|\{env:[^}]+\})$/i.test(v)
  );
}

/** Obvious placeholders (`your-token-here`, `<API_KEY>`, `xxxx`, `changeme`) are not credentials. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  return (
    /^<[^>]*>$/.test(v) ||
    /^\[[^\]]*\]$/.test(v) ||
    /^(?:x+|\*+|\.+|0+)$/i.test(v) ||
    /(?:^|[-_ ])(?:your|my|insert|replace|placeholder|changeme|example|dummy)(?:[-_ ]|$)/i.test(v) ||
    /^(?:changeme|todo|tbd|none|null|test|secret|password|token)$/i.test(v)
  );
}

function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** A random-looking token of 20+ chars (not a path, URL, package name or plain word list). */
export function isHighEntropy(value: string): boolean {
  if (value.length < 20) return false;
  if (!/^[A-Za-z0-9+/=_\-.~:]+$/.test(value)) return false;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return false;
  // Paths and package specs are not secrets; base64 (which may contain '/') can be.
  if (/^[@./~]/.test(value)) return false;
  if (value.includes('/') && !/^[A-Za-z0-9+/]+=*$/.test(value)) return false;
  // CamelCase words (identifiers, class names) are not secrets.
  if (/^(?:[A-Z]?[a-z]{2,})+(?:[A-Z][a-z]+)*\d{0,4}$/.test(value)) return false;
  const classes = Number(/[a-z]/.test(value)) + Number(/[A-Z]/.test(value)) + Number(/[0-9]/.test(value));
  if (classes < 2) return /^[a-f0-9]{32,}$/.test(value) && shannonEntropy(value) > 3.5;
  // Words joined by dashes (package names, slugs) are not secrets.
  if (/^[a-z]+(?:[-_.][a-z0-9]+)+$/i.test(value) && !/\d{3}/.test(value)) return false;
  // Random strings of n chars have an entropy close to log2(n): scale the bar for short ones.
  return shannonEntropy(value) >= Math.min(3.8, Math.log2(value.length) - 0.7);
}

/** Whether a literal (not a reference or placeholder) looks like a credential on its own. */
export function looksLikeSecret(value: string): boolean {
  const v = value.trim();
  if (isReference(v) || isPlaceholder(v)) return false;
  if (KNOWN_TOKEN_EXACT_RE.test(v)) return true;
  return isHighEntropy(v);
}

/**
 * Mask one secret value: a short, well-known prefix (at most 6 chars) + `…` + last 4 chars.
 * Short values (< 12 chars) are fully masked as `****`.
 */
export function maskSecret(value: string): string {
  if (value.length < 12) return '****';
  const known = KNOWN_PREFIXES.find((p) => value.startsWith(p));
  const prefix = known ? known.slice(0, 6) : value.slice(0, value.length >= 24 ? 4 : 2);
  return `${prefix}…${value.slice(-4)}`;
}

const KNOWN_TOKEN_GLOBAL_RE = new RegExp(KNOWN_TOKEN_RE.source, 'g');
const LONG_RUN_RE = /[A-Za-z0-9+/=_\-.~]{20,}/g;

/** Mask secret-looking substrings of a free text value (keeps references and placeholders). */
function maskInline(text: string): string {
  if (text.length < 12) return text;
  let out = text.replace(KNOWN_TOKEN_GLOBAL_RE, (m) => maskSecret(m));
  if (text.length >= 20)
    out = out.replace(LONG_RUN_RE, (m) => (m.includes('…') || !isHighEntropy(m) ? m : maskSecret(m)));
  return out;
}

/** Mask `Name: value` header strings passed as arguments (`--header "Authorization: Bearer …"`). */
function maskHeaderArg(arg: string): string | undefined {
  const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/s.exec(arg);
  if (!m) return undefined;
  const [, name = '', value = ''] = m;
  if (!SECRET_NAME_RE.test(name) && !/^x-.*(?:key|token)/i.test(name)) return undefined;
  return `${name}: ${maskValue(value, true)}`;
}

/**
 * Mask a value known to be in a secret position (`--token X`, `API_KEY=X`): masked unless it is a
 * reference or placeholder; `Bearer X` keeps the scheme.
 */
function maskValue(value: string, secretPosition: boolean): string {
  const scheme = /^(Bearer|Basic|token|Token)(\s+)(.+)$/s.exec(value);
  if (scheme) return `${scheme[1]}${scheme[2]}${maskValue(scheme[3] ?? '', secretPosition)}`;
  if (isReference(value) || isPlaceholder(value)) return value;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return maskUrl(value);
  // A file path in a secret position (`--key-file`, `GOOGLE_APPLICATION_CREDENTIALS=`) is not the secret.
  if (/^(?:\/|\.{1,2}\/|~\/|[A-Za-z]:\\)/.test(value) && !looksLikeSecret(value)) return value;
  if (secretPosition || looksLikeSecret(value)) return maskSecret(value);
  return maskInline(value);
}

/** Mask one argument on its own (no knowledge of the previous argument). */
function maskArg(arg: string): string {
  // --api-key=VALUE / --token=VALUE
  const flag = /^(-{1,2}[A-Za-z0-9][A-Za-z0-9_.-]*)=(.*)$/s.exec(arg);
  if (flag) {
    const [, name = '', value = ''] = flag;
    return `${name}=${maskValue(value, SECRET_NAME_RE.test(name.replace(/^-+/, '')))}`;
  }
  // NAME=VALUE (env-style, docker -e, wrappers)
  const assign = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/s.exec(arg);
  if (assign) {
    const [, name = '', value = ''] = assign;
    return `${name}=${maskValue(value, SECRET_NAME_RE.test(name))}`;
  }
  const header = maskHeaderArg(arg);
  if (header !== undefined) return header;
  if (/^(?:Bearer|Basic)\s+\S/i.test(arg)) return maskValue(arg, true);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) return maskUrl(arg);
  if (looksLikeSecret(arg)) return maskSecret(arg);
  return maskInline(arg);
}

/** Whether a flag (`--api-key`, `--token`, `-k`) takes a secret as its next argument. */
function isSecretFlag(arg: string): boolean {
  if (SECRET_SHORT_FLAGS.has(arg)) return true;
  if (!/^--?[A-Za-z][A-Za-z0-9_.-]*$/.test(arg)) return false;
  return SECRET_NAME_RE.test(arg.replace(/^-+/, ''));
}

/** Mask every credential-bearing argument of a command line. */
export function maskArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const prev = i > 0 ? (args[i - 1] ?? '') : '';
    if (i > 0 && isSecretFlag(prev) && !arg.startsWith('-')) {
      out.push(maskValue(arg, true));
    } else if (i > 0 && /^(?:-H|--header)$/.test(prev)) {
      out.push(maskHeaderArg(arg) ?? maskArg(arg));
    } else {
      out.push(maskArg(arg));
    }
  }
  return out;
}

/**
 * Mask the credentials in a URL: the userinfo password (and a token-like user), query parameters
 * named like key/token/secret/password/auth/sig, and token-like path segments. Works on the string
 * so the rest of the URL is kept exactly as written.
 */
export function maskUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/is.exec(url);
  if (!m) return maskInline(url);
  const [, scheme = '', authority = '', path = '', query = '', fragment = ''] = m;
  let auth = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const host = authority.slice(at + 1);
    const colon = userinfo.indexOf(':');
    let masked: string;
    if (colon >= 0) {
      const user = userinfo.slice(0, colon);
      const pass = userinfo.slice(colon + 1);
      masked = `${looksLikeSecret(user) ? maskSecret(user) : user}:${isReference(pass) ? pass : maskSecret(pass)}`;
    } else {
      masked = looksLikeSecret(userinfo) ? maskSecret(userinfo) : userinfo;
    }
    auth = `${masked}@${host}`;
  }
  const maskedPath = path
    .split('/')
    .map((seg) => {
      let decoded = seg;
      try {
        decoded = decodeURIComponent(seg);
      } catch {
        /* keep as is */
      }
      return looksLikeSecret(decoded) ? maskSecret(decoded) : seg;
    })
    .join('/');
  const maskedQuery = query
    ? '?' +
      query
        .slice(1)
        .split('&')
        .map((pair) => {
          const eq = pair.indexOf('=');
          if (eq < 0) return looksLikeSecret(pair) ? maskSecret(pair) : pair;
          const name = pair.slice(0, eq);
          let value = pair.slice(eq + 1);
          try {
            value = decodeURIComponent(value.replace(/\+/g, ' '));
          } catch {
            /* keep raw */
          }
          if (isReference(value) || value === '') return pair;
          if (SECRET_NAME_RE.test(name) || looksLikeSecret(value)) return `${name}=${maskSecret(value)}`;
          return pair;
        })
        .join('&')
    : '';
  return `${scheme}${auth}${maskedPath}${maskedQuery}${fragment ? maskInline(fragment) : ''}`;
}

/** Mask a command string (normally a program name; masked only if it carries a token). */
export function maskCommand(command: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(command)) return maskUrl(command);
  return looksLikeSecret(command) ? maskSecret(command) : maskInline(command);
}
