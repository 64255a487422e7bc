import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../cli/run.js';
import { maskArgs, maskConfigValue, secretsInConfig, type ConfigValue } from './redact.js';
import { filesUnder } from '../../../test/support/files.js';

/**
 * Issue #12 item 6, canary style: credential shapes other scanners know are planted in a real
 * config file, then `gatehouse discover` and `gatehouse scan` run through the real CLI entry.
 * Each canary must be reported by the right rule with the right type, and must appear nowhere:
 * not in the JSON results, not on stdout/stderr, not in the state directory (SQLite + WAL).
 * All values are fake.
 */

const AZ_APPCONFIG_SECRET = 'Qm9wTjZrWXh2Q2FuYXJ5U2VjcmV0VmFsdWUxMjM0NTY3OA==';
const AZ_APPCONFIG = `Endpoint=https://gh-canary.azconfig.io;Id=Gk3q-l9-s0:Vb7RtN2pXq8LmZ4w;Secret=${AZ_APPCONFIG_SECRET}`;
const QUOTED = 'Cq7Lm2pR9tXw4KjZb8';
const SHORT_PASSWORD = 'hunter2';
const PUNCT_PASSWORD = 'p@ss!w0rd';
const SHORT_SECRET = 's3cr!t';
const BANG_TOKEN = 'Tk!9vQ2mLx!7Rb4Zp';
const DJANGO_INSECURE = 'django-insecure-k7!q2@x9#m4$w8%z1^r6&t3*y5(u0)p-v_b=n+c7j2h8g4f';
const DJANGO_KEY = 'h3$k9!m2@q7#x4%w8^z1&r6*t5(y0)u-p_v=b+n7c2j8g4f6d';
const AZ_ACCOUNT_KEY = 'Yk9tQ2FuYXJ5U3RvcmFnZUFjY291bnRLZXlGb3JHYXRlaG91c2VUZXN0c09ubHkxMjM0NTY3ODkwYWJjZGVmZ2g=';
const AZ_STORAGE = `DefaultEndpointsProtocol=https;AccountName=ghcanary;AccountKey=${AZ_ACCOUNT_KEY};EndpointSuffix=core.windows.net`;
const TEAMS_PATH =
  '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b@9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d/IncomingWebhook/5c2d3e4f6a7b8c9d0e1f2a3b4c5d6e7f/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const TEAMS = `https://contoso.webhook.office.com/webhookb2/${TEAMS_PATH}`;
const LETTERS = 'tk_QwErTyUiOpAsDfGhJkLzXc';

interface Canary {
  /** What must never appear. */
  secret: string;
  server: string;
  ruleId: string;
  secretType: string;
}

const CANARIES: Canary[] = [
  {
    secret: AZ_APPCONFIG_SECRET,
    server: 'appconfig',
    ruleId: 'secret.in-args',
    secretType: 'azure-app-configuration-connection-string',
  },
  { secret: QUOTED, server: 'quoted', ruleId: 'secret.in-args', secretType: 'generic-high-entropy' },
  { secret: SHORT_PASSWORD, server: 'passwords', ruleId: 'secret.literal', secretType: 'password' },
  { secret: PUNCT_PASSWORD, server: 'passwords', ruleId: 'secret.literal', secretType: 'password' },
  { secret: SHORT_SECRET, server: 'passwords', ruleId: 'secret.literal', secretType: 'generic-secret' },
  { secret: BANG_TOKEN, server: 'bang', ruleId: 'secret.literal', secretType: 'generic-secret' },
  { secret: DJANGO_INSECURE, server: 'django', ruleId: 'secret.literal', secretType: 'django-secret-key' },
  { secret: DJANGO_KEY, server: 'django', ruleId: 'secret.literal', secretType: 'django-secret-key' },
  { secret: DJANGO_INSECURE, server: 'django-arg', ruleId: 'secret.in-args', secretType: 'django-secret-key' },
  {
    secret: AZ_ACCOUNT_KEY,
    server: 'storage',
    ruleId: 'secret.literal',
    secretType: 'azure-storage-connection-string',
  },
  { secret: TEAMS_PATH, server: 'teams', ruleId: 'secret.in-url', secretType: 'teams-webhook-url' },
  { secret: TEAMS_PATH, server: 'teams-arg', ruleId: 'secret.in-args', secretType: 'teams-webhook-url' },
  { secret: LETTERS, server: 'letters', ruleId: 'secret.in-args', secretType: 'generic-high-entropy' },
];

