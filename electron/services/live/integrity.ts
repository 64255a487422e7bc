import { createHash } from 'node:crypto';
import type { ServerEntry } from '../../../shared/model/discovery.js';
import type { DefinitionKind, PinChange, ServerSnapshot } from '../../../shared/model/live.js';
import type { FindingDraft } from '../findings/types.js';
import { DEFAULT_LIMITS } from './limits.js';
import { pinNames } from './pins.js';
import { decodeTagText, excerpt, hasInvisible, invisibleHits, makeVisible, stripInvisible } from './text.js';

/**
 * Offline integrity rules over what live scans enumerated: nothing here leaves the machine.
 * Tool text is untrusted; evidence is an excerpt made visible and masked.
 */

export interface ScannedServer {
  entry: ServerEntry;
  snapshot: ServerSnapshot;
}

interface TextField {
  kind: DefinitionKind;
  /** Tool/prompt name, resource URI, or 'instructions'. */
  name: string;
  /** Where in the definition: description, title, name, inputSchema/properties/x/description… */
  field: string;
  text: string;
  /** The text in lower case (for anchor checks), computed once. */
  lower: string;
  /** Whether it has invisible characters (one pass, computed once). */
  invisible: boolean;
}

const MAX_SCHEMA_STRINGS = 200;
/** Every text is checked up to this many characters (descriptions are stored clipped to it anyway). */
const MAX_CHECKED_TEXT = DEFAULT_LIMITS.maxTextLength;

function schemaStrings(schema: unknown, path: string, out: { path: string; text: string }[]): void {
  if (out.length >= MAX_SCHEMA_STRINGS) return;
  if (typeof schema === 'string') out.push({ path, text: schema });
  else if (Array.isArray(schema)) schema.forEach((v, i) => schemaStrings(v, `${path}/${i}`, out));
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) schemaStrings(v, `${path}/${k}`, out);
  }
}

/** Every piece of server-provided text worth checking, with where it came from. */
const fieldsCache = new WeakMap<ServerSnapshot, TextField[]>();

export function textFields(s: ServerSnapshot): TextField[] {
  const cached = fieldsCache.get(s);
  if (cached) return cached;
  const out: TextField[] = [];
  fieldsCache.set(s, out);
  const add = (kind: DefinitionKind, name: string, field: string, text: string | undefined) => {
    if (!text) return;
    const clipped = text.length > MAX_CHECKED_TEXT ? text.slice(0, MAX_CHECKED_TEXT) : text;
    out.push({ kind, name, field, text: clipped, lower: clipped.toLowerCase(), invisible: hasInvisible(clipped) });
  };
  if (s.instructions) add('instructions', 'instructions', 'instructions', s.instructions);
  for (const t of s.tools) {
    add('tool', t.name, 'name', t.name);
    add('tool', t.name, 'title', t.title);
    add('tool', t.name, 'description', t.description);
    const strings: { path: string; text: string }[] = [];
    schemaStrings(t.inputSchema, 'inputSchema', strings);
    for (const x of strings) add('tool', t.name, x.path, x.text);
  }
  for (const p of s.prompts) {
    add('prompt', p.name, 'name', p.name);
    add('prompt', p.name, 'description', p.description);
    for (const [i, a] of (p.arguments ?? []).entries()) {
      add(
        'prompt',
        p.name,
        `arguments/${i}/description`,
        typeof a.description === 'string' ? a.description : undefined,
      );
    }
  }
  for (const r of s.resources) {
    add('resource', r.uri, 'name', r.name);
    add('resource', r.uri, 'description', r.description);
  }
  for (const r of s.resourceTemplates) {
    add('resourceTemplate', r.uriTemplate, 'name', r.name);
    add('resourceTemplate', r.uriTemplate, 'description', r.description);
  }
  return out;
}

