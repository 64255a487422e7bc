import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminError } from '../../shared/api/errors.js';
import type { AuditEventDraft } from '../../shared/model/audit.js';
import type { ServiceContext } from '../../electron/services/context.js';
import { cliContext } from '../support/node-context.js';
import { auditHandlers } from '../../electron/services/audit/handlers.js';
import { clampForwardMarks, forwardToTeam, forwardState } from '../../electron/services/audit/forward.js';
import { AuditStore, type IngestRecord } from '../../electron/services/audit/store.js';
import { toolhiveLine } from '../../electron/services/audit/test-helpers.js';
import { PgAuditStore } from '../../electron/services/fleet/audit.js';
import { DATABASE_URL_SECRET } from '../../electron/services/fleet/handlers.js';
import type { TeamStore } from '../../electron/services/fleet/store.js';
import { closeTeamStates } from '../../electron/services/team-state/open.js';
import { openDatabase } from '../../electron/services/store/database.js';
import { viaContract } from '../support/contract-call.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';
import { createTeamStore } from '../support/team-store.js';
import { Relay } from '../support/tcp-relay.js';

/**
 * The team audit timeline end to end on a real PostgreSQL cluster: workstations forward what they
 * ingest to the team store; an admin reads it with `scope: 'team'` (events that are not in their
 * own store); a reporter's URL, no store and an unreachable store are refused with the reason;
 * forwarding across an outage delivers every event exactly once; the CLI imports and queries it.
 */

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;
const PW = 'audit-team-pw-4Kq';
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'gatehouse.mjs');

type Handlers = ReturnType<typeof auditHandlers>;

const call = viaContract;

