/**
 * Stands in for `@secretlint/core`'s filterDuplicatedMessages in the CLI bundle (bin/cli-bundle.mjs
 * redirects its import): the same messages in the same order, in linear time. The original compares
 * each message with a copy of every later one (quadratic, and a copy per message); the scan lints
 * all files as one text, so its few hundred messages cost ~7 ms and megabytes of garbage per run
 * (issue #13). secretlint-dedup.test.ts checks it against the original on random message lists.
 *
 * A message is dropped when a later one is equal: same range ends, both with a `severity` member,
 * and the same severity and message (===).
 */
interface LintMessageLike {
  range: readonly unknown[];
  severity?: unknown;
  message?: unknown;
}

/** A key that is equal exactly when the messages are (for string fields and non-NaN numbers); else undefined. */
function keyOf(m: LintMessageLike): string | undefined {
  const [a, b] = m.range;
  if (typeof a !== 'number' || typeof b !== 'number' || Number.isNaN(a) || Number.isNaN(b)) return undefined;
  if (typeof m.severity !== 'string' || typeof m.message !== 'string') return undefined;
  return JSON.stringify([a, b, m.severity, m.message]);
}

function isEqualMessage(a: LintMessageLike, b: LintMessageLike): boolean {
  return (
    a.range[0] === b.range[0] &&
    a.range[1] === b.range[1] &&
    'severity' in a &&
    'severity' in b &&
    a.severity === b.severity &&
    a.message === b.message
  );
}

export function filterDuplicatedMessages<T extends LintMessageLike>(messages: T[] = []): T[] {
  const keep = new Array<boolean>(messages.length);
  const later = new Set<string>();
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (!('severity' in m)) {
      keep[i] = true; // equal to nothing
      continue;
    }
    const key = keyOf(m);
    if (key !== undefined) {
      // A message equal to a keyed one has the same primitive fields, so it is keyed too.
      keep[i] = !later.has(key);
      later.add(key);
    } else {
      let dup = false;
      for (let j = i + 1; j < messages.length && !dup; j++) dup = isEqualMessage(m, messages[j]!);
      keep[i] = !dup;
    }
  }
  return messages.filter((_, i) => keep[i]);
}
