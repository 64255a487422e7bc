import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { GitFileStatus } from './types.js';

/**
 * Git state of project-scope files, for secret.project-file. The work tree is found by walking up
 * to a `.git` entry (no process); whether git ignores the file is asked of `git check-ignore`, once
 * per work tree for all its files (cheap: only files that hold credentials are asked about).
 * Without a usable git the file counts as not ignored (the conservative answer).
 */
export function findWorkTree(file: string, seen?: Map<string, string | null>): string | null {
  const walked: string[] = [];
  let dir = dirname(file);
  let found: string | null = null;
  for (;;) {
    const known = seen?.get(dir);
    if (known !== undefined) {
      found = known;
      break;
    }
    walked.push(dir);
    if (existsSync(join(dir, '.git'))) {
      found = dir;
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // Every folder on the way has the same answer: files of one project share their walk.
  for (const d of walked) seen?.set(d, found);
  return found;
}

async function checkIgnore(workTree: string, rels: string[]): Promise<Set<string>> {
  // Loaded here: most scans have no project file with credentials, and never start git.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(
      'git',
      // The repository is untrusted (a cloned project): its .git/config may name programs that
      // git would run (core.fsmonitor). Switch those off for this read-only question.
      ['-c', 'core.fsmonitor=false', '-c', 'core.untrackedCache=false', '-C', workTree, 'check-ignore', '--', ...rels],
      { timeout: 5000, windowsHide: true, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (err, stdout) => {
        // exit 0: some ignored; 1: none ignored; anything else (no git, not a repo): none known.
        const code = (err as (Error & { code?: number | string }) | null)?.code;
        if (err && code !== 1) return resolve(new Set());
        resolve(new Set(stdout.split(/\r?\n/).filter(Boolean)));
      },
    );
  });
}

export async function nodeGitStatus(files: string[]): Promise<Map<string, GitFileStatus>> {
  const out = new Map<string, GitFileStatus>();
  const byTree = new Map<string, string[]>();
  const seen = new Map<string, string | null>();
  for (const f of files) {
    const tree = findWorkTree(f, seen);
    if (!tree) {
      out.set(f, { workTree: null, ignored: false });
      continue;
    }
    const list = byTree.get(tree);
    if (list) list.push(f);
    else byTree.set(tree, [f]);
  }
  await Promise.all(
    [...byTree].map(async ([tree, list]) => {
      const rels = list.map((f) => relative(tree, f).split('\\').join('/'));
      const ignored = await checkIgnore(tree, rels);
      list.forEach((f, i) => out.set(f, { workTree: tree, ignored: ignored.has(rels[i]!) }));
    }),
  );
  return out;
}
