import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../electron/cli/run.js';

/** `gatehouse policy save`: a draft becomes a version; `--expect` makes a save on an old version a conflict (exit 1). */
test('policy save: stores versions, refuses a save based on a superseded one, names who saved', async () => {
  const root = await mkdtemp(join(tmpdir(), 'gh-cli-policy-save-'));
  const run = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await main([...args, '--state', join(root, 'state')], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
    });
    return { code, stdout, stderr };
  };
  try {
    const a = join(root, 'a.yaml');
    const b = join(root, 'b.yaml');
    await writeFile(a, 'apiVersion: gatehouse/v1\nkind: Policy\nteams:\n  - name: red\n');
    await writeFile(b, 'apiVersion: gatehouse/v1\nkind: Policy\nteams:\n  - name: blue\n');
    const first = await run('policy', 'save', a, '--expect', 'none', '--message', 'first');
    assert.equal(first.code, 0, first.stderr);
    const hash = /Saved version ([0-9a-f]{12})/.exec(first.stdout)?.[1];
    assert.ok(hash, first.stdout);
    const stale = await run('policy', 'save', b, '--expect', 'none');
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /gatehouse policy save: Policy \(not bound to a gateway\) already exists: .+ set it at/);
    const ok = await run('policy', 'save', b, '--expect', hash);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`parent ${hash}`));
    const list = await run('policy', 'versions', '--format', 'json');
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 2);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
