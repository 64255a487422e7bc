import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAdminLog } from '../../services/audit/admin-log-anchor.js';
import { appendAdminAction } from '../../services/audit/admin-log.js';
import { contextFrom } from '../context.js';
import { otlpPayload, toolhiveLine } from '../../services/audit/test-helpers.js';
import { openDatabase } from '../../services/store/database.js';

/** `gatehouse audit …` as a subprocess against temp stores: the exact interface scripts use. */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'gatehouse.mjs');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'audit');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function gatehouse(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.GATEHOUSE_STATE;
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function query(state: string, ...args: string[]): Promise<{ total: number; events: Record<string, unknown>[] }> {
  const r = await gatehouse(['audit', 'query', '--state', state, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { total: number; events: Record<string, unknown>[] };
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gatehouse audit import + query', () => {
  let state: string;
  let otlpFile: string;
  before(async () => {
    state = join(dir, 'state-main');
    otlpFile = join(dir, 'otel.jsonl');
    // Two requests, one per line, as the Collector's file exporter writes them.
    const one = await otlpPayload([
      {
        time: '2026-11-22T10:00:00.000Z',
        method: 'tools/call',
        tool: 'weather',
        user: 'alice@example.com',
        client: 'claude-code',
        tenant: 'team-a',
        outcome: 'success',
      },
      {
        time: '2026-11-22T10:00:30.000Z',
        method: 'tools/call',
        tool: 'delete_repo',
        user: 'alice@example.com',
        client: 'claude-code',
        tenant: 'team-a',
        outcome: 'denied',
      },
    ]);
    const two = await otlpPayload([
      {
        time: '2026-11-22T11:00:00.000Z',
        method: 'tools/call',
        tool: 'weather',
        user: 'zoe@example.com',
        client: 'cursor',
        tenant: 'team-b',
        outcome: 'error',
        errorType: 'timeout',
      },
    ]);
    await writeFile(otlpFile, `${one}\n${two}\n`);
  });

  test('imports ToolHive and OTLP files with exact counts; re-import reports only duplicates', async () => {
    let r = await gatehouse([
      'audit',
      'import',
      join(FIXTURES, 'toolhive-audit.jsonl'),
      '--format',
      'toolhive',
      '--state',
      state,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { imported: 8, duplicates: 0, rejected: 0 });
    r = await gatehouse(['audit', 'import', otlpFile, '--format', 'otlp-json', '--state', state]);
    assert.deepEqual(JSON.parse(r.stdout), { imported: 3, duplicates: 0, rejected: 0 });
    r = await gatehouse([
      'audit',
      'import',
      join(FIXTURES, 'toolhive-audit.jsonl'),
      '--format',
      'toolhive',
      '--state',
      state,
    ]);
    assert.deepEqual(JSON.parse(r.stdout), { imported: 0, duplicates: 8, rejected: 0 });
    r = await gatehouse(['audit', 'import', otlpFile, '--format', 'otlp-json', '--state', state]);
    assert.deepEqual(JSON.parse(r.stdout), { imported: 0, duplicates: 3, rejected: 0 });
  });

  test('query counts by subject, tool, outcome and time are exact', async () => {
    assert.equal((await query(state)).total, 11);
    // alice: 4 ToolHive events + 2 OTLP.
    assert.equal((await query(state, '--subject', 'alice@example.com')).total, 6);
    // --subject matches the client too.
    assert.equal((await query(state, '--subject', 'cursor')).total, 3);
    assert.equal((await query(state, '--tool', 'weather')).total, 3);
    assert.equal((await query(state, '--outcome', 'denied')).total, 3);
    assert.equal((await query(state, '--outcome', 'error')).total, 3);
    assert.equal((await query(state, '--subject', 'alice@example.com', '--outcome', 'denied')).total, 2);
    assert.equal((await query(state, '--tenant', 'team-a')).total, 2);
    assert.equal((await query(state, '--server', 'github')).total, 4);
    // since inclusive, until exclusive.
    assert.equal(
      (await query(state, '--since', '2026-11-20T09:01:10.000Z', '--until', '2026-11-20T09:04:00.000Z')).total,
      3,
    );
    assert.equal(
      (await query(state, '--since', '2026-11-20T09:01:10.001Z', '--until', '2026-11-20T09:04:00.001Z')).total,
      3,
    );
    assert.equal((await query(state, '--since', '2026-11-22T00:00:00Z')).total, 3);
    assert.equal((await query(state, '--text', 'shadow')).total, 1);
    const limited = await query(state, '--limit', '2');
    assert.equal(limited.total, 11);
    assert.equal(limited.events.length, 2);
    assert.equal(limited.events[0]?.time, '2026-11-22T11:00:00.000Z');
    const zoe = (await query(state, '--subject', 'zoe@example.com')).events[0];
    assert.equal(zoe?.['error.type'], 'timeout');
    assert.equal(zoe?.['gen_ai.tool.name'], 'weather');
  });

  test('csv and jsonl formats; credentials in originals are masked', async () => {
    const csv = await gatehouse(['audit', 'query', '--state', state, '--tool', 'weather', '--format', 'csv']);
    const lines = csv.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? '', /^time,source,tenant,user\.id,client/);
    const jl = await gatehouse(['audit', 'query', '--state', state, '--format', 'jsonl', '--limit', '1000']);
    assert.equal(jl.stdout.trim().split('\n').length, 11);
    assert.ok(!jl.stdout.includes('ghp_abcdefghijklmnopqrstuvwxyz0123456789'));
    assert.ok(!jl.stdout.includes('c2lnbmF0dXJlLXZhbHVl'));
  });

  test('malformed lines are listed on stderr as file:line: reason and counted', async () => {
    const s = join(dir, 'state-bad');
    const file = join(FIXTURES, 'toolhive-malformed.jsonl');
    const r = await gatehouse(['audit', 'import', file, '--format', 'toolhive', '--state', s]);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), { imported: 2, duplicates: 0, rejected: 5 });
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(': ')[0]),
      [2, 3, 5, 6, 8].map((n) => `${file}:${n}`),
    );
    // Reasons say what is wrong without quoting the record (it may hold a credential).
    assert.match(lines[0] ?? '', /: invalid JSON$/);
    assert.match(lines[4] ?? '', /: invalid JSON at column 78$/);
    assert.match(lines[2] ?? '', /: unknown outcome \(a 5-character string\)/);
    assert.ok(!r.stderr.includes('maybe') && !r.stderr.includes('this is not json'), r.stderr);
  });

  test('generic JSON lines with a mapping file', async () => {
    const s = join(dir, 'state-jsonl');
    const mapping = join(dir, 'mapping.json');
    const data = join(dir, 'generic.jsonl');
    await writeFile(
      mapping,
      JSON.stringify({
        time: 'ts',
        sourceRecordId: 'id',
        user: 'who',
        tool: 'what.tool',
        outcome: 'result',
        outcomeValues: { OK: 'success', NO: 'denied' },
      }),
    );
    await writeFile(
      data,
      [
        { id: 1, ts: '2026-11-01T00:00:00Z', who: 'amy', what: { tool: 'x' }, result: 'OK' },
        { id: 2, ts: '2026-11-01T00:00:01Z', who: 'amy', what: { tool: 'y' }, result: 'NO' },
        { id: 3, ts: 'not a time', who: 'amy' },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    );
    const r = await gatehouse(['audit', 'import', data, '--format', 'jsonl', '--mapping', mapping, '--state', s]);
    assert.deepEqual(JSON.parse(r.stdout), { imported: 2, duplicates: 0, rejected: 1 });
    assert.match(r.stderr, /generic\.jsonl:3: ts missing or not a date\/time/);
    assert.equal((await query(s, '--subject', 'amy', '--outcome', 'denied')).total, 1);
    const bad = await gatehouse(['audit', 'import', data, '--format', 'jsonl', '--state', s]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--mapping/);
  });

  test('usage errors exit 2', async () => {
    assert.equal((await gatehouse(['audit', 'import', 'x.jsonl', '--state', join(dir, 'u')])).code, 2);
    assert.equal((await gatehouse(['audit', 'query', '--outcome', 'maybe', '--state', join(dir, 'u')])).code, 2);
    assert.equal((await gatehouse(['audit', 'query', '--since', 'yesterday', '--state', join(dir, 'u')])).code, 2);
    assert.equal((await gatehouse(['audit', 'nope'])).code, 2);
    const missing = await gatehouse([
      'audit',
      'import',
      join(dir, 'missing.jsonl'),
      '--format',
      'toolhive',
      '--state',
      join(dir, 'u'),
    ]);
    assert.equal(missing.code, 2);
  });
});

