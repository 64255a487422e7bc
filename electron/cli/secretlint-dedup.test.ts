import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { rng } from '../../test/support/rng.js';
import { filterDuplicatedMessages } from './secretlint-dedup.js';

type Filter = (m: object[]) => object[];

/** The original, from the installed @secretlint/core (its file, past the package's exports). */
async function original(): Promise<Filter> {
  const core = dirname(createRequire(import.meta.url).resolve('@secretlint/core/package.json'));
  const file = join(core, 'module', 'messages', 'filter-duplicated-process.js');
  return ((await import(pathToFileURL(file).href)) as { filterDuplicatedMessages: Filter }).filterDuplicatedMessages;
}

test('filterDuplicatedMessages keeps exactly the messages, in the order, that secretlint’s does', async () => {
  const theirs = await original();
  const next = rng(29);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const severities = ['error', 'warning', 'info', 1, undefined, null, NaN];
  const texts = ['found a', 'found b', 'x"y', '[1,"a"]', 2, undefined];
  for (let round = 0; round < 400; round++) {
    const n = Math.floor(next() * 40);
    const messages: object[] = [];
    for (let i = 0; i < n; i++) {
      const at = Math.floor(next() * 5);
      const m: Record<string, unknown> = {
        id: i, // identity in the result
        range: [next() < 0.05 ? NaN : at, next() < 0.05 ? String(at + 2) : at + 2],
        message: pick(texts),
      };
      if (next() < 0.9) m.severity = pick(severities);
      // Often a copy of an earlier message (a duplicate), sometimes one field apart.
      messages.push(next() < 0.4 && messages.length ? { ...pick(messages), id: i } : m);
    }
    const got = filterDuplicatedMessages(messages as { range: unknown[] }[]);
    assert.deepEqual(got, theirs(messages), `round ${round}`);
  }
});

test('filterDuplicatedMessages: a duplicate keeps its last occurrence', () => {
  const a = { range: [1, 5], severity: 'error', message: 'm', n: 1 };
  const b = { range: [1, 5], severity: 'error', message: 'm', n: 2 };
  const c = { range: [1, 5], message: 'm', n: 3 };
  assert.deepEqual(filterDuplicatedMessages([a, c, b, c]), [c, b, c]);
});
