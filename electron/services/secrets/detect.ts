import { lintSource } from '@secretlint/core';
import { creator as patternRule } from '@secretlint/secretlint-rule-pattern';
import { creator as recommendPreset } from '@secretlint/secretlint-rule-preset-recommend';
import { secretLintProfiler } from '@secretlint/profiler';
import type { SecretLintCoreConfig, SecretLintRawSource } from '@secretlint/types';
import type { ParsedSource, StringLeaf } from '../discovery/types.js';
import { secretsInConfig } from './redact.js';
import { isPlaceholder, isReference } from './references.js';
import { stripTrailing } from './shapes.js';

export { isHighEntropySecret } from './shapes.js';

/**
 * Credential detection over whole config files: secretlint (recommended preset + extra gitleaks
 * patterns) runs ONCE per file's text, and every hit is mapped back to the string leaf (pointer,
 * line) it sits in. Hits outside leaves (keys, comments, commented-out JSONC lines) are dropped.
 * On top (findings/context.ts), every credential the masker hides in a server's values is a hit
 * too (`secretsInConfig`): detection and masking are one decision. References and placeholders
 * are never hits.
 *
 * A hit carries the raw secret so the caller can fingerprint it; it must never leave the services
 * layer (findings carry masked evidence and the fingerprint only).
 */
export interface SecretHit {
  leaf: StringLeaf;
  /** Stable type name, e.g. `github-classic-pat`, `aws-access-key`, `db-connection-string`. */
  secretType: string;
  /** The credential text (a substring of the leaf value, or the whole value). Never emitted. */
  value: string;
  /** Where it came from: a secretlint rule id, `pattern:<name>`, or `generic-entropy`. */
  detector: string;
}

/** Types whose leak is critical (cloud/admin keys, private keys). */
export const CRITICAL_SECRET_TYPES: ReadonlySet<string> = new Set([
  'aws-access-key',
  'aws-secret-access-key',
  'gcp-service-account-key',
  'private-key',
  'anthropic-admin-key',
  'openai-admin-key',
  'github-fine-grained-pat',
  'github-classic-pat',
  'vault-token',
  'stripe-secret-key',
  'azure-storage-connection-string',
  'azure-app-configuration-connection-string',
]);

/**
 * Extra patterns the preset lacks or matches too narrowly (gitleaks), named by secret type. They run
 * over whole config files: a look-behind covering the token body keeps unbounded bodies linear
 * (no scan restarts inside a run an earlier start already covered).
 */
const EXTRA_PATTERNS: { name: string; patterns: string[] }[] = [
  { name: 'google-api-key', patterns: ['/AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/'] },
  // gitleaks uses hf_[A-Za-z]{34}; issued tokens also carry digits.
  { name: 'hugging-face-token', patterns: ['/(?<![A-Za-z0-9])hf_[A-Za-z0-9]{34,40}(?![A-Za-z0-9])/'] },
  { name: 'gitlab-pat', patterns: ['/(?<![A-Za-z0-9_-])glpat-[0-9A-Za-z_-]{20,}(?![0-9A-Za-z_-])/'] },
  { name: 'anthropic-api-key', patterns: ['/(?<![A-Za-z0-9])sk-ant-api0\\d-[A-Za-z0-9_-]{20,128}(?![A-Za-z0-9_-])/'] },
  {
    name: 'anthropic-admin-key',
    patterns: ['/(?<![A-Za-z0-9])sk-ant-admin0\\d-[A-Za-z0-9_-]{20,128}(?![A-Za-z0-9_-])/'],
  },
  { name: 'openai-api-key', patterns: ['/(?<![A-Za-z0-9_-])sk-(?:proj|svcacct)-[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])/'] },
  // Legacy user keys: sk- and 32+ alphanumerics (no dashes, so sk-ant-/sk-proj- do not match).
  { name: 'openai-api-key', patterns: ['/(?<![A-Za-z0-9_-])sk-[A-Za-z0-9]{32,64}(?![A-Za-z0-9_-])/'] },
  { name: 'openai-admin-key', patterns: ['/(?<![A-Za-z0-9_-])sk-admin-[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])/'] },
  {
    name: 'jwt',
    patterns: [
      '/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}(?![A-Za-z0-9_-])/',
    ],
  },
  { name: 'private-key', patterns: ['/-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----/'] },
  { name: 'stripe-secret-key', patterns: ['/(?<![A-Za-z0-9])(?:sk|rk)_live_[0-9A-Za-z]{24,}(?![0-9A-Za-z])/'] },
];