describe('gatehouse audit verify', () => {
  test('exit 0 when intact; 1 naming the first broken link when tampered; Gatehouse actions in the timeline', async () => {
    const state = join(dir, 'state-chain');
    const db = openDatabase(join(state, 'gatehouse.db'));
    let t = Date.UTC(2026, 10, 28, 9);
    const clock = { now: () => new Date((t += 1000)) };
    for (const [i, action] of [
      'consent.grant',
      'finding.suppress',
      'pin.accept',
      'gateway.add',
      'consent.revoke',
    ].entries()) {
      appendAdminAction(db, clock, { action, target: `t${i}`, actor: 'admin' });
    }
    db.close();
    let r = await gatehouse(['audit', 'verify', '--state', state]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /intact: 5 entries/);
    const q = await query(state, '--subject', 'gatehouse');
    assert.equal(q.total, 5);
    assert.equal(q.events[0]?.source, 'gatehouse');

    const db2 = openDatabase(join(state, 'gatehouse.db'));
    db2.prepare("UPDATE admin_log SET target = 'something-else' WHERE seq = 3").run();
    db2.close();
    r = await gatehouse(['audit', 'verify', '--state', state]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /BROKEN at entry 3: content does not match its hash/);
  });
});

describe('gatehouse audit verify, keyed log', () => {
  test('says what it found: keyed/legacy counts and the anchor; a truncated tail exits 1', async () => {
    const state = join(dir, 'state-keyed');
    // The same context the CLI commands use: the state folder's own secret store holds the key and anchor.
    const ctx = contextFrom({ state });
    for (let i = 0; i < 5; i++) appendAdminAction(ctx.db, ctx.clock, { action: 'gateway.add', target: `g${i}` });
    await flushAdminLog(ctx.db);
    ctx.db.close();
    let r = await gatehouse(['audit', 'verify', '--state', state]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /audit chain intact: 5 entries \(5 keyed, 0 legacy\)/);
    assert.match(r.stdout, /anchor: anchor matches: 5 entries/);
    const q = JSON.parse((await gatehouse(['audit', 'query', '--state', state])).stdout) as {
      adminLogAnchor: { count: number; headHash: string } | null;
    };
    assert.equal(q.adminLogAnchor?.count, 5);
    assert.match(q.adminLogAnchor?.headHash ?? '', /^hm1:/);

    const db = openDatabase(join(state, 'gatehouse.db'));
    db.prepare('DELETE FROM admin_log WHERE seq > 3').run();
    db.close();
    r = await gatehouse(['audit', 'verify', '--state', state]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /audit chain TAMPERED/);
    assert.match(r.stdout, /tail truncated: the anchor records 5 entries, the database has 3/);
  });
});

