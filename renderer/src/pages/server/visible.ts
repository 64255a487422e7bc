import stripAnsi from 'strip-ansi';

/**
 * Untrusted server text made safe to look at: ANSI escapes stripped, invisible characters turned
 * into visible marks, Unicode tag characters decoded. Rendered only as React text, never HTML.
 */
export type Segment =
  { kind: 'text'; value: string } | { kind: 'mark'; value: string } | { kind: 'hidden'; value: string };

const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
  /([\u{E0000}-\u{E007F}]+)|([\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]|\u200B|\u200C|\u200D|\u2060|\uFEFF|\u180E|[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F])/gu;

function decodeTags(run: string): string {
  let out = '';
  for (const ch of run) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xe0020 && cp <= 0xe007e) out += String.fromCharCode(cp - 0xe0000);
  }
  return out;
}

export function visibleSegments(text: string): Segment[] {
  const clean = stripAnsi(text);
  const out: Segment[] = [];
  let last = 0;
  for (const m of clean.matchAll(INVISIBLE)) {
    if (m.index > last) out.push({ kind: 'text', value: clean.slice(last, m.index) });
    if (m[1]) out.push({ kind: 'hidden', value: decodeTags(m[1]) });
    else out.push({ kind: 'mark', value: `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` });
    last = m.index + m[0].length;
  }
  if (last < clean.length) out.push({ kind: 'text', value: clean.slice(last) });
  return out;
}

/** A one-line plain version (for titles and diffs). */
export function visiblePlain(text: string): string {
  return visibleSegments(text)
    .map((s) => (s.kind === 'text' ? s.value : s.kind === 'mark' ? `⟨${s.value}⟩` : `⟨hidden: ${s.value}⟩`))
    .join('');
}

/** Lines of a value as pretty JSON, with every string made visible. */
export function prettyLines(value: unknown): string[] {
  if (value === undefined) return [];
  const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? visiblePlain(v) : v), 2) ?? '';
  return json.split('\n');
}

/** Side-by-side line pairs of two texts (LCS), marking removed/added lines. */
export type DiffRow = { left?: string; right?: string; change: 'same' | 'removed' | 'added' | 'changed' };

export function diffLines(a: string[], b: string[]): DiffRow[] {
  const n = a.length;
  const m = b.length;
  if (n * m > 4_000_000) {
    // Too big for LCS: show as replaced.
    return Array.from({ length: Math.max(n, m) }, (_, i) => ({
      left: a[i],
      right: b[i],
      change: a[i] === b[i] ? 'same' : 'changed',
    }));
  }
  const dp: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
    }
  }
  const rows: DiffRow[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      rows.push({ left: a[i], right: b[j], change: 'same' });
      i++;
      j++;
    } else if (i < n && (j === m || dp[i + 1]![j]! >= dp[i]![j + 1]!)) {
      rows.push({ left: a[i], change: 'removed' });
      i++;
    } else {
      rows.push({ right: b[j], change: 'added' });
      j++;
    }
  }
  // Pair a run of removed lines with the run of added lines after it, so the sides line up.
  const out: DiffRow[] = [];
  let k = 0;
  while (k < rows.length) {
    if (rows[k]!.change !== 'removed') {
      out.push(rows[k++]!);
      continue;
    }
    const removed: DiffRow[] = [];
    while (k < rows.length && rows[k]!.change === 'removed') removed.push(rows[k++]!);
    const added: DiffRow[] = [];
    while (k < rows.length && rows[k]!.change === 'added') added.push(rows[k++]!);
    for (let x = 0; x < Math.max(removed.length, added.length); x++) {
      const l = removed[x];
      const r = added[x];
      out.push(l && r ? { left: l.left, right: r.right, change: 'changed' } : l ? l : r!);
    }
  }
  return out;
}
