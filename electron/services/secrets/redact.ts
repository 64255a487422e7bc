import { isPlaceholder, isReference, wholeReference } from './references.js';
import {
  isHighEntropySecret,
  isKnownTokenShape,
  isSecretHeaderName,
  isSecretName,
  isSettingName,
  KNOWN_PREFIXES,
  KNOWN_TOKEN_SOURCE,
  looksLikeSecret,
  knownTokenType,
  nameWords,
  MIN_SECRET_LENGTH,
  secretUrlPath,
  stripTrailing,
} from './shapes.js';

/**
 * THE masking module: every output of Gatehouse (CLI table/JSON, stored runs, API/SSE, renderer,
 * consents, admin log, error logs) shows credentials as `…last4` (long ones `prefix…last4`) and
 * never the value. Discovery, findings, gateways, audit, live and the IPC/HTTP adapters all use
 * these functions; there is no other masking implementation.
 *
 * Untrusted text runs through every pattern here: all regular expressions are linear (no nested
 * or overlapping quantifiers, bounded look-ahead where a run may not end in a match).
 */

export { containsReference, isPlaceholder, isReference, parseReferences, wholeReference } from './references.js';
export type { Reference, ReferenceSyntax } from './references.js';
export { isHighEntropySecret, isKnownTokenShape, isSecretHeaderName, isSecretName, looksLikeSecret } from './shapes.js';

/** The ellipsis every masked value carries; text containing it was already masked. */
const ELLIPSIS = '…';

/**
 * Mask one secret value, revealing at most a third of it: under 12 chars `****`; under 24 chars
 * `…last4`; longer ones `prefix…last4`, where prefix is a known provider prefix (`ghp_`, `sk-pro`)
 * or the first 4 chars, and only if prefix + last4 stays within a third of the value.
 */
export function maskSecret(value: string): string {
  collected?.push(value);
  const n = value.length;
  if (n < 12) return '****';
  const last4 = value.slice(-4);
  if (n < 24) return `${ELLIPSIS}${last4}`;
  const known = KNOWN_PREFIXES.find((p) => value.startsWith(p));
  const prefix = known ? known.slice(0, 6) : value.slice(0, 4);
  if (prefix.length + 4 <= Math.floor(n / 3)) return `${prefix}${ELLIPSIS}${last4}`;
  return `${ELLIPSIS}${last4}`;
}

/**
 * The values maskSecret hid while `collectSecrets` ran: the masker's own decision, read back by the
 * detector so that whatever a display masks as a secret is reported (see `secretsInConfig`).
 * Synchronous only: nothing awaits while it is set.
 */
let collected: string[] | undefined;

function collectSecrets(fn: () => unknown): string[] {
  const outer = collected;
  const mine: string[] = [];
  collected = mine;
  try {
    fn();
  } finally {
    collected = outer;
  }
  if (outer) outer.push(...mine);
  return mine;
}

/**
 * Bounds on what the masker inspects (issue #12): a value longer than MAX_MASK_VALUE (a URL, an
 * argument, a command line, an env value) or free text longer than MAX_REDACT_TEXT is masked whole,
 * never inspected part by part and never printed; masking nested inside masking (JSON inside a
 * value inside a pair inside a URL…) stops at MAX_NESTING levels the same way.
 */
export const MAX_MASK_VALUE = 16_384;
export const MAX_REDACT_TEXT = 1 << 20;
const MAX_NESTING = 12;
let nesting = 0;

/** The whole value hidden: no prefix, no last four (it is too long or too nested to look into). */
function maskWhole(value: string): string {
  collected?.push(value);
  return '****';
}

/** Run one nested masking step, or mask the value whole when nested too deep. */
function nested(value: string, fn: () => string): string {
  if (nesting >= MAX_NESTING) return maskWhole(value);
  nesting++;
  try {
    return fn();
  } finally {
    nesting--;
  }
}

/** Whether a value is already masked (idempotence: masking twice changes nothing). */
function isMasked(value: string): boolean {
  return value === '****' || /^[^\s…]{0,6}…[^\s…]{4}$/.test(value);
}

/**
 * Values safe to show even in a secret position (a literal there is the secret): placeholders
 * (`<token>`, `xxxx`) and switches (`ENABLE_AUTH=true`, `USE_TOKEN=1`), which are settings, not
 * credentials. Neither masked nor reported.
 */
