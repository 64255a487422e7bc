import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AuditFacetName, AuditSource, JsonlMapping } from '../../../shared/model/audit.js';
import type { ServiceContext } from '../context.js';
import { EventBus } from '../events.js';
import { nodeFileSystem } from '../node-ports.js';
import { systemClock, type SecretStore } from '../ports.js';
import { openDatabase, type Database } from '../store/database.js';
import { auditHandlers } from './handlers.js';

/**
 * Canary regression test for "audit values stored or shown in clear": every string field of ToolHive,
 * OTLP JSON and generic JSON-lines records holds a distinct credential (each token shape in each
 * field), plus bad lines (unknown outcome, broken JSON) that hold one. After import through the
 * service (followed file sources) and the CLI, no canary may appear in the raw SQLite files (main
 * database and WAL), in any table row, in the full-text index's terms, or in any API / CLI output.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'gatehouse.mjs');

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function rand(n: number, chars = ALNUM): string {
  const bytes = randomBytes(n);
  let out = '';
  for (const b of bytes) out += chars[b % chars.length];
  return out;
}
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0234567';
const B64 = ALNUM + '+/';

interface Canary {
  kind: string;
  /** The value placed in the record. */
  value: string;
  /** Substrings that must never appear anywhere (the secret, and a middle part no mask reveals). */
  needles: string[];
}

/** The part of a secret a mask never shows (drops a ≤6-char prefix and the last 4 chars). */
function middle(secret: string): string {
  return secret.slice(6, -4);
}

const KINDS = ['github', 'aws', 'sendgrid', 'pem', 'base64', 'jwt', 'slack', 'url'] as const;
type Kind = (typeof KINDS)[number];

function makeCanary(kind: Kind): Canary {
  switch (kind) {
    case 'github': {
      const v = `ghp_${rand(36)}`;
      return { kind, value: v, needles: [v, middle(v)] };
    }
    case 'aws': {
      const v = `AKIA${rand(16, UPPER_NUM)}`;
      return { kind, value: v, needles: [v, v.slice(4, 16)] };
    }
    case 'sendgrid': {
      const a = rand(22);
      const b = rand(43);
      const v = `SG.${a}.${b}`;
      return { kind, value: v, needles: [v, a, middle(b)] };
    }
    case 'pem': {
      const lines = Array.from({ length: 4 }, () => rand(64, B64));
      const v = `-----BEGIN RSA PRIVATE KEY-----\n${lines.join('\n')}\n-----END RSA PRIVATE KEY-----`;
      return { kind, value: v, needles: lines.map((l) => l.slice(4, 40)) };
    }
    case 'base64': {
      const v = `${rand(46, B64)}==`;
      return { kind, value: v, needles: [v, middle(v)] };
    }
    case 'jwt': {
      const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: rand(8) })).toString('base64url');
      const body = Buffer.from(JSON.stringify({ sub: rand(12), iat: 1700000000 })).toString('base64url');
      const sig = rand(43, ALNUM + '-_');
      const v = `${head}.${body}.${sig}`;
      return { kind, value: v, needles: [v, body, middle(sig)] };
    }
    case 'slack': {
      const tail = rand(24);
      const v = `xoxb-${rand(12, '0123456789')}-${rand(12, '0123456789')}-${tail}`;
      return { kind, value: v, needles: [v, middle(tail)] };
    }
    case 'url': {
      const t = rand(40);
      const v = `https://hooks.example.com/v1/notify?channel=ops&token=${t}`;
      return { kind, value: v, needles: [t, middle(t)] };
    }
  }
}

const canaries: Canary[] = [];
/** A new distinct canary of kind KINDS[n % 8] (so every field sees every kind across records). */
function canary(n: number): string {
  const c = makeCanary(KINDS[((n % KINDS.length) + KINDS.length) % KINDS.length] as Kind);
  canaries.push(c);
  return c.value;
}

const RECORDS = KINDS.length;
const BASE = Date.UTC(2026, 10, 5, 12);
const at = (i: number, off = 0) => new Date(BASE + i * 60_000 + off * 1000).toISOString();