const CONFIG: SecretLintCoreConfig = {
  rules: [
    {
      id: '@secretlint/secretlint-rule-preset-recommend',
      rule: recommendPreset,
      // AKIA/ASIA access key ids are off by default in the aws rule; we want them.
      rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }],
    },
    { id: '@secretlint/secretlint-rule-pattern', rule: patternRule, options: { patterns: EXTRA_PATTERNS } },
  ] as SecretLintCoreConfig['rules'],
};

/** One raw secretlint message, as far as we read it. */
export interface LintMessage {
  ruleId: string;
  messageId: string;
  range: readonly [number, number];
  loc: { start: { line: number } };
  data?: Record<string, unknown>;
}

const PRESET_TYPES: Record<string, string> = {
  AWSSecretAccessKey: 'aws-secret-access-key',
  SLACK_TOKEN: 'slack-token',
  IncomingWebhook: 'slack-webhook-url',
  OPENAI_TOKEN: 'openai-api-key',
  ANTHROPIC_API_KEY: 'anthropic-api-key',
  GROQ_API_KEY: 'groq-api-key',
  HUGGINGFACE_USER_ACCESS_TOKEN: 'hugging-face-token',
  GITLAB_PERSONAL_ACCESS_TOKEN: 'gitlab-pat',
  NPM_ACCESS_TOKEN: 'npm-token',
  Npmrc_authToken: 'npm-token',
  PrivateKey: 'private-key',
  PrivateKeyJSON: 'gcp-service-account-key',
  PrivateKeyP12: 'private-key',
  BasicAuth: 'url-credentials',
  MongoDBConnection: 'db-connection-string',
  MySQLConnection: 'db-connection-string',
  PostgreSQLConnection: 'db-connection-string',
  SENDGRID_KEY: 'sendgrid-api-key',
  SHOPIFY_KEY: 'shopify-token',
  LINEAR_API_TOKEN: 'linear-api-key',
  NOTION_INTEGRATION_TOKEN: 'notion-token',
  GRAFANA_CLOUD_API_TOKEN: 'grafana-token',
  GRAFANA_SERVICE_ACCOUNT_TOKEN: 'grafana-token',
  HASHICORP_VAULT_SERVICE_TOKEN: 'vault-token',
  HASHICORP_VAULT_BATCH_TOKEN: 'vault-token',
  HASHICORP_VAULT_RECOVERY_TOKEN: 'vault-token',
  VERCEL_PERSONAL_ACCESS_TOKEN: 'vercel-token',
  VERCEL_INTEGRATION_TOKEN: 'vercel-token',
  VERCEL_APP_ACCESS_TOKEN: 'vercel-token',
  VERCEL_APP_REFRESH_TOKEN: 'vercel-token',
  VERCEL_AI_GATEWAY_API_KEY: 'vercel-token',
  DATABRICKS_PERSONAL_ACCESS_TOKEN: 'databricks-token',
  DOCKER_PERSONAL_ACCESS_TOKEN: 'docker-pat',
  FIGMA_PERSONAL_ACCESS_TOKEN: 'figma-token',
  OPS_TOKEN: '1password-service-account-token',
  PackageJSON_xOauthToken: 'github-oauth-token',
};

const GITHUB_TYPES: Record<string, string> = {
  ghp: 'github-classic-pat',
  github_pat: 'github-fine-grained-pat',
  gho: 'github-oauth-token',
  ghu: 'github-user-to-server-token',
  ghs: 'github-server-to-server-token',
  ghr: 'github-refresh-token',
};

