import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { adminLogEntriesAfter } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { runFindingsScan } from '../findings/service.js';
import { findingsTestContext } from '../findings/test-context.js';
import { nodeWritableFs, type WritableFs } from './fs.js';
import { applyChange, changes, previewChange, undoGroupOf } from './service.js';

/**
 * Bulk fix of one rule across clients (issue #15): one combined preview (one diff per file), manual
 * findings skipped with the reason, one all-or-nothing apply (a failed write restores the files
 * already written and removes the secrets it stored), and group undo, all or none.
 */

// Assembled at run time so secret scanners do not flag this file.
const tok = (n: number) => ['ghp', `Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0w${n}`].join('_');

const FILES: Record<string, string> = {
  // Two findings in one file: one write, one diff.
  '.cursor/mcp.json': `{
  // team servers
  "mcpServers": {
    "github": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"], "env": { "GITHUB_TOKEN": "${tok(1)}" } },
    "gitlab": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-gitlab@1.0.0"], "env": { "GITLAB_TOKEN": "${tok(2)}", "LOG": "debug" } }
  }
}
`,
  '.claude.json': `{
  "numStartups": 12,
  "mcpServers": {
    "search": { "type": "stdio", "command": "npx", "args": ["-y", "search-mcp@2.1.0"], "env": { "SEARCH_API_KEY": "${tok(3)}" } }
  }
}
`,
  '.codeium/windsurf/mcp_config.json': `{
  "mcpServers": {
    "notes": { "command": "uvx", "args": ["notes-mcp==0.3.1"], "env": { "NOTES_TOKEN": "${tok(4)}" } }
  }
}
`,
  // Cline has no reference syntax for a remote server's header: manual.
  '.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json': `{
  "mcpServers": {
    "remote": { "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer ${tok(5)}" } }
  }
}
`,
};

const PATHS = Object.keys(FILES);