const CONFIG = {
  mcpServers: {
    appconfig: { command: 'npx', args: ['-y', 'azure-appconfig-mcp@1.2.0', AZ_APPCONFIG] },
    quoted: { command: 'docker', args: ['run', '--rm', '-e', `API_KEY="${QUOTED}"`, 'mcp/quoted:1.0'] },
    passwords: {
      command: 'db-mcp',
      env: { DB_PASSWORD: SHORT_PASSWORD, ADMIN_PWD: PUNCT_PASSWORD, WEBHOOK_SECRET: SHORT_SECRET },
    },
    bang: { command: 'svc-mcp', env: { SERVICE_TOKEN: BANG_TOKEN } },
    django: { command: 'django-mcp', env: { DJANGO_SECRET_KEY: DJANGO_INSECURE, SECRET_KEY: DJANGO_KEY } },
    'django-arg': { command: 'uvx', args: ['django-mcp==0.3.1', DJANGO_INSECURE] },
    storage: { command: 'az-mcp', env: { AZURE_STORAGE_CONNECTION_STRING: AZ_STORAGE } },
    teams: { command: 'teams-mcp', env: { TEAMS_WEBHOOK_URL: TEAMS } },
    'teams-arg': { command: 'notify-mcp', args: ['--to', TEAMS] },
    letters: { command: 'letters-mcp', args: [LETTERS] },
    // Not credentials: none of these may be reported.
    plain: {
      command: 'docker',
      args: [
        'run',
        '-u',
        '1000:1000',
        '-v',
        '/home/dev/code/some-long-folder-name:/data',
        'python:3.12-slim-bookworm',
        'ghcr.io/github/github-mcp-server@sha256:5d1d3b3e1c1f0a0b9f6e2d4c8a7b6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a99',
      ],
      env: {
        MODEL: 'claude-3-5-sonnet-20241022',
        WORKSPACE_ID: '123e4567-e89b-12d3-a456-426614174000',
        LOG_LEVEL: 'debug',
        ENABLE_AUTH: 'true',
        AUTH_MODE: 'oauth',
      },
    },
  },
};

/** No piece longer than a third of the secret (short secrets: the whole value) in `text`. */
function assertAbsent(text: string, secret: string, where: string): void {
  assert.ok(!text.includes(secret), `${secret} leaked in ${where}`);
  if (secret.length < 12) return;
  const piece = Math.floor(secret.length / 3) + 1;
  for (let i = 0; i + piece <= secret.length; i++)
    assert.ok(!text.includes(secret.slice(i, i + piece)), `${secret.slice(i, i + piece)} of ${secret} in ${where}`);
}

let root = '';
const flags = () => [
  '--platform',
  'linux',
  '--home',
  join(root, 'home'),
  '--project',
  join(root, 'project'),
  '--state',
  join(root, 'state'),
  '--format',
  'json',
];

