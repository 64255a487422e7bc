import assert from 'node:assert/strict';
import { chmod, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { adminMethods } from '../../shared/api/contract.js';
import { AdminError } from '../../shared/api/errors.js';
import { isScopeFinding, type AnyFinding } from '../../shared/model/tenant.js';
import type { Finding } from '../../shared/model/finding.js';
import { createAdminHandlers } from '../../electron/services/admin-service.js';
import type { ServiceContext } from '../../electron/services/context.js';
import { createNodeContext } from '../../electron/node/runtime.js';
import { openNodeSecretStore } from '../../electron/node/secret-store.js';
import { DATABASE_URL_SECRET } from '../../electron/services/fleet/handlers.js';
import { verifyAdminLog, type TeamStore } from '../../electron/services/fleet/store.js';
import { actorOf } from '../../electron/services/identity/sessions.js';
import { closeTeamStates } from '../../electron/services/team-state/open.js';
import { startPostgres, type PgCluster } from '../support/postgres.js';
import { createTeamStore } from '../support/team-store.js';
import { viaContract } from '../support/contract-call.js';

/**
 * The findings API over a real PostgreSQL team store: two admins (two workstations, two login
 * roles, two local stores) scan the same kind of files; a suppression one makes is what the other
 * sees, it lives in the team store (not in either local store), a stale edit is a conflict naming
 * who moved it, and every change is in the team store's admin log with its actor.
 */

const started = await startPostgres();
const skip = 'skip' in started ? started.skip : false;
const cluster = started as PgCluster;
const PW = 'findings-team-pw-7Hx';
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'findings');

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

function teamContext(root: string, stateDir: string, now: Date): ServiceContext {
  const base = createNodeContext({
    stateDir,
    mode: 'browser',
    workstation: { home: join(root, 'home'), platform: 'linux', projects: [], systemRoot: join(root, 'none'), env: {} },
    secrets: openNodeSecretStore(stateDir, { keyring: null }),
  });
  return { ...base, clock: { now: () => now } };
}

const workstation = (list: AnyFinding[]): Finding[] => list.filter((f): f is Finding => !isScopeFinding(f));

function call<K extends keyof typeof adminMethods>(ctx: ServiceContext, method: K, input: unknown) {
  return viaContract(createAdminHandlers(ctx), method, input);
}