const secretNames = (notes: string[]) =>
  notes.flatMap((n) => [...n.matchAll(/under "([^"]+)"/g)].map((m) => m[1]!)).filter((v, i, a) => a.indexOf(v) === i);

describe('bulk fix of a rule', () => {
  let root: string;
  let ctx: ServiceContext;
  const abs = (rel: string) => join(root, 'home', rel);
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-bulk-'));
    ctx = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
    for (const [rel, text] of Object.entries(FILES)) {
      await mkdir(dirname(abs(rel)), { recursive: true });
      await writeFile(abs(rel), text);
      await chmod(abs(rel), 0o600);
    }
  });
  afterEach(async () => {
    ctx.db.close();
    await rm(root, { recursive: true, force: true });
  });

  const literals = async () =>
    (await runFindingsScan(ctx)).report.findings.filter((f) => f.ruleId === 'secret.literal' && f.status === 'open');

  it('one combined preview: every file once, manual findings skipped with the reason, no secret shown', async () => {
    const found = await literals();
    assert.equal(found.length, 5);
    const p = await previewChange(ctx, { kind: 'fix-rule', ruleId: 'secret.literal' });
    assert.deepEqual(p.files.map((f) => f.file).sort(), PATHS.slice(0, 3).map(abs).sort());
    const cursor = p.files.find((f) => f.file.endsWith('mcp.json') && f.file.includes('.cursor'))!;
    assert.match(cursor.diff, /\$\{env:GITHUB_TOKEN\}/);
    assert.match(cursor.diff, /\$\{env:GITLAB_TOKEN\}/);
    assert.equal(cursor.diff.match(/^--- /gm)?.length, 1, 'one diff for the file');
    const cline = found.find((f) => f.client === 'cline')!;
    assert.deepEqual(
      p.skipped.map((s) => [s.findingId, s.kind]),
      [[cline.id, 'manual']],
    );
    assert.match(p.skipped[0]!.reason, /no reference syntax for header values/);
    // Alone, without a strategy, it is manual too: never quarantined in place of the fix.
    await assert.rejects(previewChange(ctx, { kind: 'fix', findingId: cline.id }), /no reference syntax/);
    assert.match(p.title, /Fix 4 secret\.literal findings in 3 files/);
    const shown = JSON.stringify(p);
    for (let i = 1; i <= 5; i++) assert.ok(!shown.includes(tok(i)), `token ${i} shown`);
    // Only the listed ids: the others are not in the plan.
    const only = await previewChange(ctx, {
      kind: 'fix-rule',
      ruleId: 'secret.literal',
      findingIds: [found.find((f) => f.client === 'windsurf')!.id, 'ffffffffffff'],
    });
    assert.deepEqual(
      only.files.map((f) => f.file),
      [abs(PATHS[2]!)],
    );
    assert.deepEqual(
      only.skipped.map((s) => [s.findingId, s.kind]),
      [['ffffffffffff', 'refused']],
    );
  });

  it('apply → rescan: the fixed findings are gone; one group; group undo restores every file byte for byte', async () => {
    assert.equal((await literals()).length, 5);
    const p = await previewChange(ctx, { kind: 'fix-rule', ruleId: 'secret.literal' });
    const applied = await applyChange(ctx, p.token);
    assert.equal(applied.length, 3);
    const group = applied[0]!.group;
    assert.ok(group);
    assert.ok(applied.every((c) => c.group === group));
    assert.deepEqual(
      (await literals()).map((f) => f.client),
      ['cline'],
    );
    for (const rel of PATHS.slice(0, 3)) {
      const now = await readFile(abs(rel), 'utf8');
      for (let i = 1; i <= 5; i++) assert.ok(!now.includes(tok(i)), `${rel} still holds token ${i}`);
    }
    assert.match(await readFile(abs(PATHS[0]!), 'utf8'), /\/\/ team servers/);
    for (const name of secretNames(p.notes)) assert.ok(await ctx.secrets.get(name), `${name} stored`);
    const log = adminLogEntriesAfter(ctx.db, 0).filter((e) => e.action === 'config.write');
    assert.equal(log.length, 3);

    const undone = await undoGroupOf(ctx, group.slice(0, 8));
    assert.deepEqual(
      undone.map((c) => c.status),
      ['undone', 'undone', 'undone'],
    );
    for (const rel of PATHS) assert.equal(await readFile(abs(rel), 'utf8'), FILES[rel], `${rel} restored`);
    assert.equal((await literals()).length, 5);
    await assert.rejects(undoGroupOf(ctx, group), /already undone/);
  });

  it('group undo is all or none: refused naming the file that moved on, nothing undone', async () => {
    await literals();
    const applied = await applyChange(
      ctx,
      (await previewChange(ctx, { kind: 'fix-rule', ruleId: 'secret.literal' })).token,
    );
    const moved = abs(PATHS[1]!);
    const movedText = (await readFile(moved, 'utf8')).replace('"numStartups": 12', '"numStartups": 13');
    await writeFile(moved, movedText);
    const fixed = await Promise.all(PATHS.map((rel) => readFile(abs(rel), 'utf8')));
    await assert.rejects(
      undoGroupOf(ctx, applied[0]!.group!),
      (err: Error) =>
        err.message.includes(moved) && /has changed since/.test(err.message) && /Nothing was undone/.test(err.message),
    );
    assert.deepEqual(await Promise.all(PATHS.map((rel) => readFile(abs(rel), 'utf8'))), fixed);
    assert.ok((await changes(ctx)).every((c) => c.status === 'applied'));
  });

  it('a write error on the 2nd of 3 files: the 1st is restored byte for byte, nothing remains, secrets removed', async () => {
    await literals();
    const p = await previewChange(ctx, { kind: 'fix-rule', ruleId: 'secret.literal' });
    assert.equal(p.files.length, 3);
    const names = secretNames(p.notes);
    assert.equal(names.length, 4);
    // A secret that existed before the apply keeps its old value (restored, not deleted).
    await ctx.secrets.set(names[0]!, 'kept-from-before');
    let temps = 0;
    const failing: WritableFs = {
      ...nodeWritableFs,
      async writeNewSynced(path, data, mode) {
        temps++;
        if (temps === 2) {
          await nodeWritableFs.writeNewSynced(path, data.subarray(0, 3), mode);
          throw Object.assign(new Error('injected'), { code: 'ENOSPC' });
        }
        return nodeWritableFs.writeNewSynced(path, data, mode);
      },
    };
    await assert.rejects(applyChange(ctx, p.token, { writeFs: failing }), (err: Error) => {
      assert.match(err.message, /the disk is full/);
      assert.match(err.message, /rolled back: .* restored byte for byte; nothing of it remains/);
      assert.match(err.message, /secret\(s\) it had stored were removed again/);
      return true;
    });
    for (const rel of PATHS) assert.equal(await readFile(abs(rel), 'utf8'), FILES[rel], `${rel} byte for byte`);
    assert.equal(await ctx.secrets.get(names[0]!), 'kept-from-before');
    for (const n of names.slice(1)) assert.equal(await ctx.secrets.get(n), null, `${n} removed`);
    assert.deepEqual(await changes(ctx), [], 'no change recorded');
    for (const rel of PATHS)
      assert.deepEqual(
        (await readdir(dirname(abs(rel)))).filter((n) => n.endsWith('.tmp')),
        [],
      );
    const actions = adminLogEntriesAfter(ctx.db, 0).map((e) => e.action);
    assert.ok(actions.includes('config.rollback'));
    assert.ok(!actions.includes('config.write'));
    assert.equal((await literals()).length, 5);
    // The same token still applies once the disk is fine again.
    assert.equal((await applyChange(ctx, p.token)).length, 3);
  });

  it('two fixes of the same entry are not merged: the second is left out with why', async () => {
    // Claude Desktop has no reference syntax: both literals would rewrite the same command line.
    const rel = '.config/Claude/claude_desktop_config.json';
    await mkdir(dirname(abs(rel)), { recursive: true });
    const text = `{\n  "mcpServers": {\n    "db": { "command": "npx", "args": ["db-mcp@1.0.0"], "env": { "DB_PASSWORD": "${tok(6)}", "DB_TOKEN": "${tok(7)}" } }\n  }\n}\n`;
    await writeFile(abs(rel), text);
    await chmod(abs(rel), 0o600);
    const found = (await literals()).filter((f) => f.client === 'claude-desktop');
    assert.equal(found.length, 2);
    const p = await previewChange(ctx, {
      kind: 'fix-rule',
      ruleId: 'secret.literal',
      findingIds: found.map((f) => f.id),
    });
    assert.equal(p.files.length, 1);
    assert.equal(p.skipped.length, 1);
    assert.match(p.skipped[0]!.reason, /already edits .* apply this set, then fix this one again/);
    await applyChange(ctx, p.token);
    assert.equal((await literals()).filter((f) => f.client === 'claude-desktop').length, 1);
  });
});

