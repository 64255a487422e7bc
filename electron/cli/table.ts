/** Plain fixed-width table for terminals; cells are truncated, never wrapped. */
export function renderTable(headers: string[], rows: string[][], maxCell = 60): string {
  const clip = (s: string) => (s.length > maxCell ? s.slice(0, maxCell - 1) + '…' : s);
  const cells = [headers, ...rows.map((r) => r.map(clip))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return (
    cells
      .map((r) =>
        r
          .map((c, i) => (c ?? '').padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
