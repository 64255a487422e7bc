import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RejectedRecord } from '../../../shared/model/audit.js';
import { openDatabase } from '../store/database.js';
import { ingestFile, lineMapper, MAX_LINE_BYTES } from './ingest.js';
import { AuditStore } from './store.js';

/**
 * Issue #12 item 3: a line with no end (or one far longer than any record) is streamed past and
 * rejected by line number, never accumulated into one huge string, and the lines around it import.
 */

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-long-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const record = (i: number) =>
  JSON.stringify({
    type: 'mcp_tool_call',
    loggedAt: new Date(Date.UTC(2026, 10, 3) + i * 1000).toISOString(),
    outcome: 'success',
    subjects: { user: 'alice@example.com' },
    component: 'github',
    target: { method: 'tools/call', type: 'tool', name: 'send_email' },
    metadata: { auditId: `long-${i}` },
  });

/** Writes `bytes` of filler without a newline in 1 MiB pieces (the file is never built in memory). */
function writeFiller(fd: number, bytes: number): void {
  const piece = Buffer.alloc(1 << 20, 0x61);
  for (let left = bytes; left > 0; left -= piece.length) writeSync(fd, piece, 0, Math.min(piece.length, left));
}

async function ingest(file: string, name: string) {
  const store = new AuditStore(openDatabase(join(dir, `${name}.db`)));
  const rejected: RejectedRecord[] = [];
  try {
    const r = await ingestFile({
      store,
      path: file,
      mapper: lineMapper('toolhive'),
      final: true,
      onReject: (x) => rejected.push(x),
    });
    const stored = (store.db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;
    return { r, rejected, stored };
  } finally {
    store.db.close();
  }
}

test('an over-long line between records is rejected by its line number; its neighbours import', async () => {
  const file = join(dir, 'middle.jsonl');
  const fd = openSync(file, 'w');
  writeSync(fd, `${record(1)}\n`);
  writeFiller(fd, MAX_LINE_BYTES + (3 << 20));
  writeSync(fd, `\n${record(2)}\n${record(3)}\n`);
  closeSync(fd);
  const { r, rejected, stored } = await ingest(file, 'middle');
  assert.equal(stored, 3);
  assert.equal(r.imported, 3);
  assert.equal(r.rejected, 1);
  assert.deepEqual(
    rejected.map((x) => [x.line, x.reason]),
    [[2, `line longer than ${MAX_LINE_BYTES >> 20} MiB; skipped`]],
  );
  assert.equal(r.line, 4, 'the cursor counts every line');
});

test('a file with no newline at all ends with one rejection, not an out-of-memory string', async () => {
  const file = join(dir, 'nonl.jsonl');
  const fd = openSync(file, 'w');
  writeFiller(fd, MAX_LINE_BYTES * 2 + 12345);
  closeSync(fd);
  const before = process.memoryUsage().rss;
  const { r, stored } = await ingest(file, 'nonl');
  assert.equal(stored, 0);
  assert.equal(r.rejected, 1);
  assert.equal(r.offset, MAX_LINE_BYTES * 2 + 12345, 'the cursor moved past the whole line');
  // Streaming keeps at most about one line's worth in memory, not the file.
  assert.ok(process.memoryUsage().rss - before < MAX_LINE_BYTES * 2, 'memory stayed bounded');
});