/** The credential text a message names (its first string datum), for locating and typing. */
function messageText(m: LintMessage): string | undefined {
  for (const k of ['KEY', 'TOKEN', 'ID', 'CREDENTIAL', 'URI', 'URL']) {
    const v = m.data?.[k];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** Secret type of one message, or null when the message is not a credential (e.g. AWS account id). */
export function secretTypeOf(m: LintMessage, matched: string): string | null {
  if (m.messageId === 'PATTERN') return typeof m.data?.PATTERN_NAME === 'string' ? m.data.PATTERN_NAME : 'secret';
  if (m.messageId === 'GITHUB_TOKEN') {
    const prefix = /^(github_pat|gh[pousr])_/.exec(matched)?.[1] ?? 'ghp';
    return GITHUB_TYPES[prefix] ?? 'github-token';
  }
  if (m.messageId === 'AWSAccessKeyID') {
    if (/^ASIA/.test(matched)) return 'aws-temporary-key';
    if (/^(AKIA|A3T)/.test(matched)) return 'aws-access-key';
    return null; // AIDA/AROA/… are identifiers, not credentials
  }
  if (m.messageId === 'AWSAccountID' || m.messageId === 'IGNORE_MESSAGE') return null;
  return PRESET_TYPES[m.messageId] ?? m.messageId.toLowerCase().replace(/_/g, '-');
}

/** Lower numbers win when two detectors hit the same spot. */
function detectorRank(type: string, detector: string): number {
  if (type === 'url-credentials') return 5; // prefer db-connection-string / a provider token inside a URL
  if (type === 'jwt') return 4;
  return detector.startsWith('pattern:') ? 2 : 1;
}

interface LeafIndex {
  /** Leaves with offsets, sorted by offset. */
  byOffset: StringLeaf[];
  byLine: Map<number, StringLeaf[]>;
}

function indexLeaves(leaves: readonly StringLeaf[]): LeafIndex {
  const byOffset = leaves.filter((l) => l.offset !== undefined && l.length !== undefined);
  byOffset.sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
  const byLine = new Map<number, StringLeaf[]>();
  for (const l of leaves) {
    const list = byLine.get(l.line);
    if (list) list.push(l);
    else byLine.set(l.line, [l]);
  }
  return { byOffset, byLine };
}

function leafAtOffset(idx: LeafIndex, pos: number): StringLeaf | undefined {
  let lo = 0;
  let hi = idx.byOffset.length - 1;
  let best: StringLeaf | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = idx.byOffset[mid]!;
    if ((l.offset ?? 0) <= pos) {
      best = l;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best && pos < (best.offset ?? 0) + (best.length ?? 0)) return best;
  return undefined;
}

/**
 * Locates a hit: by the range's start inside a leaf token, else (escaped values, rules whose range
 * points at the key, sources without offsets) by the credential text inside a leaf on the same line.
 * Returns the leaf and the credential as it appears in the leaf's decoded value.
 */
function locate(text: string, idx: LeafIndex, m: LintMessage): { leaf: StringLeaf; value: string } | undefined {
  const [start, end] = m.range;
  const named = messageText(m);
  const leaf = leafAtOffset(idx, start);
  if (leaf) {
    const tokenStart = leaf.offset ?? 0;
    const token = text.slice(tokenStart, tokenStart + (leaf.length ?? 0));
    const at = token.indexOf(leaf.value);
    if (at >= 0 && leaf.value !== '') {
      const valueStart = tokenStart + at;
      const s = Math.max(0, start - valueStart);
      const e = Math.min(leaf.value.length, end - valueStart);
      if (e > s) return { leaf, value: leaf.value.slice(s, e) };
    }
    if (named && leaf.value.includes(named)) return { leaf, value: named };
    return { leaf, value: leaf.value };
  }
  // Fallback: the credential text in a leaf on the hit's line (or the line of the range start).
  const raw = named ?? text.slice(start, end);
  const needle = stripTrailing(raw, `"',`);
  if (!needle) return undefined;
  const line = m.loc.start.line;
  for (const l of [...(idx.byLine.get(line) ?? []), ...(idx.byLine.get(line + 1) ?? [])]) {
    if (l.value.includes(needle)) return { leaf: l, value: needle };
  }
  return undefined;
}

/** Runs secretlint once over a file's text. Exposed for tests. */
export async function lintText(path: string, text: string): Promise<LintMessage[]> {
  const source: SecretLintRawSource = { filePath: path, content: text, ext: '', contentType: 'text' };
  const res = await lintSource({ source, options: { config: CONFIG, noPhysicFilePath: true } });
  return res.messages as unknown as LintMessage[];
}

/** Between texts linted together: a blank line (see lintTexts). */
const JOIN = '\n\n';
/** Characters of text per batched secretlint call (bounds the joined string). */
const BATCH_CHARS = 4 << 20;
/** Line breaks as secretlint counts them (structured-source: CRLF is one). */
const LINE_BREAK_RE = /\r\n|[\r\n\u2028\u2029]/g;
/** Line breaks other than \n. */
const OTHER_BREAK_RE = /[\r\u2028\u2029]/;

function lineBreaks(text: string): number {
  let n = 0;
  // Most config files break lines with \n alone: found natively, a line at a time (a regex match
  // per line cost the 2,000-server scan ~3 ms, issue #13).
  if (!OTHER_BREAK_RE.test(text)) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    return n;
  }
  LINE_BREAK_RE.lastIndex = 0;
  while (LINE_BREAK_RE.exec(text)) n++;
  return n;
}

/**
 * A text that must be linted on its own: secretlint's `secretlint-disable` comments reach past
 * the end of a text, rules look at the file name of package.json / .npmrc files, and a trailing CR
 * would merge with the joining line break (changing line numbers).
 */
function lintsAlone(path: string, text: string): boolean {
  return (
    text.includes('secretlint-') || text.endsWith('\r') || /(?:package\.json|package-lock\.json|\.npmrc)$/.test(path)
  );
}

/**
 * secretlint over many texts, with exactly the messages of one `lintText` call per text, at a
 * fraction of the cost (secretlint sets up every rule per call: most of a scan's detection time
 * was that, once per config file). Texts are joined with blank lines and linted together; each
 * message is mapped back to its text (range and line rebased). Rules match within a line or
 * across line breaks; a match that would span two texts (an unterminated `-----BEGIN PRIVATE KEY`
 * in one and a key in the next) is detected by its range, and the texts it touches are linted
 * again on their own. Look-arounds at a text's ends see a line break where they would see its
 * start or end, which every rule treats alike (no rule anchors on the whole text).
 */
export async function lintTexts(items: readonly { path: string; text: string }[]): Promise<LintMessage[][]> {
  const out: LintMessage[][] = items.map(() => []);
  const alone = new Set<number>();
  let batch: number[] = [];
  let size = 0;
  const flush = async () => {
    if (batch.length === 1) alone.add(batch[0]!);
    else if (batch.length > 1) for (const i of await lintBatch(items, batch, out)) alone.add(i);
    batch = [];
    size = 0;
  };
  for (let i = 0; i < items.length; i++) {
    const { path, text } = items[i]!;
    if (lintsAlone(path, text)) {
      alone.add(i);
      continue;
    }
    if (size + text.length > BATCH_CHARS) await flush();
    batch.push(i);
    size += text.length + JOIN.length;
  }
  await flush();
  for (const i of [...alone].sort((a, b) => a - b)) out[i] = await lintText(items[i]!.path, items[i]!.text);
  return out;
}

/** One secretlint call over the joined texts `idx`; fills `out` and returns the texts to lint alone. */
async function lintBatch(
  items: readonly { path: string; text: string }[],
  idx: readonly number[],
  out: LintMessage[][],
): Promise<number[]> {
  const starts: number[] = [];
  const lineOffsets: number[] = [];
  let at = 0;
  let lines = 0;
  for (const i of idx) {
    const text = items[i]!.text;
    starts.push(at);
    lineOffsets.push(lines);
    at += text.length + JOIN.length;
    lines += lineBreaks(text) + 2;
  }
  const joined = idx.map((i) => items[i]!.text).join(JOIN);
  const messages = await lintText('gatehouse-batch', joined);
  const textAt = (pos: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const redo = new Set<number>();
  const found: Array<[number, LintMessage]> = [];
  for (const m of messages) {
    const [start, end] = m.range;
    const k = textAt(start);
    const k1 = textAt(Math.max(start, end - 1));
    const textEnd = starts[k]! + items[idx[k]!]!.text.length;
    if (k !== k1 || start >= textEnd || end > textEnd) {
      // Spans texts (or starts in a joining line break): those texts are linted alone instead.
      for (let j = k; j <= Math.min(k1 + 1, idx.length - 1); j++) redo.add(j);
      continue;
    }
    found.push([k, rebase(m, starts[k]!, lineOffsets[k]!)]);
  }
  for (const [k, m] of found) if (!redo.has(k)) out[idx[k]!]!.push(m);
  return [...redo].map((k) => idx[k]!);
}

function rebase(m: LintMessage, offset: number, lineOffset: number): LintMessage {
  const loc = m.loc as LintMessage['loc'] & { end?: { line: number } };
  return {
    ...m,
    range: [m.range[0] - offset, m.range[1] - offset],
    loc: {
      ...loc,
      start: { ...loc.start, line: loc.start.line - lineOffset },
      ...(loc.end ? { end: { ...loc.end, line: loc.end.line - lineOffset } } : {}),
    },
  };
}

/**
 * secretlint's built-in profiler puts a performance mark on the global timeline for every rule and
 * file, keeps every mark it observes and searches all of them on each new one: O(n²) over a
 * long-running process (scans got several times slower from one run to the next) and a timeline
 * that only grows. Gatehouse never reads the profile, so its marks are switched off.
 */
(secretLintProfiler as unknown as { mark: (marker: unknown) => void }).mark = () => {};

/**
 * Generic detection for one value the provider rules did not hit: the masker's decision
 * (`secretsInConfig`), so a value is flagged exactly when a display masks it. `keyHint` is the
 * name the value sits under (env key, header name, JSON key). Returns the first credential.
 */
export function genericCredential(value: string, keyHint: string | undefined, isHeader: boolean): string | undefined {
  const spans = secretsInConfig({ field: isHeader ? 'headers' : 'other', name: keyHint ?? '', value });
  return spans[0]?.value;
}

/** Detects credentials in one parsed source: one secretlint pass over the text, mapped to leaves. */
export async function detectInSource(
  src: ParsedSource,
  isCandidate: (leaf: StringLeaf) => boolean,
  /** secretlint's messages for `src.text`, when the caller linted many sources at once (lintTexts). */
  linted?: readonly LintMessage[],
): Promise<SecretHit[]> {
  if (src.text === undefined || src.leaves.length === 0) return [];
  const messages = linted ?? (await lintText(src.source.path, src.text));
  // Most files have no message: their leaves are not indexed.
  if (messages.length === 0) return [];
  const idx = indexLeaves(src.leaves);
  const found: (SecretHit & { rank: number; start: number })[] = [];
  for (const m of messages) {
    const loc = locate(src.text, idx, m);
    if (!loc || !isCandidate(loc.leaf)) continue;
    const type = secretTypeOf(m, loc.value);
    if (!type) continue;
    if (isReference(loc.value) || isPlaceholder(loc.value)) continue;
    const detector = m.messageId === 'PATTERN' ? `pattern:${type}` : m.ruleId;
    const start = loc.leaf.value.indexOf(loc.value);
    found.push({
      leaf: loc.leaf,
      secretType: type,
      value: loc.value,
      detector,
      rank: detectorRank(type, detector),
      start,
    });
  }
  // One hit per overlapping span of one leaf: the most specific detector wins.
  found.sort((a, b) => a.rank - b.rank || b.value.length - a.value.length);
  const kept: typeof found = [];
  const keptByLeaf = new Map<StringLeaf, typeof found>();
  for (const h of found) {
    const mine = keptByLeaf.get(h.leaf);
    if (mine?.some((k) => h.start < k.start + k.value.length && k.start < h.start + h.value.length)) continue;
    kept.push(h);
    if (mine) mine.push(h);
    else keptByLeaf.set(h.leaf, [h]);
  }
  kept.sort((a, b) => a.leaf.line - b.leaf.line || a.start - b.start);
  return kept.map(({ leaf, secretType, value, detector }) => ({ leaf, secretType, value, detector }));
}
