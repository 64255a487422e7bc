import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rng } from '../../../bench/audit.js';
import { canonicalIsoMillis, isoTime } from './sources/common.js';

/**
 * The canonical-ISO fast path of isoTime and sealRecord answers exactly what the general parse and
 * format did, for any string: valid times, days past a month's end, 24:00, leap days, other shapes.
 */

/** isoTime before the fast path, for comparison. */
function isoTimeReference(v: unknown): string {
  let ms: number | null = null;
  if (typeof v === 'string' && /^\d{16,19}$/.test(v)) ms = Number(BigInt(v) / 1_000_000n);
  else if (typeof v === 'string') ms = Date.parse(v);
  else if (typeof v === 'number') ms = v < 1e11 ? v * 1000 : v > 1e15 ? v / 1e6 : v;
  if (ms === null || !Number.isFinite(ms)) throw new Error('not a time');
  return new Date(ms).toISOString();
}
const outcome = (f: () => string) => {
  try {
    return f();
  } catch {
    return 'throws';
  }
};

test('canonical ISO times: the fast path matches Date.parse and the old isoTime on random and edge strings', () => {
  const r = rng(2026);
  const d = (n: number, max: number) => String(Math.floor(r() * max)).padStart(n, '0');
  const cases: string[] = [
    '2026-02-29T00:00:00.000Z',
    '2024-02-29T23:59:59.999Z',
    '2100-02-29T00:00:00.000Z',
    '2000-02-29T00:00:00.000Z',
    '2026-04-31T00:00:00.000Z',
    '2026-12-31T24:00:00.000Z',
    '2026-00-10T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '2026-10-01T00:00:60.000Z',
    '2026-10-01T00:00:00.000+',
    '2026-10-01 00:00:00.000Z',
    '2026-10-01T00:00:00.00Z',
    '2026-1a-01T00:00:00.000Z',
    '+02026-10-01T00:00:00.00',
    '２０２６-10-01T00:00:00.000Z'.slice(0, 24),
  ];
  for (let i = 0; i < 20_000; i++) {
    // Fields mostly valid, often out of range, sometimes a wrong character anywhere.
    let s = `${d(4, i % 3 ? 400 : 10_000).replace(/^0/, i % 2 ? '2' : '1')}-${d(2, 14)}-${d(2, 33)}T${d(2, 26)}:${d(2, 61)}:${d(2, 61)}.${d(3, 1000)}Z`;
    if (i % 7 === 0) {
      const at = Math.floor(r() * s.length);
      s = s.slice(0, at) + String.fromCharCode(32 + Math.floor(r() * 96)) + s.slice(at + 1);
    }
    cases.push(s);
  }
  let fast = 0;
  for (const s of cases) {
    const ms = canonicalIsoMillis(s);
    if (!Number.isNaN(ms)) {
      fast++;
      assert.equal(ms, Date.parse(s), s);
      assert.equal(new Date(ms).toISOString(), s, s);
    }
    assert.equal(
      outcome(() => isoTime(s)),
      outcome(() => isoTimeReference(s)),
      s,
    );
  }
  assert.ok(fast > 5_000 && fast < cases.length - 5_000, `both paths exercised (${fast} fast)`);
});
