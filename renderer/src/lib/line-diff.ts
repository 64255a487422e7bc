/**
 * A unified diff of two texts (old → new) by longest common subsequence over lines, in the format
 * DiffView reads (`@@ -a,n +b,m @@` hunks with `context` lines around each change). Common head and
 * tail lines are trimmed first, so the quadratic table only covers the changed middle; beyond
 * `maxCells` the middle is shown as one replacement instead (never a frozen page).
 */
export function unifiedDiff(oldText: string, newText: string, context = 3, maxCells = 4_000_000): string {
  if (oldText === newText) return '';
  const a = oldText.split('\n');
  const b = newText.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);

  type Op = { kind: ' ' | '-' | '+'; text: string };
  const ops: Op[] = a.slice(0, head).map((text) => ({ kind: ' ', text }));
  if ((am.length + 1) * (bm.length + 1) > maxCells) {
    for (const text of am) ops.push({ kind: '-', text });
    for (const text of bm) ops.push({ kind: '+', text });
  } else {
    const w = bm.length + 1;
    const lcs = new Uint32Array((am.length + 1) * w);
    for (let i = am.length - 1; i >= 0; i--)
      for (let j = bm.length - 1; j >= 0; j--)
        lcs[i * w + j] =
          am[i] === bm[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < am.length || j < bm.length) {
      if (i < am.length && j < bm.length && am[i] === bm[j]) {
        ops.push({ kind: ' ', text: am[i]! });
        i++;
        j++;
      } else if (i < am.length && (j === bm.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
        // Removals before additions within a change, as `diff -u` shows them.
        ops.push({ kind: '-', text: am[i]! });
        i++;
      } else {
        ops.push({ kind: '+', text: bm[j]! });
        j++;
      }
    }
  }
  for (const text of a.slice(a.length - tail)) ops.push({ kind: ' ', text });

  // Group the changes into hunks with `context` unchanged lines around each.
  const out: string[] = ['--- latest', '+++ draft'];
  let k = 0;
  let oldNo = 1;
  let newNo = 1;
  const advance = (op: Op) => {
    if (op.kind !== '+') oldNo++;
    if (op.kind !== '-') newNo++;
  };
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      advance(ops[k]!);
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    // Step back: the context lines before the change were already counted.
    for (let x = start; x < k; x++) {
      oldNo--;
      newNo--;
    }
    let end = k;
    let quiet = 0;
    while (end < ops.length && quiet <= 2 * context) {
      quiet = ops[end]!.kind === ' ' ? quiet + 1 : 0;
      end++;
    }
    end = Math.min(ops.length, end - Math.max(0, quiet - context));
    const hunk = ops.slice(start, end);
    const oldLen = hunk.filter((o) => o.kind !== '+').length;
    const newLen = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${oldNo},${oldLen} +${newNo},${newLen} @@`);
    for (const op of hunk) {
      out.push(op.kind + op.text);
      advance(op);
    }
    k = end;
  }
  return out.join('\n');
}
