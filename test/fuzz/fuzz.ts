import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { DocFormat } from '../../electron/services/discovery/document.js';
import { discover, toDiscoveryResult } from '../../electron/services/discovery/discover.js';
import { locate, type Location } from '../../electron/services/discovery/locations.js';
import { analyze } from '../../electron/services/findings/engine.js';
import type { FileSystemPort, WorkstationPort } from '../../electron/services/ports.js';
import { fingerprinter } from '../../electron/services/secrets/fingerprint.js';
import * as attacks from './attacks.js';
import { rng } from '../support/rng.js';
export { rng };

/**
 * A seeded, bounded fuzzer for discovery + scan (issue #12). Each case takes a real fixture from
 * test/fixtures (or an attack shape of ./attacks.ts), applies 1–4 seeded mutations, places it at a
 * client config path of its format next to a healthy sibling file, and runs discovery and the
 * static scan over an in-memory filesystem. A case fails when anything throws, when the sibling's
 * server is lost, when a planted credential reaches the output, or when it takes over the time
 * budget. Every case has its own seed, printed with each failure: `npm run fuzz -- --case <seed>`.
 */

export interface FuzzCase {
  seed: number;
  source: string;
  format: DocFormat;
  path: string;
  client: string;
  mutations: string[];
  text: string;
}

export interface CaseResult {
  seed: number;
  ms: number;
  failure?: string;
  status?: string;
}

/** The seed of case `i` of a run with `seed` (each case reproducible alone). */
export function caseSeed(seed: number, i: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
}

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const EXTS: Record<string, DocFormat> = {
  '.json': 'json',
  '.jsonc': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.toml': 'toml',
};

interface Corpus {
  name: string;
  format: DocFormat;
  text: () => string;
}

let corpus: Corpus[] | undefined;

/** Real fixtures (every config file under test/fixtures up to 64 KB) and the attack shapes. */
export function loadCorpus(): Corpus[] {
  if (corpus) return corpus;
  const out: Corpus[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (EXTS[extname(name).toLowerCase()] && st.size <= 65_536) {
        const text = readFileSync(p, 'utf8');
        out.push({ name: p.slice(FIXTURES.length + 1), format: EXTS[extname(name).toLowerCase()]!, text: () => text });
      }
    }
  };
  walk(FIXTURES);
  out.push(
    { name: 'attack:deep-json', format: 'json', text: () => attacks.deepJson(2000) },
    { name: 'attack:long-url', format: 'json', text: () => attacks.longUrl(70_000) },
    { name: 'attack:huge-command-line', format: 'json', text: () => attacks.hugeCommandLine(130_000) },
    { name: 'attack:toml-header', format: 'toml', text: () => attacks.dottedTomlHeader(5000) },
    { name: 'attack:toml-header-40k', format: 'toml', text: () => attacks.dottedTomlHeader(20_000) },
    { name: 'attack:alias-bomb', format: 'yaml', text: () => attacks.yamlAliasBomb(9) },
    { name: 'attack:merge-keys', format: 'yaml', text: () => attacks.yamlMergeKeys(5000) },
    { name: 'attack:merges-one-map', format: 'yaml', text: () => attacks.yamlManyMergesOneMap(5000) },
    { name: 'attack:duplicate-key', format: 'yaml', text: () => attacks.yamlDuplicateKey() },
    { name: 'attack:many-servers', format: 'json', text: () => attacks.manyServers(2000) },
  );
  corpus = out;
  return out;
}

const HOME = '/fuzz/home';
const WS: WorkstationPort = {
  home: HOME,
  platform: 'linux',
  projects: ['/fuzz/project'],
  systemRoot: '/fuzz/system',
  env: {},
};
const SIBLING_PATH = `${HOME}/.config/Claude/claude_desktop_config.json`;
/** A credential planted in the sibling: it must never reach any output. */
export const PLANTED = 'ghp_' + 'Zq7xW2mK9pL4vB8nR3tY6uE1oI5aS0dFgHjK';
const SIBLING = JSON.stringify({
  mcpServers: { sibling: { command: 'npx', args: ['-y', 'sibling@1.0.0'], env: { GITHUB_TOKEN: PLANTED } } },
});

let targets: Map<DocFormat, Location[]> | undefined;
function targetsOf(format: DocFormat): Location[] {
  if (!targets) {
    targets = new Map();
    for (const l of locate(WS).files) {
      if (l.path === SIBLING_PATH) continue;
      const list = targets.get(l.format) ?? [];
      list.push(l);
      targets.set(l.format, list);
    }
  }
  return targets.get(format) ?? [];
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

type Mutator = (text: string, r: () => number, format: DocFormat) => string;

/** Mutated texts are cut to this size (the discovery cap is 8 MiB; bigger only tests the cap). */
const MAX_CASE_CHARS = 4_000_000;

function at(text: string, r: () => number): number {
  return int(r, 0, text.length);
}

const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '"',
  "'",
  '=',
  '\n',
  '#',
  '&a',
  '*a',
  '<<: *a',
  '- ',
  '.',
  '\\',
  '${',
  '\u0000',
  '\ufeff',
  '…',
];

