import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findWorkTree, nodeGitStatus } from './git.js';

describe('nodeGitStatus', () => {
  it('finds the work tree and asks git whether each file is ignored', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-git-'));
    try {
      const repo = join(root, 'repo');
      const plain = join(root, 'plain');
      await mkdir(join(repo, '.vscode'), { recursive: true });
      await mkdir(plain, { recursive: true });
      execFileSync('git', ['init', '-q'], { cwd: repo });
      await writeFile(join(repo, '.gitignore'), '.vscode/\n');
      const files = [join(repo, '.mcp.json'), join(repo, '.vscode', 'mcp.json'), join(plain, '.mcp.json')];
      for (const f of files) await writeFile(f, '{}');
      const st = await nodeGitStatus(files);
      assert.deepEqual(st.get(files[0]!), { workTree: repo, ignored: false });
      assert.deepEqual(st.get(files[1]!), { workTree: repo, ignored: true });
      assert.deepEqual(st.get(files[2]!), { workTree: null, ignored: false });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("never runs programs named by the scanned repository's own git config", async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-git-'));
    try {
      const repo = join(root, 'repo');
      await mkdir(repo, { recursive: true });
      execFileSync('git', ['init', '-q'], { cwd: repo });
      const marker = join(root, 'PWNED');
      // A hostile clone: git would run core.fsmonitor for index-reading commands.
      execFileSync('git', ['config', 'core.fsmonitor', `touch ${marker}`], { cwd: repo });
      await writeFile(join(repo, '.mcp.json'), '{}');
      execFileSync('git', ['-c', 'core.fsmonitor=false', 'add', '.mcp.json'], { cwd: repo });
      const st = await nodeGitStatus([join(repo, '.mcp.json')]);
      assert.deepEqual(st.get(join(repo, '.mcp.json')), { workTree: repo, ignored: false });
      assert.equal(existsSync(marker), false, 'the repository-configured fsmonitor program ran');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('remembers folders between files without mixing up nested work trees', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-git-'));
    try {
      const outer = join(root, 'outer');
      const inner = join(outer, 'vendor', 'inner');
      await mkdir(join(outer, '.git'), { recursive: true });
      await mkdir(join(inner, '.git'), { recursive: true });
      const files = [
        join(inner, 'a', '.mcp.json'),
        join(outer, 'b', 'c', '.mcp.json'),
        join(outer, 'vendor', '.mcp.json'),
        join(inner, '.mcp.json'),
        join(root, 'loose', '.mcp.json'),
      ];
      const seen = new Map<string, string | null>();
      const trees = files.map((f) => findWorkTree(f, seen));
      assert.deepEqual(trees, [inner, outer, outer, inner, null]);
      assert.deepEqual(
        files.map((f) => findWorkTree(f)),
        trees,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
