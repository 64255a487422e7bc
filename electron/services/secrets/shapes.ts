import { containsReference, isPlaceholder, isReference } from './references.js';

/**
 * What a credential looks like, shared by detection (findings) and masking (every display), so
 * whatever a finding flags is masked everywhere: well-known token shapes, ONE high-entropy check
 * with ONE threshold, and ONE secret-name test (camelCase, kebab-case and snake_case alike).
 *
 * Every regular expression here runs over untrusted text (configs, args, URLs, logs): they are
 * linear (no nested or overlapping quantifiers; unbounded runs only over one character class).
 */

/** Well-known credential prefixes (longest first so the most specific wins). */
export const KNOWN_PREFIXES: readonly string[] = [
  'github_pat_',
  'sk-proj-',
  'sk-ant-',
  'sk_live_',
  'sk_test_',
  'rk_live_',
  'pk_live_',
  'dop_v1_',
  'lin_api_',
  'glpat-',
  'xoxb-',
  'xoxp-',
  'xoxa-',
  'xoxr-',
  'xoxs-',
  'xapp-',
  'pypi-',
  'ghp_',
  'gho_',
  'ghu_',
  'ghs_',
  'ghr_',
  'AKIA',
  'ASIA',
  'AIza',
  'npm_',
  'ntn_',
  'hf_',
  'sk-',
  'eyJ',
];

/**
 * Secret types of known token shapes, by prefix (longest first), for findings of values the
 * masker hides: the names match the secretlint-based detector's types.
 */
const TOKEN_TYPES: readonly [RegExp, string][] = [
  [/^github_pat_/, 'github-fine-grained-pat'],
  [/^ghp_/, 'github-classic-pat'],
  [/^gho_/, 'github-oauth-token'],
  [/^ghu_/, 'github-user-to-server-token'],
  [/^ghs_/, 'github-server-to-server-token'],
  [/^ghr_/, 'github-refresh-token'],
  [/^sk-ant-admin/, 'anthropic-admin-key'],
  [/^sk-ant-/, 'anthropic-api-key'],
  [/^sk-admin-/, 'openai-admin-key'],
  [/^sk-/, 'openai-api-key'],
  [/^[sr]k_live_/, 'stripe-secret-key'],
  [/^glpat-/, 'gitlab-pat'],
  [/^xox[abprs]-/, 'slack-token'],
  [/^AKIA/, 'aws-access-key'],
  [/^ASIA/, 'aws-temporary-key'],
  [/^AIza/, 'google-api-key'],
  [/^hf_/, 'hugging-face-token'],
  [/^npm_/, 'npm-token'],
  [/^hv[sb]\./, 'vault-token'],
  [/^SG\./, 'sendgrid-api-key'],
  [/^django-insecure-/, 'django-secret-key'],
  [/^eyJ/, 'jwt'],
];

/** The secret type of a value with a known token shape, or undefined. */
export function knownTokenType(value: string): string | undefined {
  if (!isKnownTokenShape(value)) return undefined;
  return TOKEN_TYPES.find(([re]) => re.test(value))?.[1] ?? 'api-token';
}

/**
 * URLs that are credentials themselves (anyone holding them can post): the path after the marker
 * is the secret. Matched on the host and path of a parsed URL, never over free text.
 */