function isObviousPlaceholder(value: string): boolean {
  const v = value.trim();
  return (
    v.length <= 2 ||
    /^<[^>]*>$/.test(v) ||
    /^\[[^\]]*\]$/.test(v) ||
    /^(?:x+|\*+|\.+)$/i.test(v) ||
    /^(?:true|false|yes|no|on|off|enabled?|disabled?|none|null|undefined|default)$/i.test(v)
  );
}

const URL_START_RE = /^[a-z][a-z0-9+.-]{0,30}:\/\//i;
const KNOWN_TOKEN_GLOBAL_RE = new RegExp(KNOWN_TOKEN_SOURCE, 'g');
/** Candidate runs for the entropy check inside free text. */
const LONG_RUN_RE = new RegExp(`[A-Za-z0-9+/=_\\-.~]{${MIN_SECRET_LENGTH},}`, 'g');

const DIGEST_BEFORE_RE = /(?:sha(?:1|224|256|384|512)|md5):$/i;

/** Mask token-shaped and high-entropy substrings of a free-text value (keeps references). */
function maskInline(text: string, entropy = true): string {
  if (text.length < 8) return text;
  let out = text.replace(KNOWN_TOKEN_GLOBAL_RE, (m) => maskSecret(m));
  if (entropy && out.length >= MIN_SECRET_LENGTH) {
    out = out.replace(LONG_RUN_RE, (m: string, at: number, all: string) =>
      // A content digest (`image@sha256:…`) names public content; it is not a credential.
      isHighEntropySecret(m) && !DIGEST_BEFORE_RE.test(all.slice(Math.max(0, at - 8), at)) ? maskSecret(m) : m,
    );
  }
  return out;
}

/** `Bearer x`, `Basic x`, `Token x` (case-insensitive) split into scheme, spacing and credential. */
const SCHEME_RE = /^(Bearer|Basic|Token|Bot|ApiKey|Api-Key)(\s+)(\S.*)$/is;

/** Max nesting of command lines inside arguments (`sh -c 'docker run -e …'`). */
const MAX_DEPTH = 4;

/**
 * Mask a value known to sit in a secret position (`secretPosition`: `--token X`, `API_KEY=X`) or
 * anywhere else: URLs, JSON, connection strings and nested command lines are masked by their
 * parts; a secret-position literal is masked whole unless it is a reference, an obvious
 * placeholder or a file path.
 */
function maskValue(value: string, position: Position, depth: number): string {
  if (value === '' || isMasked(value)) return value;
  if (value.length > MAX_MASK_VALUE) return maskWhole(value);
  const secretPosition = position === true;
  const scheme = SCHEME_RE.exec(value);
  // `Token x` / `ApiKey x` outside a secret position only as one credential word (what detection flags).
  if (scheme && (secretPosition || /^(?:bearer|basic)$/i.test(scheme[1] ?? '') || !/\s/.test((scheme[3] ?? '').trim())))
    return `${scheme[1]}${scheme[2]}${maskValue(scheme[3] ?? '', true, depth)}`;
  if (isReference(value)) return value;
  const ref = wholeReference(value);
  if (ref?.syntax === 'dollar-brace-default') {
    // ${VAR:-literal}: the literal is used when VAR is unset.
    return `\${${ref.name}:-${maskValue(ref.default ?? '', position, depth)}}`;
  }
  if (URL_START_RE.test(value)) return maskUrl(value);
  const trimmed = value.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const masked = nested(value, () => redactText(value));
    return secretPosition && masked === value && !/[=:]/.test(value) ? maskSecret(value) : masked;
  }
  if (isConnectionString(value)) {
    const masked = maskConnectionString(value, depth);
    return secretPosition && masked === value ? maskSecret(value) : masked;
  }
  if (secretPosition) {
    if (isObviousPlaceholder(value)) return value;
    // A file path in a secret position (`--key-file`, `GOOGLE_APPLICATION_CREDENTIALS=`) is not the secret.
    if (/^(?:\/|\.{1,2}\/|~\/|[A-Za-z]:\\)/.test(value) && !/\s/.test(value) && !looksLikeSecret(value)) return value;
    return maskSecret(value);
  }
  if (/\s/.test(value.trim()))
    return depth < MAX_DEPTH ? maskCommandAt(value, depth + 1) : nested(value, () => redactText(value));
  // Under a setting/identifier name (`WORKSPACE_ID`, `--log-level`) only a known token shape is a secret.
  if (position === 'setting') return isKnownTokenShape(value.trim()) ? maskSecret(value) : maskInline(value, false);
  if (looksLikeSecret(value)) return maskSecret(value);
  return maskInline(value);
}

