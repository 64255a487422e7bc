import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isReference,
  looksLikeSecret,
  maskArgs,
  maskCommand,
  maskNoting,
  maskSecret,
  maskUrl,
  secretsInConfig,
} from '../secrets/redact.js';

const GHP = 'ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr';
const AKIA = 'AKIAXMECOSFOGYR3XKXW';
const SK_PROJ = 'sk-proj-YRBMeyyMDHqJ38aRUhR4IWrXPvhsBkDa9U4UqGWlG6g3Ot1O';
const XOXB = 'xoxb-227824896383-4657871331509-JoLoaeTOdoe5c3veGprQFnIi';
const GLPAT = 'glpat-U74KKEpYEZAmggQBwBAD';
const AIZA = 'AIzadPI1af7W2pkAFEn3z5dkyayq7YYDsBS9UYJ';
const HF = 'hf_3UdRPPgdzUvZ3gpmmICiBlrDp37eCZ32Jg';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJnYXRlaG91c2UtZml4dHVyZSIsImlhdCI6MTcwMDAwMDAwMH0.Zk3pQ9vR2sT7uW1xY4zA6bC8dE0fG5hJ2kL9mN3oP7q';
const RANDOM = 'q8Z2xLk93VbT0rWmN7sYpA4d';

test('maskSecret keeps at most a short known prefix and the last 4', () => {
  assert.equal(maskSecret(GHP), 'ghp_…oCLr');
  assert.equal(maskSecret(SK_PROJ), 'sk-pro…Ot1O');
  assert.equal(maskSecret(AKIA), '…XKXW');
  assert.equal(maskSecret(XOXB), 'xoxb-…FnIi');
  assert.equal(maskSecret(JWT), 'eyJ…oP7q');
  assert.equal(maskSecret(RANDOM), 'q8Z2…pA4d');
  assert.equal(maskSecret('short'), '****');
  assert.equal(maskSecret('hunter2hunt'), '****');
  for (const v of [GHP, AKIA, SK_PROJ, XOXB, GLPAT, AIZA, HF, JWT, RANDOM]) {
    const m = maskSecret(v);
    assert.ok(m.length <= 11, m);
  }
});

test('looksLikeSecret: known prefixes and high-entropy literals, not references, placeholders or names', () => {
  for (const v of [
    GHP,
    AKIA,
    SK_PROJ,
    XOXB,
    GLPAT,
    AIZA,
    HF,
    JWT,
    RANDOM,
    'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv',
  ]) {
    assert.ok(looksLikeSecret(v), v);
  }
  for (const v of [
    '${GITHUB_TOKEN}',
    '${env:API_KEY}',
    '${input:tok}',
    '$API_TOKEN',
    '{env:MY_KEY}',
    'your-token-here',
    '<token>',
    '@modelcontextprotocol/server-filesystem',
    '/home/dev/code/some-long-folder-name',
    'awslabs.aws-documentation-mcp-server@latest',
    'mcp-server-sqlite',
    '--local-timezone=Europe/Paris',
    'ModelContextProtocolServer',
    'GitHubCopilotChatExtension',
    'ApplicationInsightsConnector',
    'https://mcp.linear.app/mcp',
  ]) {
    assert.ok(!looksLikeSecret(v), v);
  }
  assert.ok(isReference('Bearer ${input:tok}'));
});

test('maskArgs: flag=value, flag value, env-style assignments, headers and bare tokens', () => {
  assert.deepEqual(maskArgs(['-y', '@scope/server', `--api-key=${SK_PROJ}`]), [
    '-y',
    '@scope/server',
    '--api-key=sk-pro…Ot1O',
  ]);
  assert.deepEqual(maskArgs(['--token', GLPAT, '--verbose']), ['--token', '…wBAD', '--verbose']);
  assert.deepEqual(maskArgs(['-k', 'plainpassword123']), ['-k', '…d123']);
  assert.deepEqual(maskArgs(['--password', '${input:db-pass}']), ['--password', '${input:db-pass}']);
  assert.deepEqual(maskArgs(['-e', `GITHUB_TOKEN=${GHP}`]), ['-e', 'GITHUB_TOKEN=ghp_…oCLr']);
  assert.deepEqual(maskArgs(['-e', 'JIRA_API_TOKEN=${JIRA_API_TOKEN}']), ['-e', 'JIRA_API_TOKEN=${JIRA_API_TOKEN}']);
  assert.deepEqual(maskArgs(['--header', `Authorization: Bearer ${JWT}`]), [
    '--header',
    'Authorization: Bearer eyJ…oP7q',
  ]);
  assert.deepEqual(maskArgs(['--header', 'Authorization: Bearer ${AUTH}']), [
    '--header',
    'Authorization: Bearer ${AUTH}',
  ]);
  assert.deepEqual(maskArgs([HF]), ['hf_…32Jg']);
  assert.deepEqual(maskArgs(['--db-password', 'short']), ['--db-password', '****']);
  assert.deepEqual(maskArgs(['--auth-header', `Bearer ${RANDOM}`]), ['--auth-header', 'Bearer q8Z2…pA4d']);
  assert.deepEqual(maskArgs(['--key-file', '/etc/ssl/private/server.key']), [
    '--key-file',
    '/etc/ssl/private/server.key',
  ]);
  assert.deepEqual(maskArgs(['GOOGLE_APPLICATION_CREDENTIALS=/home/dev/sa.json']), [
    'GOOGLE_APPLICATION_CREDENTIALS=/home/dev/sa.json',
  ]);
  // Ordinary arguments are untouched (docker -p / -t, --pass-through style flags).
  const docker = [
    'run',
    '-i',
    '-t',
    '--rm',
    '-p',
    '8080:8080',
    '-e',
    'GITHUB_TOKEN',
    'ghcr.io/github/github-mcp-server',
  ];
  assert.deepEqual(maskArgs(docker), docker);
  assert.deepEqual(maskArgs(['--token-limit', '4096', '--pass-through', 'stdio']), [
    '--token-limit',
    '4096',
    '--pass-through',
    'stdio',
  ]);
  const plain = [
    '-y',
    '@modelcontextprotocol/server-filesystem',
    '/home/dev/code',
    '--port',
    '8080',
    'mcp-server-time',
    '--local-timezone=Europe/Paris',
  ];
  assert.deepEqual(maskArgs(plain), plain);
});

