import { createHash } from 'node:crypto';
import type { ServerEntry } from '../../../shared/model/discovery.js';
import type { DefinitionKind, PinChange, ServerSnapshot } from '../../../shared/model/live.js';
import type { FindingDraft } from '../findings/types.js';
import { decodeTagText, excerpt, invisibleHits, makeVisible, stripInvisible } from './text.js';

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
}

const MAX_SCHEMA_STRINGS = 200;

function schemaStrings(schema: unknown, path: string, out: { path: string; text: string }[]): void {
  if (out.length >= MAX_SCHEMA_STRINGS) return;
  if (typeof schema === 'string') out.push({ path, text: schema });
  else if (Array.isArray(schema)) schema.forEach((v, i) => schemaStrings(v, `${path}/${i}`, out));
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) schemaStrings(v, `${path}/${k}`, out);
  }
}

/** Every piece of server-provided text worth checking, with where it came from. */
export function textFields(s: ServerSnapshot): TextField[] {
  const out: TextField[] = [];
  const add = (kind: DefinitionKind, name: string, field: string, text: string | undefined) => {
    if (text) out.push({ kind, name, field, text });
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

/** Phrases that hide instructions for the model in a description. */
export const POISON_PATTERNS: { id: string; re: RegExp; what: string }[] = [
  {
    id: 'instruction-tag',
    re: /<\s*\/?\s*(important|system|instructions?|secret|hidden|admin|critical|note_to_assistant|assistant)\b[^>]*>/i,
    what: 'an instruction tag',
  },
  {
    id: 'ignore-previous',
    re: /\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|other)\s+(instructions?|prompts?|rules|directions)/i,
    what: '"ignore previous instructions"',
  },
  {
    id: 'conceal',
    re: /\b(do\s+not|don'?t|never)\s+(tell|inform|mention|reveal|show|notify|alert)\b[^.\n]{0,30}\b(the\s+)?user\b|\bwithout\s+(telling|informing|notifying|alerting)\s+the\s+user\b|\bhide\s+this\s+from\s+the\s+user\b/i,
    what: 'an instruction to keep something from the user',
  },
  {
    id: 'sensitive-file',
    re: /(~\/\.ssh\b|\.ssh\/|\bid_rsa\b|\bid_ed25519\b|\bid_ecdsa\b|(^|[\s'"`(/])\.env\b|\bmcp\.json\b|\bmcp_config\.json\b|\.cursor\/|\.aws\/credentials|\.npmrc\b|\.netrc\b|\.git-credentials\b|\/etc\/(passwd|shadow)\b|\bprivate[_ ]key\b)/i,
    what: 'a request touching credential files',
  },
  {
    id: 'exfiltrate',
    re: /\b(pass|send|include|append|upload|post)\s+(its|their|the|all)\s+(full\s+)?(contents?|keys?|credentials|tokens?|secrets?)\b/i,
    what: 'an instruction to pass file contents or credentials along',
  },
];

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
    const hidden = decodeTagText(f.text);
    const cleaned = stripInvisible(f.text);
    const candidates = [f.text, ...(hidden ? [hidden] : []), ...(cleaned !== f.text ? [cleaned] : [])];
    for (const text of candidates) {
      for (const p of POISON_PATTERNS) {
        const m = p.re.exec(text);
        if (!m) continue;
        const key = `${f.kind}:${f.name}`;
        const cur = byDef.get(key) ?? { kind: f.kind, name: f.name, reasons: new Set(), evidence: '' };
        cur.reasons.add(p.what + (text === hidden ? ' (in hidden text)' : ''));
        if (!cur.evidence) cur.evidence = `${f.field}: ${excerpt(text, m.index, m.index + m[0].length)}`;
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

const OVERRIDE_OTHERS =
  /\b(overrid\w*|replac\w*|supersed\w*|instead of|takes? precedence over)\b[^.\n]{0,60}\b(other|all|any)\s+(tools?|servers?|instructions)\b/i;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Duplicate tool names across servers, and descriptions that name or override other servers' tools. */
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
  for (const s of ok) {
    const otherTools = new Map<string, ScannedServer>();
    for (const o of ok) {
      if (o.snapshot.identity === s.snapshot.identity) continue;
      for (const t of o.snapshot.tools) if (t.name.length >= 3) otherTools.set(t.name, o);
    }
    const seen = new Set<string>();
    for (const f of textFields(s.snapshot)) {
      if (f.field === 'name' || seen.has(`${f.kind}:${f.name}`)) continue;
      let reason: string | undefined;
      let at: [number, number] = [0, 0];
      const override = OVERRIDE_OTHERS.exec(f.text);
      if (override) {
        reason = 'claims to override other tools or servers';
        at = [override.index, override.index + override[0].length];
      } else {
        for (const [name, owner] of otherTools) {
          if (s.snapshot.tools.some((t) => t.name === name)) continue;
          const distinctive = /[_\-.]/.test(name) || /[a-z][A-Z]/.test(name) || name.length >= 10;
          const re = distinctive
            ? new RegExp(`(^|[^\\w])${escapeRe(name)}([^\\w]|$)`)
            : new RegExp(
                `\\b(when|whenever|before|after|instead of|rather than|with|using|calls?|the)\\s+(the\\s+)?[\`"']?${escapeRe(name)}[\`"']?\\s+tool\\b`,
                'i',
              );
          const m = re.exec(f.text);
          if (m) {
            reason = `names tool "${makeVisible(name).slice(0, 80)}" of server "${owner.entry.name}"`;
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
    drafts.push(...poisoningRule(s), ...hiddenUnicodeRule(s), ...changedRule(s, changes), ...clientDependentRule(s));
  }
  drafts.push(...shadowingRule(servers));
  return drafts;
}