/**
 * What a name says about its value: `true` a secret (`--api-key`, `DB_PASSWORD`), `'setting'` an
 * identifier or setting (`WORKSPACE_ID`, `--log-level`, `TOKEN_URL`: random-looking values there
 * are ids, not credentials; known token shapes are still secrets), `false` nothing.
 */
type Position = boolean | 'setting';

function positionOf(name: string): Position {
  if (isSecretName(name)) return true;
  return isSettingName(name) ? 'setting' : false;
}

/** `Server=db;Password=x;…` (ADO.NET / JDBC / ODBC style): two or more `key=value` parts split by `;`. */
function isConnectionString(value: string): boolean {
  return value.length <= 8192 && value.includes(';') && /^\s*[A-Za-z][A-Za-z0-9 _.-]{0,63}=/.test(value);
}

function maskConnectionString(value: string, depth: number): string {
  return value
    .split(';')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0) return part;
      const name = part.slice(0, eq);
      const v = part.slice(eq + 1);
      if (/^\s*(?:password|pwd|account\s*key|shared\s*access\s*key|access\s*token|user\s*password)\s*$/i.test(name))
        return `${name}=${maskValue(v, true, depth)}`;
      return `${name}=${maskValue(v, positionOf(name.trim()), depth)}`;
    })
    .join(';');
}

/**
 * Mask a header value by its name: credential headers (`Authorization`, `Cookie`, `X-Api-Key`,
 * `*-Token`…) are masked whole (the scheme of `Bearer x` kept), others where they carry an auth
 * scheme or a credential-looking value.
 */
export function maskHeaderValue(name: string, value: string): string {
  return maskValue(value, isSecretHeaderName(name), 0);
}

const HEADER_ARG_RE = /^([A-Za-z0-9_-]{1,128})[ \t]*:[ \t]*(.*)$/s;

/** Mask a `Name: value` header string, or undefined when the argument is not one. */
function maskHeaderString(arg: string, force: boolean): string | undefined {
  const m = HEADER_ARG_RE.exec(arg);
  if (!m) return undefined;
  const [, name = '', value = ''] = m;
  const secretName = isSecretHeaderName(name);
  if (!force && !secretName && !SCHEME_RE.test(value.trim())) return undefined;
  const masked = maskValue(value, secretName, 0);
  return masked === value ? arg : arg.slice(0, arg.length - value.length) + masked;
}

/** Flags whose value is a header line (`-H "Authorization: Bearer …"`, `--header=…`, `--http-header`). */
function isHeaderFlag(flag: string): boolean {
  if (flag === '-H' || flag === '-header') return true;
  if (!flag.startsWith('--')) return false;
  const last = flag.replace(/^-+/, '').split(/[-_.]/).at(-1)?.toLowerCase();
  return last === 'header' || last === 'headers';
}

/** Short flags known to take a secret as the next argument. */
const SECRET_SHORT_FLAGS = new Set(['-k']);
/** Flags whose value is `user:password` (curl `-u`, `--user`). */
const USER_FLAGS = new Set(['-u', '--user', '--proxy-user', '--basic-auth']);

const FLAG_RE = /^--?[A-Za-z][A-Za-z0-9_.-]*$/;

/** Whether a flag (`--api-key`, `--apiToken`, `-k`) takes a secret as its next argument. */
function isSecretFlag(arg: string): boolean {
  if (SECRET_SHORT_FLAGS.has(arg)) return true;
  if (!FLAG_RE.test(arg) || !arg.startsWith('--')) return false;
  return isSecretName(arg);
}

function maskUserPass(value: string, depth: number): string {
  const colon = value.indexOf(':');
  if (colon < 0) return value;
  // `docker run -u 1000:1000` is uid:gid, not user:password.
  if (/^\d+:\d+$/.test(value)) return value;
  return `${value.slice(0, colon)}:${maskValue(value.slice(colon + 1), true, depth)}`;
}

