import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEventDraft } from '../shared/model/audit.js';
import { PolicyDocument, type PolicyDocumentInput } from '../shared/model/policy.js';
import { AUDIT_INGEST_BATCH, AuditStore, type IngestRecord } from '../electron/services/audit/store.js';
import { openDatabase } from '../electron/services/store/database.js';
import { openAuditQueries } from '../electron/services/audit/query-pool.js';
import { inlineAuditQueries } from '../electron/services/audit/query-port.js';
import { matrixDelta } from '../electron/services/policy/evaluate.js';
import { simulatePolicy } from '../electron/services/policy/simulate.js';
import { validatePolicy } from '../electron/services/policy/validate.js';
import { rng } from './audit.js';

/**
 * Policy benchmark. (1) simulate a draft over N (POLICY_BENCH_N, default 1,000,000) stored audit
 * events — 500 users in 50 teams calling tools of 100 servers (each user keeps to a few tools, as
 * people do) — target ≤ 3 s, on the audit query workers as `serve` runs it (and on one thread). (2) validate + matrixDelta for a document of 200 teams, 2,000
 * servers, 20,000 tools — target validate ≤ 1 s.
 */

const ms = (x: number) => `${x.toFixed(0)} ms`;

export function simDocs(): { live: PolicyDocument; draft: PolicyDocument } {
  const input: PolicyDocumentInput = {
    apiVersion: 'gatehouse/v1',
    kind: 'Policy',
    teams: Array.from({ length: 50 }, (_, t) => ({
      name: `team-${t}`,
      members: Array.from({ length: 10 }, (_, m) => ({ email: `u${t * 10 + m}@corp.example` })),
    })),
    servers: Array.from({ length: 100 }, (_, s) => ({
      name: `server-${s}`,
      team: `team-${s % 50}`,
      visibility: s % 10 === 0 ? ('public' as const) : ('team' as const),
      tools: Array.from({ length: 10 }, (_, t) => `tool_${s}_${t}`),
    })),
    rules: [],
  };
  const live = PolicyDocument.parse(input);
  const draft = PolicyDocument.parse({
    ...input,
    rules: [
      { id: 'no-t0', effect: 'deny', subjects: ['*'], actions: ['call_tool'], resources: ['tool:tool_0_0'] },
      { id: 'x', effect: 'allow', subjects: ['team:team-1'], actions: ['call_tool'], resources: ['server:server-2'] },
    ],
  });
  return { live, draft };
}

export function event(i: number, n: number, r: () => number): IngestRecord {
  const user = Math.floor(r() * 500);
  const team = Math.floor(user / 10);
  // Mostly the team's own servers, sometimes a public one, rarely someone else's.
  const x = r();
  const server =
    x < 0.8 ? team + 50 * Math.floor(r() * 2) : x < 0.95 ? 10 * Math.floor(r() * 10) : Math.floor(r() * 100);
  const tool = `tool_${server}_${(user + Math.floor(r() * 3)) % 10}`;
  const time = new Date(Date.UTC(2026, 9, 1) + Math.floor((i / n) * 30 * 86_400_000)).toISOString();
  const event: AuditEventDraft = {
    time,
    source: 'bench',
    sourceKind: 'toolhive',
    sourceRecordId: `p${i}`,
    tenant: `team-${team}`,
    'user.id': `u${user}@corp.example`,
    client: 'cli',
    'client.address': null,
    'mcp.method.name': 'tools/call',
    server: `server-${server}`,
    'gen_ai.tool.name': tool,
    'gen_ai.prompt.name': null,
    'mcp.resource.uri': null,
    outcome: 'success',
    reason: null,
    'error.type': null,
    durationMs: 5,
    'jsonrpc.request.id': String(i),
    'mcp.session.id': null,
    original: null,
  };
  return { event, key: `p${i}` };
}

