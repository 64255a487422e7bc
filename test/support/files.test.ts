import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { filesUnder } from './files.js';

/** The canary tests prove "stored nowhere" by reading filesUnder(state): it must list every file. */
describe('filesUnder', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-files-'));
    await mkdir(join(root, 'a', 'b', 'c'), { recursive: true });
    await mkdir(join(root, 'empty'));
    await writeFile(join(root, 'top.db'), 'x');
    await writeFile(join(root, 'top.db-wal'), 'x');
    await writeFile(join(root, 'a', 'b', 'c', 'deep.json'), 'x');
    await symlink(join(root, 'a'), join(root, 'link-to-a'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('lists files at every depth, links as entries (not followed), no folders', async () => {
    const got = (await filesUnder(root)).map((p) => p.slice(root.length + 1)).sort();
    assert.deepEqual(got, ['a/b/c/deep.json', 'link-to-a', 'top.db', 'top.db-wal']);
  });

  it('a missing folder throws unless missingOk', async () => {
    await assert.rejects(filesUnder(join(root, 'nope')), { code: 'ENOENT' });
    assert.deepEqual(await filesUnder(join(root, 'nope'), { missingOk: true }), []);
  });
});