describe('findings.* with a team store (real PostgreSQL)', { skip }, () => {
  const roots: string[] = [];
  let owner: TeamStore;
  let alice: ServiceContext;
  let bob: ServiceContext;
  const now = new Date('2026-11-28T10:00:00Z');

  /** Each admin: their own local store and secret store; the same configured files (same finding ids). */
  async function admin(name: string): Promise<ServiceContext> {
    const home = roots[0]!;
    const ctx = teamContext(home, join(home, `state-${name}`), now);
    await ctx.secrets.set(DATABASE_URL_SECRET, cluster.url('team_findings', name, PW));
    return ctx;
  }

  before(async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-team-findings-'));
    roots.push(root);
    await cp(join(FIXTURE, 'home'), join(root, 'home'), { recursive: true });
    for (const f of await walk(join(root, 'home'))) await chmod(f, 0o600);
    owner = await createTeamStore(cluster, 'team_findings', {
      password: PW,
      admins: ['alice', 'bob'],
      reporters: ['carol'],
    });
    alice = await admin('alice');
    bob = await admin('bob');
    await call(alice, 'findings.scan', {});
    await call(bob, 'findings.scan', {});
  });
  after(async () => {
    await closeTeamStates();
    await owner?.close();
    for (const ctx of [alice, bob]) ctx?.db.close();
    for (const r of roots) await rm(r, { recursive: true, force: true });
    await cluster.stop();
  });

  it("alice's suppression is in the team store (no local copy) and bob's list shows it, with its version", async () => {
    const list = workstation((await call(alice, 'findings.list', { ruleId: 'runner.unpinned' })).findings);
    const target = list.find((f) => f.server === 'github')!;
    assert.ok(target, 'runner.unpinned on github is a finding of the fixture');
    const s = await call(alice, 'findings.suppress', { id: target.id, reason: 'pinned by our mirror' });
    assert.equal(s.status, 'suppressed');
    assert.match(s.suppression!.version!, /^r1$/);
    for (const ctx of [alice, bob])
      assert.equal(
        (ctx.db.prepare('SELECT count(*) AS n FROM finding_suppressions').get() as { n: number }).n,
        0,
        'nothing copied into a local store',
      );
    const rows = await owner.withClient((c) => c.query('SELECT id, reason, actor FROM team_suppressions'));
    assert.deepEqual(rows.rows, [{ id: target.id, reason: 'pinned by our mirror', actor: actorOf(alice) }]);
    const seen = workstation((await call(bob, 'findings.list', {})).findings).find((f) => f.id === target.id)!;
    assert.equal(seen.status, 'suppressed');
    assert.equal(seen.suppression!.reason, 'pinned by our mirror');
    assert.equal(seen.suppression!.version, 'r1');
  });

  it('a stale edit is a conflict naming who moved it; reloading and retrying works; nothing is lost', async () => {
    const target = workstation((await call(bob, 'findings.list', { status: 'suppressed' })).findings)[0]!;
    const loaded = target.suppression!.version!;
    await call(alice, 'findings.suppress', { id: target.id, reason: 'alice: ticket SEC-9', expectedVersion: loaded });
    await assert.rejects(
      call(bob, 'findings.suppress', { id: target.id, reason: 'bob: other reason', expectedVersion: loaded }),
      (err: unknown) => {
        assert.ok(err instanceof AdminError);
        assert.equal(err.code, 'conflict');
        assert.match(
          err.message,
          new RegExp(`Suppression of finding ${target.id} was changed by .+ since you loaded it`),
        );
        return true;
      },
    );
    await assert.rejects(
      call(bob, 'findings.unsuppress', { id: target.id, expectedVersion: loaded }),
      /was changed by/,
    );
    const fresh = workstation((await call(bob, 'findings.list', {})).findings).find((f) => f.id === target.id)!;
    assert.equal(fresh.suppression!.reason, 'alice: ticket SEC-9');
    const reopened = await call(bob, 'findings.unsuppress', {
      id: target.id,
      expectedVersion: fresh.suppression!.version,
    });
    assert.equal(reopened.status, 'open');
    assert.equal(
      workstation((await call(alice, 'findings.list', {})).findings).find((f) => f.id === target.id)!.status,
      'open',
    );
  });

  it('the team admin log holds every change, with each admin as actor, and its chain verifies', async () => {
    const log = await owner.withClient((c) =>
      c.query<{ action: string; actor: string }>(
        `SELECT action, actor FROM admin_log WHERE action LIKE 'finding.%' ORDER BY id`,
      ),
    );
    assert.deepEqual(
      log.rows.map((r) => r.action),
      ['finding.suppress', 'finding.suppress', 'finding.unsuppress'],
    );
    // Both test admins run as the same OS account, so actorOf names them the same way.
    assert.deepEqual(new Set(log.rows.map((r) => r.actor)), new Set([actorOf(alice)]));
    assert.equal(await owner.withClient((c) => verifyAdminLog(c)), null);
    for (const ctx of [alice, bob])
      assert.equal(
        (ctx.db.prepare(`SELECT count(*) AS n FROM admin_log WHERE action LIKE 'finding.%'`).get() as { n: number }).n,
        0,
      );
  });

  it("a reporter's URL (a workstation that only reports) keeps its suppressions local and reads no team state", async () => {
    const carol = await admin('carol');
    try {
      await call(carol, 'findings.scan', {});
      const target = workstation((await call(carol, 'findings.list', { ruleId: 'runner.unpinned' })).findings)[0]!;
      const s = await call(carol, 'findings.suppress', { id: target.id, reason: 'local only' });
      assert.equal(s.suppression!.version, undefined, 'a local suppression has no team version');
      assert.equal((carol.db.prepare('SELECT count(*) AS n FROM finding_suppressions').get() as { n: number }).n, 1);
      const team = await owner.withClient((c) =>
        c.query(`SELECT 1 FROM team_suppressions WHERE reason = 'local only'`),
      );
      assert.equal(team.rowCount, 0);
    } finally {
      carol.db.close();
    }
  });

  it('team store unreachable: the findings list says so (unavailable), naming the store without its password', async () => {
    const lost = teamContext(roots[0]!, join(roots[0]!, 'state-lost'), now);
    await lost.secrets.set(DATABASE_URL_SECRET, `postgres://alice:${PW}@127.0.0.1:1/team_findings`);
    try {
      await assert.rejects(call(lost, 'findings.list', {}), (err: unknown) => {
        assert.ok(err instanceof AdminError);
        assert.equal(err.code, 'unavailable');
        assert.match(err.message, /Team store postgres:\/\/alice:\*\*\*\*@127\.0\.0\.1:1/);
        assert.ok(!err.message.includes(PW));
        return true;
      });
    } finally {
      lost.db.close();
    }
  });
});
