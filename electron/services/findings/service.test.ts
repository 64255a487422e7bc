import assert from 'node:assert/strict';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminMethods } from '../../../shared/api/contract.js';
import { createAdminHandlers } from '../admin-service.js';
import type { ServiceContext } from '../context.js';
import { findingsTestContext } from './test-context.js';
import { isScopeFinding, type AnyFinding } from '../../../shared/model/tenant.js';
import type { Finding } from '../../../shared/model/finding.js';
import { runFindingsScan } from './service.js';
import { filesUnder } from '../../../test/support/files.js';

/** findings.list also carries gateway scope findings (none here): the workstation ones. */
const workstation = (list: AnyFinding[]): Finding[] => list.filter((f): f is Finding => !isScopeFinding(f));

const FIXTURE = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'findings');

async function planted(): Promise<string[]> {
  const readme = await readFile(join(FIXTURE, 'README.md'), 'utf8');
  const section = readme.split('## Planted credentials')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\|[^|]*\|\s*`([^`]+)`/gm)].map((m) => m[1]!);
}

let root = '';
let now = new Date('2026-11-28T10:00:00Z');
let ctx: ServiceContext;
const events: { event: string; payload: unknown }[] = [];

/** Calls a method the way the adapters do: validate input, call, validate output. */
async function call<K extends keyof typeof adminMethods>(method: K, input: unknown) {
  const spec = adminMethods[method];
  const handlers = createAdminHandlers(ctx);
  const parsed = spec.input.parse(input);
  const out = await (handlers[method] as (i: unknown) => Promise<unknown>)(parsed);
  return spec.output.parse(out) as Awaited<ReturnType<(typeof handlers)[K]>>;
}

describe('findings API (scan, list, suppress, unsuppress)', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-findings-'));
    await cp(join(FIXTURE, 'home'), join(root, 'home'), { recursive: true });
    for (const f of await filesUnder(join(root, 'home'))) await chmod(f, 0o600);
    ctx = findingsTestContext(root, { now: () => now });
    ctx.events.subscribe((event, payload) => events.push({ event, payload }));
  });
  after(async () => {
    ctx.db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('scan stores findings, emits store.changed and returns counts per server; no credential in any response', async () => {
    const report = await call('findings.scan', {});
    assert.ok(report.findings.length >= 15);
    assert.equal(report.summary.open, report.findings.length);
    assert.equal(report.secretStore.kind, 'encrypted-file');
    assert.ok(report.secretStore.warning);
    assert.ok(events.some((e) => e.event === 'store.changed' && JSON.stringify(e.payload).includes('findings')));
    const gh = report.findings.find((f) => f.ruleId === 'secret.literal' && f.server === 'github')!;
    assert.equal(report.serverCounts[gh.serverId!]!.critical, 1);
    const list = await call('findings.list', { ruleId: 'secret.reused' });
    assert.equal(list.findings.length, 2);
    assert.equal(list.summary.total, report.summary.total);
    const text = JSON.stringify([report, list, events]);
    for (const v of await planted()) assert.ok(!text.includes(v), `leaked ${v.slice(0, 6)}…`);
  });

  it('a suppression needs a reason, is logged, survives a rescan, and re-opens when it expires', async () => {
    const first = await call('findings.list', {});
    const target = workstation(first.findings).find((f) => f.ruleId === 'secret.literal' && f.server === 'slack')!;
    assert.throws(() => adminMethods['findings.suppress'].input.parse({ id: target.id, reason: '   ' }));
    const expiresAt = new Date(now.getTime() + 3600_000).toISOString();
    const s = await call('findings.suppress', { id: target.id, reason: 'bot token scoped to #alerts only', expiresAt });
    assert.equal(s.status, 'suppressed');
    assert.equal(s.suppression?.reason, 'bot token scoped to #alerts only');
    const log = ctx.db
      .prepare("SELECT action, target, details_json FROM admin_log WHERE action LIKE 'finding.%'")
      .all() as {
      action: string;
      target: string;
      details_json: string;
    }[];
    assert.deepEqual(
      log.map((l) => [l.action, l.target]),
      [['finding.suppress', target.id]],
    );
    assert.match(log[0]!.details_json, /alerts only/);

    now = new Date(now.getTime() + 60_000);
    const rescan = await call('findings.scan', {});
    const again = rescan.findings.find((f) => f.id === target.id)!;
    assert.equal(again.status, 'suppressed');
    assert.equal(again.firstSeen, target.firstSeen);
    assert.equal(rescan.summary.suppressed, 1);
    assert.equal(rescan.serverCounts[target.serverId!]?.high ?? 0, 0);

    now = new Date(now.getTime() + 2 * 3600_000);
    const expired = await call('findings.list', { status: 'open' });
    assert.ok(expired.findings.some((f) => f.id === target.id));
  });

  it('unsuppress re-opens and is logged; unknown ids are not-found', async () => {
    const list = await call('findings.list', {});
    const target = list.findings.find((f) => f.ruleId === 'runner.unpinned')!;
    await call('findings.suppress', { id: target.id, reason: 'pinned through our registry mirror' });
    const open = await call('findings.unsuppress', { id: target.id });
    assert.equal(open.status, 'open');
    const actions = (
      ctx.db.prepare('SELECT action FROM admin_log WHERE target = ? ORDER BY seq').all(target.id) as {
        action: string;
      }[]
    ).map((r) => r.action);
    assert.deepEqual(actions, ['finding.suppress', 'finding.unsuppress']);
    await assert.rejects(call('findings.suppress', { id: 'f_nope', reason: 'x' }), /No finding/);
  });

  it('a static rescan keeps the latest live findings of servers still configured', async () => {
    const before = await call('findings.list', {});
    const server = workstation(before.findings).find((f) => f.server === 'slack')!;
    await runFindingsScan(ctx, {
      live: true,
      extraDrafts: [
        {
          ruleId: 'tool.poisoning',
          severity: 'high',
          title: 'Hidden instructions in a tool description',
          message: 'Tool "post" asks the model to read ~/.ssh.',
          client: server.client,
          server: 'slack',
          serverId: server.serverId!,
          location: { file: server.location.file, pointer: '/mcpServers/1' },
        },
      ],
    });
    const rescan = await call('findings.scan', {});
    const live = rescan.findings.filter((f) => f.ruleId === 'tool.poisoning');
    assert.equal(live.length, 1);
    assert.equal(live[0]!.serverId, server.serverId);
  });

  it('a finding the next scan no longer reports is listed as fixed with that scan time, and re-opens if it returns', async () => {
    const file = join(root, 'home', '.claude.json');
    const original = await readFile(file, 'utf8');
    const before = workstation((await call('findings.list', {})).findings);
    const token = before.find((f) => f.ruleId === 'secret.literal' && f.server === 'github')!;
    assert.ok(token, 'the github token finding is there to start with');
    const removed = JSON.parse(original) as { mcpServers: Record<string, { env?: Record<string, string> }> };
    removed.mcpServers.github!.env = { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_PERSONAL_ACCESS_TOKEN}' };
    await writeFile(file, JSON.stringify(removed, null, 2));
    now = new Date('2026-11-29T09:30:00Z');
    try {
      await call('findings.scan', {});
      const plain = await call('findings.list', {});
      assert.equal(
        plain.findings.find((f) => f.id === token.id),
        undefined,
        'not listed unless fixed ones are asked for',
      );
      assert.ok((plain.summary.fixed ?? 0) >= 1);
      const withFixed = await call('findings.list', { includeFixed: true });
      const fixed = withFixed.findings.find((f) => f.id === token.id);
      assert.equal(fixed?.status, 'fixed');
      assert.equal(fixed && 'fixedAt' in fixed ? fixed.fixedAt : undefined, '2026-11-29T09:30:00.000Z');
      assert.equal(fixed?.firstSeen, token.firstSeen);
      assert.equal(fixed?.evidence, token.evidence, 'masked evidence as last seen');
      const onlyFixed = await call('findings.list', { status: 'fixed' });
      assert.ok(onlyFixed.findings.length >= 1 && onlyFixed.findings.every((f) => f.status === 'fixed'));
      // Open-only lists never carry fixed findings.
      const open = await call('findings.list', { includeFixed: true, status: 'open' });
      assert.ok(open.findings.every((f) => f.status === 'open'));
    } finally {
      await writeFile(file, original);
    }
    now = new Date('2026-11-30T08:00:00Z');
    await call('findings.scan', {});
    const back = (await call('findings.list', { includeFixed: true })).findings.find((f) => f.id === token.id);
    assert.equal(back?.status, 'open');
    assert.equal(back && 'fixedAt' in back ? back.fixedAt : undefined, undefined);
    assert.equal(back?.firstSeen, token.firstSeen, 'first seen is kept across the gap');
  });

  it('findings.sarif: the chosen findings as SARIF 2.1.0, ids it cannot carry counted as skipped', async () => {
    const list = workstation((await call('findings.list', {})).findings);
    const two = list.slice(0, 2).map((f) => f.id);
    const out = await call('findings.sarif', { ids: [...two, 'gw_not_a_workstation_finding'] });
    assert.equal(out.sarif.version, '2.1.0');
    assert.deepEqual([out.results, out.skipped], [2, 1]);
    const runs = out.sarif.runs as { results: { partialFingerprints: Record<string, string> }[] }[];
    assert.deepEqual(
      runs[0]!.results.map((r) => r.partialFingerprints['gatehouseFindingId/v1']),
      two,
    );
    const all = await call('findings.sarif', {});
    assert.equal(all.results, list.length);
    for (const v of await planted()) assert.ok(!JSON.stringify(all.sarif).includes(v), 'no credential value in SARIF');
  });
});
