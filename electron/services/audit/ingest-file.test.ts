import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rng, toolhiveRecord } from '../../../bench/audit.js';
import type { RejectedRecord } from '../../../shared/model/audit.js';
import { openDatabase, type Database } from '../store/database.js';
import { ingestFile, lineMapper, type FilePosition } from './ingest.js';
import { AuditStore } from './store.js';

/**
 * File import over the batch buffer (a batch kept as its lines' bytes, decoded line by line as it is
 * stored): rejections keep their line numbers and byte offsets, batch boundaries change nothing that
 * is stored, and a batch that fails rolls back alone — the store stops at the last batch boundary
 * with that batch's position committed, and resuming from it stores the rest once.
 */

let dir: string;
const open: Database[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-ingest-file-'));
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

/** A ToolHive log with invalid JSON, refused records, blank lines, CRLF, multi-byte text and duplicates. */
function writeLog(n: number): string {
  const r = rng(5);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const rec = toolhiveRecord(i, n, r);
    if (i % 211 === 19) rec.subjects = { user: 'caf\u00e9 \u{1F600}', client_name: 'ü' };
    lines.push(i % 13 === 4 ? `\t${JSON.stringify(rec)}\r` : JSON.stringify(rec));
    if (i % 97 === 5) lines.push('{"type": "mcp_tool_call", "loggedAt": ');
    if (i % 89 === 9) lines.push(JSON.stringify({ ...rec, outcome: 'maybe' }));
    if (i % 83 === 2) lines.push('   ');
  }
  lines.push(...lines.slice(40, 90));
  const file = join(dir, `log-${n}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The lines a reader must reject, found independently: [line number, byte offset]. */
function expectedRejections(file: string): [number, number][] {
  const bytes = readFileSync(file);
  const out: [number, number][] = [];
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const text = bytes.toString('utf8', start, end).trim();
    if (text) {
      let v: { outcome?: unknown } | null = null;
      try {
        v = JSON.parse(text) as { outcome?: unknown };
      } catch {
        /* invalid JSON */
      }
      if (!v || v.outcome === 'maybe') out.push([line, start]);
    }
    start = end + 1;
  }
  return out;
}

const dump = (db: Database, sql: string) => {
  const st = db.prepare(sql);
  st.setReadBigInts(true);
  return st.all();
};
const storedRows = (db: Database) => [
  dump(db, 'SELECT * FROM audit_events ORDER BY id'),
  ...['audit_minutes', 'audit_hours', 'audit_facet_days'].map((t) => dump(db, `SELECT * FROM ${t} ORDER BY 1, 2, 3`)),
  dump(db, `SELECT rowid FROM audit_fts WHERE audit_fts MATCH '"caf"*' ORDER BY rowid`),
];

describe('file import batches', () => {
  it('rejects by line number and byte offset, and stores the same whatever the batch size', async () => {
    // Over 1 MiB: the batch buffer grows while a whole-file batch is read.
    const file = writeLog(3000);
    const want = expectedRejections(file);
    assert.ok(want.length > 30);
    let first: unknown[] | undefined;
    for (const batchSize of [1, 7, 250, 10_000]) {
      const s = fresh(`batch-${batchSize}`);
      const rejected: RejectedRecord[] = [];
      const commits: FilePosition[] = [];
      const r = await ingestFile({
        store: s.store,
        path: file,
        mapper: lineMapper('toolhive', { source: 'file' }),
        final: true,
        batchSize,
        onReject: (x) => rejected.push(x),
        onCommit: (pos) => commits.push(pos),
      });
      assert.deepEqual(
        rejected.map((x) => [x.line, x.offset]),
        want,
        `batch size ${batchSize}`,
      );
      assert.equal(r.imported, 3000);
      assert.ok(r.duplicates > 30, `duplicates ${r.duplicates}`);
      assert.equal(commits.at(-1)?.offset, readFileSync(file).length);
      const rows = storedRows(s.db);
      assert.ok(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes('café'));
      if (first) assert.deepEqual(rows, first, `batch size ${batchSize}`);
      else first = rows;
    }
  });

  it('a batch that fails rolls back alone: the store stops at the last batch boundary, its position committed', async () => {
    const file = writeLog(2000);
    const s = fresh('abort');
    const commits: FilePosition[] = [];
    const mapper = lineMapper('toolhive', { source: 'file' });
    await assert.rejects(
      ingestFile({
        store: s.store,
        path: file,
        mapper,
        final: true,
        batchSize: 250,
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
    // Resuming from the committed position stores the rest, nothing twice.
    const rest = await ingestFile({ store: s.store, path: file, mapper, final: true, start: pos });
    assert.equal(rest.imported + stored, 2000);
    const whole = fresh('whole');
    await ingestFile({ store: whole.store, path: file, mapper, final: true, batchSize: 250 });
    const count = (db: Database) => dump(db, 'SELECT uid, ts, original FROM audit_events ORDER BY ts, uid');
    assert.deepEqual(count(s.db), count(whole.db));
    for (const t of ['audit_minutes', 'audit_hours', 'audit_facet_days'])
      assert.deepEqual(
        dump(s.db, `SELECT * FROM ${t} ORDER BY 1, 2, 3`),
        dump(whole.db, `SELECT * FROM ${t} ORDER BY 1, 2, 3`),
      );
  });
});
