import { readFileSync } from 'node:fs';
import { ContextForgeAdapter } from '../electron/services/gateways/contextforge.js';
import { ContextForgeWriter } from '../electron/services/gateways/contextforge-write.js';
import type { GatewayTarget } from '../electron/services/gateways/adapter.js';
import { policyFromSnapshot } from '../electron/services/policy/from-snapshot.js';
import { pushPolicy, rollbackPolicy, type PushDeps } from '../electron/services/policy/push.js';
import { saveVersion } from '../electron/services/policy/versions.js';
import { gatewaySkipReason, startSeededGateway, testContext } from '../test/gateways/support.js';

/**
 * A ~50-change push against a local ContextForge (started and seeded like the gateway suite):
 * 10 roles, 24 team-scoped assignments, 2 members, 13 tool visibilities, 2 servers; then the
 * rollback of the same 51 changes. Reports wall time and HTTP requests (conflict re-reads,
 * writes and the verifying re-pull included).
 */
export async function benchPolicyPush(): Promise<Record<string, string | number>> {
  const skip = gatewaySkipReason();
  if (skip) return { skipped: skip };
  const gw = await startSeededGateway();
  const ctx = testContext();
  try {
    const adminToken = (JSON.parse(readFileSync(gw.stateFile, 'utf8')) as { adminToken: string }).adminToken;
    const target: GatewayTarget = {
      id: 'g1',
      name: 'cf',
      kind: 'contextforge',
      baseUrl: gw.baseUrl,
      authType: 'bearer',
      secret: adminToken,
      timeoutMs: 30_000,
    };
    const deps = (): PushDeps => ({
      adapter: new ContextForgeAdapter(target),
      writer: new ContextForgeWriter(target),
      db: ctx.db,
      clock: ctx.clock,
      actor: 'bench',
    });
    const base = await new ContextForgeAdapter(target).snapshot();
    const before = policyFromSnapshot(base);
    const pulled = saveVersion(ctx.db, ctx.clock, {
      doc: before,
      author: 'bench',
      message: 'pull',
      origin: 'pull',
      gatewayId: 'g1',
      gatewayName: 'cf',
      changes: 0,
    });
    const draft = structuredClone(before);
    for (let i = 0; i < 10; i++)
      draft.roles.push({ name: `bench-role-${i}`, scope: 'team', permissions: ['tools.read'] });
    for (const user of Object.values(gw.seed.users))
      for (let i = 0; i < 8; i++) draft.assignments.push({ user, role: `bench-role-${i}`, team: 'Team Red' });
    draft.teams
      .find((t) => t.name === 'Team Red')!
      .members.push({ email: gw.seed.users.bob, role: 'member' }, { email: gw.seed.users.carol, role: 'member' });
    draft.tools = base.tools.map((t) => ({ name: t.name, visibility: 'private' as const }));
    for (const s of draft.servers.filter((x) => x.name !== 'shared-utilities')) s.visibility = 'public';

    const push = await pushPolicy(deps(), {
      draft,
      gatewayId: 'g1',
      gatewayName: 'cf',
      baseSnapshot: base,
      message: 'bench',
      dryRun: false,
    });
    if (push.status !== 'applied' || !push.verified) throw new Error(`push: ${push.status}: ${push.message}`);
    const now = await new ContextForgeAdapter(target).snapshot();
    const back = await rollbackPolicy(deps(), {
      hash: pulled.hash,
      gatewayId: 'g1',
      gatewayName: 'cf',
      baseSnapshot: now,
      message: '',
      dryRun: false,
    });
    if (back.status !== 'applied' || !back.verified) throw new Error(`rollback: ${back.status}: ${back.message}`);
    return {
      'push changes': push.plan.changes.length,
      'push time (ms)': push.durationMs,
      'push HTTP requests': push.requests,
      'push ms per change': (push.durationMs / push.plan.changes.length).toFixed(1),
      'rollback changes': back.plan.changes.length,
      'rollback time (ms)': back.durationMs,
      'rollback HTTP requests': back.requests,
    };
  } finally {
    ctx.db.close();
    await gw.stop();
  }
}
