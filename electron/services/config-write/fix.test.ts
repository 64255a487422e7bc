import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { ClientId } from '../../../shared/model/discovery.js';
import { adminLogEntriesAfter } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { runFindingsScan } from '../findings/service.js';
import { findingsTestContext } from '../findings/test-context.js';
import { discover } from '../discovery/discover.js';
import { applyChange, changes, previewChange, undo } from './service.js';

const GHP = 'ghp_' + 'Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0we';

interface Case {
  client: ClientId;
  rel: string;
  text: string;
  expect: RegExp;
  strategy: string;
}

const CASES: Case[] = [
  {
    client: 'cursor',
    rel: '.cursor/mcp.json',
    text: `{\n  // team servers\n  "mcpServers": {\n    "github": {\n      "command": "npx",\n      "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"],\n      "env": { "GITHUB_TOKEN": "${GHP}", "LOG": "debug" }\n    }\n  }\n}\n`,
    expect: /"GITHUB_TOKEN": "\$\{env:GITHUB_TOKEN\}"/,
    strategy: 'reference',
  },
  {
    client: 'vscode',
    rel: '.config/Code/User/mcp.json',
    text: `{\n\t// VS Code\n\t"servers": {\n\t\t"github": { "type": "stdio", "command": "npx", "args": ["server-github@1.0.0"], "env": { "GITHUB_TOKEN": "${GHP}" } },\n\t},\n}\n`,
    expect: /"\$\{input:github-token\}"[\s\S]*"password": true/,
    strategy: 'reference',
  },
  {
    client: 'codex',
    rel: '.codex/config.toml',
    text: `# codex\nmodel = "o4"\n\n[mcp_servers.github]\ncommand = "npx" # runner\nargs = ["-y", "server-github@1.0.0"]\n\n[mcp_servers.github.env]\nGITHUB_TOKEN = "${GHP}"\nLOG = "debug"\n`,
    expect: /env_vars = \["GITHUB_TOKEN"\]/,
    strategy: 'codex-env-vars',
  },
  {
    client: 'continue',
    rel: '.continue/config.yaml',
    text: `# continue\nname: local\nmcpServers:\n  - name: github # gh\n    command: npx\n    args: ["-y", "server-github@1.0.0"]\n    env:\n      GITHUB_TOKEN: ${GHP}\n      LOG: debug\n`,
    expect: /GITHUB_TOKEN: "\$\{\{ secrets\.GITHUB_TOKEN \}\}"/,
    strategy: 'reference',
  },
  {
    client: 'claude-desktop',
    rel: '.config/Claude/claude_desktop_config.json',
    text: `{\n  "mcpServers": {\n    "github": { "command": "npx", "args": ["-y", "server-github@1.0.0"], "env": { "GITHUB_TOKEN": "${GHP}" } }\n  }\n}\n`,
    expect: /"command": "gatehouse"[\s\S]*"GITHUB_TOKEN=secret:mcp\.claude-desktop\.github\.GITHUB_TOKEN"/,
    strategy: 'launcher',
  },
];

async function setup(c: Case): Promise<{ root: string; ctx: ServiceContext; file: string }> {
  const root = await mkdtemp(join(tmpdir(), 'gh-fix-'));
  const ctx = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
  const file = join(root, 'home', c.rel);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, c.text);
  await chmod(file, 0o600);
  return { root, ctx, file };
}