const SECRET_URL_PATHS: readonly { host: RegExp; path: RegExp; type: string }[] = [
  { host: /(?:^|\.)webhook\.office\.com$/i, path: /^\/webhookb2\//i, type: 'teams-webhook-url' },
  { host: /(?:^|\.)logic\.azure\.com$/i, path: /^\/workflows\//i, type: 'teams-webhook-url' },
  { host: /^hooks\.slack\.com$/i, path: /^\/(?:services|workflows|triggers)\//i, type: 'slack-webhook-url' },
  { host: /^(?:ptb\.|canary\.)?discord(?:app)?\.com$/i, path: /^\/api\/webhooks\//i, type: 'discord-webhook-url' },
];

/** Where the secret part of a webhook-style URL starts (index into `path`), and its type. */
export function secretUrlPath(host: string, path: string): { at: number; type: string } | undefined {
  const h = host.replace(/:\d+$/, '').replace(/^.*@/, '');
  for (const s of SECRET_URL_PATHS) {
    const m = s.host.test(h) ? s.path.exec(path) : null;
    if (m && path.length > m[0].length) return { at: m[0].length, type: s.type };
  }
  return undefined;
}

/**
 * Provider token shapes (no anchors). Each alternative starts with a literal prefix and a
 * look-behind whose class covers the token body, so a scan over text never starts a match inside
 * a run another start already covered: scanning stays linear on hostile input (`eyJeyJeyJ…`).
 */
const B = '(?<![A-Za-z0-9_-])'; // bodies with _ or -
const A = '(?<![A-Za-z0-9])'; // alphanumeric bodies
export const KNOWN_TOKEN_SOURCE = [
  `${B}github_pat_[A-Za-z0-9_]{20,}`,
  `${A}gh[pousr]_[A-Za-z0-9]{20,}`,
  `${B}sk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}`,
  `${A}[sr]k_(?:live|test)_[A-Za-z0-9]{16,}`,
  `${A}pk_live_[A-Za-z0-9]{16,}`,
  `${B}glpat-[A-Za-z0-9_-]{16,}`,
  `${B}xox[abprs]-[A-Za-z0-9-]{10,}`,
  `${B}xapp-[A-Za-z0-9-]{10,}`,
  `${A}(?:AKIA|ASIA)[A-Z0-9]{16}`,
  `${B}AIza[A-Za-z0-9_-]{30,}`,
  `${A}hf_[A-Za-z0-9]{20,}`,
  `${A}npm_[A-Za-z0-9]{30,}`,
  `${B}pypi-[A-Za-z0-9_-]{30,}`,
  `${A}dop_v1_[a-f0-9]{30,}`,
  `${A}lin_api_[A-Za-z0-9]{20,}`,
  `${A}ntn_[A-Za-z0-9]{20,}`,
  `${B}hv[sb]\\.[A-Za-z0-9_-]{20,}`,
  `${B}SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}`,
  `${A}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}`,
  `${A}dapi[a-f0-9]{32}`,
  `${A}gsk_[A-Za-z0-9]{20,}`,
  `${B}gl(?:c|sa)_[A-Za-z0-9_-]{20,}`,
  `${B}dckr_pat_[A-Za-z0-9_-]{20,}`,
  `${B}figd_[A-Za-z0-9_-]{20,}`,
  `${B}ops_[A-Za-z0-9_-]{40,}`,
  `${A}secret_[A-Za-z0-9]{32,}`,
  `${B}eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{4,}`,
  // Django's generated keys: 50 chars of [a-z0-9!@#$%^&*(-_=+)] behind `django-insecure-`.
  `${B}django-insecure-[a-z0-9!@#$%^&*(=+_)-]{30,}`,
].join('|');

const KNOWN_TOKEN_EXACT_RE = new RegExp(`^(?:${KNOWN_TOKEN_SOURCE})$`);

/** `value` without trailing characters from `chars` (a loop: `/[…]+$/` is quadratic on long runs). */
export function stripTrailing(value: string, chars: string): string {
  let end = value.length;
  while (end > 0 && chars.includes(value[end - 1] ?? '')) end--;
  return value.slice(0, end);
}

/** Whether the whole value has a known provider token shape. */
export function isKnownTokenShape(value: string): boolean {
  return value.length <= 4096 && KNOWN_TOKEN_EXACT_RE.test(value);
}

export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Shortest value the entropy check considers. */
export const MIN_SECRET_LENGTH = 16;

/** Identifiers in camelCase / PascalCase (`ModelContextProtocolServer`): letters only, one word per case change. */
const CAMEL_WORDS_RE = /^[A-Z]?[a-z]+(?:[A-Z][a-z]+)*\d{0,4}$/;

/**
 * A camelCase identifier, not random letters: real words average 3+ letters, while a random
 * mixed-case run (`AbCdEfGhIjKlMnOp`, `xKqPzLmWnRtY`) changes case every one or two letters.
 */
function isCamelIdentifier(v: string): boolean {
  if (!CAMEL_WORDS_RE.test(v)) return false;
  const letters = v.replace(/\d+$/, '');
  const words = (letters.match(/[A-Z]/g)?.length ?? 0) + (/^[a-z]/.test(letters) ? 1 : 0);
  return letters.length / Math.max(1, words) >= 3;
}

/** One word of a slug: lower/upper/Capitalised or a camelCase identifier, not random mixed case. */
function isSlugWord(p: string): boolean {
  if (!WORD_RE.test(p)) return false;
  const letters = p.replace(/\d+[A-Za-z]?$/, '');
  if (letters.length < 8 || !/[a-z]/.test(letters) || !/[A-Z]/.test(letters)) return true;
  return /^[A-Z][a-z]+$|^[A-Z]+$/.test(letters) || isCamelIdentifier(letters);
}
/** One word of a name or version: `sonnet`, `python3`, `20241022`, `4o`, `x64`, `v1`. */
const WORD_RE = /^(?:[A-Za-z]+\d*|\d+[A-Za-z]?|[A-Za-z]\d+[A-Za-z]?)$/;

/**
 * Words and numbers joined by separators (package names, model ids, versions, slugs):
 * `mcp-server-sqlite`, `claude-3-5-sonnet-20241022`, `v20.11.1-linux-x64`. A token with a word
 * prefix (`live-Xy7pQ2rT9kLm3NvB`) is not: its random part is not a word.
 */
function isWordsJoined(v: string): boolean {
  const parts = v.split(/[-_.:/+~=]+/).filter((p) => p !== '');
  return parts.length >= 2 && parts.every(isSlugWord);
}

/**
 * THE high-entropy check (detection and masking alike): a random-looking token of 16+ chars that is
 * not a path, URL, reference, placeholder, identifier or slug. Random strings of n chars have an
 * entropy close to log2(n), so the bar scales for short values (≈3.3 bits/char at 16, 3.5 from 20);
 * hex needs 20+ chars and 3.0 bits/char.
 */
export function isHighEntropySecret(value: string): boolean {
  const v = value.trim();
  if (v.length < MIN_SECRET_LENGTH || v.length > 4096 || /\s/.test(v)) return false;
  if (!/^[A-Za-z0-9+/=_\-.~:]+$/.test(v)) return false;
  if (/^[a-z][a-z0-9+.-]{0,30}:\/\//i.test(v) || /^[~./]/.test(v)) return false;
  if (isReference(v) || isPlaceholder(v) || containsReference(v)) return false;
  // Paths and package specs are not secrets; base64 (which may contain '/') can be.
  if (v.includes('/') && !/^[A-Za-z0-9+/]+=*$/.test(v)) return false;
  if (/^[a-f0-9]+$/i.test(v)) return v.length >= 20 && shannonEntropy(v) >= 3.0;
  if (isCamelIdentifier(v)) return false;
  const classes = Number(/[a-z]/.test(v)) + Number(/[A-Z]/.test(v)) + Number(/[0-9]/.test(v));
  if (classes < 2) return false;
  if (isWordsJoined(v)) return false;
  return shannonEntropy(v) >= Math.min(3.5, Math.log2(v.length) - 0.7);
}

/** Whether a literal (not a reference or placeholder) looks like a credential on its own. */
export function looksLikeSecret(value: string): boolean {
  const v = value.trim();
  if (v.length < 8 || isReference(v) || isPlaceholder(v)) return false;
  return isKnownTokenShape(v) || isHighEntropySecret(v);
}

/** Last words of a name that make its value a secret (`--api-key`, `GITHUB_TOKEN`, `dbPassword`). */
const SECRET_TAIL = new Set([
  'key',
  'apikey',
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'pat',
  'auth',
  'authorization',
  'bearer',
  'credential',
  'credentials',
  'creds',
  'sig',
  'signature',
  'session',
  'cookie',
  'jwt',
  'dsn',
  'privatekey',
  'accesskey',
  'secretkey',
  'accesstoken',
  'authtoken',
  'connectionstring',
  'connstr',
  'connstring',
]);

/** Words that make a name secret wherever they sit, unless the name ends in a non-secret word. */
const SECRET_ANYWHERE = new Set([
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'apikey',
  'credential',
  'credentials',
  'authorization',
  'bearer',
  'cookie',
  'privatekey',
  'accesskey',
  'secretkey',
  'accesstoken',
  'authtoken',
]);

/** Last words saying the value is about a secret, not the secret (`token_type`, `key_file`, `token-limit`). */
const NOT_SECRET_TAIL = new Set([
  'id',
  'ids',
  'type',
  'types',
  'kind',
  'name',
  'names',
  'file',
  'files',
  'path',
  'paths',
  'dir',
  'url',
  'uri',
  'endpoint',
  'host',
  'env',
  'var',
  'envvar',
  'variable',
  'limit',
  'limits',
  'count',
  'length',
  'len',
  'size',
  'max',
  'min',
  'mode',
  'ttl',
  'timeout',
  'expiry',
  'expires',
  'expiration',
  'lifetime',
  'at',
  'in',
  'format',
  'prefix',
  'suffix',
  'enabled',
  'disabled',
  'required',
  'through',
  'budget',
  'usage',
  'ref',
  'location',
  'source',
  'hint',
  'helper',
  'command',
  'cmd',
  'field',
  'policy',
  'provider',
  'store',
  'storage',
  'rotation',
  'version',
]);

/** Splits a name into lower-case words at case changes and separators (`X-Api-Key`, `dbPassword`, `API_KEY`). */
export function nameWords(name: string): string[] {
  return name
    .slice(0, 256)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

const nameCache = new Map<string, boolean>();

/**
 * Whether a name (flag, env var, JSON key, query parameter, header) says its value is a secret:
 * it ends in a secret word (`--api-key`, `apiToken`, `X-Api-Key`, `db_password`, `Cookie`), or
 * carries a strong secret word and does not end in a word like `type`/`file`/`limit`
 * (`refresh_token_value` yes; `token_type`, `password_file`, `--token-limit` no).
 */
export function isSecretName(name: string): boolean {
  const cached = nameCache.get(name);
  if (cached !== undefined) return cached;
  const words = nameWords(name.replace(/^-+/, ''));
  let secret = false;
  const last = words.at(-1);
  if (last !== undefined) {
    const last2 = words.length >= 2 ? `${words.at(-2)}${last}` : last;
    if (SECRET_TAIL.has(last) || SECRET_TAIL.has(last2)) secret = true;
    else if (!NOT_SECRET_TAIL.has(last)) {
      for (let i = 0; i < words.length && !secret; i++) {
        const w = words[i] ?? '';
        if (SECRET_ANYWHERE.has(w) || SECRET_ANYWHERE.has(w + (words[i + 1] ?? ''))) secret = true;
      }
    }
  }
  if (nameCache.size < 10_000) nameCache.set(name, secret);
  return secret;
}

/** Last words of identifier and setting names (`WORKSPACE_ID`, `LOG_LEVEL`, `--model`, `BASE_URL`). */
const SETTING_TAIL = new Set([
  'id',
  'ids',
  'type',
  'kind',
  'name',
  'names',
  'file',
  'path',
  'dir',
  'url',
  'uri',
  'endpoint',
  'host',
  'limit',
  'count',
  'size',
  'max',
  'min',
  'mode',
  'timeout',
  'format',
  'version',
  'level',
  'region',
  'zone',
  'model',
  'tag',
  'image',
  'branch',
  'locale',
  'lang',
]);

/**
 * Whether a name says its value is an identifier or setting (`WORKSPACE_ID`, `--log-level`,
 * `TOKEN_URL`, `key_file`): its last word is one of the not-secret words and it is not a secret
 * name. A random-looking value there is an id, not a credential (known token shapes still are).
 */
export function isSettingName(name: string): boolean {
  const last = nameWords(name.replace(/^-+/, '')).at(-1);
  return last !== undefined && SETTING_TAIL.has(last) && !isSecretName(name);
}

/** Header names whose value is a credential (`Authorization`, `Cookie`, `X-Api-Key`, `Private-Token`…). */
export function isSecretHeaderName(name: string): boolean {
  return isSecretName(name) || /^(?:proxy-)?authorization$|^(?:set-)?cookie$/i.test(name.trim());
}