function toolhiveLines(): string[] {
  const lines: string[] = [];
  for (let r = 0; r < RECORDS; r++) {
    let f = r;
    const c = () => canary(f++);
    lines.push(
      JSON.stringify({
        type: c(),
        loggedAt: at(r),
        source: { type: 'network', value: c(), extra: { request_id: c(), session_id: c(), user_agent: c() } },
        outcome: 'error',
        subjects: { user: c(), client_name: c(), tenant: c() },
        component: c(),
        target: { endpoint: c(), method: c(), type: 'tool', name: c() },
        metadata: { auditId: c(), extra: { duration_ms: 5, transport: c() } },
        reason: c(),
        error_type: c(),
        data: { request: { arguments: { body: c(), nested: [c(), { note: c() }] } } },
      }),
    );
  }
  // Rejected: an unknown outcome holding a canary, and a line that is not JSON starting with one.
  lines.push(JSON.stringify({ type: 'mcp_tool_call', loggedAt: at(20), outcome: canary(0) }));
  lines.push(`${canary(1)} is not JSON`);
  lines.push(`{"type":"mcp_tool_call","loggedAt":"${at(21)}","outcome":"success","reason":"${canary(6)}`);
  return lines;
}

function otlpLines(): string[] {
  const lines: string[] = [];
  for (let r = 0; r < RECORDS; r++) {
    let f = r + 3;
    const c = () => canary(f++);
    const attr = (key: string) => ({ key, value: { stringValue: c() } });
    lines.push(
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [attr('service.name'), attr('host.name')] },
            scopeLogs: [
              {
                scope: { name: 'mcp.audit' },
                logRecords: [
                  {
                    timeUnixNano: `${BigInt(Date.parse(at(r, 30))) * 1_000_000n}`,
                    severityNumber: 17,
                    severityText: 'ERROR',
                    body: { stringValue: c() },
                    attributes: [
                      attr('mcp.method.name'),
                      attr('gen_ai.tool.name'),
                      attr('gen_ai.prompt.name'),
                      attr('mcp.resource.uri'),
                      attr('mcp.session.id'),
                      attr('jsonrpc.request.id'),
                      attr('error.type'),
                      attr('client.address'),
                      attr('user.id'),
                      attr('mcp.client.name'),
                      attr('tenant.id'),
                      attr('mcp.server.name'),
                      attr('audit.id'),
                      attr('reason'),
                      attr('note'),
                      { key: 'authz.decision', value: { stringValue: 'deny' } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
  }
  lines.push(`${canary(2)}`);
  return lines;
}

const MAPPING: JsonlMapping = {
  time: 'ts',
  sourceRecordId: 'id',
  tenant: 'org',
  user: 'who.user',
  client: 'who.client',
  clientAddress: 'who.ip',
  method: 'call.method',
  server: 'call.server',
  tool: 'call.tool',
  prompt: 'call.prompt',
  resource: 'call.uri',
  outcome: 'result',
  outcomeValues: { OK: 'success', NO: 'denied' },
  reason: 'why',
  errorType: 'errtype',
  requestId: 'rid',
  sessionId: 'sid',
};

function jsonlLines(): string[] {
  const lines: string[] = [];
  for (let r = 0; r < RECORDS; r++) {
    let f = r + 5;
    const c = () => canary(f++);
    lines.push(
      JSON.stringify({
        ts: at(r, 45),
        id: c(),
        org: c(),
        who: { user: c(), client: c(), ip: c() },
        call: { method: c(), server: c(), tool: c(), prompt: c(), uri: c(), args: { text: c(), list: [c()] } },
        result: 'NO',
        why: c(),
        errtype: c(),
        rid: c(),
        sid: c(),
        comment: c(),
      }),
    );
  }
  lines.push(JSON.stringify({ ts: at(30), result: canary(3) }));
  lines.push(`{"ts":"${at(31)}","why":"${canary(4)}`);
  return lines;
}

class NoSecrets implements SecretStore {
  readonly kind = 'none (test)';
  async get() {
    return null;
  }
  async set() {}
  async delete() {}
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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

/** Every canary found in `text` (exact), as `kind#index@where`. */
function leaksIn(text: string, where: string, lower = false): string[] {
  const hay = lower ? text.toLowerCase() : text;
  const out: string[] = [];
  canaries.forEach((c, i) => {
    if (c.needles.some((n) => n.length >= 10 && hay.includes(lower ? n.toLowerCase() : n)))
      out.push(`${c.kind}#${i}@${where}`);
  });
  return out;
}

/** Every text value of every table (rows, rollups, sources) and the terms of the full-text index. */
function tableText(db: Database): string {
  const parts: string[] = [];
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all() as { name: string }[];
  for (const { name } of tables) {
    let rows: Record<string, unknown>[];
    try {
      rows = db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[];
    } catch {
      continue; // virtual-table shadow tables that cannot be read directly
    }
    for (const row of rows)
      for (const v of Object.values(row)) {
        if (typeof v === 'string') parts.push(v);
        else if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('latin1'));
      }
  }
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.canary_vocab USING fts5vocab('main', 'audit_fts', 'row')");
  for (const r of db.prepare('SELECT term FROM temp.canary_vocab').all() as { term: string }[]) parts.push(r.term);
  return parts.join('\n');
}

/** `N leaks of M of the K canaries` (the distinct canaries count, as the attack test reported them). */
function summary(leaks: string[]): string {
  const distinct = new Set(leaks.map((l) => l.split('@')[0])).size;
  return `${leaks.length} leaks of ${distinct} of the ${canaries.length} canaries`;
}

function rawFiles(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith('gatehouse.db'))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');
}

describe('audit canaries: no credential held by an audit record is stored or shown in clear', () => {
  let dir: string;
  let ctx: ServiceContext;
  let handlers: ReturnType<typeof auditHandlers>;
  const files: Record<string, string> = {};
  const outputs: [string, string][] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-canary-'));
    files.toolhive = join(dir, 'toolhive.jsonl');
    files.otlp = join(dir, 'otlp.jsonl');
    files.jsonl = join(dir, 'generic.jsonl');
    files.mapping = join(dir, 'mapping.json');
    writeFileSync(files.toolhive, toolhiveLines().join('\n') + '\n');
    writeFileSync(files.otlp, otlpLines().join('\n') + '\n');
    writeFileSync(files.jsonl, jsonlLines().join('\n') + '\n');
    writeFileSync(files.mapping, JSON.stringify(MAPPING));
    ctx = {
      db: openDatabase(join(dir, 'gatehouse.db')),
      events: new EventBus(),
      clock: systemClock,
      fs: nodeFileSystem,
      workstation: { home: dir, platform: 'linux', projects: [], systemRoot: '', env: {} },
      secrets: new NoSecrets(),
      stateDir: dir,
      mode: 'cli',
      version: '0.0.0-test',
    };
    handlers = auditHandlers(ctx, { follow: false });
  });
  after(() => {
    try {
      ctx.db.close();
    } catch {
      /* closed by the test */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('followed file sources: stored, queried, aggregated, exported and reported without a canary', async () => {
    const added: AuditSource[] = [
      await handlers['audit.sources.add']({ name: 'th', config: { kind: 'toolhive', path: files.toolhive! } }),
      await handlers['audit.sources.add']({ name: 'otel', config: { kind: 'otlp-json', path: files.otlp! } }),
      await handlers['audit.sources.add']({
        name: 'generic',
        config: { kind: 'jsonl', path: files.jsonl!, mapping: MAPPING },
      }),
    ];
    const sync = await handlers['audit.sync']({});
    outputs.push(['audit.sync', JSON.stringify(sync)]);
    const bySource = new Map(sync.sources.map((s) => [s.name, s]));
    // Every good record is stored; every bad line is rejected (and none aborts its file).
    assert.deepEqual(
      added.map((s) => [
        s.name,
        bySource.get(s.name)?.imported,
        bySource.get(s.name)?.rejected,
        bySource.get(s.name)?.error,
      ]),
      [
        ['th', RECORDS, 3, null],
        ['otel', RECORDS, 1, null],
        ['generic', RECORDS, 2, null],
      ],
    );
    const filter = {};
    const page = await handlers['audit.query']({ filter, limit: 1000, withTotal: true });
    // (+3: adding the sources is in the timeline too, as Gatehouse's own admin actions.)
    assert.equal(page.total, 3 * RECORDS + 3);
    assert.equal(page.events.filter((e) => e.sourceKind === 'gatehouse').length, 3);
    outputs.push(['audit.query', JSON.stringify(page)]);
    for (const e of page.events)
      outputs.push([`audit.event ${e.id}`, JSON.stringify(await handlers['audit.event']({ id: e.id }))]);
    const names: AuditFacetName[] = ['tenant', 'subject', 'client', 'server', 'tool', 'method', 'outcome', 'source'];
    // Rollup path (open filter) and the scanning paths (time-bounded, filtered by outcome / text).
    outputs.push([
      'audit.facets (rollup)',
      JSON.stringify(await handlers['audit.facets']({ filter, facets: names, limit: 100 })),
    ]);
    outputs.push([
      'audit.facets (scan)',
      JSON.stringify(
        await handlers['audit.facets']({ filter: { since: '2026-01-01T00:00:00Z' }, facets: names, limit: 100 }),
      ),
    ]);
    outputs.push([
      'audit.facets (one facet selected)',
      JSON.stringify(await handlers['audit.facets']({ filter: { outcome: ['error'] }, facets: names, limit: 100 })),
    ]);
    outputs.push(['audit.histogram', JSON.stringify(await handlers['audit.histogram']({ filter, buckets: 50 }))]);
    for (const format of ['csv', 'jsonl'] as const) {
      let cursor: string | null = null;
      let chunk = '';
      do {
        const r = await handlers['audit.export']({ filter, format, cursor, limit: 7 });
        chunk += r.chunk;
        cursor = r.nextCursor;
      } while (cursor);
      outputs.push([`audit.export ${format}`, chunk]);
    }
    const sources = await handlers['audit.sources.list']({});
    outputs.push(['audit.sources.list', JSON.stringify(sources)]);
    // lastError names the file and line of the first rejection and why, without the content.
    const th = sources.find((s) => s.name === 'th');
    assert.match(
      th?.lastError ?? '',
      new RegExp(
        `^3 rejected; first: ${files.toolhive!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${RECORDS + 1}: unknown outcome`,
      ),
    );

    // Searching for a canary finds nothing (it is not in the full-text index).
    const tokenCanary = canaries.find((c) => c.kind === 'github');
    const hits = await handlers['audit.query']({ filter: { text: tokenCanary!.value }, limit: 10, withTotal: true });
    assert.equal(hits.total, 0);

    const leaks = [
      ...outputs.flatMap(([where, text]) => leaksIn(text, where)),
      ...leaksIn(tableText(ctx.db), 'table rows / fts terms'),
      ...leaksIn(tableText(ctx.db), 'table rows / fts terms (case-folded)', true),
      ...leaksIn(rawFiles(dir), 'database files (open, with WAL)'),
      ...leaksIn(rawFiles(dir), 'database files (open, with WAL; case-folded)', true),
    ];
    ctx.db.close();
    leaks.push(...leaksIn(rawFiles(dir), 'database file (closed)'));
    assert.deepEqual(leaks, [], summary(leaks));
    // Non-secret values stay readable.
    assert.ok(
      page.events
        .filter((e) => e.sourceKind !== 'gatehouse')
        .every((e) => e.outcome === 'error' || e.outcome === 'denied'),
    );
  });

  test('CLI import and query: stdout, stderr and the database hold no canary', async () => {
    const state = join(dir, 'cli-state');
    const out: [string, string][] = [];
    const imports = [
      ['toolhive', files.toolhive!, 3],
      ['otlp-json', files.otlp!, 1],
      ['jsonl', files.jsonl!, 2],
    ] as const;
    for (const [format, file, rejected] of imports) {
      const args = ['audit', 'import', file, '--format', format, '--state', state];
      if (format === 'jsonl') args.push('--mapping', files.mapping!);
      const r = await run(args);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { imported: RECORDS, duplicates: 0, rejected });
      // One stderr line per rejection: FILE:LINE: reason.
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, rejected);
      for (const l of lines) assert.match(l, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: \\S`));
      out.push([`import ${format} stdout`, r.stdout], [`import ${format} stderr`, r.stderr]);
    }
    for (const format of ['json', 'csv', 'jsonl']) {
      const r = await run(['audit', 'query', '--state', state, '--format', format, '--limit', '1000']);
      assert.equal(r.code, 0, r.stderr);
      out.push([`query ${format}`, r.stdout + r.stderr]);
    }
    const json = JSON.parse(out.find(([w]) => w === 'query json')![1]) as { total: number };
    assert.equal(json.total, 3 * RECORDS);
    const leaks = [
      ...out.flatMap(([where, text]) => leaksIn(text, where)),
      ...leaksIn(rawFiles(state), 'cli database file'),
      ...leaksIn(rawFiles(state), 'cli database file (case-folded)', true),
    ];
    assert.deepEqual(leaks, [], summary(leaks));
  });
});