/** Bytes outside [prefix, suffix) of the two texts are identical: returns the changed middle of each. */
function changedSpan(a: string, b: string): [string, string] {
  let p = 0;
  while (p < a.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return [a.slice(p, a.length - s), b.slice(p, b.length - s)];
}

describe('quarantine disables where the client has a flag', () => {
  it('kiro: "disabled": true (Kiro documents the flag), the entry kept; undo byte for byte', async () => {
    const text = `{\n  "mcpServers": {\n    "fs": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@1.0.0"] }\n  }\n}\n`;
    const { root, ctx, file } = await setup({
      client: 'kiro',
      rel: '.kiro/settings/mcp.json',
      text,
      expect: /x/,
      strategy: 'reference',
    });
    try {
      const scan = (await runFindingsScan(ctx)).scan;
      const s = scan.servers.find((x) => x.entry.client === 'kiro')!;
      const q = await previewChange(ctx, { kind: 'quarantine', serverId: s.entry.id });
      assert.doesNotMatch(JSON.stringify(q), /no disabled flag/);
      const applied = await applyChange(ctx, q.token);
      const after = await readFile(file, 'utf8');
      assert.match(after, /"fs": \{[^}]*"disabled": true/);
      assert.match(after, /server-filesystem@1\.0\.0/, 'the entry is kept');
      const disc = await discover(ctx.workstation, ctx.fs);
      assert.equal(disc.servers.find((x) => x.entry.client === 'kiro')?.entry.disabled, true);
      await undo(ctx, applied[0]!.id);
      assert.equal(await readFile(file, 'utf8'), text);
    } finally {
      ctx.db.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('fix a planted literal, per format', () => {
  for (const c of CASES) {
    it(`${c.client}: ${c.strategy}; rescan clean; comments kept; undo byte for byte`, async () => {
      const { root, ctx, file } = await setup(c);
      try {
        const before = await runFindingsScan(ctx);
        const f = before.report.findings.find((x) => x.ruleId === 'secret.literal' && x.client === c.client);
        assert.ok(f, 'planted literal found');
        const serverBefore = before.scan.servers.find((s) => s.entry.client === c.client)!.entry;
        const preview = await previewChange(ctx, { kind: 'fix', findingId: f.id });
        const shown = JSON.stringify(preview);
        assert.ok(!shown.includes(GHP), 'no secret in the preview');
        assert.ok(preview.notes.some((n) => /secret store/.test(n)));
        const applied = await applyChange(ctx, preview.token);
        const after = await readFile(file, 'utf8');
        assert.match(after, c.expect);
        assert.ok(!after.includes(GHP));
        // Comments and unrelated bytes are unchanged: only a small middle span differs.
        const [was, now] = changedSpan(c.text, after);
        assert.ok(was.includes(GHP.slice(4, 20)) || c.strategy === 'launcher', 'the edit covers the literal');
        assert.ok(c.text.startsWith(c.text.slice(0, c.text.indexOf(was))));
        for (const line of c.text.split('\n').filter((l) => /#|\/\//.test(l))) assert.ok(after.includes(line), line);
        assert.ok(now.length < 400);
        assert.equal(await ctx.secrets.get(preview.notes.join(' ').match(/under "([^"]+)"|as "([^"]+)"/)![1]!), GHP);
        // Rescan: that finding is gone, the server is otherwise the same.
        const again = await runFindingsScan(ctx);
        assert.deepEqual(
          again.report.findings
            .filter((x) => x.ruleId === 'secret.literal')
            .map((x) => [x.location.pointer, x.evidence, x.secretType]),
          [],
          'finding gone',
        );
        const serverAfter = again.scan.servers.find((s) => s.entry.client === c.client)!.entry;
        assert.equal(serverAfter.name, serverBefore.name);
        assert.equal(serverAfter.transport, serverBefore.transport);
        if (c.strategy !== 'launcher') {
          assert.equal(serverAfter.command, serverBefore.command);
          assert.deepEqual(serverAfter.args, serverBefore.args);
        } else assert.deepEqual(serverAfter.args?.slice(-3), ['npx', '-y', 'server-github@1.0.0']);
        // Undo restores the original byte for byte.
        const [listed] = await changes(ctx);
        assert.equal(listed?.id, applied[0]!.id);
        await undo(ctx, applied[0]!.id);
        assert.equal(await readFile(file, 'utf8'), c.text);
        assert.equal((await lstat(file)).mode & 0o777, 0o600);
        // No secret in the admin log or any store file (backups are encrypted).
        const log = JSON.stringify(adminLogEntriesAfter(ctx.db, 0));
        assert.match(log, /config\.write/);
        assert.ok(!log.includes(GHP));
        ctx.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        for (const n of await readdir(join(root, 'state')))
          if (!n.startsWith('secrets'))
            assert.ok(!(await readFile(join(root, 'state', n))).includes(GHP), `${n} holds the secret`);
      } finally {
        ctx.db.close();
        await rm(root, { recursive: true, force: true });
      }
    });
  }

  it('config.permissions: chmod 600, undo restores the mode', async () => {
    const { root, ctx, file } = await setup(CASES[0]!);
    try {
      await chmod(file, 0o644);
      const { report } = await runFindingsScan(ctx);
      const f = report.findings.find((x) => x.ruleId === 'config.permissions')!;
      const applied = await applyChange(ctx, (await previewChange(ctx, { kind: 'fix', findingId: f.id })).token);
      assert.equal((await lstat(file)).mode & 0o777, 0o600);
      assert.ok(!(await runFindingsScan(ctx)).report.findings.some((x) => x.ruleId === 'config.permissions'));
      await undo(ctx, applied[0]!.id);
      assert.equal((await lstat(file)).mode & 0o777, 0o644);
    } finally {
      ctx.db.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('runner.unpinned: pins the confirmed version; quarantine disables or removes', async () => {
    const text = `[mcp_servers.fs]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-filesystem"]\n`;
    const { root, ctx, file } = await setup({ ...CASES[2]!, text });
    try {
      const { report } = await runFindingsScan(ctx);
      const f = report.findings.find((x) => x.ruleId === 'runner.unpinned')!;
      await assert.rejects(previewChange(ctx, { kind: 'fix', findingId: f.id, input: { version: '^1' } }), /exact/);
      const p = await previewChange(ctx, { kind: 'fix', findingId: f.id, input: { version: '2026.8.31' } });
      await applyChange(ctx, p.token);
      assert.equal(await readFile(file, 'utf8'), text.replace('server-filesystem"', 'server-filesystem@2026.8.31"'));
      const scan = (await runFindingsScan(ctx)).scan;
      const q = await previewChange(ctx, { kind: 'quarantine', serverId: scan.servers[0]!.entry.id });
      await applyChange(ctx, q.token);
      assert.match(await readFile(file, 'utf8'), /\[mcp_servers\.fs\]\nenabled = false\n/);
      const disc = await discover(ctx.workstation, ctx.fs);
      assert.equal(disc.servers[0]!.entry.disabled, true);
    } finally {
      ctx.db.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
