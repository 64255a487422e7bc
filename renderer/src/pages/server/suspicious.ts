/**
 * Where a tool description reads as instructions to the model rather than documentation: the
 * same families the live integrity rule (electron/services/live/integrity.ts, `tool.poisoning`)
 * reports, located in the text so the page can highlight them. Bounded regexes, display only —
 * the finding itself comes from the service.
 */
const PATTERNS: { re: RegExp; what: string }[] = [
  {
    re: /<\s{0,3}\/?\s{0,3}(important|system|instructions?|secret|hidden|admin|critical|note_to_assistant|assistant)\b[^>]{0,40}>/gi,
    what: 'instruction tag',
  },
  {
    re: /\b(ignore|disregard|forget)\s{1,20}(all\s{1,20}|any\s{1,20})?(the\s{1,20})?(previous|prior|above|earlier|other)\s{1,20}(instructions?|prompts?|rules|directions)/gi,
    what: '"ignore previous instructions"',
  },
  {
    re: /\b(do\s{1,20}not|don'?t|never)\s{1,20}(tell|inform|mention|reveal|show|notify|alert)\b[^.\n]{0,30}\b(the\s{1,20})?user\b|\bwithout\s{1,20}(telling|informing|notifying|alerting)\s{1,20}the\s{1,20}user\b|\bhide\s{1,20}this\s{1,20}from\s{1,20}the\s{1,20}user\b/gi,
    what: 'keeps something from the user',
  },
  {
    re: /(~\/\.ssh\b|\.ssh\/|\bid_rsa\b|\bid_ed25519\b|\bid_ecdsa\b|\bmcp\.json\b|\bmcp_config\.json\b|\.aws\/credentials|\.npmrc\b|\.netrc\b|\.git-credentials\b|\/etc\/(passwd|shadow)\b|\bprivate[_ ]key\b)/gi,
    what: 'touches credential files',
  },
  {
    re: /\b(pass|send|include|append|upload|post)\s{1,20}(its|their|the|all)\s{1,20}(full\s{1,20})?(contents?|keys?|credentials|tokens?|secrets?)\b/gi,
    what: 'passes contents or credentials along',
  },
];

export interface Hit {
  start: number;
  end: number;
  what: string;
}

/** Non-overlapping suspicious spans of `text`, in order. */
export function suspiciousSpans(text: string): Hit[] {
  if (text.length > 100_000) return [];
  const hits: Hit[] = [];
  for (const p of PATTERNS) {
    p.re.lastIndex = 0;
    for (const m of text.matchAll(p.re)) {
      if (m[0].length === 0) continue;
      hits.push({ start: m.index, end: m.index + m[0].length, what: p.what });
    }
  }
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Hit[] = [];
  for (const h of hits) {
    const last = out[out.length - 1];
    if (last && h.start < last.end) continue;
    out.push(h);
  }
  return out;
}
