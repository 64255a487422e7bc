import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEventDraft } from '../../shared/model/audit.js';
import type { ServiceContext } from '../../electron/services/context.js';
import { cliContext } from '../support/node-context.js';
import { auditHandlers } from '../../electron/services/audit/handlers.js';
import { AuditStore } from '../../electron/services/audit/store.js';
import { DATABASE_URL_SECRET } from '../../electron/services/fleet/handlers.js';
import type { TeamStore } from '../../electron/services/fleet/store.js';
import { closeTeamStates } from '../../electron/services/team-state/open.js';
import { viaContract } from '../support/contract-call.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';
import { createTeamStore } from '../support/team-store.js';
import { Relay } from '../support/tcp-relay.js';

/**
 * `audit.forward.status` on a real PostgreSQL team store: pending events before and after a sync,
 * the failure (since when, why, masked) once the store goes away, recovery, and the reasons it does
 * not apply (no store, a reporter's URL). Under GATEHOUSE_REQUIRE_POSTGRES=1 a missing cluster fails.
 */

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;
const PW = 'fwd-status-pw-7Hq';
const WRONG_PW = 'wrong-secret-9Zx';

const call = viaContract;

function draft(i: number): AuditEventDraft {
  return {
    time: new Date(Date.UTC(2026, 10, 20, 9, 0, i)).toISOString(),
    source: 'fwd-gw',
    sourceKind: 'jsonl',
    sourceRecordId: `fwd-${i}`,
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
    original: { i },
  };
}

describe('audit.forward.status (real PostgreSQL)', { skip }, () => {
  let root: string;
  let owner: TeamStore;
  let relay: Relay;
  const contexts: ServiceContext[] = [];
  let now = new Date('2026-11-30T10:00:00Z');

  async function workstation(name: string, url: string | null) {
    const stateDir = join(root, `state-${name}`);
    const base = cliContext(root, stateDir);
    const ctx: ServiceContext = { ...base, clock: { now: () => now } };
    if (url) await ctx.secrets.set(DATABASE_URL_SECRET, url);
    contexts.push(ctx);
    const local = new AuditStore(ctx.db);
    const localCount = () => (ctx.db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n;
    return { ctx, h: auditHandlers(ctx, { follow: false }), local, localCount };
  }
  const url = (user: string, pw = PW, port?: number) => {
    const u = new URL(cluster.url('fwd_status', user, pw));
    if (port) u.port = String(port);
    return u.toString();
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-fwd-status-'));
    owner = await createTeamStore(cluster, 'fwd_status', {
      password: PW,
      admins: ['fwd_admin'],
      reporters: ['fwd_reporter'],
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

  it('pending before and after a sync; failing since, why (masked) while the store is away; recovery', async () => {
    const w = await workstation('admin', url('fwd_admin', PW, relay.port));
    w.local.insertBatch([0, 1, 2, 3, 4, 5].map((i) => ({ event: draft(i), key: `fwd-${i}` })));
    const before = await call(w.h, 'audit.forward.status', {});
    assert.equal(before.configured, true);
    assert.equal(before.reason, null);
    assert.match(before.target ?? '', /fwd_admin:\*\*\*\*@/, 'the target is shown with its password masked');
    assert.equal(before.pending, w.localCount());
    assert.ok(before.pending >= 6, `pending ${before.pending}`);
    assert.equal(before.lastAttemptAt, null, 'never tried yet');
    assert.equal(before.forwarded, 0);
    assert.equal(before.forwardedThrough, null);

    const t1 = now.toISOString();
    const sync = await call(w.h, 'audit.sync', {});
    assert.equal(sync.team?.error, null);
    const ok = await call(w.h, 'audit.forward.status', {});
    assert.equal(ok.pending, 0);
    assert.equal(ok.forwarded, w.localCount(), 'every local event was forwarded once');
    assert.equal(ok.lastAttemptAt, t1);
    assert.equal(ok.lastSuccessAt, t1);
    assert.equal(ok.failingSince, null);
    assert.equal(ok.lastError, null);
    assert.ok(ok.forwardedThrough, 'the time of the newest forwarded event');

    // A sync with nothing new still records that forwarding works.
    now = new Date('2026-11-30T10:05:00Z');
    await call(w.h, 'audit.sync', {});
    assert.equal((await call(w.h, 'audit.forward.status', {})).lastSuccessAt, now.toISOString());
    const lastOk = now.toISOString();

    await relay.down();
    w.local.insertBatch([6, 7, 8].map((i) => ({ event: draft(i), key: `fwd-${i}` })));
    now = new Date('2026-11-30T10:10:00Z');
    const failedAt = now.toISOString();
    await call(w.h, 'audit.sync', {});
    now = new Date('2026-11-30T10:15:00Z');
    await call(w.h, 'audit.sync', {});
    const down = await call(w.h, 'audit.forward.status', {});
    assert.equal(down.configured, true);
    assert.ok(down.pending >= 3, `pending ${down.pending}`);
    assert.equal(down.failingSince, failedAt, 'failing since the first failed attempt');
    assert.equal(down.lastAttemptAt, now.toISOString());
    assert.equal(down.lastSuccessAt, lastOk);
    assert.match(down.lastError ?? '', /ECONNREFUSED|terminat|connect/i);
    assert.doesNotMatch(JSON.stringify(down), new RegExp(PW), 'no password in the status');

    await relay.up();
    now = new Date('2026-11-30T10:20:00Z');
    await call(w.h, 'audit.sync', {});
    const back = await call(w.h, 'audit.forward.status', {});
    assert.equal(back.pending, 0);
    assert.equal(back.failingSince, null);
    assert.equal(back.lastError, null);
    assert.equal(back.lastSuccessAt, now.toISOString());
    const team = await owner.withClient((c) =>
      c.query<{ n: string }>("SELECT count(*) AS n FROM audit_events WHERE source = 'fwd-gw'"),
    );
    assert.equal(Number(team.rows[0]?.n), 9, 'the events pending during the outage arrived');
  });

  it('a refused login: the error says why, never with the password', async () => {
    const w = await workstation('badpw', url('fwd_admin', WRONG_PW));
    w.local.insertBatch([{ event: draft(100), key: 'fwd-100' }]);
    const first = await call(w.h, 'audit.forward.status', {});
    assert.equal(first.configured, true, 'an unreachable store counts as configured: forwarding to it fails');
    assert.match(first.lastError ?? '', /password authentication failed/);
    await call(w.h, 'audit.sync', {});
    const s = await call(w.h, 'audit.forward.status', {});
    assert.match(s.lastError ?? '', /password authentication failed/);
    assert.equal(s.failingSince, now.toISOString());
    assert.equal(s.pending, w.localCount());
    const text = JSON.stringify(s);
    assert.doesNotMatch(text, new RegExp(WRONG_PW));
    assert.doesNotMatch(text, new RegExp(encodeURIComponent(WRONG_PW)));
  });

  it("not configured: no team store, or a reporter's URL (which forwards nothing)", async () => {
    const none = await workstation('none', null);
    const n = await call(none.h, 'audit.forward.status', {});
    assert.equal(n.configured, false);
    assert.match(n.reason ?? '', /No team store is configured/);
    assert.equal(n.target, null);

    const rep = await workstation('reporter', url('fwd_reporter'));
    const r = await call(rep.h, 'audit.forward.status', {});
    assert.equal(r.configured, false);
    assert.match(r.reason ?? '', /reporter's/);
    assert.doesNotMatch(JSON.stringify(r), new RegExp(PW));
  });
});
