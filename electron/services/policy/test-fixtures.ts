import { PolicyDocument, type PolicyDocumentInput } from '../../../shared/model/policy.js';

/** Test-only: a document with 3 teams, 6 users, roles, shared/public/team servers, allow/deny and user rules. */
export const FIXTURE_INPUT: PolicyDocumentInput = {
  apiVersion: 'gatehouse/v1',
  kind: 'Policy',
  teams: [
    { name: 'red', members: [{ email: 'ann@x.io' }, { email: 'bob@x.io' }] },
    { name: 'blue', members: [{ email: 'cat@x.io', role: 'owner' }, { email: 'dan@x.io' }] },
    { name: 'ops', members: [{ email: 'eve@x.io' }, { email: 'bob@x.io' }] },
  ],
  roles: [
    { name: 'reader', scope: 'team', permissions: ['servers.use'] },
    { name: 'runner', scope: 'global', permissions: ['servers.use', 'tools.execute'] },
    { name: 'auditor', scope: 'global', permissions: ['servers.read'] },
  ],
  assignments: [
    { user: 'dan@x.io', role: 'reader', team: 'blue' },
    { user: 'fay@x.io', role: 'auditor' },
    { user: 'eve@x.io', role: 'runner' },
  ],
  servers: [
    { name: 'shared', team: 'red', visibility: 'public', tools: ['send_email', 'search', 'calc'] },
    { name: 'red-tools', team: 'red', visibility: 'team', tools: ['deploy', 'search'] },
    { name: 'blue-tools', team: 'blue', visibility: 'team', tools: ['query', 'export'] },
    { name: 'secret', team: 'ops', visibility: 'private', tools: ['rotate'] },
    { name: 'off', team: 'ops', visibility: 'public', enabled: false, tools: ['calc'] },
  ],
  tools: [{ name: 'export', enabled: false }],
  rules: [
    {
      id: 'red-no-email',
      effect: 'deny',
      subjects: ['team:red'],
      actions: ['call_tool'],
      resources: ['server:shared/tool:send_email'],
    },
    {
      id: 'fay-query',
      effect: 'allow',
      subjects: ['user:fay@x.io'],
      actions: ['call_tool'],
      resources: ['tool:query'],
    },
    {
      id: 'auditors-prompts',
      effect: 'allow',
      subjects: ['role:auditor'],
      actions: ['get_prompt'],
      resources: ['prompt:weekly-report'],
    },
    {
      id: 'ops-deploy',
      effect: 'allow',
      subjects: ['team:ops'],
      actions: ['call_tool'],
      resources: ['server:red-tools'],
    },
    {
      id: 'no-deploy-bob',
      effect: 'deny',
      subjects: ['user:bob@x.io'],
      actions: ['call_tool'],
      resources: ['tool:deploy'],
    },
    {
      id: 'docs',
      effect: 'allow',
      subjects: ['*'],
      actions: ['read_resource', 'list_tools'],
      resources: ['resource:docs://handbook', 'server:shared'],
    },
  ],
};

export function fixtureDoc(): PolicyDocument {
  return PolicyDocument.parse(FIXTURE_INPUT);
}

export const FIXTURE_USERS = ['ann@x.io', 'bob@x.io', 'cat@x.io', 'dan@x.io', 'eve@x.io', 'fay@x.io'];
