import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { confirmPrompt, setConfirmPrompt } from '../../electron/cli/commands/fix.js';
import { main } from '../../electron/cli/run.js';

/**
 * `gatehouse fix` and `gatehouse config changes|undo|copy`, driven through main() against a temp
 * home with one Cursor config holding a literal GitHub token. No run may print the token.
 */

// Assembled at run time so secret scanners do not flag this file.
const SECRET = ['ghp', 'Lm4NbV7cX1zQ9wE3rT6yU8iO2pA5sD0fGhJk'].join('_');
const ORIGINAL = `{
  // team servers
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"],
      "env": { "GITHUB_TOKEN": "${SECRET}", "LOG_LEVEL": "debug" }
    }
  }
}
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let root = '';
let file = '';
/** Every byte any run printed: checked for the secret at the end. */
const printed: string[] = [];

const flags = () => [
  '--platform',
  'linux',
  '--home',
  join(root, 'home'),
  '--system-root',
  join(root, 'system'),
  '--state',
  join(root, 'state'),
];

async function gatehouse(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const [cmd, ...rest] = args;
  const sub = cmd === 'config' ? [rest.shift()!] : [];
  const code = await main([cmd!, ...sub, ...flags(), ...rest], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  printed.push(stdout, stderr);
  return { code, stdout, stderr };
}

async function literalFindings(): Promise<Array<{ id: string }>> {
  const r = await gatehouse('scan', '--format', 'json');
  const doc = JSON.parse(r.stdout) as { findings: Array<{ id: string; ruleId: string; status: string }> };
  return doc.findings.filter((f) => f.ruleId === 'secret.literal' && f.status === 'open');
}

async function plant(): Promise<void> {
  await writeFile(file, ORIGINAL);
  await chmod(file, 0o600);
}

const original = confirmPrompt;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gh-cli-fix-'));
  await mkdir(join(root, 'home', '.cursor'), { recursive: true });
  await mkdir(join(root, 'system'), { recursive: true });
  file = join(root, 'home', '.cursor', 'mcp.json');
  await plant();
});
afterEach(() => setConfirmPrompt(original));
after(async () => {
  await rm(root, { recursive: true, force: true });
  // Last: nothing printed by any run of this file holds the token.
  for (const p of printed) assert.ok(!p.includes(SECRET), 'a run printed the secret');
});

describe('gatehouse fix', () => {
  beforeEach(plant);

  it('usage errors exit 2: no finding named, unknown rule, unknown finding id', async () => {
    const none = await gatehouse('fix');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name finding ids or --rule RULE/);
    const rule = await gatehouse('fix', '--rule', 'no.such-rule');
    assert.equal(rule.code, 2);
    assert.match(rule.stderr, /unknown rule "no\.such-rule"/);
    const id = await gatehouse('fix', 'ffffffffffff');
    assert.equal(id.code, 2);
    assert.match(id.stderr, /no open finding ffffffffffff/);
    assert.equal(await readFile(file, 'utf8'), ORIGINAL);
  });

  it('--dry-run prints the masked diff and notes, writes nothing, records nothing', async () => {
    const r = await gatehouse('fix', '--rule', 'secret.literal', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^--- a\//m);
    assert.match(r.stdout, /^\+\s+"env": \{ "GITHUB_TOKEN": "\$\{env:GITHUB_TOKEN\}"/m);
    assert.match(r.stdout, /^-\s+"env": \{ "GITHUB_TOKEN": "ghp_…/m, 'the removed line shows a masked value');
    assert.match(r.stdout, /note: .*GITHUB_TOKEN/);
    assert.doesNotMatch(r.stdout, /applied/);
    assert.equal(await readFile(file, 'utf8'), ORIGINAL);
    const changes = await gatehouse('config', 'changes');
    assert.equal(changes.code, 0);
    assert.equal(changes.stdout, 'No recorded config changes.\n');
  });

  it('--dry-run --format json: one document, status previewed, no token', async () => {
    const [f] = await literalFindings();
    const r = await gatehouse('fix', f!.id.slice(0, 12), '--dry-run', '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { results: Array<{ status: string; diff: string; findingId: string }> };
    assert.equal(doc.results.length, 1);
    assert.equal(doc.results[0]!.status, 'previewed');
    assert.equal(doc.results[0]!.findingId, f!.id);
    assert.match(doc.results[0]!.diff, /\$\{env:GITHUB_TOKEN\}/);
    assert.doesNotMatch(r.stdout, /"token"/);
    assert.equal(await readFile(file, 'utf8'), ORIGINAL);
  });

  it('without --yes, a declined confirmation writes nothing (exit 0); no terminal means no write', async () => {
    const asked: string[] = [];
    setConfirmPrompt(async (q) => {
      asked.push(q);
      return false;
    });
    const r = await gatehouse('fix', '--rule', 'secret.literal');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(asked, ['Apply this change? [y/N] ']);
    assert.match(r.stdout, /not applied \(confirm, or pass --yes\)/);
    assert.equal(await readFile(file, 'utf8'), ORIGINAL);
    // --format json never prompts: without --yes it declines.
    setConfirmPrompt(async () => assert.fail('json must not prompt'));
    const j = await gatehouse('fix', '--rule', 'secret.literal', '--format', 'json');
    assert.equal((JSON.parse(j.stdout) as { results: Array<{ status: string }> }).results[0]!.status, 'declined');
    assert.equal(await readFile(file, 'utf8'), ORIGINAL);
  });

  it('--yes writes the reference; rescan: finding gone; undo restores byte for byte', async () => {
    assert.equal((await literalFindings()).length, 1);
    const r = await gatehouse('fix', '--rule', 'secret.literal', '--yes');
    assert.equal(r.code, 0, r.stderr);
    const m = /applied \(undo: gatehouse config undo ([0-9a-f]{8})\)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const fixed = await readFile(file, 'utf8');
    assert.match(fixed, /"GITHUB_TOKEN": "\$\{env:GITHUB_TOKEN\}"/);
    assert.ok(fixed.includes('// team servers'), 'comments kept');
    assert.ok(!fixed.includes(SECRET));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await literalFindings()).length, 0);

    const list = await gatehouse('config', 'changes', '--format', 'json');
    const doc = JSON.parse(list.stdout) as {
      changes: Array<{ id: string; status: string; file: string; pointers: string[]; undoable: boolean }>;
    };
    assert.equal(doc.changes.length, 1);
    const c = doc.changes[0]!;
    assert.ok(c.id.startsWith(m[1]!));
    assert.deepEqual(
      [c.status, c.file, c.pointers, c.undoable],
      ['applied', file, ['/mcpServers/github/env/GITHUB_TOKEN'], true],
    );
    const table = await gatehouse('config', 'changes');
    assert.match(table.stdout, /ID\s+AT\s+STATUS\s+FILE\s+SUMMARY\s+UNDO/);
    assert.match(table.stdout, new RegExp(`${m[1]}.*applied.*mcp\\.json.*yes`));

    const u = await gatehouse('config', 'undo', m[1]!);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, new RegExp(`Undone ${m[1]}: .*mcp\\.json restored byte for byte`));
    assert.equal(await readFile(file, 'utf8'), ORIGINAL);
    assert.equal((await literalFindings()).length, 1);

    // Twice: refused, exit 1, said on stderr.
    const again = await gatehouse('config', 'undo', m[1]!);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /cannot be undone: already undone/);
  });

  it('a read-only config is refused: exit 1, the file untouched', async () => {
    await chmod(file, 0o400);
    try {
      const r = await gatehouse('fix', '--rule', 'secret.literal', '--yes');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /refused: .*read-only/);
      assert.equal(await readFile(file, 'utf8'), ORIGINAL);
    } finally {
      await chmod(file, 0o600);
    }
  });
});

describe('gatehouse fix --rule (bulk)', () => {
  const windsurf = () => join(root, 'home', '.codeium', 'windsurf', 'mcp_config.json');
  const WINDSURF = `{\n  "mcpServers": {\n    "notes": { "command": "uvx", "args": ["notes-mcp==0.3.1"], "env": { "NOTES_TOKEN": "${SECRET}" } }\n  }\n}\n`;
  beforeEach(async () => {
    await plant();
    await mkdir(join(root, 'home', '.codeium', 'windsurf'), { recursive: true });
    await writeFile(windsurf(), WINDSURF);
    await chmod(windsurf(), 0o600);
  });
  afterEach(async () => rm(windsurf(), { force: true }));

  it('one combined preview, one confirmation for the set; group undo restores both files', async () => {
    const asked: string[] = [];
    setConfirmPrompt(async (q) => {
      asked.push(q);
      return true;
    });
    const r = await gatehouse('fix', '--rule', 'secret.literal');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(asked, ['Apply this change? [y/N] '], 'asked once for the whole set');
    assert.match(r.stdout, /== Fix 2 secret\.literal findings in 2 files/);
    assert.equal(r.stdout.match(/^--- a\//gm)?.length, 2);
    const m = /applied to 2 files \(undo all: gatehouse config undo --group ([0-9a-f]{8})\)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal((await literalFindings()).length, 0);
    const list = JSON.parse((await gatehouse('config', 'changes', '--format', 'json')).stdout) as {
      changes: Array<{ group?: string }>;
    };
    assert.equal(list.changes.filter((c) => c.group?.startsWith(m[1]!)).length, 2);
    const u = await gatehouse('config', 'undo', '--group', m[1]!);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.stdout.match(/restored byte for byte/g)?.length, 2);
    assert.equal(await readFile(file, 'utf8'), ORIGINAL);
    assert.equal(await readFile(windsurf(), 'utf8'), WINDSURF);
  });

  it('--format json --dry-run: files, skipped and per-finding results; nothing written', async () => {
    const r = await gatehouse('fix', '--rule', 'secret.literal', '--dry-run', '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      status: string;
      files: Array<{ file: string }>;
      skipped: unknown[];
      results: Array<{ status: string }>;
    };
    assert.equal(doc.status, 'previewed');
    assert.deepEqual(doc.files.map((f) => f.file).sort(), [file, windsurf()].sort());
    assert.deepEqual(doc.skipped, []);
    assert.deepEqual(
      doc.results.map((x) => x.status),
      ['previewed', 'previewed'],
    );
    assert.doesNotMatch(r.stdout, /"token"/);
    assert.equal(await readFile(windsurf(), 'utf8'), WINDSURF);
  });
});

describe('gatehouse config', () => {
  beforeEach(plant);

  it('undo is refused when the file moved on since the change (exit 1, file untouched)', async () => {
    const r = await gatehouse('fix', '--rule', 'secret.literal', '--yes');
    assert.equal(r.code, 0, r.stderr);
    const moved = (await readFile(file, 'utf8')).replace('"debug"', '"info"');
    await writeFile(file, moved);
    const list = JSON.parse((await gatehouse('config', 'changes', '--format', 'json')).stdout) as {
      changes: Array<{ status: string; undoable: boolean; undoBlocked?: string }>;
    };
    assert.equal(list.changes[0]!.undoable, false);
    assert.match(list.changes[0]!.undoBlocked ?? '', /changed since/);
    const u = await gatehouse('config', 'undo');
    assert.equal(u.code, 1);
    assert.match(u.stderr, /^gatehouse config undo: Change .* cannot be undone: the file has changed since/);
    assert.equal(u.stdout, '');
    assert.equal(await readFile(file, 'utf8'), moved);
  });

  it('undo of an unknown change: exit 1; bad sub-command or missing --to: exit 2', async () => {
    const u = await gatehouse('config', 'undo', 'deadbeef');
    assert.equal(u.code, 1);
    assert.match(u.stderr, /No recorded change deadbeef/);
    const bad = await gatehouse('config', 'explode');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /config takes copy, quarantine, undo, changes or managed/);
    const noTo = await gatehouse('config', 'copy', 'some-server');
    assert.equal(noTo.code, 2);
    assert.match(noTo.stderr, /--to CLIENT is required/);
  });

  it('copy --dry-run writes nothing; --yes writes VS Code config with a reference, never the literal', async () => {
    const disc = await gatehouse('discover', '--format', 'json');
    const servers = (JSON.parse(disc.stdout) as { servers: Array<{ id: string; client: string; name: string }> })
      .servers;
    const s = servers.find((x) => x.client === 'cursor' && x.name === 'github');
    assert.ok(s, 'the planted server is discovered');
    const target = join(root, 'home', '.config', 'Code', 'User', 'mcp.json');

    const dry = await gatehouse('config', 'copy', s.id, '--to', 'vscode', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\+\+\+ b\//m);
    await assert.rejects(stat(target), 'dry run created no file');

    const r = await gatehouse('config', 'copy', s.id, '--to', 'vscode', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Applied \(undo: gatehouse config undo [0-9a-f]{8}/);
    const written = await readFile(target, 'utf8');
    assert.match(written, /"github"/);
    assert.ok(!written.includes(SECRET), 'the copy carries a reference, not the literal');
    assert.equal(await readFile(file, 'utf8'), ORIGINAL, 'copy (not move) leaves the source alone');

    // Undo removes the file the copy created.
    const u = await gatehouse('config', 'undo');
    assert.equal(u.code, 0, u.stderr);
    await assert.rejects(stat(target));
  });
});
