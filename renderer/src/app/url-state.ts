/**
 * Page state in the URL: the query part of the hash (`#/findings?status=all&severity=high`), so a
 * filter survives a reload and can be shared as a link. Written with history.replaceState (no
 * history entry per keystroke, no hashchange: the page keeps its own React state).
 */
export function readHashQuery(): URLSearchParams {
  const hash = window.location.hash;
  const q = hash.indexOf('?');
  return new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
}

/** Replaces the hash's query with `values` (empty or default values are left out). */
export function writeHashQuery(values: Record<string, string | undefined>): void {
  const hash = window.location.hash;
  const q = hash.indexOf('?');
  const path = q >= 0 ? hash.slice(0, q) : hash;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
  const query = params.toString();
  const next = query ? `${path}?${query}` : path;
  if (next !== hash) window.history.replaceState(window.history.state, '', next || '#');
}
