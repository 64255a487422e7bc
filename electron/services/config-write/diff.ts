/**
 * A small unified line diff (no dependency): the common head and tail are trimmed first (config
 * edits are local), then an LCS over the remaining lines; hunks carry 3 lines of context. Callers
 * mask the text before it is shown (see writer.ts): this module never sees a secret on purpose.
 */
export function unifiedDiff(before: string, after: string, label: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const ops: Array<{ t: ' ' | '-' | '+'; line: string; ai: number; bi: number }> = [];
  for (let i = 0; i < head; i++) ops.push({ t: ' ', line: a[i]!, ai: i, bi: i });
  for (const op of lcsOps(midA, midB)) ops.push({ ...op, ai: op.ai + head, bi: op.bi + head });
  for (let i = 0; i < tail; i++) {
    const ai = a.length - tail + i;
    const bi = b.length - tail + i;
    ops.push({ t: ' ', line: a[ai]!, ai, bi });
  }
  const out = [`--- a/${label}`, `+++ b/${label}`];
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]!.t === ' ') i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while changes are within 2*context lines of each other.
    for (;;) {
      while (end < ops.length && ops[end]!.t !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.t === ' ') next++;
      if (next < ops.length && next - end <= 2 * context) {
        end = next;
        continue;
      }
      end = Math.min(ops.length, end + context);
      break;
    }
    const hunk = ops.slice(start, end);
    const aStart = hunk.find((o) => o.t !== '+')?.ai ?? hunk[0]!.ai;
    const bStart = hunk.find((o) => o.t !== '-')?.bi ?? hunk[0]!.bi;
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    i = end;
  }
  return out.join('\n') + '\n';
}

function splitLines(s: string): string[] {
  const lines = s.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function lcsOps(a: string[], b: string[]): Array<{ t: ' ' | '-' | '+'; line: string; ai: number; bi: number }> {
  const n = a.length;
  const m = b.length;
  // Past this size an LCS table is too big: show the middle as removed then added (still correct).
  if (n * m > 4_000_000) {
    return [
      ...a.map((line, i) => ({ t: '-' as const, line, ai: i, bi: 0 })),
      ...b.map((line, j) => ({ t: '+' as const, line, ai: n, bi: j })),
    ];
  }
  const dp: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const out: Array<{ t: ' ' | '-' | '+'; line: string; ai: number; bi: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ t: ' ', line: a[i]!, ai: i, bi: j });
      i++;
      j++;
    } else if (i < n && (j >= m || dp[i + 1]![j]! >= dp[i]![j + 1]!)) {
      // Removed before added on ties, as unified diffs read (`-old` then `+new`).
      out.push({ t: '-', line: a[i]!, ai: i, bi: j });
      i++;
    } else {
      out.push({ t: '+', line: b[j]!, ai: i, bi: j });
      j++;
    }
  }
  return out;
}
