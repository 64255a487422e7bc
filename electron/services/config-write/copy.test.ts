import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { ClientId } from '../../../shared/model/discovery.js';
import { discover } from '../discovery/discover.js';
import { findingsTestContext } from '../findings/test-context.js';
import { COPY_TARGETS } from './copy.js';
import { applyChange, previewChange, undo } from './service.js';

const GHP = 'ghp_' + 'Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0we';
const SERVER = {
  command: 'npx',
  args: ['-y', '@modelcontextprotocol/server-github@1.0.0'],
  env: { GITHUB_TOKEN: GHP, LOG: 'debug' },
};

const SOURCE: Record<string, { rel: string; text: string }> = {
  'claude-desktop': {
    rel: '.config/Claude/claude_desktop_config.json',
    text: JSON.stringify({ mcpServers: { github: SERVER } }, null, 2),
  },
  'claude-code': { rel: '.claude.json', text: JSON.stringify({ mcpServers: { github: SERVER } }, null, 2) },
  cursor: { rel: '.cursor/mcp.json', text: JSON.stringify({ mcpServers: { github: SERVER } }, null, 2) },
  vscode: {
    rel: '.config/Code/User/mcp.json',
    text: JSON.stringify({ servers: { github: { type: 'stdio', ...SERVER } } }, null, 2),
  },
  windsurf: {
    rel: '.codeium/windsurf/mcp_config.json',
    text: JSON.stringify({ mcpServers: { github: SERVER } }, null, 2),
  },
  codex: {
    rel: '.codex/config.toml',
    text: `[mcp_servers.github]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-github@1.0.0"]\nenv = { GITHUB_TOKEN = "${GHP}", LOG = "debug" }\n`,
  },
};

describe('copy a server between clients (round trip per pair)', () => {
  for (const from of COPY_TARGETS) {
    for (const to of COPY_TARGETS) {
      if (from === to) continue;
      it(`${from} → ${to}`, async () => {
        const root = await mkdtemp(join(tmpdir(), 'gh-copy-'));
        const ctx = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
        try {
          const src = SOURCE[from]!;
          const file = join(root, 'home', src.rel);
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, src.text, { mode: 0o600 });
          const before = await discover(ctx.workstation, ctx.fs);
          const s = before.servers.find((x) => x.entry.client === from)!;
          const p = await previewChange(ctx, {
            kind: 'copy',
            serverId: s.entry.id,
            to: { client: to as ClientId, scope: 'user' },
          });
          assert.ok(!JSON.stringify(p).includes(GHP));
          const applied = await applyChange(ctx, p.token);
          const written = await readFile(applied[0]!.file, 'utf8');
          assert.ok(!written.includes(GHP), 'no literal in the target');
          const after = await discover(ctx.workstation, ctx.fs);
          const t = after.servers.find((x) => x.entry.client === to)!;
          assert.ok(t, 'discovered in the target');
          assert.equal(t.entry.name, 'github');
          assert.equal(t.entry.transport, 'stdio');
          if (to === 'claude-desktop') {
            assert.equal(t.raw.command, 'gatehouse');
            assert.deepEqual(t.raw.args?.slice(-3), SERVER.args.length === 2 ? ['npx', ...SERVER.args] : []);
            assert.deepEqual(t.entry.envKeys, ['LOG']);
          } else {
            assert.equal(t.raw.command, 'npx');
            assert.deepEqual(t.raw.args, SERVER.args);
            // Codex forwards GITHUB_TOKEN with env_vars (discovery lists env keys only).
            if (to === 'codex') assert.match(written, /env_vars = \["GITHUB_TOKEN"\]/);
            assert.deepEqual(t.entry.envKeys.sort(), to === 'codex' ? ['LOG'] : ['GITHUB_TOKEN', 'LOG']);
            assert.equal(t.raw.env.LOG ?? 'debug', 'debug');
          }
          assert.equal(await ctx.secrets.get(`mcp.${from}.github.GITHUB_TOKEN`), GHP);
          // The source is untouched by a copy; undo removes the created target file.
          assert.equal(await readFile(file, 'utf8'), src.text);
          await undo(ctx, applied[0]!.id);
          const gone = await discover(ctx.workstation, ctx.fs);
          assert.ok(!gone.servers.some((x) => x.entry.client === to));
        } finally {
          ctx.db.close();
          await rm(root, { recursive: true, force: true });
        }
      });
    }
  }

  it('move removes the source entry (and a name clash is refused)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-copy-'));
    const ctx = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
    try {
      const file = join(root, 'home', SOURCE.cursor!.rel);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, SOURCE.cursor!.text, { mode: 0o600 });
      const s = (await discover(ctx.workstation, ctx.fs)).servers[0]!;
      const p = await previewChange(ctx, {
        kind: 'copy',
        serverId: s.entry.id,
        to: { client: 'codex', scope: 'user' },
        move: true,
      });
      await applyChange(ctx, p.token);
      const after = await discover(ctx.workstation, ctx.fs);
      assert.deepEqual(
        after.servers.map((x) => x.entry.client),
        ['codex'],
      );
      const c = after.servers[0]!;
      await assert.rejects(
        previewChange(ctx, { kind: 'copy', serverId: c.entry.id, to: { client: 'codex', scope: 'user' } }),
        /not supported|already has/,
      );
    } finally {
      ctx.db.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
