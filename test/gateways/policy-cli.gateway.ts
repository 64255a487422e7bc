/**
 * `gatehouse policy …` end to end against a live IBM ContextForge: the CLI over the same handlers
 * the UI uses (gateway add → pull → validate → diff → simulate over imported audit → push →
 * versions → rollback → conflict), and the equivalence of Gatehouse's evaluator, the compiled Cedar
 * and CEL policies and the real gateway (tools a minted per-user team token lists through each
 * virtual server). Skips with a reason without ContextForge; fails under GATEHOUSE_REQUIRE_GATEWAYS=1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { celEnv, parse as celParse, plan as celPlan } from '@bufbuild/cel';
import YAML from 'yaml';
import { main } from '../../electron/cli/run.js';
import { celRules } from '../../electron/services/policy/compile/agentgateway-cel.js';
import { cedar } from '../../electron/services/policy/compile/cedar.js';
import { cedarPolicySet } from '../../electron/services/policy/compile/toolhive-cedar.js';
import { decide } from '../../electron/services/policy/evaluate.js';
import { PolicyDocument } from '../../shared/model/policy.js';
import { adminApi, gatewaySkipReason, memberTools, startSeededGateway, type LiveGateway } from './support.js';

const skip = gatewaySkipReason();

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('gatehouse policy CLI (live ContextForge)', { skip, timeout: 600_000 }, () => {
  let gw: LiveGateway;
  let adminToken: string;
  let dir: string;
  let state: string;

  before(async () => {
    gw = await startSeededGateway();
    adminToken = (JSON.parse(readFileSync(gw.stateFile, 'utf8')) as { adminToken: string }).adminToken;
    dir = mkdtempSync(join(tmpdir(), 'gh-policy-cli-'));
    state = join(dir, 'state');
    const add = await cli(
      ['gateway', 'add', 'cf', '--url', gw.baseUrl, '--token-env', 'GH_TEST_CF_TOKEN', '--state', state],
      {
        GH_TEST_CF_TOKEN: adminToken,
      },
    );
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await gw?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const api = (method: string, path: string, body?: unknown) => adminApi(gw.baseUrl, adminToken)(method, path, body);
  /** A server the token may not reach answers with an error: nothing listed. */
  const mcpTools = (email: string, teamId: string, serverId: string) =>
    memberTools(gw.baseUrl, adminToken, { email, teamId, serverId }).catch(() => [] as string[]);

  test('pull → validate → diff (no change) → edit → diff → simulate → push → versions → rollback', async () => {
    const file = join(dir, 'policy.yaml');
    const pull = await cli(['policy', 'pull', '--gateway', 'cf', '--out', file, '--state', state]);
    assert.equal(pull.code, 0, pull.stderr);
    const pulledText = readFileSync(file, 'utf8');
    assert.match(pulledText, /^apiVersion: gatehouse\/v1$/m);
    assert.ok(!pulledText.includes(adminToken));

    const valid = await cli(['policy', 'validate', file, '--state', state]);
    assert.equal(valid.code, 0, valid.stdout);
    const same = await cli(['policy', 'diff', file, '--gateway', 'cf', '--state', state]);
    assert.equal(same.code, 0);
    assert.match(same.stdout, /No changes against gateway cf/);

    // A typo is an error with its line and column; exit 1.
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, pulledText.replace('visibility: team', 'visiblity: team'));
    const bad = await cli(['policy', 'validate', typo, '--state', state]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, new RegExp(`${typo.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: error`));
    assert.match(bad.stdout, /visiblity/);

    // Edit: red-tools loses get-env; bob joins Team Red.
    const doc = PolicyDocument.parse(YAML.parse(pulledText));
    const red = doc.servers.find((s) => s.name === 'red-tools')!;
    red.tools = red.tools.filter((t) => t !== 'everything-get-env');
    doc.teams
      .find((t) => t.name === gw.seed.teams.red.name)!
      .members.push({ email: gw.seed.users.bob, role: 'member' });
    const edited = join(dir, 'edited.yaml');
    writeFileSync(edited, YAML.stringify(doc));
    const diff = await cli(['policy', 'diff', edited, '--gateway', 'cf', '--format', 'json', '--state', state]);
    assert.equal(diff.code, 0, diff.stderr);
    const plan = JSON.parse(diff.stdout) as {
      changes: { kind: string; op: string }[];
      delta: { subject: string; change: string; tool: string }[];
    };
    assert.deepEqual(plan.changes.map((c) => `${c.op} ${c.kind}`).sort(), ['create member', 'update server']);
    assert.ok(plan.delta.some((d) => d.change === 'loses' && d.tool === 'everything-get-env'));
    assert.ok(plan.delta.some((d) => d.change === 'gains' && d.subject === `user:${gw.seed.users.bob}`));

    // Simulate over imported audit: alice's recorded get-env calls on red-tools would now be denied.
    const audit = join(dir, 'audit.jsonl');
    const call = (i: number, user: string, server: string, tool: string) =>
      JSON.stringify({
        type: 'mcp_tool_call',
        loggedAt: `2026-11-20T09:00:${String(i).padStart(2, '0')}.000Z`,
        outcome: 'success',
        subjects: { user, client_name: 'claude-code' },
        component: server,
        target: { endpoint: '/mcp', method: 'tools/call', type: 'tool', name: tool },
        metadata: { auditId: `c${String(i).padStart(7, '0')}-0000-4000-8000-000000000001` },
      });
    const lines = [
      ...Array.from({ length: 5 }, (_, i) => call(i, gw.seed.users.alice, 'red-tools', 'everything-get-env')),
      ...Array.from({ length: 3 }, (_, i) => call(10 + i, gw.seed.users.alice, 'red-tools', 'everything-echo')),
    ];
    writeFileSync(audit, lines.join('\n') + '\n');
    assert.equal((await cli(['audit', 'import', audit, '--format', 'toolhive', '--state', state])).code, 0);
    const sim = await cli(['policy', 'simulate', edited, '--gateway', 'cf', '--format', 'json', '--state', state]);
    assert.equal(sim.code, 0, sim.stderr);
    const simulation = JSON.parse(sim.stdout) as {
      newlyDenied: { user: string; tool: string; count: number }[];
      newlyAllowed: unknown[];
      engine: string;
    };
    assert.equal(simulation.engine, 'cedar');
    assert.deepEqual(
      simulation.newlyDenied.map((g) => [g.user, g.tool, g.count]),
      [[gw.seed.users.alice, 'everything-get-env', 5]],
    );
    const gate = await cli([
      'policy',
      'simulate',
      edited,
      '--gateway',
      'cf',
      '--fail-on-new-denials',
      '--state',
      state,
    ]);
    assert.equal(gate.code, 1, 'new denials fail the pipeline when asked');

    // Push without a terminal needs --yes; nothing is written without it.
    const refused = await cli(['policy', 'push', edited, '--gateway', 'cf', '--state', state]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    const dry = await cli([
      'policy',
      'push',
      edited,
      '--gateway',
      'cf',
      '--dry-run',
      '--format',
      'json',
      '--state',
      state,
    ]);
    assert.equal((JSON.parse(dry.stdout) as { status: string }).status, 'dry-run');
    const redBefore = (await api('GET', `/v1/servers/${gw.seed.servers.red.id}`)) as { associatedTools: string[] };
    assert.ok(redBefore.associatedTools.includes('everything-get-env'), 'dry run wrote nothing');

    const push = await cli([
      'policy',
      'push',
      edited,
      '--gateway',
      'cf',
      '--yes',
      '--message',
      'tighten red',
      '--format',
      'json',
      '--state',
      state,
    ]);
    assert.equal(push.code, 0, push.stdout + push.stderr);
    const pushed = JSON.parse(push.stdout) as { status: string; verified: boolean; versionHash: string };
    assert.equal(pushed.status, 'applied');
    assert.equal(pushed.verified, true);
    const redAfter = (await api('GET', `/v1/servers/${gw.seed.servers.red.id}`)) as { associatedTools: string[] };
    assert.deepEqual([...redAfter.associatedTools].sort(), ['everything-echo', 'everything-get-sum']);
    assert.deepEqual(await mcpTools(gw.seed.users.bob, gw.seed.teams.red.id, gw.seed.servers.red.id), [
      'everything-echo',
      'everything-get-sum',
    ]);

    const versions = await cli(['policy', 'versions', '--format', 'json', '--state', state]);
    const list = JSON.parse(versions.stdout) as { hash: string; origin: string; author: string; message: string }[];
    assert.deepEqual(
      list.slice(0, 2).map((v) => v.origin),
      ['push', 'pull'],
    );
    assert.equal(list[0]!.message, 'tighten red');
    assert.match(list[0]!.author, /\((cli)\)$/);
    const show = await cli(['policy', 'show', list[1]!.hash.slice(0, 10), '--state', state]);
    assert.equal(show.stdout, pulledText.endsWith('\n') ? pulledText : pulledText + '\n');

    const back = await cli([
      'policy',
      'rollback',
      list[1]!.hash.slice(0, 10),
      '--gateway',
      'cf',
      '--yes',
      '--format',
      'json',
      '--state',
      state,
    ]);
    assert.equal(back.code, 0, back.stdout);
    assert.equal((JSON.parse(back.stdout) as { verified: boolean }).verified, true);
    const again = await cli(['policy', 'diff', file, '--gateway', 'cf', '--state', state]);
    assert.match(again.stdout, /No changes against gateway cf/, 'rollback restored the pulled policy');

    // The admin log names who pushed and rolled back, and its chain holds.
    const verify = await cli(['audit', 'verify', '--state', state]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const log = await cli(['audit', 'query', '--format', 'json', '--state', state]);
    const actions = (JSON.parse(log.stdout) as { events: { 'mcp.method.name': string; 'user.id': string }[] }).events;
    for (const a of ['policy.push', 'policy.rollback'])
      assert.ok(
        actions.some((e) => e['mcp.method.name'] === a && /\(cli\)$/.test(e['user.id'])),
        a,
      );
  });

  test('a change made on the gateway after the pull makes push exit 1 with a conflict; nothing written', async () => {
    const file = join(dir, 'conflict.yaml');
    assert.equal((await cli(['policy', 'pull', '--gateway', 'cf', '--out', file, '--state', state])).code, 0);
    const doc = PolicyDocument.parse(YAML.parse(readFileSync(file, 'utf8')));
    doc.servers.find((s) => s.name === 'blue-tools')!.visibility = 'public';
    writeFileSync(file, YAML.stringify(doc));
    // Someone else edits the same server directly on the gateway.
    await api('PUT', `/v1/servers/${gw.seed.servers.blue.id}`, { description: 'edited behind our back' });
    const push = await cli(['policy', 'push', file, '--gateway', 'cf', '--yes', '--format', 'json', '--state', state]);
    assert.equal(push.code, 1);
    const r = JSON.parse(push.stdout) as { status: string; conflicts: { key: string }[] };
    assert.equal(r.status, 'conflict');
    assert.ok(r.conflicts.some((c) => c.key === 'server:blue-tools'));
    const blue = (await api('GET', `/v1/servers/${gw.seed.servers.blue.id}`)) as { visibility: string };
    assert.equal(blue.visibility, 'team', 'nothing was written');
    await api('PUT', `/v1/servers/${gw.seed.servers.blue.id}`, { description: 'Team Blue tools' });
  });

  test('evaluator, Cedar, CEL and the real gateway agree on who can use which tool', async () => {
    const file = join(dir, 'eq.yaml');
    assert.equal((await cli(['policy', 'pull', '--gateway', 'cf', '--out', file, '--state', state])).code, 0);
    const doc = PolicyDocument.parse(YAML.parse(readFileSync(file, 'utf8')));
    const seed = gw.seed;
    const teamIds = new Map([
      [seed.teams.red.name, seed.teams.red.id],
      [seed.teams.blue.name, seed.teams.blue.id],
    ]);
    const serverIds = new Map([
      ['red-tools', seed.servers.red.id],
      ['blue-tools', seed.servers.blue.id],
      ['shared-utilities', seed.servers.shared.id],
    ]);
    const engine = cedar();
    let compared = 0;
    let granted = 0;
    for (const team of doc.teams) {
      const teamId = teamIds.get(team.name);
      if (!teamId) continue;
      for (const { email } of team.members) {
        if (email === 'admin@example.com') continue; // the platform admin bypasses team scoping
        for (const server of doc.servers) {
          const serverId = serverIds.get(server.name);
          if (!serverId) continue;
          // A team token reaches the servers of its own team and public ones.
          if (server.visibility !== 'public' && server.team !== team.name) continue;
          const real = await mcpTools(email, teamId, serverId);
          const allowed = server.tools
            .filter((tool) => decide(doc, { user: email, action: 'call_tool', server: server.name, tool }).allowed)
            .sort();
          assert.deepEqual(real, allowed, `${email} via ${server.name}: gateway vs evaluator`);
          const set = cedarPolicySet(doc, server.name);
          const rules = celRules(doc, server.name);
          const groups = doc.teams.filter((t) => t.members.some((m) => m.email === email)).map((t) => t.name);
          for (const tool of server.tools) {
            const want = allowed.includes(tool);
            const c = engine.isAuthorized({
              principal: { type: 'Client', id: email },
              action: { type: 'Action', id: 'call_tool' },
              resource: { type: 'Tool', id: tool },
              context: {},
              policies: { staticPolicies: set.policies },
              entities: set.entities,
            });
            assert.equal(c.type, 'success');
            assert.equal(c.type === 'success' && c.response.decision === 'allow', want, `Cedar: ${email} ${tool}`);
            const jwt = new Map<string, unknown>([
              ['sub', email],
              ['groups', groups],
            ]);
            const viaCel = rules.some(
              (expr) =>
                celPlan(
                  celEnv(),
                  celParse(expr),
                )({ jwt, mcp: new Map([['tool', new Map([['name', tool]])]]) } as never) === true,
            );
            assert.equal(viaCel, want, `CEL: ${email} ${tool}`);
            compared++;
            if (want) granted++;
          }
        }
      }
    }
    assert.ok(compared >= 9, `compared ${compared} (user, server, tool) cases`);
    assert.ok(granted > 0 && granted < compared, `both grants and denials compared (${granted}/${compared})`);
  });
});