/** Mask one argument on its own (no knowledge of the previous argument). */
function maskArg(arg: string, depth: number): string {
  if (isMasked(arg)) return arg;
  if (arg.length > MAX_MASK_VALUE) return maskWhole(arg);
  // --api-key=VALUE / --header=Name: value / -H=…
  const flag = /^(--?[A-Za-z0-9][A-Za-z0-9_.-]{0,127})=(.*)$/s.exec(arg);
  if (flag) {
    const [, name = '', value = ''] = flag;
    if (isHeaderFlag(name)) return `${name}=${maskHeaderString(value, true) ?? maskValue(value, false, depth)}`;
    if (USER_FLAGS.has(name)) return `${name}=${maskUserPass(value, depth)}`;
    return `${name}=${maskValue(value, positionOf(name), depth)}`;
  }
  // NAME=VALUE (env-style, docker -e, wrappers, connection strings), the value possibly quoted
  const assign = /^([A-Za-z_][A-Za-z0-9_.-]{0,127})=(.*)$/s.exec(arg);
  if (assign) {
    const [, name = '', value = ''] = assign;
    if (isConnectionString(arg)) return maskConnectionString(arg, depth);
    const quoted = /^(["'])(.*)\1$/s.exec(value);
    if (quoted) return `${name}=${quoted[1]}${maskValue(quoted[2] ?? '', positionOf(name), depth)}${quoted[1]}`;
    return `${name}=${maskValue(value, positionOf(name), depth)}`;
  }
  const header = maskHeaderString(arg, false);
  if (header !== undefined) return header;
  return maskValue(arg, false, depth);
}

/** Mask argument `i` of an argument vector (the previous argument may make it a secret position). */
function maskArgAt(args: readonly string[], i: number, depth: number): string {
  const arg = args[i] ?? '';
  const prev = i > 0 ? (args[i - 1] ?? '') : '';
  const takesValue = !FLAG_RE.test(arg);
  if (i > 0 && isSecretFlag(prev) && takesValue) return maskValue(arg, true, depth);
  if (i > 0 && isHeaderFlag(prev)) return maskHeaderString(arg, true) ?? maskArg(arg, depth);
  if (i > 0 && USER_FLAGS.has(prev) && takesValue) return maskUserPass(arg, depth);
  if (i > 0 && takesValue && prev.startsWith('--') && FLAG_RE.test(prev) && isSettingName(prev))
    return maskValue(arg, 'setting', depth);
  return maskArg(arg, depth);
}

function maskArgsAt(args: readonly string[], depth: number): string[] {
  return args.map((_, i) => maskArgAt(args, i, depth));
}

/** Mask every credential-bearing argument of a command line (given as an argument vector). */
export function maskArgs(args: readonly string[]): string[] {
  return maskArgsAt(args, 0);
}

/** One word of a shell command line, with where it sits in the line. */
export interface ShellWord {
  /** The word after quote removal. */
  value: string;
  start: number;
  end: number;
}

/**
 * Quote-aware split of a command line (POSIX shell rules: '…' literal, "…" with backslash escapes,
 * backslash escapes outside quotes; cmd.exe-style lines split the same way on spaces and "…").
 * Unterminated quotes run to the end of the line.
 */
export function shellSplit(line: string): ShellWord[] {
  const words: ShellWord[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && /\s/.test(line[i] ?? '')) i++;
    if (i >= n) break;
    const start = i;
    let value = '';
    while (i < n && !/\s/.test(line[i] ?? '')) {
      const c = line[i] ?? '';
      if (c === "'") {
        const close = line.indexOf("'", i + 1);
        const end = close < 0 ? n : close;
        value += line.slice(i + 1, end);
        i = close < 0 ? n : close + 1;
      } else if (c === '"') {
        i++;
        while (i < n && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < n && /["\\$`]/.test(line[i + 1] ?? '')) i++;
          value += line[i] ?? '';
          i++;
        }
        i++;
      } else if (c === '\\' && i + 1 < n) {
        value += line[i + 1] ?? '';
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    words.push({ value, start, end: Math.min(i, n) });
  }
  return words;
}

/** Re-quote a masked word the way the original was written (or single quotes when it needs them). */
function requote(masked: string, raw: string): string {
  const q = raw[0];
  if (q === '"' && raw.endsWith('"') && raw.length >= 2) return `"${masked.replace(/(["\\$`])/g, '\\$1')}"`;
  if (q === "'" && raw.endsWith("'") && raw.length >= 2) return `'${masked.replace(/'/g, `'\\''`)}'`;
  if (/[\s'"\\$`;&|<>()]/.test(masked)) return `'${masked.replace(/'/g, `'\\''`)}'`;
  return masked;
}

function maskCommandAt(command: string, depth: number): string {
  if (command.length > MAX_MASK_VALUE) return maskWhole(command);
  const words = shellSplit(command);
  if (words.length <= 1) {
    const w = words[0];
    if (!w) return command;
    const masked = maskArgsAt([w.value], depth)[0] ?? w.value;
    if (masked === w.value) return command;
    return command.slice(0, w.start) + requote(masked, command.slice(w.start, w.end)) + command.slice(w.end);
  }
  const masked = maskArgsAt(
    words.map((w) => w.value),
    depth,
  );
  let out = '';
  let at = 0;
  words.forEach((w, k) => {
    const m = masked[k] ?? w.value;
    if (m === w.value) return;
    out += command.slice(at, w.start) + requote(m, command.slice(w.start, w.end));
    at = w.end;
  });
  return out + command.slice(at);
}

/**
 * Mask a command: a program name (masked only if it carries a token) or a whole command line in one
 * string (`npx -y srv --api-key X`, `sh -c '…'`), split quote-aware, masked word by word with
 * maskArgs, and re-joined keeping the original spacing and quoting.
 */
export function maskCommand(command: string): string {
  if (!/\s/.test(command.trim())) {
    if (URL_START_RE.test(command)) return maskUrl(command);
    return maskArg(command, 0);
  }
  return maskCommandAt(command, 0);
}

/** URL schemes whose user-only userinfo is an account name, not a token (`ssh://git@host`). */
const USER_ACCOUNT_SCHEMES = /^(?:ssh|git|git\+ssh|sftp|ftp|ftps|smb|rsync|svn\+ssh):\/\/$/i;
/** Query / fragment parameters that carry credentials besides secret-named ones. */
const URL_SECRET_PARAMS = /^(?:sig|signature|code|x-amz-signature|x-amz-credential|x-amz-security-token|sv|se)$/i;

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Mask `a=b&c=d` parameters (query string or fragment): secret-named ones of any length, secret-looking values. */
function maskParams(params: string): string {
  return params
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return looksLikeSecret(decodeSafe(pair)) ? maskSecret(decodeSafe(pair)) : pair;
      const name = pair.slice(0, eq);
      const raw = pair.slice(eq + 1);
      const value = decodeSafe(raw);
      if (value === '' || isReference(value) || isMasked(value)) return pair;
      const dname = decodeSafe(name);
      if (isSecretName(dname) || URL_SECRET_PARAMS.test(dname) || looksLikeSecret(value))
        return `${name}=${maskSecret(value)}`;
      const inline = maskInline(value);
      return inline === value ? pair : `${name}=${inline}`;
    })
    .join('&');
}

