import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLIENT_IDS } from '../../shared/model/discovery.js';
import { main } from '../../electron/cli/run.js';

/**
 * `gatehouse config copy` to any of the 21 clients, driven through main() against a temp home with
 * one Cursor server holding a literal GitHub token: unknown clients list the valid ones, YAML and
 * project targets are written, refusals name the client and why. No run prints the token.
 */

// Assembled at run time so secret scanners do not flag this file.
const SECRET = ['ghp', 'Tz8Wq3Rv6Yb1Nc4Md7Lf0Kg2Hj5Sa9Pe3Xu'].join('_');
const ORIGINAL = JSON.stringify(
  { mcpServers: { github: { command: 'npx', args: ['-y', 'server-github@1.0.0'], env: { GITHUB_TOKEN: SECRET } } } },
  null,
  2,
);

let root = '';
const printed: string[] = [];

async function gatehouse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const flags = ['--platform', 'linux', '--home', join(root, 'home'), '--system-root', join(root, 'system')];
  const code = await main(['config', args[0]!, ...flags, '--state', join(root, 'state'), ...args.slice(1)], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  printed.push(stdout, stderr);
  return { code, stdout, stderr };
}

async function serverId(): Promise<string> {
  let out = '';
  const flags = ['--platform', 'linux', '--home', join(root, 'home'), '--system-root', join(root, 'system')];
  await main(['discover', ...flags, '--state', join(root, 'state'), '--format', 'json'], {
    stdout: (t) => (out += t),
    stderr: () => undefined,
  });
  return (JSON.parse(out) as { servers: Array<{ id: string; client: string }> }).servers.find(
    (s) => s.client === 'cursor',
  )!.id;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gh-cli-copy-'));
  await mkdir(join(root, 'home', '.cursor'), { recursive: true });
  await mkdir(join(root, 'system'), { recursive: true });
  await writeFile(join(root, 'home', '.cursor', 'mcp.json'), ORIGINAL, { mode: 0o600 });
});
after(async () => {
  await rm(root, { recursive: true, force: true });
  for (const p of printed) assert.ok(!p.includes(SECRET), 'a run printed the secret');
});

describe('gatehouse config copy to every client', () => {
  it('an unknown or missing --to lists the 21 valid clients (exit 2)', async () => {
    const id = await serverId();
    const bad = await gatehouse('copy', id, '--to', 'notepad');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--to notepad is not a client \(one of: claude-desktop, claude-code, .*antigravity\)/);
    for (const c of CLIENT_IDS) assert.ok(bad.stderr.includes(c), c);
    const none = await gatehouse('copy', id);
    assert.match(none.stderr, /--to CLIENT is required \(one of: /);
  });

  it('--to goose writes goose YAML through the launcher; undo deletes it', async () => {
    const id = await serverId();
    const r = await gatehouse('copy', id, '--to', 'goose', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /note: goose has no reference syntax: the server starts through `gatehouse run`/);
    const file = join(root, 'home', '.config', 'goose', 'config.yaml');
    const written = await readFile(file, 'utf8');
    assert.match(written, /^extensions:\n {2}github:\n/);
    assert.match(written, /cmd: gatehouse\n/);
    assert.match(written, /GITHUB_TOKEN=secret:mcp\.cursor\.github\.GITHUB_TOKEN/);
    assert.ok(!written.includes(SECRET));
    assert.equal((await gatehouse('undo')).code, 0);
    await assert.rejects(stat(file));
  });

  it('--scope project --project DIR writes the project file; a user-only client is refused (exit 1)', async () => {
    const id = await serverId();
    const project = join(root, 'proj');
    await mkdir(project);
    const ok = await gatehouse('copy', id, '--to', 'claude-code', '--scope', 'project', '--project', project, '--yes');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(await readFile(join(project, '.mcp.json'), 'utf8'), /"GITHUB_TOKEN": "\$\{GITHUB_TOKEN\}"/);
    const no = await gatehouse('copy', id, '--to', 'windsurf', '--scope', 'project', '--project', project, '--yes');
    assert.equal(no.code, 1);
    assert.match(no.stdout, /Not done: Windsurf has no project scope: it reads only its user config\./);
  });
});
