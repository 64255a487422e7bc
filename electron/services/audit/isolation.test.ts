import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AuditEventDraft, RejectedRecord } from '../../../shared/model/audit.js';
import type { ServiceContext } from '../context.js';
import { EventBus } from '../events.js';
import type { SecretStore } from '../ports.js';
import { openDatabase } from '../store/database.js';
import { auditHandlers } from './handlers.js';
import { ingestFile, lineMapper } from './ingest.js';
import { AuditStore } from './store.js';

/**
 * One bad record never costs the others (issue #12 item 3), and a file source is only ever a
 * regular file (item 4): records nested thousands deep, URLs over 64 KiB, records that cannot be
 * serialized, special files and paths swapped after they were added.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'gatehouse.mjs');
const TOKEN = 'ghp_R2d7Kq9Vx4Lm8Nb3Tz6Wc1Hy5Jf0Ps2Ga7Ue';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-iso-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const line = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'mcp_tool_call',
    loggedAt: new Date(Date.UTC(2026, 10, 3) + i * 1000).toISOString(),
    outcome: 'success',
    subjects: { user: 'alice@example.com' },
    component: 'github',
    target: { method: 'tools/call', type: 'tool', name: 'send_email' },
    metadata: { auditId: `iso-${i}` },
    ...extra,
  });

function deepArguments(depth: number): unknown {
  let v: unknown = { secret_note: TOKEN };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

function context(db: ReturnType<typeof openDatabase>): ServiceContext {
  const secrets: SecretStore = { kind: 'memory', get: async () => null, set: async () => {}, delete: async () => {} };
  return {
    db,
    events: new EventBus(),
    clock: { now: () => new Date() },
    secrets,
    mode: 'cli',
  } as unknown as ServiceContext;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.GATEHOUSE_STATE;
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('a bad record is isolated', () => {
  test('arguments 3,000 deep and a >64 KiB URL with token= neither abort the import nor leak the token', async () => {
    const file = join(dir, 'hostile.jsonl');
    const hugeUrl = `https://files.example.test/get?token=${TOKEN}&pad=${'a'.repeat(70_000)}`;
    const lines = [
      line(1),
      line(2, { data: { request: { arguments: deepArguments(3000) } } }),
      line(3),
      line(4, { target: { method: 'resources/read', type: 'resource', uri: hugeUrl } }),
      line(5),
      '['.repeat(200_000),
      line(6),
    ];
    writeFileSync(file, lines.join('\n') + '\n');
    const state = join(dir, 'state-hostile');
    const r = await cli(['audit', 'import', file, '--format', 'toolhive', '--state', state]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { imported: 6, duplicates: 0, rejected: 1 });
    assert.match(r.stderr, /hostile\.jsonl:6: invalid JSON/);
    const q = await cli(['audit', 'query', '--state', state, '--format', 'jsonl']);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stdout.trim().split('\n').length, 6);
    assert.ok(!q.stdout.includes(TOKEN.slice(6, -4)), 'the token in the deep record or the URL was stored');
    const uri = q.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { 'mcp.resource.uri': string | null })
      .find((e) => e['mcp.resource.uri'])?.['mcp.resource.uri'];
    assert.ok(uri?.startsWith('https://files.example.test/get?token=ghp_'), uri?.slice(0, 80));
    assert.ok((uri?.length ?? 0) <= 4096 + 16, 'the stored field is capped');
  });

  test('a record that cannot be stored is rejected alone; the batch and the cursor commit', () => {
    const db = openDatabase(join(dir, 'batch.db'));
    const store = new AuditStore(db);
    const draft = (i: number, original: unknown): AuditEventDraft => ({
      time: new Date(Date.UTC(2026, 10, 4) + i * 1000).toISOString(),
      source: 'test',
      sourceKind: 'jsonl',
      sourceRecordId: `b-${i}`,
      tenant: null,
      'user.id': 'alice@example.com',
      client: null,
      'client.address': null,
      'mcp.method.name': 'tools/call',
      server: 'github',
      'gen_ai.tool.name': 'send_email',
      'gen_ai.prompt.name': null,
      'mcp.resource.uri': null,
      outcome: 'success',
      reason: null,
      'error.type': null,
      durationMs: null,
      'jsonrpc.request.id': null,
      'mcp.session.id': null,
      original,
    });
    const bad: string[] = [];
    let committed = false;
    const r = store.insertBatch(
      [
        { event: draft(1, {}), key: 'b-1' },
        // JSON.stringify throws on a BigInt: the record cannot be stored.
        { event: draft(2, { n: 1n, note: TOKEN }), key: 'b-2' },
        { event: { ...draft(3, {}), time: 'not a time' }, key: 'b-3' },
        { event: draft(4, {}), key: 'b-4' },
      ],
      () => {
        committed = true;
      },
      (rec, reason) => bad.push(`${rec.key}: ${reason}`),
    );
    assert.deepEqual(r, { imported: 2, duplicates: 0, rejected: 2 });
    assert.ok(committed);
    assert.equal(bad.length, 2);
    assert.ok(bad.every((b) => !b.includes(TOKEN)));
    assert.deepEqual(
      store.query({}, { limit: 10 }).events.map((e) => e.sourceRecordId),
      ['b-4', 'b-1'],
    );
    // The rollups count exactly what was stored.
    assert.equal(store.histogram({}).total, 2);
    db.close();
  });

  test('a followed source with bad records keeps syncing and reports them by line, without content', async () => {
    const db = openDatabase(join(dir, 'follow.db'));
    const h = auditHandlers(context(db), { follow: false });
    const file = join(dir, 'follow.jsonl');
    writeFileSync(file, [line(1), `${TOKEN} not json`, line(2, { outcome: TOKEN })].join('\n') + '\n');
    const src = await h['audit.sources.add']({ name: 'f', config: { kind: 'toolhive', path: file } });
    for (let round = 0; round < 2; round++) {
      const s = (await h['audit.sync']({ id: src.id })).sources.find((x) => x.id === src.id);
      assert.equal(s?.error, null);
      const rejections: RejectedRecord[] = s?.rejections ?? [];
      if (round === 0) {
        assert.deepEqual(
          rejections.map((x) => [x.line, x.reason]),
          [
            [2, 'invalid JSON'],
            [3, 'unknown outcome (a 40-character string); expected success, failure, error or denied'],
          ],
        );
      } else assert.deepEqual(rejections, []);
      writeFileSync(file, line(10 + round) + '\n', { flag: 'a' });
    }
    const listed = (await h['audit.sources.list']({})).find((x) => x.id === src.id);
    assert.equal(listed?.imported, 2);
    assert.equal(listed?.rejected, 2);
    assert.ok(!JSON.stringify(listed).includes(TOKEN.slice(6, -4)));
    db.close();
  });
});

describe('audit.sources.add only takes regular files', () => {
  test('refuses relative, missing, directory, device and FIFO paths, naming the path', async () => {
    const db = openDatabase(join(dir, 'paths.db'));
    const h = auditHandlers(context(db), { follow: false });
    const add = (path: string) => h['audit.sources.add']({ name: 'p', config: { kind: 'toolhive', path } });
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    const fifo = join(dir, 'a-fifo');
    let haveFifo = true;
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      haveFifo = false;
    }
    const cases: [string, RegExp][] = [
      ['relative/audit.jsonl', /must be absolute: relative\/audit\.jsonl/],
      [join(dir, 'missing.jsonl'), /missing\.jsonl does not exist/],
      [sub, /a-directory is a directory, not a regular file/],
      ['/dev/zero', /\/dev\/zero is a device, not a regular file/],
    ];
    if (haveFifo) cases.push([fifo, /a-fifo is a FIFO, not a regular file/]);
    for (const [path, re] of cases) await assert.rejects(add(path), re, path);
    assert.equal((await h['audit.sources.list']({})).filter((s) => s.kind !== 'gatehouse').length, 0);
    const ok = join(dir, 'ok.jsonl');
    writeFileSync(ok, line(1) + '\n');
    const src = await add(ok);
    assert.equal(src.config?.kind === 'toolhive' && src.config.path, ok);
    db.close();
  });

  test('a path swapped for a special file after it was added is refused at sync, without reading it', async () => {
    const db = openDatabase(join(dir, 'swap.db'));
    const h = auditHandlers(context(db), { follow: false });
    const file = join(dir, 'swap.jsonl');
    writeFileSync(file, line(1) + '\n');
    const src = await h['audit.sources.add']({ name: 's', config: { kind: 'toolhive', path: file } });
    unlinkSync(file);
    symlinkSync('/dev/zero', file);
    const s = (await h['audit.sync']({ id: src.id })).sources.find((x) => x.id === src.id);
    assert.equal(s?.error, `${file} is not a regular file`);
    assert.equal(s?.imported, 0);
    db.close();
  });

  test('a file that is not an audit log (passwd-like) is rejected line by line without echoing it', async () => {
    const file = join(dir, 'passwd');
    writeFileSync(file, 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
    const store = new AuditStore(openDatabase(join(dir, 'passwd.db')));
    const rejected: RejectedRecord[] = [];
    const r = await ingestFile({
      store,
      path: file,
      mapper: lineMapper('toolhive'),
      final: true,
      onReject: (x) => rejected.push(x),
    });
    assert.equal(r.rejected, 2);
    assert.deepEqual(
      rejected.map((x) => [x.where, x.line, x.reason]),
      [
        [file, 1, 'invalid JSON'],
        [file, 2, 'invalid JSON'],
      ],
    );
    store.db.close();
  });

  test('a ContextForge base URL holding a credential is refused without echoing it', async () => {
    const db = openDatabase(join(dir, 'cf.db'));
    const h = auditHandlers(context(db), { follow: false });
    for (const baseUrl of [`https://cf.example.test/?token=${TOKEN}`, `https://admin:${TOKEN}@cf.example.test`]) {
      const err = await h['audit.sources.add']({ name: 'cf', config: { kind: 'contextforge', baseUrl } }).then(
        () => null,
        (e: Error) => e.message,
      );
      assert.match(err ?? '', /carries a credential: give it as the token instead/);
      assert.ok(!err?.includes(TOKEN.slice(6, -4)), err ?? '');
    }
    const ok = await h['audit.sources.add']({
      name: 'cf',
      config: { kind: 'contextforge', baseUrl: 'https://cf.example.test' },
    });
    assert.equal(ok.kind, 'contextforge');
    db.close();
  });

  test('a --mapping file that is not JSON (a credentials file) is not quoted on stderr', async () => {
    const creds = join(dir, 'credentials');
    writeFileSync(creds, `[default]\naws_secret_access_key = ${TOKEN}\n`);
    const data = join(dir, 'd.jsonl');
    writeFileSync(data, '{}\n');
    const r = await cli([
      'audit',
      'import',
      data,
      '--format',
      'jsonl',
      '--mapping',
      creds,
      '--state',
      join(dir, 'st-m'),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--mapping .*credentials: invalid JSON/);
    assert.ok(!r.stderr.includes('[default]') && !r.stderr.includes('aws_secret'), r.stderr);
  });
});