const MUTATORS: Record<string, Mutator> = {
  flip: (t, r) => {
    const i = at(t, r);
    return t.slice(0, i) + String.fromCharCode(int(r, 0, 0x7f)) + t.slice(i + 1);
  },
  token: (t, r) => {
    const i = at(t, r);
    return t.slice(0, i) + pick(r, TOKENS) + t.slice(i);
  },
  delete: (t, r) => {
    const i = at(t, r);
    return t.slice(0, i) + t.slice(i + int(r, 1, 64));
  },
  truncate: (t, r) => t.slice(0, at(t, r)),
  duplicate: (t, r) => {
    const i = at(t, r);
    const j = Math.min(t.length, i + int(r, 1, 400));
    const k = at(t, r);
    const times = Math.min(int(r, 1, 50), Math.floor(MAX_CASE_CHARS / (j - i + 1)));
    return t.slice(0, k) + t.slice(i, j).repeat(times) + t.slice(k);
  },
  repeatLine: (t, r) => {
    const lines = t.split('\n');
    const n = int(r, 0, lines.length - 1);
    const line = lines[n] ?? '';
    const times = Math.min(int(r, 2, 3000), Math.floor(MAX_CASE_CHARS / (line.length + 1)));
    return [...lines.slice(0, n), ...new Array<string>(times).fill(line), ...lines.slice(n)].join('\n');
  },
  nest: (t, r, f) => {
    const i = at(t, r);
    const n = int(r, 10, 5000);
    const open = f === 'toml' ? '[' : pick(r, ['[', '{"a":', '- ', '[{"x":']);
    const close = open === '[' ? ']' : open.startsWith('[{') ? '}]' : open === '{"a":' ? '}' : '';
    return t.slice(0, i) + open.repeat(n) + '1' + close.repeat(n) + t.slice(i);
  },
  longString: (t, r) => {
    // Replace a quoted string with a long value (URL, command line, token-ish run, JSON).
    const n = int(r, 1_000, 140_000);
    const kind = int(r, 0, 4);
    const v =
      kind === 0
        ? `https://u:p@x.example.com/${'a/'.repeat(n >> 1)}?token=${'b'.repeat(64)}`
        : kind === 1
          ? `node ${'--api-key x '.repeat(n >> 4)}`
          : kind === 2
            ? 'Bearer ' + 'A1b2C3d4'.repeat(n >> 3)
            : kind === 3
              ? '{"a":'.repeat(Math.min(n, 4000)) + '"x"' + '}'.repeat(Math.min(n, 4000))
              : 'a={a='.repeat(Math.min(n, 4000));
    const m = /"[^"\n]{0,200}"/g;
    const all = [...t.matchAll(m)];
    if (!all.length) return t + v;
    const hit = pick(r, all);
    return t.slice(0, hit.index) + JSON.stringify(v) + t.slice(hit.index + hit[0].length);
  },
  dottedKey: (t, r) => {
    const i = t.indexOf('\n', at(t, r));
    const key = Array.from({ length: int(r, 2, 20_000) }, (_, k) => `k${k % 10}`).join('.');
    return `${t.slice(0, i + 1)}${key} = "v"\n${t.slice(i + 1)}`;
  },
  aliasBomb: (t, r) => attacks.yamlAliasBomb(int(r, 2, 12)) + '\n' + t,
  mergeKeys: (t, r) => attacks.yamlMergeKeys(int(r, 10, 6000)) + t,
  splice: (t, r, f) => {
    const others = loadCorpus().filter((c) => c.format === f && !c.name.startsWith('attack:'));
    const o = pick(r, others).text();
    const i = at(o, r);
    return t.slice(0, at(t, r)) + o.slice(i, i + int(r, 1, 2000)) + t.slice(at(t, r));
  },
};
/** Weighted: mutations that keep the document valid (long values, repeats, nesting) come up more. */
const MUTATOR_NAMES = Object.keys(MUTATORS).flatMap((n) =>
  ['longString', 'repeatLine', 'duplicate', 'nest', 'dottedKey', 'aliasBomb', 'mergeKeys'].includes(n)
    ? [n, n, n]
    : [n],
);

