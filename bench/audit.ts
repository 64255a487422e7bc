import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AuditEventDraft, AuditFilter, AuditOutcome } from '../shared/model/audit.js';
import { openFileIngest } from '../electron/services/audit/ingest-port.js';
import { WORKER_BATCH } from '../electron/services/audit/ingest-worker.js';
import { addSource } from '../electron/services/audit/sources-repo.js';
import { mapToolHive } from '../electron/services/audit/sources/toolhive.js';
import { AUDIT_INGEST_BATCH, AuditStore, sealRecord, type IngestRecord } from '../electron/services/audit/store.js';
import { searchState } from '../electron/services/audit/search-catchup.js';
import { openDatabase } from '../electron/services/store/database.js';
import { rng } from '../test/support/rng.js';
export { rng };

/**
 * Audit benchmark: N (default 1,000,000; AUDIT_BENCH_N) synthetic events over 30 days — 8 tenants, 2,000 users,
 * 12 clients, 40 servers, 300 tools, ~5% denied / ~2% errors — written as a ToolHive audit log (not
 * timed), then imported as users import it: a source sync (read, parse, map, mask, uid hash, store in
 * deduplicating batches of AUDIT_INGEST_BATCH (AUDIT_BENCH_BATCH) with rollups) into a fresh on-disk
 * store, on an ingest worker thread as the serving processes run it (AUDIT_BENCH_INLINE=1: on the
 * calling thread, as the CLI does), with the serving thread's longest stall over the whole import.
 * CPU figures are the whole process's (every thread). Ingest is reported in its two phases
 * (issue #13 item 4): every event stored with facets, histogram and filters answering (the target applies here), then
 * the column indexes and the full-text index built in bulk while search says "catching-up" (its own
 * figure, with the queries timed at its start, the facets again once the user index they count the
 * subject from is in, and the longest stretch the event loop went unserved).
 * Then p50/p95 of a filtered first page, of facet counts (all facets) and of the histogram over the
 * full range. Targets: stored with facets answering ≤ 5 s, RSS ≤ 250 MB, page p95 ≤ 30 ms,
 * histogram ≤ 150 ms, facets ≤ 300 ms.
 */

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 9, 1);

export function synthetic(i: number, n: number, r: () => number): IngestRecord {
  const time = new Date(BASE + Math.floor((i / n) * 30 * DAY)).toISOString();
  const user = `user${Math.floor(r() * 2000)}@corp.example`;
  const tenant = `team-${Math.floor(r() * 8)}`;
  const server = `server-${Math.floor(r() * 40)}`;
  const tool = `tool_${Math.floor(r() * 300)}`;
  const client = `client-${Math.floor(r() * 12)}`;
  const x = r();
  const outcome: AuditOutcome = x < 0.05 ? 'denied' : x < 0.07 ? 'error' : 'success';
  const original = {
    type: 'mcp_tool_call',
    loggedAt: time,
    outcome,
    subjects: { user, client_name: client },
    component: server,
    target: { method: 'tools/call', type: 'tool', name: tool },
    metadata: { auditId: `bench-${i}`, extra: { duration_ms: Math.floor(r() * 900) } },
  };
  const event: AuditEventDraft = {
    time,
    source: 'bench',
    sourceKind: 'toolhive',
    sourceRecordId: `bench-${i}`,
    tenant,
    'user.id': user,
    client,
    'client.address': `10.1.${i % 256}.${(i >> 8) % 256}`,
    'mcp.method.name': 'tools/call',
    server,
    'gen_ai.tool.name': tool,
    'gen_ai.prompt.name': null,
    'mcp.resource.uri': null,
    outcome,
    reason:
      outcome === 'denied' ? 'policy: tool not allowed for team' : outcome === 'error' ? 'upstream timeout' : null,
    'error.type': outcome === 'error' ? 'timeout' : null,
    durationMs: original.metadata.extra.duration_ms,
    'jsonrpc.request.id': String(i % 10_000),
    'mcp.session.id': `sess-${Math.floor(i / 50)}`,
    original,
  };
  return { event, key: `bench-${i}` };
}

