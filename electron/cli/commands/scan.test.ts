import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createNodeContext } from '../../node/runtime.js';
import { openNodeSecretStore } from '../../node/secret-store.js';
import { latestReport, suppressFinding } from '../../services/findings/service.js';
import { main } from '../run.js';
import { filesUnder } from '../../../test/support/files.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'findings');

/** Credential values planted in the fixture (README table). */
async function planted(): Promise<string[]> {
  const readme = await readFile(join(FIXTURE, 'README.md'), 'utf8');
  const section = readme.split('## Planted credentials')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\|[^|]*\|\s*`([^`]+)`/gm)].map((m) => m[1]!);
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
];

async function scan(...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['scan', ...flags(), ...extra], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

interface Expected {
  ruleId: string;
  severity: string;
  client: string;
  server: string;
  file: string;
  pointer: string;
  line?: number;
  secretType?: string;
}

describe('gatehouse scan over the findings fixture', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-scan-'));
    await cp(join(FIXTURE, 'home'), join(root, 'home'), { recursive: true });
    await cp(join(FIXTURE, 'project'), join(root, 'project'), { recursive: true });
    for (const f of [...(await filesUnder(join(root, 'home'))), ...(await filesUnder(join(root, 'project')))])
      await chmod(f, 0o600);
    await chmod(join(root, 'home', '.codex', 'config.toml'), 0o644);
    await run('git', ['init', '-q'], { cwd: join(root, 'project') });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('--format json reports exactly the expected findings at their pointers, every server skipped', async () => {
    const { code, stdout, stderr } = await scan('--format', 'json');
    assert.equal(code, 1, stderr);
    const doc = JSON.parse(stdout) as {
      servers: { name: string; status: string }[];
      findings: {
        ruleId: string;
        severity: string;
        client: string;
        server: string;
        location: { file: string; pointer: string; line?: number };
        secretType?: string;
        evidence?: string;
        id: string;
      }[];
    };
    const expected = (JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8')) as { findings: Expected[] })
      .findings;
    const got = doc.findings
      .map((f) => ({
        ruleId: f.ruleId,
        severity: f.severity,
        client: f.client,
        server: f.server,
        file: f.location.file.slice(root.length + 1),
        pointer: f.location.pointer,
        ...(f.location.line ? { line: f.location.line } : {}),
        ...(f.secretType ? { secretType: f.secretType } : {}),
      }))
      .sort((a, b) => (a.file + a.pointer + a.ruleId).localeCompare(b.file + b.pointer + b.ruleId));
    assert.deepEqual(got, expected);
    assert.equal(doc.servers.length, 24);
    assert.ok(doc.servers.every((s) => s.status === 'skipped'));
    // Every secret.* finding carries a secret type and masked evidence.
    for (const f of doc.findings.filter((x) => x.ruleId.startsWith('secret.'))) {
      assert.ok(f.secretType, f.location.pointer);
      assert.match(f.evidence ?? '', /…/);
    }
    assert.match(stderr, /encrypted file/);
  });

  it('ids are stable across rescans (same install key)', async () => {
    const a = JSON.parse((await scan('--format', 'json')).stdout) as { findings: { id: string }[] };
    const b = JSON.parse((await scan('--format', 'json')).stdout) as { findings: { id: string }[] };
    assert.deepEqual(a.findings.map((f) => f.id).sort(), b.findings.map((f) => f.id).sort());
  });

  it('--format sarif validates with the SARIF multitool', async () => {
    const { code, stdout } = await scan('--format', 'sarif');
    assert.equal(code, 1);
    const sarif = JSON.parse(stdout) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string }[] } }; results: unknown[] }[];
    };
    assert.equal(sarif.version, '2.1.0');
    assert.equal(sarif.runs[0]!.results.length, 22);
    assert.ok(sarif.runs[0]!.tool.driver.rules.some((r) => r.id === 'secret.in-args'));
    const file = join(root, 'out.sarif');
    await writeFile(file, stdout);
    const res = await run(join(ROOT, 'node_modules', '.bin', 'sarif-multitool'), ['validate', file], {
      timeout: 120_000,
    }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
    const out = `${res.stdout}\n${res.stderr}`;
    assert.match(out, /Analysis completed/);
    const errors = out.split('\n').filter((l) => /\berror\b/i.test(l));
    assert.deepEqual(errors, []);
  });

  it('no planted credential appears in any output format, on stderr, or in the store', async () => {
    const values = await planted();
    assert.equal(values.length, 13);
    const outputs: string[] = [];
    for (const format of ['json', 'sarif', 'table']) {
      const r = await scan('--format', format);
      outputs.push(r.stdout, r.stderr);
    }
    const stateFiles = await filesUnder(join(root, 'state'));
    for (const f of stateFiles) outputs.push((await readFile(f)).toString('latin1'));
    const all = outputs.join('\n');
    for (const v of values) {
      assert.ok(!all.includes(v), `leaked ${v.slice(0, 6)}…`);
      // Nor any 10-char window of its secret part beyond a short known prefix.
      const body = v.replace(/^(ghp_|sk_live_|sk-proj-|sk-ant-api03-|AKIA|hf_|xoxb-|glpat-|AIza)/, '');
      for (let i = 0; i + 10 <= body.length; i += 5)
        assert.ok(!all.includes(body.slice(i, i + 10)), `leaked part of ${v.slice(0, 6)}…`);
    }
  });

  it('exit codes follow --fail-on; suppressed findings do not count; usage errors exit 2', async () => {
    assert.equal((await scan('--format', 'json', '--fail-on', 'critical')).code, 1);
    assert.equal((await scan('--format', 'json', '--fail-on', 'bogus')).code, 2);
    assert.equal((await scan('--format', 'xml')).code, 2);
    assert.equal((await scan('--yes')).code, 2);
    // Suppress every critical and high finding; then --fail-on high passes and medium still fails.
    const stateDir = join(root, 'state');
    const ctx = createNodeContext({ stateDir, mode: 'cli', secrets: openNodeSecretStore(stateDir) });
    try {
      for (const f of latestReport(ctx).findings.filter((x) => x.severity === 'critical' || x.severity === 'high')) {
        suppressFinding(ctx, { id: f.id, reason: 'accepted for the test' }, 'test');
      }
    } finally {
      ctx.db.close();
    }
    const high = await scan('--format', 'json', '--fail-on', 'high');
    assert.equal(high.code, 0, high.stderr);
    const doc = JSON.parse(high.stdout) as { findings: { status: string; severity: string }[] };
    assert.ok(doc.findings.filter((f) => f.severity === 'high').every((f) => f.status === 'suppressed'));
    assert.equal((await scan('--format', 'json', '--fail-on', 'medium')).code, 1);
  });

  it('a workstation without findings exits 0', async () => {
    const clean = await mkdtemp(join(tmpdir(), 'gh-scan-clean-'));
    try {
      let out = '';
      const code = await main(
        ['scan', '--platform', 'linux', '--home', clean, '--state', join(clean, 'state'), '--format', 'json'],
        {
          stdout: (t) => (out += t),
          stderr: () => {},
        },
      );
      assert.equal(code, 0);
      assert.deepEqual(JSON.parse(out), { servers: [], findings: [] });
    } finally {
      await rm(clean, { recursive: true, force: true });
    }
  });
});