/**
 * Phrases that hide instructions for the model in a description. `all` lists groups of literal
 * anchors (lower case): the pattern can only match when every group has one anchor in the text, so
 * the (bounded) regex runs only on texts that pass a few native `indexOf` scans.
 */
export const POISON_PATTERNS: { id: string; re: RegExp; what: string; all: string[][] }[] = [
  {
    id: 'instruction-tag',
    // Bounded and stopping at the next '<': linear on hostile text (`<system <system …`).
    re: /<\s{0,20}\/?\s{0,20}(important|system|instructions?|secret|hidden|admin|critical|note_to_assistant|assistant)\b[^<>]{0,200}>/i,
    what: 'an instruction tag',
    all: [
      ['<'],
      ['important', 'system', 'instruction', 'secret', 'hidden', 'admin', 'critical', 'note_to_assistant', 'assistant'],
      ['>'],
    ],
  },
  {
    id: 'ignore-previous',
    re: /\b(ignore|disregard|forget)\s{1,20}(all\s{1,20}|any\s{1,20})?(the\s{1,20})?(previous|prior|above|earlier|other)\s{1,20}(instructions?|prompts?|rules|directions)/i,
    what: '"ignore previous instructions"',
    all: [
      ['ignore', 'disregard', 'forget'],
      ['instruction', 'prompt', 'rules', 'directions'],
    ],
  },
  {
    id: 'conceal',
    re: /\b(do\s{1,20}not|don'?t|never)\s{1,20}(tell|inform|mention|reveal|show|notify|alert)\b[^.\n]{0,30}\b(the\s{1,20})?user\b|\bwithout\s{1,20}(telling|informing|notifying|alerting)\s{1,20}the\s{1,20}user\b|\bhide\s{1,20}this\s{1,20}from\s{1,20}the\s{1,20}user\b/i,
    what: 'an instruction to keep something from the user',
    all: [['user'], ['not', "don't", 'dont', 'never', 'without', 'hide']],
  },
  {
    id: 'sensitive-file',
    re: /(~\/\.ssh\b|\.ssh\/|\bid_rsa\b|\bid_ed25519\b|\bid_ecdsa\b|(?<![^\s'"`(/])\.env\b|\bmcp\.json\b|\bmcp_config\.json\b|\.cursor\/|\.aws\/credentials|\.npmrc\b|\.netrc\b|\.git-credentials\b|\/etc\/(passwd|shadow)\b|\bprivate[_ ]key\b)/i,
    what: 'a request touching credential files',
    all: [
      [
        '.ssh',
        'id_rsa',
        'id_ed25519',
        'id_ecdsa',
        '.env',
        'mcp.json',
        'mcp_config.json',
        '.cursor/',
        '.aws/credentials',
        '.npmrc',
        '.netrc',
        '.git-credentials',
        '/etc/passwd',
        '/etc/shadow',
        'private_key',
        'private key',
      ],
    ],
  },
  {
    id: 'exfiltrate',
    re: /\b(pass|send|include|append|upload|post)\s{1,20}(its|their|the|all)\s{1,20}(full\s{1,20})?(contents?|keys?|credentials|tokens?|secrets?)\b/i,
    what: 'an instruction to pass file contents or credentials along',
    all: [
      ['pass', 'send', 'include', 'append', 'upload', 'post'],
      ['content', 'key', 'credential', 'token', 'secret'],
    ],
  },
];

/** Whether every anchor group has a member in `lower` (the text in lower case). */
function anchorsPresent(lower: string, all: string[][]): boolean {
  return all.every((group) => group.some((a) => lower.includes(a)));
}

/** The first poison pattern hit in a text (bounded regexes, run only when their anchors are present). */
export function poisonMatches(
  text: string,
  lower = text.toLowerCase(),
): { what: string; index: number; length: number }[] {
  const out: { what: string; index: number; length: number }[] = [];
  for (const p of POISON_PATTERNS) {
    if (!anchorsPresent(lower, p.all)) continue;
    const m = p.re.exec(text);
    if (m) out.push({ what: p.what, index: m.index, length: m[0].length });
  }
  return out;
}

function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);
}

function label(kind: DefinitionKind, name: string): string {
  const visibleName = makeVisible(name).slice(0, 120);
  return kind === 'instructions'
    ? 'server instructions'
    : `${kind === 'resourceTemplate' ? 'resource template' : kind} "${visibleName}"`;
}

function base(s: ScannedServer) {
  return {
    client: s.entry.client,
    server: s.entry.name,
    serverId: s.entry.id,
    location: { file: s.entry.source, pointer: s.entry.pointer },
  };
}

export function poisoningRule(s: ScannedServer): FindingDraft[] {
  const byDef = new Map<string, { kind: DefinitionKind; name: string; reasons: Set<string>; evidence: string }>();
  for (const f of textFields(s.snapshot)) {
    if (f.field === 'name') continue;
    // Check the text as a model would read it: hidden tag text included.
    const hidden = f.invisible ? decodeTagText(f.text) : '';
    const cleaned = f.invisible ? stripInvisible(f.text) : f.text;
    const candidates = [f.text, ...(hidden ? [hidden] : []), ...(cleaned !== f.text ? [cleaned] : [])];
    for (const text of candidates) {
      for (const m of poisonMatches(text, text === f.text ? f.lower : undefined)) {
        const key = `${f.kind}:${f.name}`;
        const cur = byDef.get(key) ?? { kind: f.kind, name: f.name, reasons: new Set(), evidence: '' };
        cur.reasons.add(m.what + (text === hidden ? ' (in hidden text)' : ''));
        if (!cur.evidence) cur.evidence = `${f.field}: ${excerpt(text, m.index, m.index + m.length)}`;
        byDef.set(key, cur);
      }
    }
  }
  return [...byDef.values()].map((d) => ({
    ruleId: 'tool.poisoning',
    severity: 'high',
    title: `Hidden instructions in ${label(d.kind, d.name)}`,
    message: `${label(d.kind, d.name)} of server "${s.entry.name}" contains ${[...d.reasons].join(', ')}. Descriptions are read by the model as instructions.`,
    ...base(s),
    evidence: d.evidence,
    fingerprint: stableId('poison', d.kind, d.name),
    remediation: 'Do not use this server until its author explains the text; remove it from the client configuration.',
  }));
}

export function hiddenUnicodeRule(s: ScannedServer): FindingDraft[] {
  const byDef = new Map<string, { kind: DefinitionKind; name: string; kinds: Set<string>; evidence: string[] }>();
  for (const f of textFields(s.snapshot)) {
    if (!f.invisible) continue;
    const hits = invisibleHits(f.text);
    if (!hits.length) continue;
    const key = `${f.kind}:${f.name}`;
    const cur = byDef.get(key) ?? { kind: f.kind, name: f.name, kinds: new Set(), evidence: [] };
    for (const h of hits) cur.kinds.add(`${h.count} ${h.kind === 'tag' ? 'Unicode tag' : h.kind}`);
    const hidden = decodeTagText(f.text);
    if (hidden) cur.evidence.push(`${f.field} hides: "${excerpt(hidden, 0, Math.min(hidden.length, 200), 0)}"`);
    else cur.evidence.push(`${f.field}: ${excerpt(f.text, 0, Math.min(f.text.length, 160), 0)}`);
    byDef.set(key, cur);
  }
  return [...byDef.values()].map((d) => ({
    ruleId: 'tool.hidden-unicode',
    severity: 'high',
    title: `Invisible characters in ${label(d.kind, d.name)}`,
    message: `${label(d.kind, d.name)} of server "${s.entry.name}" contains invisible characters (${[...d.kinds].join(', ')} character(s)) that a person reviewing it would not see.`,
    ...base(s),
    evidence: d.evidence.slice(0, 3).join(' | '),
    fingerprint: stableId('unicode', d.kind, d.name),
    remediation: 'Treat the server as untrusted; ask its author why its definitions carry hidden text.',
  }));
}

/**
 * "overrides … other tools": a keyword, then within 60 characters (no sentence end between) a
 * tail like "all tools". Found by merging the keyword and tail matches (each found by one linear
 * regex pass) rather than by one regex with a window after every keyword (O(n·60) on hostile text).
 */
const OVERRIDE_KEY = /\b(?:overrid\w{0,20}|replac\w{0,20}|supersed\w{0,20}|instead of|takes? precedence over)\b/gi;
const OVERRIDE_TAIL = /\b(?:other|all|any)\s{1,20}(?:tools?|servers?|instructions)\b/gi;
const STOP = /[.\n]/g;

export function overrideClaim(text: string): [number, number] | undefined {
  const keys = [...text.matchAll(OVERRIDE_KEY)];
  if (!keys.length) return undefined;
  let ki = 0;
  let keyStart = -1;
  let keyEnd = -1;
  let lastStop = -1;
  const stops = text.matchAll(STOP);
  let nextStop = stops.next();
  for (const m of text.matchAll(OVERRIDE_TAIL)) {
    const t = m.index;
    while (ki < keys.length && keys[ki]!.index + keys[ki]![0].length <= t) {
      keyStart = keys[ki]!.index;
      keyEnd = keyStart + keys[ki]![0].length;
      ki++;
    }
    while (!nextStop.done && nextStop.value.index < t) {
      lastStop = nextStop.value.index;
      nextStop = stops.next();
    }
    if (keyEnd >= 0 && t - keyEnd <= 60 && lastStop < keyEnd) return [keyStart, t + m[0].length];
  }
  return undefined;
}

/** Names longer than this are not looked for in other servers' text. */
const MAX_MATCHED_NAME = 128;

/**
 * Aho–Corasick over tool names, compiled to a dense DFA over the names' own alphabet (every other
 * character is one "other" symbol): one array lookup per character of text, whatever the number of
 * names. Candidates are confirmed with `startsWith`, so folding characters never yields a false hit.
 */
class NameMatcher {
  private readonly symbol = new Uint16Array(65536);
  private readonly width: number;
  private readonly delta: Int32Array;
  private readonly out: (string[] | undefined)[] = [];
  /** Next node (towards the root) with outputs, or -1. */
  private readonly dict: Int32Array;
  /** 1 where a name ends at the node or at one of its suffix nodes. */
  private readonly emits: Uint8Array;

  constructor(names: Iterable<string>) {
    const list = [...new Set(names)].filter((n) => n.length > 0 && n.length <= MAX_MATCHED_NAME);
    let symbols = 1;
    for (const n of list)
      for (let i = 0; i < n.length; i++) {
        const c = n.charCodeAt(i);
        if (this.symbol[c] === 0) this.symbol[c] = symbols++;
      }
    this.width = symbols;
    // Trie with sparse children first; then the dense table.
    const children: Map<number, number>[] = [new Map()];
    const outs: (string[] | undefined)[] = [undefined];
    for (const n of list) {
      let node = 0;
      for (let i = 0; i < n.length; i++) {
        const sym = this.symbol[n.charCodeAt(i)]!;
        let to = children[node]!.get(sym);
        if (to === undefined) {
          to = children.length;
          children.push(new Map());
          outs.push(undefined);
          children[node]!.set(sym, to);
        }
        node = to;
      }
      (outs[node] ??= []).push(n);
    }
    const count = children.length;
    this.delta = new Int32Array(count * symbols);
    this.dict = new Int32Array(count).fill(-1);
    this.out = outs;
    this.emits = new Uint8Array(count);
    const fail = new Int32Array(count);
    const queue: number[] = [];
    for (const [sym, to] of children[0]!) {
      this.delta[sym] = to;
      queue.push(to);
    }
    for (let q = 0; q < queue.length; q++) {
      const node = queue[q]!;
      const f = fail[node]!;
      this.dict[node] = outs[f] ? f : this.dict[f]!;
      this.emits[node] = outs[node] || this.dict[node]! > 0 ? 1 : 0;
      for (let sym = 0; sym < symbols; sym++) {
        const to = children[node]!.get(sym);
        if (to === undefined) this.delta[node * symbols + sym] = this.delta[f * symbols + sym]!;
        else {
          this.delta[node * symbols + sym] = to;
          fail[to] = node === 0 ? 0 : this.delta[f * symbols + sym]!;
          queue.push(to);
        }
      }
    }
  }

  /** The first occurrence (by end position) of a name accepted by `accept`, as [start, end, name]. */
  find(
    text: string,
    accept: (name: string, start: number, end: number) => boolean,
  ): [number, number, string] | undefined {
    const { delta, symbol, width, out, dict, emits } = this;
    if (out.length <= 1) return undefined;
    let node = 0;
    const length = text.length;
    for (let i = 0; i < length; i++) {
      node = delta[node * width + symbol[text.charCodeAt(i)]!]!;
      if (emits[node] === 0) continue;
      for (let n = out[node] ? node : dict[node]!; n > 0; n = dict[n]!) {
        for (const name of out[n]!) {
          const start = i + 1 - name.length;
          if (start >= 0 && text.startsWith(name, start) && accept(name, start, i + 1)) return [start, i + 1, name];
        }
      }
    }
    return undefined;
  }
}

const WORD = /\w/;
const isWordAt = (text: string, i: number) => i >= 0 && i < text.length && WORD.test(text[i]!);

/** Names a short, common-word tool only counts as named in "the X tool" / "use X tool" phrasing. */
const GENERIC_MENTION =
  /\b(?:when|whenever|before|after|instead of|rather than|with|using|calls?|the)\s{1,20}(?:the\s{1,20})?[`"']?([^\s`"']{1,64}?)[`"']?\s{1,20}tool\b/gi;

function isDistinctive(name: string): boolean {
  return /[_\-.]/.test(name) || /[a-z][A-Z]/.test(name) || name.length >= 10;
}

/**
 * Duplicate tool names across servers, and descriptions that name or override other servers'
 * tools. Linear in the text: each text is scanned once by one automaton over every distinctive
 * tool name and once by one regex for the common-word names (no per-name regex).
 */
export function shadowingRule(all: ScannedServer[]): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  const ok = all.filter((s) => s.snapshot.status === 'ok');
  const owners = new Map<string, ScannedServer[]>();
  for (const s of ok) {
    for (const t of new Set(s.snapshot.tools.map((x) => x.name))) owners.set(t, [...(owners.get(t) ?? []), s]);
  }
  for (const [tool, servers] of owners) {
    const distinct = new Set(servers.map((s) => s.snapshot.identity));
    if (distinct.size < 2) continue;
    for (const s of servers) {
      const others = servers.filter((o) => o !== s).map((o) => `"${o.entry.name}" (${o.entry.client})`);
      drafts.push({
        ruleId: 'tool.shadowing',
        severity: 'medium',
        title: `Tool name "${makeVisible(tool).slice(0, 120)}" is also offered by another server`,
        message: `Server "${s.entry.name}" and ${others.join(', ')} both offer a tool named "${makeVisible(tool).slice(0, 120)}"; a client may call the wrong one.`,
        ...base(s),
        evidence: `tool ${makeVisible(tool).slice(0, 120)}`,
        fingerprint: stableId('dup', tool),
        remediation: 'Rename or remove one of the servers, or disable the duplicate tool in the client.',
      });
    }
  }
  // Every tool name (3+ chars) → the servers offering it.
  const named = [...owners].filter(([n]) => n.length >= 3);
  const matcher = new NameMatcher(named.filter(([n]) => isDistinctive(n)).map(([n]) => n));
  const generic = new Map<string, string[]>();
  for (const [n] of named) {
    if (isDistinctive(n)) continue;
    const key = n.toLowerCase();
    generic.set(key, [...(generic.get(key) ?? []), n]);
  }
  for (const s of ok) {
    const own = new Set(s.snapshot.tools.map((t) => t.name));
    const ownerOf = (name: string) =>
      own.has(name) ? undefined : owners.get(name)?.find((o) => o.snapshot.identity !== s.snapshot.identity);
    const seen = new Set<string>();
    for (const f of textFields(s.snapshot)) {
      if (f.field === 'name' || seen.has(`${f.kind}:${f.name}`)) continue;
      let reason: string | undefined;
      let at: [number, number] = [0, 0];
      const override = overrideClaim(f.text);
      if (override) {
        reason = 'claims to override other tools or servers';
        at = override;
      } else {
        const hit = matcher.find(
          f.text,
          (name, start, end) =>
            !!ownerOf(name) &&
            !(WORD.test(name[0]!) && isWordAt(f.text, start - 1)) &&
            !(WORD.test(name[name.length - 1]!) && isWordAt(f.text, end)),
        );
        if (hit) {
          reason = `names tool "${makeVisible(hit[2]).slice(0, 80)}" of server "${ownerOf(hit[2])!.entry.name}"`;
          at = [hit[0], hit[1]];
        } else if (generic.size && f.lower.includes('tool')) {
          for (const m of f.text.matchAll(GENERIC_MENTION)) {
            const name = generic.get((m[1] ?? '').toLowerCase())?.find((n) => ownerOf(n));
            if (!name) continue;
            reason = `names tool "${makeVisible(name).slice(0, 80)}" of server "${ownerOf(name)!.entry.name}"`;
            at = [m.index, m.index + m[0].length];
            break;
          }
        }
      }
      if (!reason) continue;
      seen.add(`${f.kind}:${f.name}`);
      drafts.push({
        ruleId: 'tool.shadowing',
        severity: 'medium',
        title: `${label(f.kind, f.name)} reaches into other servers' tools`,
        message: `The ${f.field} of ${label(f.kind, f.name)} (server "${s.entry.name}") ${reason}: a description that steers how other tools are used can hijack them.`,
        ...base(s),
        evidence: `${f.field}: ${excerpt(f.text, at[0], at[1])}`,
        fingerprint: stableId('shadow', f.kind, f.name),
        remediation: 'Remove the server or review its descriptions with its author.',
      });
    }
  }
  return drafts;
}

/**
 * One server listing two tools under the same name: clients keep one of them (usually the last),
 * so a second definition can hide behind a reviewed one. Both are pinned (the second as
 * `name (duplicate #2)`); this flags it as `tool.shadowing` (a name collision, within one server).
 */
export function duplicateToolRule(s: ScannedServer): FindingDraft[] {
  const counts = new Map<string, number>();
  for (const t of s.snapshot.tools) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n > 1)
    .map(([name, n]) => ({
      ruleId: 'tool.shadowing',
      severity: 'medium' as const,
      title: `Server "${s.entry.name}" lists tool "${makeVisible(name).slice(0, 120)}" ${n} times`,
      message: `Server "${s.entry.name}" returned ${n} different definitions under the one tool name "${makeVisible(name).slice(0, 120)}". A client keeps only one of them, so what the model is told can differ from what was reviewed. Each definition is pinned separately.`,
      ...base(s),
      evidence: `tool ${makeVisible(name).slice(0, 120)} × ${n}; pinned as ${pinNames(Array(n).fill(name) as string[])
        .map((p) => `"${makeVisible(p).slice(0, 140)}"`)
        .join(', ')}`,
      fingerprint: stableId('dup-in-server', name),
      remediation: 'Do not use this server until its author explains the duplicate definitions.',
    }));
}

export function unreachableRule(s: ScannedServer): FindingDraft[] {
  if (s.snapshot.status !== 'error') return [];
  return [
    {
      ruleId: 'server.unreachable',
      severity: 'info',
      title: `Server "${s.entry.name}" could not be reached`,
      message: `Server "${s.entry.name}" could not be started or reached: ${s.snapshot.error ?? 'unknown reason'}.`,
      ...base(s),
      evidence: s.snapshot.error ? excerpt(s.snapshot.error, 0, Math.min(200, s.snapshot.error.length), 0) : undefined,
      fingerprint: stableId('unreachable'),
      remediation: 'Check the command or URL; remove the entry if the server is no longer used.',
    },
  ];
}

export function authNoneRule(s: ScannedServer): FindingDraft[] {
  if (s.snapshot.authMode !== 'none') return [];
  return [
    {
      ruleId: 'auth.none',
      severity: 'high',
      title: `Remote server "${s.entry.name}" answers without credentials`,
      message: `Server "${s.entry.name}" answered MCP initialize and tools/list with no credentials: anyone who can reach it can use its tools.`,
      ...base(s),
      evidence: s.entry.url,
      fingerprint: stableId('auth-none'),
      remediation:
        'Require authorization (OAuth per the MCP authorization spec) on the server, or restrict who can reach it.',
    },
  ];
}

export function changedRule(s: ScannedServer, changes: PinChange[]): FindingDraft[] {
  return changes
    .filter((c) => c.identity === s.snapshot.identity)
    .map((c) => ({
      ruleId: 'tool.changed' as const,
      severity: 'high' as const,
      title: `${label(c.kind, c.name)} ${c.change} since it was pinned`,
      message:
        c.change === 'modified'
          ? `The definition of ${label(c.kind, c.name)} of server "${s.entry.name}" differs from the pinned one (a "rug pull" changes a tool after it was approved). Review the diff and accept it or remove the server.`
          : c.change === 'added'
            ? `Server "${s.entry.name}" now offers ${label(c.kind, c.name)}, which was not there when it was pinned.`
            : `Server "${s.entry.name}" no longer offers ${label(c.kind, c.name)}.`,
      ...base(s),
      evidence: `pinned ${c.beforeHash?.slice(0, 12) ?? '—'} → now ${c.afterHash?.slice(0, 12) ?? '—'}`,
      fingerprint: stableId('changed', c.kind, c.name, c.afterHash ?? 'removed'),
      remediation: 'Compare the two definitions on the server page; accept the change with a reason if it is expected.',
    }));
}

/** A server that shows different definitions depending on who asks (bait-and-switch). */
export function clientDependentRule(s: ScannedServer): FindingDraft[] {
  return (s.snapshot.clientDependent ?? []).map((key) => {
    const name = key.slice(key.indexOf(':') + 1);
    return {
      ruleId: 'tool.changed' as const,
      severity: 'high' as const,
      title: `${label('tool', name)} differs depending on the client asking`,
      message: `Server "${s.entry.name}" described ${label('tool', name)} differently when listed as ${s.entry.client} than when listed as Gatehouse: it may show reviewers a harmless definition and clients another (bait-and-switch).`,
      ...base(s),
      evidence: `tool ${makeVisible(name).slice(0, 120)}`,
      fingerprint: stableId('bait', name),
      remediation: 'Do not use this server; report it to its author or registry.',
    };
  });
}

/** All live rules over one scan's servers. `changes` are the pending (unaccepted) pin changes. */
export function liveFindings(servers: ScannedServer[], changes: PinChange[]): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  for (const s of servers) {
    drafts.push(...unreachableRule(s), ...authNoneRule(s));
    if (s.snapshot.status !== 'ok') continue;
    drafts.push(
      ...poisoningRule(s),
      ...hiddenUnicodeRule(s),
      ...duplicateToolRule(s),
      ...changedRule(s, changes),
      ...clientDependentRule(s),
    );
  }
  drafts.push(...shadowingRule(servers));
  return drafts;
}
