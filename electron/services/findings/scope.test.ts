import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminMethods } from '../../../shared/api/contract.js';
import { isScopeFinding, type ScopeFinding } from '../../../shared/model/tenant.js';
import { createAdminHandlers } from '../admin-service.js';
import type { ServiceContext } from '../context.js';
import { findingsTestContext } from './test-context.js';
import { scopeFindings } from '../tenants/service.js';
import { NOW, snapshot } from '../tenants/test-snapshot.js';
import { scopeExitCode } from '../../cli/gateway-option.js';

/**
 * Gateway scope findings through the findings API: listed with the workstation findings, counted in
 * the summary, filterable, and suppressible with the same store (keyed by the stable id).
 */

let root = '';
let ctx: ServiceContext;

async function call<K extends keyof typeof adminMethods>(method: K, input: unknown) {
  const spec = adminMethods[method];
  const handlers = createAdminHandlers(ctx);
  const out = await (handlers[method] as (i: unknown) => Promise<unknown>)(spec.input.parse(input));
  return spec.output.parse(out) as Awaited<ReturnType<(typeof handlers)[K]>>;
}

describe('gateway scope findings in findings.list', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-scope-findings-'));
    ctx = findingsTestContext(root, { now: () => NOW });
    const snap = snapshot();
    ctx.db
      .prepare(
        `INSERT INTO gateway_connections (id, name, kind, base_url, auth_type, timeout_ms, created_at, updated_at)
         VALUES (?, ?, 'contextforge', ?, 'none', 5000, ?, ?)`,
      )
      .run(snap.gatewayId, snap.gatewayName, snap.baseUrl, NOW.toISOString(), NOW.toISOString());
    ctx.db
      .prepare('INSERT INTO gateway_snapshots (gateway_id, fetched_at, snapshot_json) VALUES (?, ?, ?)')
      .run(snap.gatewayId, snap.fetchedAt, JSON.stringify(snap));
  });
  after(async () => {
    ctx.db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('lists scope findings before any workstation scan, counted in the summary', async () => {
    const list = await call('findings.list', {});
    assert.equal(list.scanId, null);
    assert.deepEqual(list.gateways, [{ id: 'g1', name: 'cf', fetchedAt: NOW.toISOString() }]);
    const scope = list.findings.filter(isScopeFinding);
    assert.equal(scope.length, list.findings.length);
    assert.ok(scope.length >= 2);
    assert.equal(list.summary.total, scope.length);
    assert.equal(list.summary.open, scope.length);
    assert.equal(list.summary.bySeverity.high, scope.filter((f) => f.severity === 'high').length);
    const cross = scope.find((f) => f.ruleId === 'scope.cross-tenant-credential')!;
    assert.equal(cross.location.file, 'http://127.0.0.1:4444');
    assert.deepEqual(cross.teamNames, ['Team Blue', 'Team Red']);
    assert.deepEqual(
      cross.reach?.map((r) => [r.teamName, r.via]),
      [
        ['Team Blue', ['blue-tools', 'shared']],
        ['Team Red', ['red-tools', 'shared']],
      ],
    );
    // Filters: a client or server filter means workstation findings only; source/gateway select them.
    assert.equal((await call('findings.list', { client: 'cursor' })).findings.length, 0);
    assert.equal((await call('findings.list', { source: 'workstation' })).findings.length, 0);
    assert.equal((await call('findings.list', { gatewayId: 'g1' })).findings.length, scope.length);
    assert.equal((await call('findings.list', { gatewayId: 'other' })).findings.length, 0);
    const onlyCross = await call('findings.list', { ruleId: 'scope.cross-tenant-credential' });
    assert.deepEqual(
      onlyCross.findings.map((f) => f.id),
      [cross.id],
    );
  });

  it('suppresses and re-opens a scope finding by id, visible to gateways.findings too', async () => {
    const before = (await call('findings.list', {})).findings.filter(isScopeFinding);
    const cross = before.find((f) => f.ruleId === 'scope.cross-tenant-credential')!;
    const s = (await call('findings.suppress', {
      id: cross.id,
      reason: 'one team per upstream next sprint',
    })) as ScopeFinding;
    assert.equal(s.status, 'suppressed');
    assert.equal(s.source, 'gateway');
    assert.equal(s.suppression?.reason, 'one team per upstream next sprint');
    const list = await call('findings.list', {});
    assert.equal(list.summary.suppressed, 1);
    assert.equal(list.summary.open, before.length - 1);
    assert.equal(list.summary.bySeverity.high, before.filter((f) => f.severity === 'high').length - 1);
    assert.equal((await call('findings.list', { status: 'suppressed' })).findings[0]?.id, cross.id);
    assert.equal(scopeFindings(ctx).find((f) => f.id === cross.id)?.status, 'suppressed');
    const tenants = await call('gateways.findings', {});
    assert.equal(tenants.find((f) => f.id === cross.id)?.status, 'suppressed');
    const log = ctx.db.prepare('SELECT action, details_json FROM admin_log WHERE target = ?').all(cross.id) as {
      action: string;
      details_json: string;
    }[];
    assert.equal(log[0]?.action, 'finding.suppress');
    assert.match(log[0]!.details_json, /scope\.cross-tenant-credential/);

    // `scan --gateway --fail-on high` no longer fails on the accepted finding alone.
    const highs = scopeFindings(ctx).filter((f) => f.severity === 'high' || f.severity === 'critical');
    assert.equal(scopeExitCode(highs, 'high'), highs.some((f) => f.id !== cross.id) ? 1 : 0);
    assert.equal(
      scopeExitCode(
        scopeFindings(ctx).filter((f) => f.id === cross.id),
        'info',
      ),
      0,
    );

    const open = await call('findings.unsuppress', { id: cross.id });
    assert.equal(open.status, 'open');
    assert.equal((await call('findings.list', {})).summary.suppressed, 0);
    await assert.rejects(call('findings.suppress', { id: 'nope', reason: 'x' }), /No finding/);
  });
});