describe('bulk fix across projects', () => {
  it('one variable with two values is not merged; project secrets get a store entry per project', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-bulk-proj-'));
    const projects = [join(root, 'p1'), join(root, 'p2'), join(root, 'p3')];
    const base = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
    const ctx = { ...base, workstation: { ...base.workstation, projects } };
    try {
      const values = [tok(8), tok(9), tok(8)];
      for (const [i, dir] of projects.entries()) {
        await mkdir(join(dir, '.cursor'), { recursive: true });
        await writeFile(
          join(dir, '.cursor', 'mcp.json'),
          `{ "mcpServers": { "db": { "command": "npx", "args": ["db-mcp@1.0.0"], "env": { "DB_TOKEN": "${values[i]}" } } } }\n`,
        );
      }
      const found = (await runFindingsScan(ctx)).report.findings.filter((f) => f.ruleId === 'secret.project-file');
      assert.equal(found.length, 3);
      const p = await previewChange(ctx, { kind: 'fix-rule', ruleId: 'secret.project-file' });
      // p1 and p3 hold the same value: both fixed; p2 would need DB_TOKEN to hold another value.
      assert.deepEqual(
        p.files.map((f) => f.file),
        [projects[0], projects[2]].map((d) => join(d!, '.cursor', 'mcp.json')),
      );
      assert.equal(p.skipped.length, 1);
      assert.match(p.skipped[0]!.reason, /different value for the variable DB_TOKEN/);
      const names = secretNames(p.notes);
      assert.equal(names.length, 2);
      assert.ok(
        names.every((n) => /^mcp\.cursor\.db\.[0-9a-f]{8}\.DB_TOKEN$/.test(n)),
        names.join(),
      );
    } finally {
      ctx.db.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('quarantine everywhere and move: one group, all or nothing', () => {
  let root: string;
  let ctx: ServiceContext;
  const SERVER = `"github": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"] }`;
  const TEXTS: Record<string, string> = {
    '.cursor/mcp.json': `{\n  // mine\n  "mcpServers": {\n    ${SERVER}\n  }\n}\n`,
    '.codeium/windsurf/mcp_config.json': `{\n  "mcpServers": {\n    ${SERVER},\n    "other": { "command": "x" }\n  }\n}\n`,
    '.config/Claude/claude_desktop_config.json': `{\n  "mcpServers": {\n    ${SERVER}\n  }\n}\n`,
  };
  const abs = (rel: string) => join(root, 'home', rel);
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-group-'));
    ctx = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
    for (const [rel, text] of Object.entries(TEXTS)) {
      await mkdir(dirname(abs(rel)), { recursive: true });
      await writeFile(abs(rel), text);
      await chmod(abs(rel), 0o600);
    }
  });
  afterEach(async () => {
    ctx.db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('quarantine in 3 files: a failure on the 3rd restores the first two; then one group, undone together', async () => {
    const scan = await runFindingsScan(ctx);
    const s = scan.scan.servers.find((x) => x.entry.client === 'cursor')!;
    const p = await previewChange(ctx, { kind: 'quarantine', serverId: s.entry.id });
    assert.equal(p.files.length, 3);
    let n = 0;
    const failing: WritableFs = {
      ...nodeWritableFs,
      async rename(from, to) {
        if (++n === 3) throw Object.assign(new Error('injected'), { code: 'EIO' });
        return nodeWritableFs.rename(from, to);
      },
    };
    await assert.rejects(
      applyChange(ctx, p.token, { writeFs: failing }),
      /I\/O error.*rolled back: .*, .* restored byte for byte/,
    );
    for (const [rel, text] of Object.entries(TEXTS)) assert.equal(await readFile(abs(rel), 'utf8'), text, rel);
    assert.deepEqual(await changes(ctx), []);

    const applied = await applyChange(ctx, p.token);
    assert.equal(new Set(applied.map((c) => c.group)).size, 1);
    assert.match(await readFile(abs('.codeium/windsurf/mcp_config.json'), 'utf8'), /"disabled": true/);
    await undoGroupOf(ctx, applied[0]!.group!);
    for (const [rel, text] of Object.entries(TEXTS)) assert.equal(await readFile(abs(rel), 'utf8'), text, rel);
  });

  it('move = add in the target + remove in the source: one group; group undo deletes the created file', async () => {
    const scan = await runFindingsScan(ctx);
    const s = scan.scan.servers.find((x) => x.entry.client === 'cursor')!;
    const p = await previewChange(ctx, {
      kind: 'copy',
      serverId: s.entry.id,
      to: { client: 'vscode', scope: 'user' },
      move: true,
    });
    const target = join(root, 'home', '.config', 'Code', 'User', 'mcp.json');
    // The source cannot be written: the target file must not be created at all.
    await chmod(abs('.cursor/mcp.json'), 0o400);
    await assert.rejects(applyChange(ctx, p.token), /read-only/);
    await assert.rejects(readFile(target), /ENOENT/);
    await chmod(abs('.cursor/mcp.json'), 0o600);
    // The source write fails after the target was created: the target and its new folders go again.
    let renames = 0;
    const failing: WritableFs = {
      ...nodeWritableFs,
      async rename(from, to) {
        if (++renames === 2) throw Object.assign(new Error('injected'), { code: 'EIO' });
        return nodeWritableFs.rename(from, to);
      },
    };
    await assert.rejects(applyChange(ctx, p.token, { writeFs: failing }), /rolled back/);
    await assert.rejects(readFile(target), /ENOENT/);
    await assert.rejects(readdir(join(root, 'home', '.config', 'Code')), /ENOENT/, 'created folders removed');
    assert.equal(await readFile(abs('.cursor/mcp.json'), 'utf8'), TEXTS['.cursor/mcp.json']);
    const applied = await applyChange(ctx, p.token);
    assert.deepEqual(
      applied.map((c) => c.file),
      [target, abs('.cursor/mcp.json')],
    );
    assert.equal(applied[0]!.group, applied[1]!.group);
    assert.doesNotMatch(await readFile(abs('.cursor/mcp.json'), 'utf8'), /github/);
    await undoGroupOf(ctx, applied[0]!.group!);
    await assert.rejects(readFile(target), /ENOENT/);
    assert.equal(await readFile(abs('.cursor/mcp.json'), 'utf8'), TEXTS['.cursor/mcp.json']);
  });
});