async function refused(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AdminError, `an AdminError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

function gatehouse(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const e = { ...process.env, ...env };
    delete e.GATEHOUSE_STATE;
    if (!env.GATEHOUSE_DATABASE_URL) delete e.GATEHOUSE_DATABASE_URL;
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: e }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('audit scope team (real PostgreSQL)', { skip }, () => {
  let root: string;
  let owner: TeamStore;
  let relay: Relay;
  const contexts: ServiceContext[] = [];
  const now = new Date('2026-11-28T10:00:00Z');

  async function workstation(name: string, url: string | null): Promise<{ ctx: ServiceContext; h: Handlers }> {
    const stateDir = join(root, `state-${name}`);
    const base = cliContext(root, stateDir);
    const ctx: ServiceContext = { ...base, clock: { now: () => now } };
    if (url) await ctx.secrets.set(DATABASE_URL_SECRET, url);
    contexts.push(ctx);
    return { ctx, h: auditHandlers(ctx, { follow: false }) };
  }

  async function logFile(name: string, from: number, to: number): Promise<string> {
    const p = join(root, name);
    const lines: string[] = [];
    for (let i = from; i < to; i++) lines.push(toolhiveLine(i));
    await writeFile(p, lines.join('\n') + '\n');
    return p;
  }

  /** Events of one source in the team store, counted per record id (exactly once: every count is 1). */
  async function teamCounts(source: string): Promise<Map<string, number>> {
    const r = await owner.withClient((c) =>
      c.query<{ rid: string; n: string }>(
        'SELECT source_record_id AS rid, count(*) AS n FROM audit_events WHERE source = $1 GROUP BY 1',
        [source],
      ),
    );
    return new Map(r.rows.map((x) => [x.rid, Number(x.n)]));
  }

  const adminUrl = (user: string, port?: number) => {
    const u = new URL(cluster.url('team_audit', user, PW));
    if (port) u.port = String(port);
    return u.toString();
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-audit-team-'));
    owner = await createTeamStore(cluster, 'team_audit', {
      password: PW,
      admins: ['alice', 'bob', 'dave'],
      reporters: ['carol'],
      max: 2,
    });
    relay = new Relay(cluster.port);
    await relay.up();
  });
  after(async () => {
    await relay?.down();
    await closeTeamStates();
    await owner?.close();
    for (const ctx of contexts) ctx.db.close();
    await rm(root, { recursive: true, force: true });
    await cluster.stop();
  });

  it("bob's sync forwards his events; alice reads them with scope team (not in her own store)", async () => {
    const alice = await workstation('alice', adminUrl('alice'));
    const bob = await workstation('bob', adminUrl('bob'));
    const path = await logFile('bob-toolhive.jsonl', 0, 30);
    await call(bob.h, 'audit.sources.add', { name: 'bob-gw', config: { kind: 'toolhive', path } });
    const sync = await call(bob.h, 'audit.sync', {});
    assert.equal(sync.sources.find((s) => s.name === 'bob-gw')?.imported, 30);
    assert.ok(sync.team, 'a team store is configured: the sync reports forwarding');
    assert.equal(sync.team.error, null);
    assert.equal(sync.team.pending, 0);
    assert.ok(sync.team.sent >= 30, `sent ${sync.team.sent}`);
    assert.doesNotMatch(sync.team.target, new RegExp(PW), 'the target is shown with its password masked');

    const filter = { source: ['bob-gw'] };
    const local = await call(alice.h, 'audit.query', { filter, withTotal: true });
    assert.equal(local.total, 0, "bob's events are not in alice's own store");
    const team = await call(alice.h, 'audit.query', { filter, withTotal: true, scope: 'team', limit: 10 });
    assert.equal(team.total, 30);
    assert.equal(team.events.length, 10);
    assert.equal(team.events[0]?.sourceRecordId, 'th-29', 'newest first');
    assert.ok(team.nextCursor);
    const next = await call(alice.h, 'audit.query', { filter, scope: 'team', limit: 10, cursor: team.nextCursor });
    assert.equal(next.events[0]?.sourceRecordId, 'th-19');

    const one = await call(alice.h, 'audit.event', { id: team.events[0]!.id, scope: 'team' });
    assert.equal(one?.sourceRecordId, 'th-29');
    assert.equal(one?.source, 'bob-gw');
    assert.ok(one?.original, 'the original record travels with the event');

    const facets = await call(alice.h, 'audit.facets', { filter: {}, scope: 'team', facets: ['source', 'outcome'] });
    assert.equal(facets.source?.find((f) => f.value === 'bob-gw')?.count, 30);
    const searched = await call(alice.h, 'audit.facets', {
      filter: {},
      scope: 'team',
      facets: ['source'],
      search: 'BOB',
    });
    assert.deepEqual(
      searched.source?.map((f) => f.value),
      ['bob-gw'],
    );
    const hist = await call(alice.h, 'audit.histogram', { filter, scope: 'team', buckets: 10 });
    assert.equal(hist.total, 30);

    const chunk = await call(alice.h, 'audit.export', { filter, format: 'jsonl', scope: 'team', limit: 100 });
    assert.equal(chunk.rows, 30);
    assert.equal(chunk.total, 30);
    const teamLog = await owner.withClient((c) =>
      c.query<{ n: string; hash: string }>(
        'SELECT count(*) OVER () AS n, hash FROM admin_log ORDER BY id DESC LIMIT 1',
      ),
    );
    if (teamLog.rows[0]) {
      assert.equal(chunk.adminLogAnchor?.count, Number(teamLog.rows[0].n), "the team store's admin log is the anchor");
      assert.equal(chunk.adminLogAnchor?.headHash, teamLog.rows[0].hash);
    } else assert.equal(chunk.adminLogAnchor, null);

    // Oldest first reads the same team events in the other order.
    const newest = await call(alice.h, 'audit.query', { filter, scope: 'team', limit: 500 });
    const oldest = await call(alice.h, 'audit.query', { filter, scope: 'team', order: 'oldest', limit: 500 });
    assert.ok(newest.events.length > 1);
    assert.deepEqual(
      oldest.events.map((e) => e.id),
      newest.events.map((e) => e.id).reverse(),
    );
    const scopes = await call(alice.h, 'audit.scopes', {});
    assert.equal(scopes.team.available, true);
    assert.equal(scopes.team.reason, null);

    // Forwarding is idempotent: a second workstation syncing the same records stores none twice.
    const dave = await workstation('dave', adminUrl('dave'));
    await call(dave.h, 'audit.sources.add', { name: 'bob-gw', config: { kind: 'toolhive', path } });
    const again = await call(dave.h, 'audit.sync', {});
    assert.equal(again.team?.error, null);
    const counts = await teamCounts('bob-gw');
    assert.equal(counts.size, 30);
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      'every record once',
    );
  });

  it("refuses a reporter's URL, no team store, and an unreachable store, with the reason", async () => {
    const carol = await workstation('carol', cluster.url('team_audit', 'carol', PW));
    await refused(call(carol.h, 'audit.query', { scope: 'team' }), 'unavailable', /reporter's/);
    await refused(call(carol.h, 'audit.event', { id: '1', scope: 'team' }), 'unavailable', /reporter's/);
    const cs = await call(carol.h, 'audit.scopes', {});
    assert.equal(cs.team.available, false);
    assert.match(cs.team.reason ?? '', /reporter's/);
    assert.doesNotMatch(cs.team.display ?? '', new RegExp(PW));
    // A reporter has nothing to forward to: its sync says so by reporting no team forwarding.
    assert.equal((await call(carol.h, 'audit.sync', {})).team ?? null, null);

    const none = await workstation('none', null);
    await refused(call(none.h, 'audit.histogram', { scope: 'team' }), 'unavailable', /No team store is configured/);
    assert.equal((await call(none.h, 'audit.scopes', {})).team.available, false);
    // The workstation timeline still answers.
    assert.ok((await call(none.h, 'audit.query', {})).events);

    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const down = await workstation('down', adminUrl('alice', closed));
    for (const m of ['audit.query', 'audit.facets', 'audit.export'] as const) {
      const input = m === 'audit.export' ? { scope: 'team', format: 'csv' } : { scope: 'team' };
      await refused(call(down.h, m, input), 'unavailable', new RegExp(`Team store .*:${closed}.*ECONNREFUSED`));
    }
    const ds = await call(down.h, 'audit.scopes', {});
    assert.equal(ds.team.available, false);
    assert.match(ds.team.reason ?? '', /ECONNREFUSED/);
    assert.doesNotMatch(ds.team.reason ?? '', new RegExp(PW), 'the password never appears in a reason');
  });

  it('forwards exactly once across a team store outage', async () => {
    const eve = await workstation('eve', adminUrl('alice', relay.port));
    const path = join(root, 'eve.jsonl');
    const lines = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => toolhiveLine(1000 + from + k)).join('\n') + '\n';
    await writeFile(path, lines(0, 20));
    await call(eve.h, 'audit.sources.add', { name: 'eve-gw', config: { kind: 'toolhive', path } });
    const first = await call(eve.h, 'audit.sync', {});
    assert.equal(first.team?.error, null);
    assert.equal(first.team?.pending, 0);

    await relay.down();
    await writeFile(path, lines(0, 35));
    const during = await call(eve.h, 'audit.sync', {});
    assert.equal(during.sources.find((s) => s.name === 'eve-gw')?.imported, 15, 'the local sync still works');
    assert.match(during.team?.error ?? '', /Team store|ECONNREFUSED|terminat|connect/i);
    assert.ok((during.team?.pending ?? 0) >= 15, `pending ${during.team?.pending}`);
    assert.equal((await teamCounts('eve-gw')).size, 20, 'nothing new reached the team store while it was down');
    await refused(call(eve.h, 'audit.query', { scope: 'team' }), 'unavailable', /Team store/);

    await relay.up();
    await writeFile(path, lines(0, 40));
    const back = await call(eve.h, 'audit.sync', {});
    assert.equal(back.team?.error, null);
    assert.equal(back.team?.pending, 0);
    const counts = await teamCounts('eve-gw');
    assert.equal(counts.size, 40, 'every event arrived');
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      'and only once',
    );
    assert.equal(forwardState(eve.ctx.db, back.team!.target)?.lastError, null);
  });

  it('a batch committed whose acknowledgement was lost is sent again and stored once', async () => {
    const { ctx } = await workstation('frank', null);
    const local = new AuditStore(ctx.db);
    const recs: IngestRecord[] = Array.from({ length: 6 }, (_, i) => {
      const event: AuditEventDraft = {
        time: new Date(Date.UTC(2026, 10, 3, 12, 0, i)).toISOString(),
        source: 'frank-gw',
        sourceKind: 'jsonl',
        sourceRecordId: null, // keyed by content: forwarded under the local uid
        tenant: null,
        'user.id': `user-${i}`,
        client: null,
        'client.address': null,
        'mcp.method.name': 'tools/call',
        server: 'srv',
        'gen_ai.tool.name': 'tool',
        'gen_ai.prompt.name': null,
        'mcp.resource.uri': null,
        outcome: 'success',
        reason: null,
        'error.type': null,
        durationMs: null,
        'jsonrpc.request.id': null,
        'mcp.session.id': null,
        original: { n: i },
      };
      return { event, key: `content-${i}` };
    });
    local.insertBatch(recs);
    const real = new PgAuditStore(owner);
    let calls = 0;
    const flaky = {
      ingest: async (r: Iterable<IngestRecord>) => {
        const out = await real.ingest(r);
        if (++calls === 2) throw new Error('connection lost after commit');
        return out;
      },
    } as unknown as PgAuditStore;
    const target = 'frank-target';
    const one = await forwardToTeam(ctx.db, local, flaky, target, () => now, { batch: 2 });
    assert.equal(one.sent, 2, 'the first batch is acknowledged; the second commits but its answer is lost');
    assert.match(one.error ?? '', /connection lost/);
    assert.equal(one.pending, 4 + (await localGatehouseCount(ctx)), 'the mark stays before the second batch');
    const two = await forwardToTeam(ctx.db, local, flaky, target, () => now, { batch: 2 });
    assert.equal(two.error, null);
    assert.equal(two.pending, 0);
    const byUser = await owner.withClient((c) =>
      c.query<{ u: string; n: string }>(
        "SELECT user_id AS u, count(*) AS n FROM audit_events WHERE source = 'frank-gw' GROUP BY 1",
      ),
    );
    assert.equal(byUser.rows.length, 6);
    assert.ok(
      byUser.rows.every((r) => Number(r.n) === 1),
      'each event stored once',
    );
  });

  /** A content-keyed local event (no record id) of `source`. */
  const localRecord = (source: string, i: number): IngestRecord => ({
    event: {
      time: new Date(Date.UTC(2026, 10, 4, 12, 0, i)).toISOString(),
      source,
      sourceKind: 'jsonl',
      sourceRecordId: null,
      tenant: null,
      'user.id': `${source}-user-${i}`,
      client: null,
      'client.address': null,
      'mcp.method.name': 'tools/call',
      server: 'srv',
      'gen_ai.tool.name': 'tool',
      'gen_ai.prompt.name': null,
      'mcp.resource.uri': null,
      outcome: 'success',
      reason: null,
      'error.type': null,
      durationMs: null,
      'jsonrpc.request.id': null,
      'mcp.session.id': null,
      original: { source, i },
    },
    key: `${source}-${i}`,
  });

  it('events restored from the trash after they were skipped are still forwarded', async () => {
    const { ctx, h } = await workstation('grace', null);
    const local = new AuditStore(ctx.db);
    const team = new PgAuditStore(owner);
    // Ids 1-3 keep, 4-6 gone (deleted before any forward), 7-9 keep: the gone ones sit below the mark.
    local.insertBatch([0, 1, 2].map((i) => localRecord('grace-keep', i)));
    local.insertBatch([0, 1, 2].map((i) => localRecord('grace-gone', i)));
    local.insertBatch([3, 4, 5].map((i) => localRecord('grace-keep', i)));
    const deleted = local.deleteBySource('grace-gone');
    assert.equal(deleted.events, 3);
    const rows = async (source: string) =>
      Number(
        (
          await owner.withClient((c) =>
            c.query<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE source = $1', [source]),
          )
        ).rows[0]!.n,
      );
    const one = await forwardToTeam(ctx.db, local, team, 'grace-target', () => now);
    assert.equal(one.error, null);
    assert.equal(await rows('grace-keep'), 6);
    assert.equal(await rows('grace-gone'), 0);
    // Restored with their old ids (below the mark).
    const r = await call(h, 'audit.trash.restore', { id: deleted.batch! });
    assert.equal(r.restored, 3);
    const two = await forwardToTeam(ctx.db, local, team, 'grace-target', () => now);
    assert.equal(two.error, null);
    assert.equal(two.pending, 0);
    assert.equal(await rows('grace-gone'), 3, 'the restored events reached the team timeline');
    assert.equal(await rows('grace-keep'), 6, 'and nothing twice');
  });

  it('an event reusing the id of one deleted while a forward was in flight is not skipped', async () => {
    const { ctx } = await workstation('heidi', null);
    const local = new AuditStore(ctx.db);
    const real = new PgAuditStore(owner);
    local.insertBatch([0, 1, 2].map((i) => localRecord('heidi-old', i)));
    local.insertBatch([0, 1, 2].map((i) => localRecord('heidi-newest', i)));
    let calls = 0;
    // While the batch is on its way, the newest source is removed with its events (as
    // audit.sources.remove does) and a new event is stored: SQLite gives it a freed id.
    const racing = {
      ingest: async (r: Iterable<IngestRecord>) => {
        const out = await real.ingest(r);
        if (++calls === 1) {
          assert.equal(local.deleteBySource('heidi-newest').events, 3);
          clampForwardMarks(ctx.db);
          local.insertBatch([localRecord('heidi-later', 0)]);
        }
        return out;
      },
    } as unknown as PgAuditStore;
    await forwardToTeam(ctx.db, local, racing, 'heidi-target', () => now);
    const again = await forwardToTeam(ctx.db, local, real, 'heidi-target', () => now);
    assert.equal(again.error, null);
    assert.equal(again.pending, 0);
    const later = await owner.withClient((c) =>
      c.query<{ n: string }>("SELECT count(*) AS n FROM audit_events WHERE source = 'heidi-later'"),
    );
    assert.equal(Number(later.rows[0]!.n), 1, 'the later event reached the team timeline');
  });

  it('CLI: audit import --team records an admin action; audit query --scope team reads it', async () => {
    const state = join(root, 'state-cli');
    const file = await logFile('cli.jsonl', 5000, 5012);
    const url = adminUrl('alice');
    const imp = await gatehouse(['audit', 'import', file, '--format', 'toolhive', '--team', '--state', state], {
      GATEHOUSE_DATABASE_URL: url,
    });
    assert.equal(imp.code, 0, imp.stderr);
    assert.deepEqual(JSON.parse(imp.stdout), { imported: 12, duplicates: 0, rejected: 0 });
    const again = await gatehouse(['audit', 'import', file, '--format', 'toolhive', '--team', '--state', state], {
      GATEHOUSE_DATABASE_URL: url,
    });
    assert.deepEqual(JSON.parse(again.stdout), { imported: 0, duplicates: 12, rejected: 0 });

    const log = await owner.withClient((c) =>
      c.query<{ actor: string; target: string; detail: Record<string, unknown> }>(
        "SELECT actor, target, detail FROM admin_log WHERE action = 'audit.import.team' ORDER BY id",
      ),
    );
    assert.equal(log.rows.length, 2, 'each import is in the team store admin log');
    assert.equal(log.rows[0]?.detail.imported, 12);
    assert.deepEqual(log.rows[0]?.detail.files, [file]);
    assert.match(log.rows[0]!.actor, /\(cli\)/);
    assert.doesNotMatch(log.rows[0]!.target, new RegExp(PW));

    const q = await gatehouse(
      ['audit', 'query', '--scope', 'team', '--database-url', url, '--state', state, '--subject', 'never-such-user'],
      {},
    );
    assert.equal(q.code, 0, q.stderr);
    assert.equal((JSON.parse(q.stdout) as { total: number }).total, 0);
    const all = await gatehouse(['audit', 'query', '--scope', 'team', '--state', state, '--limit', '3'], {
      GATEHOUSE_DATABASE_URL: url,
    });
    assert.equal(all.code, 0, all.stderr);
    const out = JSON.parse(all.stdout) as {
      total: number;
      events: { sourceRecordId: string }[];
      adminLogAnchor: { count: number };
    };
    assert.ok(out.total >= 12);
    assert.equal(out.events.length, 3);
    assert.ok(out.adminLogAnchor.count >= 2, "anchored on the team store's admin log");
    const local = await gatehouse(['audit', 'query', '--state', state, '--text', 'th-5000'], {});
    assert.equal((JSON.parse(local.stdout) as { total: number }).total, 0, 'nothing was imported locally');
    const db = openDatabase(join(state, 'gatehouse.db'));
    try {
      const n = db.prepare("SELECT count(*) AS n FROM admin_log WHERE action = 'audit.import.team'").get() as {
        n: number;
      };
      assert.equal(n.n, 2, "and in this workstation's own admin log");
    } finally {
      db.close();
    }

    const none = await gatehouse(['audit', 'query', '--scope', 'team', '--state', join(root, 'state-none-cli')], {});
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no team store: set GATEHOUSE_DATABASE_URL/);

    const reporter = await gatehouse(
      ['audit', 'query', '--scope', 'team', '--state', state, '--database-url', cluster.url('team_audit', 'carol', PW)],
      {},
    );
    assert.equal(reporter.code, 2);
    assert.match(reporter.stderr, /reporter's/);
    assert.doesNotMatch(reporter.stderr, new RegExp(PW));
  });
});

async function localGatehouseCount(ctx: ServiceContext): Promise<number> {
  return (
    ctx.db.prepare("SELECT count(*) AS n FROM audit_events WHERE source_kind = 'gatehouse'").get() as { n: number }
  ).n;
}
