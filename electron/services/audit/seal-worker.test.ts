import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rng, toolhiveRecord } from '../../../bench/audit.js';
import type { RejectedRecord } from '../../../shared/model/audit.js';
import { openDatabase, type Database } from '../store/database.js';
import { ingestFile, lineMapper, type FilePosition, type IngestCounts } from './ingest.js';
import type { LineMapperSpec } from './line-mapper.js';
import { SealerClosedError, SealWorker } from './seal-worker.js';
import { packRow, sealLines, splitLines, unpackRows } from './sealed-batch.js';
import { AuditStore, type SealedRow } from './store.js';

/**
 * The seal worker (issue #13 item 4): a file import whose batches are sealed on a worker thread and
 * handed over packed stores exactly what the inline import stores — rows (masked), rollups,
 * full-text rows, rejections with their line numbers and reasons, and each batch's position
 * committed with it — and stops at a batch boundary when a batch fails.
 */

const SECRET = 'sk-live-9f8e7d6c5b4a39281706ABCDEFfedcba';
const GH = 'ghp_0123456789abcdefghijABCDEFGHIJ0123456789';

let dir: string;
const open: Database[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-seal-worker-'));
});
after(() => {
  for (const db of open) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function fresh(name: string): { db: Database; store: AuditStore } {
  const db = openDatabase(join(dir, name, 'gatehouse.db'));
  open.push(db);
  return { db, store: new AuditStore(db) };
}

/** A ToolHive log with canaries, duplicates, invalid JSON, refused records, blank and odd lines. */
function writeLog(n: number): string {
  const r = rng(5);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const rec = toolhiveRecord(i, n, r);
    if (i % 101 === 7) rec.reason = `upstream refused Bearer ${SECRET}`;
    if (i % 173 === 3)
      rec.headers = { authorization: `Bearer ${SECRET}`, 'x-note': `https://ci:${GH}@git.example.com` };
    if (i % 257 === 11) rec.component = 'srv\u0000with\u0001control\u0002chars';
    if (i % 263 === 13) rec.reason = '\u0001starts with a control char';
    lines.push(JSON.stringify(rec));
    if (i % 97 === 5) lines.push('{"type": "mcp_tool_call", "loggedAt": ');
    if (i % 89 === 9) lines.push(JSON.stringify({ ...rec, outcome: 'maybe' }));
    if (i % 83 === 2) lines.push('   ');
    if (i % 199 === 17) lines.push(JSON.stringify({ ...rec, loggedAt: 'not a time' }));
    if (i % 211 === 19) lines.push(`\t${JSON.stringify({ ...rec, subjects: { user: 'caf\u00e9 \u{1F600}' } })}\r`);
  }
  // Duplicates of earlier lines (stored once).
  lines.push(...lines.slice(40, 90));
  const file = join(dir, `log-${n}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

interface Run {
  result: IngestCounts & FilePosition;
  rejected: RejectedRecord[];
  commits: [FilePosition, IngestCounts][];
}

async function run(store: AuditStore, file: string, sealWorker: boolean, extra: { sealWorkerUrl?: URL } = {}) {
  const out: Run = {
    result: { imported: 0, duplicates: 0, rejected: 0, offset: 0, line: 0 },
    rejected: [],
    commits: [],
  };
  out.result = await ingestFile({
    store,
    path: file,
    mapper: lineMapper('toolhive', { source: 'file' }),
    final: true,
    batchSize: 250,
    sealWorker,
    ...extra,
    onReject: (r) => out.rejected.push(r),
    onCommit: (pos, c) => out.commits.push([pos, c]),
  });
  return out;
}

const dump = (db: Database, sql: string) => {
  const st = db.prepare(sql);
  st.setReadBigInts(true);
  return st.all();
};
const ftsIds = (db: Database, q: string) =>
  (
    db.prepare('SELECT rowid AS id FROM audit_fts WHERE audit_fts MATCH ? ORDER BY rowid').all(q) as { id: number }[]
  ).map((r) => r.id);

function assertSameStore(a: Database, b: Database): void {
  const rows = 'SELECT * FROM audit_events ORDER BY id';
  assert.deepEqual(dump(b, rows), dump(a, rows));
  for (const t of ['audit_minutes', 'audit_hours', 'audit_facet_days'])
    assert.deepEqual(dump(b, `SELECT * FROM ${t} ORDER BY 1, 2, 3`), dump(a, `SELECT * FROM ${t} ORDER BY 1, 2, 3`));
  for (const q of ['"timeout"', '"team"*', '"upstream" AND "refused"', '"git"', '"sess"*', '"srv"', '"caf"*'])
    assert.deepEqual(ftsIds(b, q), ftsIds(a, q), q);
}

describe('seal worker', () => {
  it('imports a file exactly as the inline path does: rows, rollups, search, rejections, positions', async () => {
    const file = writeLog(3000);
    const a = fresh('inline');
    const b = fresh('worker');
    const ra = await run(a.store, file, false);
    const rb = await run(b.store, file, true);
    assert.ok(
      ra.result.imported === 3000 && ra.result.duplicates >= 50 && ra.result.rejected > 60,
      JSON.stringify(ra.result),
    );
    assert.deepEqual(rb.result, ra.result);
    assert.deepEqual(rb.commits, ra.commits);
    assert.ok(rb.commits.length >= 12, 'many batches, each committed with its position');
    // Same rejections (line numbers, offsets, reasons) in line order.
    const key = (r: RejectedRecord) => `${r.line}:${r.offset}:${r.reason}`;
    assert.deepEqual(rb.rejected.map(key), ra.rejected.map(key));
    assert.deepEqual(
      rb.rejected.map((r) => r.line),
      [...rb.rejected.map((r) => r.line)].sort((x, y) => (x ?? 0) - (y ?? 0)),
    );
    assertSameStore(a.db, b.db);
    // Secrets never stored unmasked, by either path.
    const all = JSON.stringify(dump(b.db, 'SELECT * FROM audit_events'), (_k, v: unknown) =>
      typeof v === 'bigint' ? String(v) : v,
    );
    assert.ok(all.includes('upstream refused'));
    assert.ok(!all.includes(SECRET.slice(8, 30)) && !all.includes(GH.slice(4, 30)));
    assert.ok(all.includes('srv\\u0000with\\u0001control\\u0002chars'), 'control characters survive the hand-over');
  });

  it('a batch that fails rolls back alone: the store stops at the last batch boundary, its position committed', async () => {
    const file = writeLog(2000);
    for (const sealWorker of [false, true]) {
      const s = fresh(`abort-${sealWorker}`);
      const commits: FilePosition[] = [];
      await assert.rejects(
        ingestFile({
          store: s.store,
          path: file,
          mapper: lineMapper('toolhive', { source: 'file' }),
          final: true,
          batchSize: 250,
          sealWorker,
          onCommit: (pos) => {
            if (commits.length === 3) throw new Error('disk full');
            commits.push(pos);
            s.db
              .prepare(
                "INSERT INTO audit_settings (key, value_json) VALUES ('testPos', ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
              )
              .run(JSON.stringify(pos));
          },
        }),
        /disk full/,
      );
      const stored = (s.db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;
      const rollup = (s.db.prepare('SELECT SUM(n) AS n FROM audit_minutes').get() as { n: number }).n;
      const pos = JSON.parse(
        (s.db.prepare("SELECT value_json FROM audit_settings WHERE key = 'testPos'").get() as { value_json: string })
          .value_json,
      ) as FilePosition;
      assert.equal(commits.length, 3);
      assert.deepEqual(pos, commits[2], 'the position of the last committed batch');
      assert.ok(stored > 600 && stored <= 750, `three batches stored (${stored})`);
      assert.equal(rollup, stored, 'rollups count exactly the stored events');
      // Resuming from the committed position imports the rest, nothing twice.
      const rest = await ingestFile({
        store: s.store,
        path: file,
        mapper: lineMapper('toolhive', { source: 'file' }),
        final: true,
        start: pos,
        sealWorker,
      });
      const whole = fresh(`whole-${sealWorker}`);
      await run(whole.store, file, false);
      assert.equal(rest.imported + stored, 2000);
      assertSameStore(whole.db, s.db);
    }
  });

  it('the worker itself seals a batch as this thread does (the import does not fall back silently)', async () => {
    const file = writeLog(400);
    const bytes = readFileSync(file).subarray(0, -1);
    const mapper = lineMapper('toolhive', { source: 'file' });
    const w = new SealWorker(mapper.spec as LineMapperSpec);
    try {
      const batch = await w.seal(bytes);
      assert.ok(batch.packed.length > 100_000);
      assert.deepEqual(batch, sealLines(splitLines(bytes), mapper));
    } finally {
      await w.close();
    }
    await assert.rejects(w.seal(bytes), SealerClosedError);
  });

  it('seals on this thread when the worker cannot run', async () => {
    const file = writeLog(1200);
    const a = fresh('fallback-inline');
    const b = fresh('fallback-broken');
    const ra = await run(a.store, file, false);
    const broken = new URL(`data:text/javascript,${encodeURIComponent('throw new Error("no worker here")')}`);
    const rb = await run(b.store, file, true, { sealWorkerUrl: broken });
    assert.deepEqual(rb.result, ra.result);
    assert.deepEqual(
      rb.rejected.map((r) => r.line),
      ra.rejected.map((r) => r.line),
    );
    assertSameStore(a.db, b.db);
  });
});

describe('sealed batch packing', () => {
  const r = rng(99);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const specials = [
    '',
    '\u0000',
    '\u0001',
    '\u0002',
    '\u0001x',
    '\u0002x',
    'a\u0000b',
    '\u0000\u0000',
    '"',
    '\\',
    '\u{1F600}',
    '\ud800',
    'é',
  ];
  const str = (): string | null => {
    const x = r();
    if (x < 0.15) return null;
    if (x < 0.4) return pick(specials) + pick(specials);
    let s = '';
    const len = Math.floor(r() * 40);
    for (let i = 0; i < len; i++) s += String.fromCharCode(Math.floor(r() * (r() < 0.8 ? 128 : 0x10000)));
    return s;
  };
  const num = (): number | null =>
    pick([null, 0, -0, 1.5, -3, 1e300, Number.NaN, Infinity, -Infinity, 5e-324, r() * 1e6]);

  it('round-trips any row exactly (strings with separators and control characters, numbers, 63-bit uids)', () => {
    const rows: SealedRow[] = [];
    for (let i = 0; i < 3000; i++) {
      const row: SealedRow = [
        BigInt.asUintN(63, BigInt(Math.floor(r() * 2 ** 53)) * 1024n + BigInt(i)),
        Math.floor(r() * 2e12) - 1e12,
      ];
      for (let k = 2; k < 21; k++) row.push(k === 17 ? num() : str());
      rows.push(row);
    }
    const edge = (uid: bigint, ts: number, v: string | null): SealedRow => [
      uid,
      ts,
      ...Array.from({ length: 19 }, (_, k) => (k === 15 ? 7.25 : v)),
    ];
    rows.push(edge(0n, 0, null), edge(2n ** 63n - 1n, -1, ''));
    const packed = rows.map(packRow).join('');
    const back = [...unpackRows(packed)];
    assert.equal(back.length, rows.length);
    for (const [i, row] of rows.entries()) {
      const got = back[i] as SealedRow;
      row.forEach((v, k) => assert.ok(Object.is(got[k], v), `row ${i} column ${k}: ${String(got[k])} ≠ ${String(v)}`));
    }
  });

  it('refuses a truncated batch instead of inventing a row', () => {
    const packed = packRow([1n, 2, ...new Array<string>(19).fill('x')]);
    assert.throws(() => [...unpackRows(packed.slice(0, -3))], /ends inside a row/);
  });

  it('splits lines as the file reader decodes them (invalid UTF-8, cut characters, whitespace)', () => {
    const pieces = [
      Buffer.from('{"a":1}'),
      Buffer.from('  caf\u00e9 \r'),
      Buffer.from([0xf0, 0x9f, 0x98]),
      Buffer.from([0xc3]),
      Buffer.from([0xff, 0x61, 0xe2, 0x82]),
      Buffer.alloc(0),
      Buffer.from('\t\u{1F600}\t'),
    ];
    for (let i = 0; i < 200; i++) {
      const lines = Array.from({ length: 1 + Math.floor(r() * 6) }, () => pick(pieces));
      const joined = Buffer.concat(lines.flatMap((l, j) => (j ? [Buffer.from([0x0a]), l] : [l])));
      assert.deepEqual(
        splitLines(joined),
        lines.map((l) => l.toString('utf8').trim()),
      );
    }
  });

  it('sealLines rejects by line index and reason, never by content', () => {
    const b = sealLines(
      ['', '{"type":"x"', JSON.stringify({ type: 'mcp_ping', loggedAt: 'never', outcome: 'success' }), 'null'],
      lineMapper('toolhive'),
    );
    assert.equal(b.packed, '');
    assert.deepEqual(
      b.rejects.map((x) => x.index),
      [1, 2, 3],
    );
    for (const x of b.rejects) assert.ok(!x.reason.includes('never') && !x.reason.includes('"type"'), x.reason);
  });
});