test('maskUrl: userinfo password, credential query params and token path segments', () => {
  assert.equal(
    maskUrl('https://admin:S3cr3tP4ssw0rd-Xq81Lm@db.internal.example:8443/mcp'),
    'https://admin:…81Lm@db.internal.example:8443/mcp',
  );
  assert.equal(
    maskUrl(`https://mcp.example-search.com/mcp?api_key=${SK_PROJ}&region=eu`),
    'https://mcp.example-search.com/mcp?api_key=sk-pro…Ot1O&region=eu',
  );
  assert.equal(maskUrl(`https://wiki.example.com/sse?token=${GHP}`), 'https://wiki.example.com/sse?token=ghp_…oCLr');
  assert.equal(maskUrl('https://x.example.com/mcp?sig=abc'), 'https://x.example.com/mcp?sig=****');
  assert.equal(maskUrl(`https://${GHP}@github.com/org/repo`), 'https://ghp_…oCLr@github.com/org/repo');
  assert.equal(
    maskUrl(`https://hooks.example.com/services/${RANDOM}/sse`),
    `https://hooks.example.com/services/${maskSecret(RANDOM)}/sse`,
  );
  assert.equal(maskUrl('postgresql://app:pw@localhost:5432/app'), 'postgresql://app:****@localhost:5432/app');
  assert.equal(maskUrl('https://mcp.example.com/mcp?key=${env:KEY}'), 'https://mcp.example.com/mcp?key=${env:KEY}');
  const plain = 'https://mcp.supabase.com/mcp?project_ref=abc123&read_only=true#frag';
  assert.equal(maskUrl(plain), plain);
});

test('maskCommand masks only credential-bearing commands', () => {
  assert.equal(maskCommand('npx'), 'npx');
  assert.equal(maskCommand('/usr/local/bin/old-server'), '/usr/local/bin/old-server');
  assert.equal(maskCommand(`curl-${GHP}`), 'curl…oCLr');
});

test('masking once (maskNoting) shows and detects exactly what masking twice did', () => {
  // Seeded random argument vectors, command lines and URLs built from credential-bearing pieces.
  let seed = 0x2545f491;
  const rnd = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const pieces = [
    GHP,
    AKIA,
    SK_PROJ,
    XOXB,
    JWT,
    RANDOM,
    '--token',
    '--api-key',
    `--api-key=${GLPAT}`,
    '-H',
    `Authorization: Bearer ${HF}`,
    `TOKEN=${AIZA}`,
    '-y',
    '@modelcontextprotocol/server-github',
    '${GITHUB_TOKEN}',
    'your-token-here',
    `https://user:${RANDOM}@mcp.example.com/sse?api_key=${GHP}#access_token=${JWT}`,
    `postgres://app:${RANDOM}@db:5432/app`,
    'hunter2',
    '--password',
    'plain-word',
    `"quoted ${GHP}"`,
  ];
  const pick = (n: number) => Array.from({ length: n }, () => pieces[rnd(pieces.length)]!);
  let found = 0;
  for (let k = 0; k < 300; k++) {
    const args = pick(1 + rnd(6));
    const noted = maskNoting({ field: 'args', args });
    assert.deepEqual(
      noted.map((n) => n.masked),
      maskArgs(args),
    );
    noted.forEach((n, index) => {
      const spans = secretsInConfig({ field: 'args', args, index });
      found += spans.length;
      assert.deepEqual(secretsInConfig({ field: 'args', args, index }, n.hidden), spans);
    });
    const line = args.join(' ');
    const url = `https://h${k}.example.com/${pick(2).join('/')}?${pick(2)
      .map((p, i) => `k${i}=${encodeURIComponent(p)}`)
      .join('&')}`;
    for (const [field, value] of [
      ['command', line],
      ['command', args[0]!],
      ['url', url],
      ['url', args[0]!],
    ] as const) {
      const n = maskNoting({ field, value });
      assert.equal(n.masked, field === 'command' ? maskCommand(value) : maskUrl(value));
      assert.deepEqual(secretsInConfig({ field, value }, n.hidden), secretsInConfig({ field, value }));
    }
  }
  assert.ok(found > 300, `${found} credentials in the generated arguments`);
});