const URL_RE = /^([a-z][a-z0-9+.-]{0,30}:\/\/)([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/is;

/**
 * Mask the credentials in a URL: the userinfo (password; a user-only userinfo on http(s) and other
 * non-account schemes), secret-named or secret-looking query and fragment parameters
 * (`#access_token=…`), and token-like path segments. Works on the string so the rest of the URL
 * is kept exactly as written.
 */
export function maskUrl(url: string): string {
  // (It used to hand long URLs to redactText, which found the URL and handed it back: unbounded
  // recursion on a URL over 64 KiB.)
  if (url.length > MAX_MASK_VALUE) return maskWhole(url);
  const m = URL_RE.exec(url);
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
      const maskedUser = looksLikeSecret(decodeSafe(user)) ? maskSecret(decodeSafe(user)) : user;
      const maskedPass = pass === '' || isReference(decodeSafe(pass)) || isMasked(pass) ? pass : maskSecret(pass);
      masked = `${maskedUser}:${maskedPass}`;
    } else if (
      userinfo === '' ||
      isReference(decodeSafe(userinfo)) ||
      isMasked(userinfo) ||
      (USER_ACCOUNT_SCHEMES.test(scheme) && !looksLikeSecret(decodeSafe(userinfo)))
    ) {
      masked = userinfo;
    } else {
      masked = maskSecret(decodeSafe(userinfo));
    }
    auth = `${masked}@${host}`;
  }
  // Webhook URLs (Teams, Slack, Discord): everything after the marker is the credential.
  const hook = secretUrlPath(authority, path);
  const maskedPath = hook
    ? path.slice(0, hook.at) + maskSecret(path.slice(hook.at))
    : path
        .split('/')
        .map((seg) => {
          const decoded = decodeSafe(seg);
          return looksLikeSecret(decoded) ? maskSecret(decoded) : seg;
        })
        .join('/');
  const maskedQuery = query ? '?' + maskParams(query.slice(1)) : '';
  let maskedFragment = fragment;
  if (fragment) {
    const body = fragment.slice(1);
    // OAuth implicit flow and friends put tokens in the fragment: `#access_token=…&token_type=bearer`.
    const params = /^[^=&]{1,128}=/.test(body) ? body : /^[^?]{0,512}\?([^=&]{1,128}=.*)$/s.exec(body)?.[1];
    if (params !== undefined) {
      const head = body.slice(0, body.length - params.length);
      maskedFragment = `#${head}${maskParams(params)}`;
    } else maskedFragment = `#${maskInline(body)}`;
  }
  return `${scheme}${auth}${maskedPath}${maskedQuery}${maskedFragment}`;
}