describe('crash safety', () => {
  test('SIGKILL mid-import leaves a consistent store; a re-run completes with no loss and no duplicates', async () => {
    const state = join(dir, 'state-kill');
    const file = join(dir, 'big.jsonl');
    const N = 60_000;
    const parts: string[] = [];
    for (let i = 0; i < N; i++) parts.push(toolhiveLine(i));
    await writeFile(file, parts.join('\n') + '\n');
    const env = { ...process.env };
    delete env.GATEHOUSE_STATE;
    const child = spawn(process.execPath, [BIN, 'audit', 'import', file, '--format', 'toolhive', '--state', state], {
      cwd: ROOT,
      env,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    // Kill once some batches have committed but before the end.
    const dbFile = join(state, 'gatehouse.db');
    let before: number;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 100));
      try {
        const db = openDatabase(dbFile);
        before = (db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;
        db.close();
      } catch {
        before = 0;
      }
      if (before > 0) break;
    }
    child.kill('SIGKILL');
    await exited;
    const db = openDatabase(dbFile);
    const afterKill = (db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;
    const integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    db.close();
    assert.equal(integrity, 'ok');
    assert.ok(afterKill > 0 && afterKill < N, `killed part-way (had ${afterKill} of ${N})`);
    assert.equal(afterKill % 2000, 0, 'only whole batches are visible');

    const r = await gatehouse(['audit', 'import', file, '--format', 'toolhive', '--state', state]);
    assert.deepEqual(JSON.parse(r.stdout), { imported: N - afterKill, duplicates: afterKill, rejected: 0 });
    const db3 = openDatabase(dbFile);
    const { n, d } = db3
      .prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT source_record_id) AS d FROM audit_events')
      .get() as { n: number; d: number };
    const fts = (db3.prepare("SELECT COUNT(*) AS n FROM audit_fts WHERE audit_fts MATCH 'th'").get() as { n: number })
      .n;
    // The import went through the bulk path (indexes dropped, built at the end): all are back.
    const indexes = (
      db3.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'audit_events'").all() as {
        name: string;
      }[]
    )
      .map((x) => x.name)
      .filter((x) => !x.startsWith('sqlite_'))
      .sort();
    db3.close();
    assert.deepEqual(indexes, [
      'audit_events_client',
      'audit_events_server',
      'audit_events_tenant',
      'audit_events_tool',
      'audit_events_ts_uid',
      'audit_events_user',
    ]);
    assert.equal(n, N);
    assert.equal(d, N);
    assert.equal(fts, N, 'the full-text index matches the events');
    assert.equal(
      (await query(state, '--outcome', 'denied')).total,
      Array.from({ length: N }, (_, i) => i).filter((i) => i % 10 === 3).length,
    );
  });
});
