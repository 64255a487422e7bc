import { PolicyDocument, type PolicyDocumentInput } from '../../../shared/model/policy.js';
import { rng } from '../../../test/support/rng.js';
export { rng };

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

const ACTIONS = ['call_tool', 'get_prompt', 'read_resource', 'list_tools', 'list_prompts', 'list_resources'] as const;

export function randomDoc(r: () => number): PolicyDocumentInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const users = Array.from({ length: 14 }, (_, i) => `u${i}@x.io`);
  const teams = Array.from({ length: 4 }, (_, i) => `t${i}`);
  const tools = Array.from({ length: 8 }, (_, i) => `tool${i}`);
  const servers = Array.from({ length: 6 }, (_, i) => `s${i}`);
  const subjects = () => [
    pick([
      '*',
      `team:${pick(teams)}`,
      `user:${pick(users)}`,
      `user:${pick(users).toUpperCase()}`,
      `role:${pick(['runner', 'reader', 'admin'])}`,
    ]),
  ];
  const resources = () => [
    pick([
      '*',
      `server:${pick(servers)}`,
      `tool:${pick(tools)}`,
      `server:${pick(servers)}/tool:${pick(tools)}`,
      `prompt:${pick(['p1', 'p2'])}`,
      `resource:${pick(['doc://a', 'doc://b'])}`,
    ]),
  ];
  return {
    apiVersion: 'gatehouse/v1',
    kind: 'Policy',
    teams: teams.map((t) => ({ name: t, members: users.filter(() => r() < 0.3).map((email) => ({ email })) })),
    roles: [
      { name: 'runner', scope: 'global', permissions: ['servers.use', 'tools.execute'] },
      { name: 'reader', scope: 'team', permissions: ['servers.use'] },
      { name: 'admin', scope: 'team', permissions: ['*'] },
    ],
    assignments: users
      .filter(() => r() < 0.3)
      .map((user) => {
        const role = pick(['runner', 'reader', 'admin']);
        return role === 'runner' ? { user, role } : { user, role, team: pick(teams) };
      }),
    servers: servers.map((name) => ({
      name,
      team: pick(teams),
      visibility: pick(['public', 'team', 'team', 'private'] as const),
      enabled: r() < 0.9,
      tools: tools.filter(() => r() < 0.5),
    })),
    tools: tools
      .filter(() => r() < 0.2)
      .map((name) => (r() < 0.5 ? { name, enabled: false } : { name, visibility: pick(['team', 'private'] as const) })),
    rules: Array.from({ length: 1 + Math.floor(r() * 6) }, (_, i) => ({
      id: `r${i}`,
      effect: r() < 0.5 ? ('allow' as const) : ('deny' as const),
      subjects: subjects(),
      actions: [pick(ACTIONS), ...(r() < 0.3 ? [pick(ACTIONS)] : [])].filter((a, j, xs) => xs.indexOf(a) === j),
      resources: resources(),
    })),
  };
}