/** URLs inside free text (bounded scheme, stops at whitespace, quotes and brackets). */
const EMBEDDED_URL_RE = /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s"'<>`\\]+/gi;
/** Auth schemes inside free text. */
const EMBEDDED_SCHEME_RE = /\b(Bearer|Basic|Token)(\s+)([A-Za-z0-9._~+/=:-]{4,4096})/gi;
/** `"name": "value"` JSON pairs (names up to 128 chars, values up to 4096). */
const JSON_PAIR_RE = /"([^"\\\n]{1,128})"(\s*:\s*)"((?:[^"\\\n]|\\.){0,4096})"/g;
/** `name=value` / `name: value` pairs in free text, quoted or bare. */
const PAIR_RE =
  /(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]{0,127})(['"]?[ \t]*[=:][ \t]*)(?:"([^"\n]{0,4096})"|'([^'\n]{0,4096})'|(\$?\{[^}\s]{1,256}\})|([^\s"'&;,<>)}\]]{1,4096}))/g;

function escapeJsonString(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/**
 * Replace every occurrence of each value with its mask (`maskSecret`). `longestFirst` must be
 * ordered longest first so a value that contains another is masked whole.
 */
export function maskOccurrences(text: string, longestFirst: readonly string[]): string {
  let out = text;
  for (const v of longestFirst) if (out.includes(v)) out = out.split(v).join(maskSecret(v));
  return out;
}

export interface RedactOptions {
  /**
   * Also mask high-entropy runs that have no known token shape (default true). Off for structured
   * logs whose ids (trace ids, UUIDs, hashes) must stay readable: token shapes, auth schemes,
   * secret-named pairs, URL credentials and known values are masked either way.
   */
  entropy?: boolean;
}

/**
 * Generic free-text redaction (log lines, error messages, untrusted tool output, admin-log text):
 * known secret values (and their URL/JSON-encoded forms), `Bearer`/`Basic` credentials,
 * `name=value` / `name: value` / `"name":"value"` pairs with secret names, credentials in embedded
 * URLs, and token-shaped or high-entropy runs. References (`${TOKEN}`) stay readable.
 *
 * `knownValues` are exact secrets to remove wherever they occur (e.g. resolved env values); values
 * shorter than 4 chars are ignored (masking them would shred the text).
 */
export function redactText(text: string, knownValues?: readonly string[], options: RedactOptions = {}): string {
  if (text.length > MAX_REDACT_TEXT) return maskWhole(text);
  return nested(text, () => redactBounded(text, knownValues, options));
}

function redactBounded(text: string, knownValues: readonly string[] | undefined, options: RedactOptions): string {
  let out = text;
  if (knownValues && knownValues.length) {
    const forms = new Set<string>();
    for (const v of knownValues) {
      if (typeof v !== 'string' || v.length < 4) continue;
      forms.add(v);
      const enc = encodeURIComponent(v);
      if (enc !== v) forms.add(enc);
      const js = escapeJsonString(v);
      if (js !== v) forms.add(js);
    }
    out = maskOccurrences(
      out,
      [...forms].sort((a, b) => b.length - a.length),
    );
  }
  if (out.length < 8) return out;
  out = out.replace(EMBEDDED_URL_RE, (u) => {
    // Trailing punctuation belongs to the sentence, not the URL.
    const body = stripTrailing(u, '.,;:!?)]}');
    return maskUrl(body) + u.slice(body.length);
  });
  out = out.replace(EMBEDDED_SCHEME_RE, (m, scheme: string, sp: string, cred: string, at: number, all: string) => {
    if (all[at + m.length] === ELLIPSIS) return m; // `Bearer ghp_…oCLr`: already masked
    if (isMasked(cred) || isReference(cred) || isPlaceholder(cred)) return m;
    // Prose ("Basic authentication", "Token expired") is not a credential; Bearer always is.
    if (scheme.toLowerCase() !== 'bearer' && !/[^A-Za-z]/.test(cred) && cred.length < 20) return m;
    return `${scheme}${sp}${maskSecret(cred)}`;
  });
  if (out.includes('"')) {
    out = out.replace(JSON_PAIR_RE, (m, name: string, sep: string, value: string) => {
      if (!isSecretName(name) || value === '' || isMasked(value) || isReference(value) || isObviousPlaceholder(value))
        return m;
      let raw = value;
      try {
        raw = JSON.parse(`"${value}"`) as string;
      } catch {
        /* keep as written */
      }
      const masked = maskValue(raw, true, MAX_DEPTH);
      return masked === raw ? m : `"${name}"${sep}"${escapeJsonString(masked)}"`;
    });
  }
  out = out.replace(
    PAIR_RE,
    (
      m,
      name: string,
      sep: string,
      dq: string | undefined,
      sq: string | undefined,
      ref: string | undefined,
      bare: string | undefined,
    ) => {
      if (ref !== undefined || !isSecretName(name)) return m;
      const value = dq ?? sq ?? bare ?? '';
      if (
        value === '' ||
        isMasked(value) ||
        value.includes(ELLIPSIS) ||
        isReference(value) ||
        isObviousPlaceholder(value)
      )
        return m;
      if (/^(?:Bearer|Basic|Token)$/i.test(value)) return m; // the credential follows, handled above
      const masked = maskValue(value, true, MAX_DEPTH);
      if (masked === value) return m;
      const q = dq !== undefined ? '"' : sq !== undefined ? "'" : '';
      return `${name}${sep}${q}${masked}${q}`;
    },
  );
  return maskInline(out, options.entropy !== false);
}

/** Whether free text contains nothing redactText would change (cheap callers may skip it). */
export function isClean(text: string): boolean {
  return redactText(text) === text;
}

/** Whether a value, on its own, would be masked by the displays (detector and masker agree). */
export function wouldMask(value: string): boolean {
  return isKnownTokenShape(value.trim()) || isHighEntropySecret(value);
}

/** A display form and the values its masking hid (what `secretsInConfig` reads back). */
export interface Noted<T> {
  masked: T;
  hidden: readonly string[];
}

const NOTHING_HIDDEN: readonly string[] = Object.freeze([]);

function noting<T>(mask: () => T): Noted<T> {
  let masked: T | undefined;
  const hidden = collectSecrets(() => (masked = mask()));
  return { masked: masked as T, hidden: hidden.length ? hidden : NOTHING_HIDDEN };
}

/**
 * `maskConfigValue` of a command, a URL or every argument of a vector, with what each masking hid:
 * discovery's masked projection keeps the hidden values for the detector (issue #13: the same
 * values were masked twice per scan, once to show them and once to find the secrets in them).
 */
export function maskNoting(c: { field: 'command' | 'url'; value: string }): Noted<string>;
export function maskNoting(c: { field: 'args'; args: readonly string[] }): Noted<string>[];
export function maskNoting(
  c: { field: 'command' | 'url'; value: string } | { field: 'args'; args: readonly string[] },
): Noted<string> | Noted<string>[] {
  if (c.field === 'args') return c.args.map((_, i) => noting(() => maskArgAt(c.args, i, 0)));
  const { value } = c;
  return noting(() => (c.field === 'command' ? maskCommand(value) : maskUrl(value)));
}

/** Where a configured value sits in a server entry: what makes it a secret position. */
export type ConfigValue =
  | { field: 'args'; args: readonly string[]; index: number }
  | { field: 'command' | 'url'; value: string }
  | { field: 'env' | 'headers' | 'other'; name: string; value: string };

/**
 * The display form of one configured value (what discovery, scan and the UI show): argument `i`
 * with its flag look-behind, the command line, the URL, an env/header/other value by its name.
 */
export function maskConfigValue(c: ConfigValue): string {
  switch (c.field) {
    case 'args':
      return maskArgAt(c.args, c.index, 0);
    case 'command':
      return maskCommand(c.value);
    case 'url':
      return maskUrl(c.value);
    case 'headers':
      return maskHeaderValue(c.name, c.value);
    default:
      return maskValue(c.value, positionOf(c.name), 0);
  }
}

/** One credential inside a configured value: the text the masker hides, and its type. */
export interface SecretSpan {
  /** The credential (decoded where the value was URL-encoded). Never emitted. */
  value: string;
  /** Stable type name (the detector's vocabulary: `github-classic-pat`, `password`, `generic-secret`…). */
  type: string;
}

/** The name a value of argument `i` sits under (`--token X`, `--token=X`, `NAME=X`), if any. */
function argName(args: readonly string[], i: number): string {
  const arg = args[i] ?? '';
  const named = /^-{0,2}([A-Za-z_][A-Za-z0-9_.-]{0,127})=/.exec(arg);
  if (named) return named[1] ?? '';
  const prev = i > 0 ? (args[i - 1] ?? '') : '';
  return FLAG_RE.test(prev) ? prev.replace(/^-+/, '') : '';
}

/** Connection strings whose type says more than "a password in a connection string". */
function connectionStringType(whole: string): string | undefined {
  if (/(?:^|;)\s*DefaultEndpointsProtocol\s*=|(?:^|;)\s*AccountKey\s*=/i.test(whole))
    return 'azure-storage-connection-string';
  if (/\.azconfig\.io\b/i.test(whole)) return 'azure-app-configuration-connection-string';
  if (/(?:^|;)\s*SharedAccessKey\s*=/i.test(whole)) return 'azure-shared-access-key';
  if (isConnectionString(whole)) return 'db-connection-string';
  return undefined;
}

/** The type of a credential the masker hid in `whole` (the configured value) under `name`. */
function classify(value: string, name: string, whole: string): string {
  if (whole.length > MAX_MASK_VALUE) return 'generic-secret'; // masked whole, not inspected
  const token = knownTokenType(value.trim());
  if (token) return token;
  const url = URL_RE.exec(whole.trim());
  if (url) {
    const hook = secretUrlPath(url[2] ?? '', url[3] ?? '');
    if (hook && (url[3] ?? '').includes(value)) return hook.type;
    const at = (url[2] ?? '').lastIndexOf('@');
    if (at >= 0 && decodeSafe((url[2] ?? '').slice(0, at)).includes(value)) return 'url-credentials';
  }
  const cs = connectionStringType(whole.replace(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}=(?=[A-Za-z][^=;]*=)/, ''));
  if (cs) return cs;
  const words = nameWords(name);
  if (words.join('_') === 'secret_key' || (words.includes('django') && words.at(-1) === 'key')) {
    if (value.length >= 40) return 'django-secret-key';
  }
  if (words.some((w) => /^(?:password|passwd|pwd|pass|passphrase)$/.test(w))) return 'password';
  return isHighEntropySecret(value) ? 'generic-high-entropy' : 'generic-secret';
}

/**
 * THE decision "is this configured value a secret, and where": exactly the text the displays
 * mask (`maskConfigValue`, the function discovery's masked projection uses) read back from the
 * masker, with a type. The findings detector reports these, so whatever is masked as a secret is
 * reported and whatever is reported is masked. Placeholders (`your-token-here`) are the one
 * exception: masked defensively in a secret position, but not a finding. `hidden`: what masking
 * this same value hid, when the caller masked it already (`maskNoting`), so it is masked once.
 */
export function secretsInConfig(c: ConfigValue, hidden?: readonly string[]): SecretSpan[] {
  const found = hidden ?? collectSecrets(() => maskConfigValue(c));
  if (found.length === 0) return []; // most values: nothing masked, nothing to classify
  const whole = c.field === 'args' ? (c.args[c.index] ?? '') : c.value;
  const name = c.field === 'args' ? argName(c.args, c.index) : 'name' in c ? c.name : '';
  const values = [...new Set(found)].filter((v) => v.trim() !== '' && !isPlaceholder(v) && !isReference(v));
  let spans = values.map((value) => ({ value, type: classify(value, name, whole) }));
  // A connection string is one credential, however many of its parts are masked.
  // (its key, secret or password is the longest part; an account id or name is shorter).
  if (spans.length > 1 && spans.every((s) => s.type.endsWith('connection-string')))
    spans = [spans.reduce((a, b) => (b.value.length > a.value.length ? b : a))];
  return spans;
}