/** The synthetic event as the ToolHive audit record that maps to it (sources/toolhive.ts). */
export function toolhiveRecord(i: number, n: number, r: () => number): Record<string, unknown> {
  const { event: e } = synthetic(i, n, r);
  return {
    type: 'mcp_tool_call',
    loggedAt: e.time,
    source: {
      type: 'network',
      value: e['client.address'],
      extra: { request_id: e['jsonrpc.request.id'], session_id: e['mcp.session.id'] },
    },
    outcome: e.outcome,
    subjects: { user: e['user.id'], client_name: e.client, tenant: e.tenant },
    component: e.server,
    target: { method: 'tools/call', type: 'tool', name: e['gen_ai.tool.name'] },
    metadata: { auditId: e.sourceRecordId, extra: { duration_ms: e.durationMs } },
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e['error.type'] ? { error_type: e['error.type'] } : {}),
  };
}

/** Lines timed stage by stage (issue #13 item 4: "measure each step"). */
const STAGE_EVENTS = 100_000;

/**
 * Where an imported event's time goes: the first `n` lines of `file` through each stage of the
 * import in turn, batch by batch, on this thread into a fresh store (bulk path) — split (find lines,
 * decode), JSON.parse, map (ToolHive → event), seal (mask, serialize the original, uid hash), store
 * (insertBatch minus its seal: insert, dedupe, rollups, commit) — then the index and full-text
 * builds after it.
 */
async function stageCosts(file: string, dbFile: string, n: number): Promise<string> {
  const db = openDatabase(dbFile);
  const store = new AuditStore(db);
  // Only the part holding the first n lines (ToolHive lines here are < 600 bytes), not the whole file.
  const fh = await open(file, 'r');
  const bytes = Buffer.alloc(Math.min((await fh.stat()).size, n * 600));
  await fh.read(bytes, 0, bytes.length, 0);
  await fh.close();
  const t = { split: 0, parse: 0, map: 0, seal: 0, store: 0, indexes: 0 };
  let at = 0;
  let done = 0;
  const t0 = performance.now();
  await store.bulk(n, async () => {
    while (done < n) {
      let a = performance.now();
      const lines: string[] = [];
      while (lines.length < AUDIT_INGEST_BATCH && done + lines.length < n) {
        const nl = bytes.indexOf(0x0a, at);
        if (nl < 0) break;
        lines.push(bytes.toString('utf8', at, nl));
        at = nl + 1;
      }
      if (!lines.length) break;
      done += lines.length;
      t.split += performance.now() - a;
      a = performance.now();
      const values: unknown[] = lines.map((l) => JSON.parse(l));
      t.parse += performance.now() - a;
      a = performance.now();
      const records = values.map((v) => mapToolHive(v, 'stages'));
      t.map += performance.now() - a;
      a = performance.now();
      for (const r of records) sealRecord(r);
      const seal = performance.now() - a;
      t.seal += seal;
      a = performance.now();
      store.insertBatch(records);
      t.store += performance.now() - a - seal;
    }
    t.indexes = -performance.now();
  });
  t.indexes += performance.now();
  const total = performance.now() - t0;
  db.close();
  const us = (x: number) => ((x * 1000) / n).toFixed(1);
  const stored = t.split + t.parse + t.map + t.seal + t.store;
  return `split ${us(t.split)}, JSON.parse ${us(t.parse)}, map ${us(t.map)}, seal ${us(t.seal)}, store ${us(t.store)} = ${us(stored)} stored; then indexes + full-text ${us(t.indexes)} (${(total / 1000).toFixed(2)} s in all)`;
}