/** Case `seed`: a fixture, 1–4 mutations, a client path of its format. */
export function makeCase(seed: number): FuzzCase {
  const r = rng(seed);
  const src = pick(r, loadCorpus());
  let text = src.text();
  const mutations: string[] = [];
  const count = r() < 0.7 ? int(r, src.name.startsWith('attack:') ? 0 : 1, 2) : int(r, 1, 4);
  for (let k = 0; k < count; k++) {
    const name = pick(r, MUTATOR_NAMES);
    mutations.push(name);
    text = MUTATORS[name]!(text, r, src.format);
    if (text.length > MAX_CASE_CHARS) text = text.slice(0, MAX_CASE_CHARS);
  }
  const loc = pick(r, targetsOf(src.format));
  return { seed, source: src.name, format: src.format, path: loc.path, client: loc.client, mutations, text };
}

function memoryFs(files: ReadonlyMap<string, string>): FileSystemPort {
  return {
    async readFile(path, opts) {
      const t = files.get(path);
      if (t === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      if (opts?.maxBytes !== undefined && Buffer.byteLength(t) > opts.maxBytes)
        throw Object.assign(new Error('file too large'), { code: 'EFBIG' });
      return t;
    },
    async stat(path) {
      const t = files.get(path);
      return t === undefined ? null : { mode: 0o100644, isFile: true, isDirectory: false, size: Buffer.byteLength(t) };
    },
    async readdir() {
      return [];
    },
  };
}

const fingerprint = fingerprinter(Buffer.alloc(32, 7));

/** Runs one case; never throws (a throw is the case's failure). */
export async function runCase(c: FuzzCase, budgetMs = 5_000): Promise<CaseResult> {
  const t0 = performance.now();
  const fail = (failure: string): CaseResult => ({ seed: c.seed, ms: Math.round(performance.now() - t0), failure });
  try {
    const files = new Map([
      [SIBLING_PATH, SIBLING],
      [c.path, c.text],
    ]);
    const scan = await discover(WS, memoryFs(files));
    const result = toDiscoveryResult(scan);
    const mine = result.sources.find((s) => s.path === c.path);
    if (!mine) return fail('the crafted source is missing from the result');
    const sib = result.sources.find((s) => s.path === SIBLING_PATH);
    if (sib?.status !== 'ok' || !result.servers.some((s) => s.name === 'sibling' && s.source === SIBLING_PATH))
      return fail('the sibling source lost its server');
    const { drafts, errors } = await analyze(scan, { fingerprint, platform: 'linux' });
    if (errors.length) return fail(`rule errors: ${errors.join('; ').slice(0, 300)}`);
    if (!drafts.some((d) => d.location.file === SIBLING_PATH && d.ruleId.startsWith('secret.')))
      return fail("the sibling's credential was not reported");
    const out = JSON.stringify(result) + JSON.stringify(drafts);
    if (out.includes(PLANTED)) return fail('the planted credential reached the output');
    const ms = Math.round(performance.now() - t0);
    if (ms > budgetMs) return { seed: c.seed, ms, failure: `took ${ms} ms (budget ${budgetMs} ms)` };
    return { seed: c.seed, ms, status: mine.status };
  } catch (err) {
    return fail(`threw ${(err as Error).name}: ${String((err as Error).message).slice(0, 200)}`);
  }
}

export interface FuzzSummary {
  cases: number;
  failures: Array<CaseResult & { source: string; mutations: string[]; path: string }>;
  maxMs: number;
  maxSeed: number;
  totalMs: number;
  peakHeapMb: number;
  statuses: Record<string, number>;
}

/** Runs `cases` cases from `seed`; `onCase` sees each result (progress, watchdogs). */
export async function fuzz(
  seed: number,
  cases: number,
  opts: { budgetMs?: number; onCase?: (c: FuzzCase, r: CaseResult) => void; onStart?: (c: FuzzCase) => void } = {},
): Promise<FuzzSummary> {
  const s: FuzzSummary = { cases, failures: [], maxMs: 0, maxSeed: 0, totalMs: 0, peakHeapMb: 0, statuses: {} };
  for (let i = 0; i < cases; i++) {
    const c = makeCase(caseSeed(seed, i));
    opts.onStart?.(c);
    const r = await runCase(c, opts.budgetMs);
    s.totalMs += r.ms;
    if (r.ms > s.maxMs) {
      s.maxMs = r.ms;
      s.maxSeed = c.seed;
    }
    if (r.failure) s.failures.push({ ...r, source: c.source, mutations: c.mutations, path: c.path });
    else s.statuses[r.status ?? '?'] = (s.statuses[r.status ?? '?'] ?? 0) + 1;
    s.peakHeapMb = Math.max(s.peakHeapMb, Math.round(process.memoryUsage().heapUsed / 2 ** 20));
    opts.onCase?.(c, r);
  }
  return s;
}