async function cli(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main([command, ...flags()], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

interface ScanFinding {
  ruleId: string;
  server: string;
  secretType?: string;
  evidence?: string;
}

describe('issue #12 item 6: credential shapes are detected, masked, and never printed or stored', () => {
  let discoverRun: { code: number; stdout: string; stderr: string };
  let scanRun: { code: number; stdout: string; stderr: string };
  let findings: ScanFinding[] = [];
  let stateText = '';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-canary-'));
    await mkdir(join(root, 'home'), { recursive: true });
    await mkdir(join(root, 'project'), { recursive: true });
    const file = join(root, 'home', '.claude.json');
    await writeFile(file, JSON.stringify(CONFIG, null, 2), { mode: 0o600 });
    discoverRun = await cli('discover');
    scanRun = await cli('scan');
    const parsed = JSON.parse(scanRun.stdout) as { findings?: ScanFinding[] };
    findings = parsed.findings ?? [];
    const files = await filesUnder(join(root, 'state'));
    stateText = (await Promise.all(files.map((f) => readFile(f)))).map((b) => b.toString('latin1')).join('\n');
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('the CLI runs succeed and report findings', () => {
    assert.equal(discoverRun.code, 0, discoverRun.stderr);
    assert.ok(findings.length > 0, scanRun.stdout.slice(0, 500));
    assert.ok(stateText.length > 0);
  });

  for (const c of CANARIES) {
    it(`${c.server}: reported as ${c.ruleId} / ${c.secretType}, and hidden everywhere`, () => {
      const hit = findings.filter(
        (f) => f.server === c.server && f.ruleId === c.ruleId && f.secretType === c.secretType,
      );
      assert.ok(
        hit.length >= 1,
        `no ${c.ruleId}/${c.secretType} for ${c.server}: ${JSON.stringify(findings.filter((f) => f.server === c.server).map((f) => [f.ruleId, f.secretType]))}`,
      );
      assertAbsent(discoverRun.stdout + discoverRun.stderr, c.secret, 'discover output');
      assertAbsent(scanRun.stdout + scanRun.stderr, c.secret, 'scan output');
      assertAbsent(stateText, c.secret, 'the state directory');
    });
  }

  it('values that are not credentials are not reported (uid:gid, paths, image tags, model names, ids, switches)', () => {
    assert.deepEqual(
      findings.filter((f) => f.server === 'plain' && f.ruleId.startsWith('secret.')),
      [],
    );
    const plain = JSON.parse(discoverRun.stdout) as { servers: { name: string; args?: string[] }[] };
    assert.deepEqual(plain.servers.find((s) => s.name === 'plain')?.args, CONFIG.mcpServers.plain.args);
  });
});

describe('the masker and the detector are one decision', () => {
  const positions: ConfigValue[] = [
    { field: 'args', args: ['x', AZ_APPCONFIG], index: 1 },
    { field: 'args', args: ['-e', `API_KEY="${QUOTED}"`], index: 1 },
    { field: 'args', args: [DJANGO_INSECURE], index: 0 },
    { field: 'args', args: [LETTERS], index: 0 },
    { field: 'args', args: ['--to', TEAMS], index: 1 },
    { field: 'url', value: TEAMS },
    { field: 'env', name: 'DB_PASSWORD', value: SHORT_PASSWORD },
    { field: 'env', name: 'ADMIN_PWD', value: PUNCT_PASSWORD },
    { field: 'env', name: 'SERVICE_TOKEN', value: BANG_TOKEN },
    { field: 'env', name: 'SECRET_KEY', value: DJANGO_KEY },
    { field: 'env', name: 'AZURE_STORAGE_CONNECTION_STRING', value: AZ_STORAGE },
    { field: 'headers', name: 'X-Api-Key', value: 'k3yvalue99' },
    { field: 'env', name: 'WORKSPACE_ID', value: '123e4567-e89b-12d3-a456-426614174000' },
    { field: 'env', name: 'LOG_LEVEL', value: 'debug' },
    { field: 'args', args: ['run', '-u', '1000:1000'], index: 2 },
    { field: 'args', args: ['gpt-4o-mini-2024-07-18'], index: 0 },
  ];

  it('a value is reported exactly when the display masks something of it, and the reported text is hidden', () => {
    for (const p of positions) {
      const whole = p.field === 'args' ? p.args[p.index]! : p.value;
      const shown = maskConfigValue(p);
      const spans = secretsInConfig(p);
      assert.equal(spans.length > 0, shown !== whole, `${whole} → ${shown} (${spans.length} spans)`);
      for (const s of spans) assert.ok(!shown.includes(s.value), `${s.value} reported but shown in ${shown}`);
    }
  });

  it('discovery shows arguments through the same decision (maskArgs = maskConfigValue per argument)', () => {
    const args = ['-y', 'srv@1.0.0', '--api-key', 'plainValue42x', AZ_APPCONFIG, `API_KEY="${QUOTED}"`, LETTERS];
    assert.deepEqual(
      maskArgs(args),
      args.map((_, index) => maskConfigValue({ field: 'args', args, index })),
    );
  });
});