/** N synthetic events (seed 42) written as a ToolHive audit log, one JSON object per line. */
export async function writeToolHiveLog(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  const r = rng(42);
  for (let start = 0; start < n; start += 10_000) {
    let chunk = '';
    for (let i = start; i < Math.min(n, start + 10_000); i++) chunk += `${JSON.stringify(toolhiveRecord(i, n, r))}\n`;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await finished(out);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const ms = (x: number) => `${x.toFixed(1)} ms`;

export async function benchAudit(
  n = Number(process.env.AUDIT_BENCH_N ?? 1_000_000),
): Promise<Record<string, string | number>> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-audit-'));
  let peakRss = process.memoryUsage().rss;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakHeap = m.heapTotal + m.external + m.arrayBuffers;
    peakRss = Math.max(peakRss, m.rss);
  };
  const timer = setInterval(sample, 50);
  try {
    const db = openDatabase(join(dir, 'gatehouse.db'));
    const store = new AuditStore(db);
    // Lines per transaction: what the path users run takes (the worker's 2,500, inline 10,000) unless
    // AUDIT_BENCH_BATCH says otherwise.
    const BATCH = process.env.AUDIT_BENCH_BATCH ? Number(process.env.AUDIT_BENCH_BATCH) : undefined;
    const inline = process.env.AUDIT_BENCH_INLINE === '1';
    // The probes' own CPU, of this thread only (the worker keeps importing meanwhile).
    const threadCpuUs = () => {
      const u = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.() ?? process.cpuUsage();
      return u.user + u.system;
    };
    // What users run: the records are written as a ToolHive audit log first (not timed), then the
    // file is imported as a source sync (read, parse, map, mask, hash, store; the bulk path) on an
    // ingest worker thread, as `gatehouse serve` and the desktop app run a large import.
    const file = join(dir, 'toolhive-audit.jsonl');
    // Written by a child process, so that its garbage is not in this process's peak RSS.
    const w0 = performance.now();
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, AUDIT_BENCH_WRITE_LOG: file, AUDIT_BENCH_N: String(n) },
      stdio: 'inherit',
    });
    if (child.status !== 0) throw new Error(`writing the audit log failed (${child.status ?? child.signal})`);
    const writeMs = performance.now() - w0;
    peakRss = process.memoryUsage().rss;
    const fileBytes = (await stat(file)).size;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let storedMs = 0;
    let storedCpuUs = 0;
    let storedPeakRss = 0;
    // Queries answered once everything is stored, before the indexes and full-text rows are built
    // (their time is taken out of the ingest figures).
    let probe = '';
    let probeMs = 0;
    let probeCpuUs = 0;
    let facetsLater = '';
    // The longest the event loop went unserved while the indexes and full-text rows were built.
    let longestStallMs = 0;
    let stallTimer: NodeJS.Timeout | undefined;
    let lastSample = 0;
    const whenStored = () => {
      // Every event stored, rollups (facets, histogram) answering; indexes and search still to build.
      storedMs = performance.now() - t0;
      const sc = process.cpuUsage(c0);
      storedCpuUs = sc.user + sc.system;
      sample();
      storedPeakRss = peakRss;
      const p0 = performance.now();
      const pc = threadCpuUs();
      const timed = (fn: () => unknown) => {
        const a = performance.now();
        fn();
        return ms(performance.now() - a);
      };
      const facets = timed(() => store.facets({}));
      const hist = timed(() => store.histogram({}, 120));
      const page = timed(() => store.query({ tenant: ['team-3'] }, { limit: 100 }));
      probe = `facets ${facets}, histogram ${hist}, first page tenant=team-3 ${page}; search ${searchState(db)}`;
      probeMs = performance.now() - p0;
      // (The probes are this bench's own work on the serving thread, not the import's.)
      lastTick = performance.now();
      probeCpuUs = threadCpuUs() - pc;
      // Facets again once the index they count the subject from is in (it is built first).
      const hasUserIndex = db.prepare("SELECT 1 AS x FROM sqlite_schema WHERE name = 'audit_events_user'");
      const catchUpStart = performance.now();
      let last = catchUpStart;
      stallTimer = setInterval(() => {
        const now = performance.now();
        longestStallMs = Math.max(longestStallMs, now - last);
        last = now;
        if (facetsLater || !hasUserIndex.get()) return;
        const c = threadCpuUs();
        const took = timed(() => store.facets({}));
        facetsLater = `; facets ${took} from ${((now - catchUpStart) / 1000).toFixed(2)} s into it`;
        probeCpuUs += threadCpuUs() - c;
        last = performance.now();
        probeMs += last - now;
        lastTick = last;
      }, 5);
    };
    // The serving thread's longest stretch unserved over the whole import: on a worker thread (what
    // `gatehouse serve` and the desktop app run) it only receives messages; inline
    // (AUDIT_BENCH_INLINE=1, the CLI's way) every batch and each index build holds it.
    let longestServingStallMs = 0;
    let lastTick = performance.now();
    const servingTimer = setInterval(() => {
      const now = performance.now();
      longestServingStallMs = Math.max(longestServingStallMs, now - lastTick);
      lastTick = now;
    }, 5);
    const src = addSource(db, 'bench', { kind: 'toolhive', path: file });
    const port = openFileIngest(db, store, { minBytes: inline ? Number.MAX_SAFE_INTEGER : 0 });
    const result = await port.run(
      {
        sourceId: src.id,
        source: 'bench',
        kind: 'toolhive',
        path: file,
        start: { offset: 0, line: 0 },
        batchSize: BATCH,
      },
      {
        onProgress: (pos) => {
          // Let the RSS sampler see each batch (the event loop is busy between them).
          if (performance.now() - lastSample > 50) {
            sample();
            lastSample = performance.now();
          }
          if (pos.offset === fileBytes && !storedMs) whenStored();
        },
      },
    );
    clearInterval(servingTimer);
    if (port.runs.worker !== (inline ? 0 : 1)) throw new Error(`imported ${inline ? 'on a worker' : 'inline'}`);
    const imported = result.imported;
    clearInterval(stallTimer);
    sample();
    const ingestPeakRss = peakRss;
    const dc = process.cpuUsage(c0);
    const cpuUs = dc.user + dc.system - probeCpuUs;
    // Inline, the probes held up the import; on a worker they ran beside it.
    const ingestMs = performance.now() - t0 - (inline ? probeMs : 0);
    const bulk = searchState(db) === 'ready' && probe.includes('catching-up');
    if (imported !== n) throw new Error(`imported ${imported} of ${n}`);

    // Filtered first pages: a spread of realistic filters.
    const filters: AuditFilter[] = [
      { tenant: ['team-3'] },
      { subject: ['user17@corp.example'] },
      { outcome: ['denied'] },
      { server: ['server-7'], outcome: ['error'] },
      { tool: ['tool_42'] },
      {
        since: new Date(BASE + 10 * DAY).toISOString(),
        until: new Date(BASE + 12 * DAY).toISOString(),
        tenant: ['team-1'],
      },
      { text: 'timeout' },
      {},
    ];
    const pageTimes: number[] = [];
    const totalTimes: number[] = [];
    const perFilter = new Map<string, number[]>();
    for (let round = 0; round < 5; round++) {
      for (const f of filters) {
        const a = performance.now();
        const page = store.query(f, { limit: 100 });
        const took = performance.now() - a;
        pageTimes.push(took);
        const key = JSON.stringify(f);
        perFilter.set(key, [...(perFilter.get(key) ?? []), took]);
        if (!page.events.length) throw new Error(`no events for ${JSON.stringify(f)}`);
        const b = performance.now();
        store.count(f);
        totalTimes.push(performance.now() - b);
      }
    }
    sample();
    const facetTimes: number[] = [];
    const facetFiltered: number[] = [];
    for (let i = 0; i < 5; i++) {
      let a = performance.now();
      store.facets({});
      facetTimes.push(performance.now() - a);
      a = performance.now();
      store.facets({ tenant: ['team-2'], outcome: ['denied'] });
      facetFiltered.push(performance.now() - a);
    }
    sample();
    const histTimes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const a = performance.now();
      const h = store.histogram({}, 120);
      histTimes.push(performance.now() - a);
      if (h.total !== n) throw new Error(`histogram total ${h.total} ≠ ${n}`);
    }
    sample();
    // The Audit page's exclusions, facet search, oldest-first order and jumps (issue #11).
    const pageUi: Record<string, number[]> = {};
    const time = (name: string, fn: () => unknown) => {
      const a = performance.now();
      fn();
      (pageUi[name] ??= []).push(performance.now() - a);
    };
    const notSuccess = { exclude: { outcome: ['success' as const] } };
    const notTeam = { exclude: { tenant: ['team-1'] } };
    const mid = new Date(BASE + 15 * DAY).toISOString();
    for (let i = 0; i < 5; i++) {
      time('first page, not outcome=success', () => store.query(notSuccess, { limit: 100, withTotal: true }));
      time('first page + total, not tenant=team-1', () => store.query(notTeam, { limit: 100, withTotal: true }));
      time('histogram, not tenant=team-1', () => store.histogram(notTeam, 120));
      time('facets, not tenant=team-1', () => store.facets(notTeam));
      time('facet search "user1", top 50', () => store.facets({}, ['subject'], 50, 'user1'));
      time('oldest-first first page', () => store.query({}, { limit: 100, order: 'oldest' }));
      time('jump to a time (mid-range) + page back', () => {
        const p = store.query({}, { limit: 100, at: mid });
        if (p.prevCursor) store.query({}, { limit: 100, cursor: p.prevCursor, direction: 'prev' });
      });
    }
    sample();
    const dbBytes = (
      db.prepare('SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()').get() as {
        b: number;
      }
    ).b;
    db.close();
    const stages = await stageCosts(file, join(dir, 'stages.db'), Math.min(n, STAGE_EVENTS));
    return {
      events: n,
      'ingest: stored, facets answering (target ≤ 5 s)': `${(storedMs / 1000).toFixed(2)} s (${Math.round(n / (storedMs / 1000)).toLocaleString('en')} events/s; CPU ${(storedCpuUs / 1e6).toFixed(2)} s, all threads; batches of ${BATCH ?? (inline ? AUDIT_INGEST_BATCH : WORKER_BATCH)}${bulk ? '; bulk path' : ''})`,
      ...(bulk
        ? {
            'answering then (search catching up)': probe,
            'then: column indexes + full-text catch-up': `${((ingestMs - storedMs) / 1000).toFixed(2)} s (CPU ${((cpuUs - storedCpuUs) / 1e6).toFixed(2)} s; event loop unserved at most ${ms(longestStallMs)} at a time${facetsLater})`,
          }
        : {}),
      'serving thread unserved at most, whole import': `${ms(longestServingStallMs)} (${inline ? 'imported inline, AUDIT_BENCH_INLINE=1' : 'imported on a worker thread, as serve and the desktop app do'})`,
      [`per event by stage (first ${Math.min(n, STAGE_EVENTS).toLocaleString('en')} lines, one thread, µs)`]: stages,
      'ingest until search ready': `${(ingestMs / 1000).toFixed(2)} s (CPU ${(cpuUs / 1e6).toFixed(2)} s)`,
      'import file (ToolHive JSON lines, not timed)': `${Math.round(fileBytes / 2 ** 20)} MB, written in ${(writeMs / 1000).toFixed(2)} s`,
      'peak RSS (target ≤ 250 MB)': `${Math.round(peakRss / 2 ** 20)} MB overall, ${Math.round(ingestPeakRss / 2 ** 20)} MB while ingesting (${Math.round(storedPeakRss / 2 ** 20)} MB until stored; JS heap + buffers then: ${Math.round(peakHeap / 2 ** 20)} MB)`,
      'store size': `${Math.round(dbBytes / 2 ** 20)} MB`,
      'filtered first page p50': ms(pct(pageTimes, 50)),
      'filtered first page p95 (≤ 30 ms)': ms(pct(pageTimes, 95)),
      'slowest filter (median of 5)': [...perFilter]
        .map(([k, xs]) => [k, pct(xs, 50)] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 1)
        .map(([k, t]) => `${k} ${ms(t)}`)
        .join(''),
      'filtered total count p50 / p95': `${ms(pct(totalTimes, 50))} / ${ms(pct(totalTimes, 95))}`,
      'facets, 8 facets, p50': ms(pct(facetTimes, 50)),
      'facets, 8 facets, p95 (≤ 300 ms)': ms(pct(facetTimes, 95)),
      'facets filtered p50 / p95': `${ms(pct(facetFiltered, 50))} / ${ms(pct(facetFiltered, 95))}`,
      'histogram full range p50': ms(pct(histTimes, 50)),
      'histogram full range p95 (≤ 150 ms)': ms(pct(histTimes, 95)),
      ...Object.fromEntries(
        Object.entries(pageUi).map(([k, xs]) => [`${k} p50 / p95`, `${ms(pct(xs, 50))} / ${ms(pct(xs, 95))}`]),
      ),
    };
  } finally {
    clearInterval(timer);
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.env.AUDIT_BENCH_WRITE_LOG) {
  await writeToolHiveLog(process.env.AUDIT_BENCH_WRITE_LOG, Number(process.env.AUDIT_BENCH_N));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchAudit();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(48)} ${v}\n`);
}
