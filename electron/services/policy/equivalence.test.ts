import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse, plan, celEnv } from '@bufbuild/cel';
import type { PolicyAction } from '../../../shared/model/policy.js';
import { celRules } from './compile/agentgateway-cel.js';
import { cedar } from './compile/cedar.js';
import { compilePolicy } from './compile/index.js';
import { cedarPolicySet } from './compile/toolhive-cedar.js';
import { decide, indexPolicy, subjectOf } from './evaluate.js';
import { FIXTURE_USERS, fixtureDoc } from './test-fixtures.js';

const doc = fixtureDoc();
const idx = indexPolicy(doc);

const sets = new Map(doc.servers.map((s) => [s.name, cedarPolicySet(doc, s.name)]));
function cedarDecides(user: string, action: PolicyAction, server: string, type: string, id: string): boolean {
  const ps = sets.get(server) ?? cedarPolicySet(doc, server);
  const ans = cedar().isAuthorized({
    principal: { type: 'Client', id: user },
    action: { type: 'Action', id: action },
    resource: { type, id },
    context: {},
    policies: { staticPolicies: ps.policies },
    entities: ps.entities,
  });
  assert.equal(ans.type, 'success', JSON.stringify(ans));
  return ans.type === 'success' && ans.response.decision === 'allow';
}

function celDecides(user: string, server: string, tool: string): boolean {
  const env = celEnv();
  const jwt = new Map<string, unknown>([
    ['sub', user],
    ['groups', subjectOf(idx, user).teams],
  ]);
  return celRules(doc, server).some((expr) => {
    const r = plan(env, parse(expr))({ jwt, mcp: new Map([['tool', new Map([['name', tool]])]]) } as never);
    return r === true;
  });
}

test('evaluator, Cedar and CEL agree on every (user × server × tool) call and listing', () => {
  let allowed = 0;
  let checked = 0;
  for (const user of [...FIXTURE_USERS, 'stranger@y.io']) {
    for (const s of doc.servers) {
      for (const tool of s.tools) {
        const ref = decide(doc, { user, action: 'call_tool', server: s.name, tool }).allowed;
        assert.equal(cedarDecides(user, 'call_tool', s.name, 'Tool', tool), ref, `cedar ${user} ${s.name}/${tool}`);
        assert.equal(celDecides(user, s.name, tool), ref, `cel ${user} ${s.name}/${tool}`);
        if (ref) allowed++;
        checked++;
      }
      const list = decide(doc, { user, action: 'list_tools', server: s.name }).allowed;
      assert.equal(cedarDecides(user, 'list_tools', s.name, 'FeatureType', 'tool'), list, `list ${user} ${s.name}`);
      for (const [action, type, id] of [
        ['get_prompt', 'Prompt', 'weekly-report'],
        ['read_resource', 'Resource', 'docs://handbook'],
        ['read_resource', 'Resource', 'docs://other'],
      ] as const) {
        const req = action === 'get_prompt' ? { prompt: id } : { resource: id };
        const r = decide(doc, { user, action, server: s.name, ...req }).allowed;
        assert.equal(cedarDecides(user, action, s.name, type, id), r, `${action} ${user} ${s.name} ${id}`);
      }
    }
  }
  // The fixture exercises both outcomes (a check that cannot fail would prove nothing).
  assert.ok(allowed > 5 && allowed < checked, `${allowed} of ${checked}`);
});

test('the reference decisions of the fixture are the documented semantics', () => {
  const call = (user: string, server: string, tool: string) => decide(doc, { user, action: 'call_tool', server, tool });
  assert.equal(call('ann@x.io', 'shared', 'send_email').by, 'red-no-email');
  assert.equal(call('cat@x.io', 'shared', 'send_email').allowed, true); // public, default member perms
  assert.equal(call('dan@x.io', 'blue-tools', 'query').allowed, false); // explicit reader role: no tools.execute
  assert.equal(call('fay@x.io', 'blue-tools', 'query').by, 'fay-query');
  assert.equal(call('fay@x.io', 'blue-tools', 'export').allowed, false);
  assert.equal(call('eve@x.io', 'red-tools', 'deploy').by, 'ops-deploy');
  assert.equal(call('bob@x.io', 'red-tools', 'deploy').by, 'no-deploy-bob');
  assert.equal(call('ann@x.io', 'secret', 'rotate').allowed, false);
  assert.equal(call('eve@x.io', 'off', 'calc').allowed, false);
  assert.equal(call('ann@x.io', 'blue-tools', 'query').allowed, false);
});

test('what a target cannot express is exactly what it lists', () => {
  const cel = compilePolicy(doc, 'agentgateway-cel').diagnostics.map((d) => d.message.split(':')[0]);
  assert.deepEqual(cel.sort(), ['rule auditors-prompts', 'rule docs']);
  const th = compilePolicy(doc, 'toolhive-cedar');
  assert.deepEqual(
    th.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.equal(th.files.length, doc.servers.length);
  const cf = compilePolicy(doc, 'contextforge').diagnostics;
  const ids = [...new Set(cf.map((d) => /^rule (\S+):/.exec(d.message)?.[1]))].sort();
  assert.deepEqual(ids, ['auditors-prompts', 'docs', 'fay-query', 'no-deploy-bob', 'ops-deploy', 'red-no-email']);
  const email = cf.find((d) => d.message.startsWith('rule red-no-email'));
  assert.match(
    email?.hint ?? '',
    /move send_email into a separate server not visible to team:red, or remove it from shared/,
  );
});