export function bigDoc(withRule: boolean): PolicyDocument {
  return PolicyDocument.parse({
    apiVersion: 'gatehouse/v1',
    kind: 'Policy',
    teams: Array.from({ length: 200 }, (_, t) => ({
      name: `team-${t}`,
      members: Array.from({ length: 10 }, (_, m) => ({ email: `u${t * 10 + m}@corp.example` })),
    })),
    roles: [{ name: 'runner', scope: 'team', permissions: ['servers.use', 'tools.execute'] }],
    assignments: Array.from({ length: 200 }, (_, t) => ({
      user: `u${t * 10}@corp.example`,
      role: 'runner',
      team: `team-${t}`,
    })),
    servers: Array.from({ length: 2000 }, (_, s) => ({
      name: `server-${s}`,
      team: `team-${s % 200}`,
      visibility: s % 100 === 0 ? 'public' : 'team',
      tools: Array.from({ length: 10 }, (_, t) => `tool_${s}_${t}`),
    })),
    rules: withRule
      ? [
          {
            id: 'deny-1',
            effect: 'deny',
            subjects: ['team:team-3'],
            actions: ['call_tool'],
            resources: ['server:server-0'],
          },
          {
            id: 'allow-1',
            effect: 'allow',
            subjects: ['user:u5@corp.example'],
            actions: ['call_tool'],
            resources: ['server:server-7'],
          },
        ]
      : [],
  });
}

export async function benchPolicy(
  n = Number(process.env.POLICY_BENCH_N ?? 1_000_000),
): Promise<Record<string, string | number>> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-policy-'));
  try {
    const db = openDatabase(join(dir, 'g.db'));
    const store = new AuditStore(db);
    const r = rng(7);
    const t0 = performance.now();
    await store.bulk(n, async () => {
      for (let start = 0; start < n; start += AUDIT_INGEST_BATCH) {
        const end = Math.min(n, start + AUDIT_INGEST_BATCH);
        const batch: IngestRecord[] = [];
        for (let i = start; i < end; i++) batch.push(event(i, n, r));
        store.insertBatch(batch);
      }
    });
    const ingestMs = performance.now() - t0;
    const { live, draft } = simDocs();
    // As the serving process runs it: on the audit query workers (started on demand, so the first
    // simulation includes their start-up), the event loop free meanwhile (its longest stall is shown).
    const pool = openAuditQueries(db, store);
    let stall = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 5);
    const a = performance.now();
    const sim = await simulatePolicy(pool, draft, live);
    const coldMs = performance.now() - a;
    const a2 = performance.now();
    await simulatePolicy(pool, draft, live);
    const simMs = performance.now() - a2;
    // The last tenth of the month: a range goes through the time index (about n / 10 events).
    const since = new Date(Date.UTC(2026, 9, 1) + Math.floor(0.9 * 30 * 86_400_000)).toISOString();
    const b = performance.now();
    const recent = await simulatePolicy(pool, draft, live, { since });
    const recentMs = performance.now() - b;
    clearInterval(ticker);
    // On one thread, as the CLI and tests run it.
    const c = performance.now();
    await simulatePolicy(inlineAuditQueries(store), draft, live);
    const inlineMs = performance.now() - c;
    await pool.close();
    db.close();

    const big = bigDoc(false);
    const bigDraft = bigDoc(true);
    const v0 = performance.now();
    const diags = validatePolicy(bigDraft, { targets: [] });
    const validateMs = performance.now() - v0;
    const v1 = performance.now();
    const targetDiags = validatePolicy(bigDraft, { targets: ['contextforge', 'toolhive-cedar', 'agentgateway-cel'] });
    const validateTargetsMs = performance.now() - v1;
    const d0 = performance.now();
    const delta = matrixDelta(big, bigDraft);
    const deltaMs = performance.now() - d0;
    return {
      'audit events (setup ingest)': `${n} in ${ms(ingestMs)}`,
      'simulate 1M events (≤ 3 s)': `${ms(simMs)} (${ms(coldMs)} with the workers' start-up; ${ms(inlineMs)} on one thread)`,
      'simulate: longest event-loop stall': ms(stall),
      'simulate tuples / changed groups': `${sim.tuples} / ${sim.newlyDenied.length + sim.newlyAllowed.length}`,
      'simulate last 10% of the month (range)': `${ms(recentMs)} (${recent.events} events, ${recent.tuples} tuples)`,
      'validate 200t/2000s/20000 tools (≤ 1 s)': `${ms(validateMs)} (${diags.length} diagnostics)`,
      'validate incl. target checks': `${ms(validateTargetsMs)} (${targetDiags.length} diagnostics)`,
      'matrixDelta same doc': `${ms(deltaMs)} (${delta.length} entries)`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
