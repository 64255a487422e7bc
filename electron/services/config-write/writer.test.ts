import assert from 'node:assert/strict';
import { chmod, lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { findingsTestContext } from '../findings/test-context.js';
import type { ServiceContext } from '../context.js';
import { nodeWritableFs, type WritableFs } from './fs.js';
import { commitWrite, computeWrite, listChanges, undoChange, WriteRefused, type PlannedWrite } from './writer.js';

const SECRET = 'ghp_' + 'Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0we';
const TEXT = `{
  // keep me
  "mcpServers": {
    "gh": { "command": "npx", "env": { "GITHUB_TOKEN": "${SECRET}" } },
    "other": { "command": "x" }
  }
}
`;

describe('config-write writer', () => {
  let root: string;
  let ctx: ServiceContext;
  let file: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-cw-'));
    ctx = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
    file = join(root, 'mcp.json');
    await writeFile(file, TEXT, { mode: 0o640 });
    await chmod(file, 0o640);
  });
  afterEach(async () => {
    ctx.db.close();
    await rm(root, { recursive: true, force: true });
  });
  const plan = (): PlannedWrite => ({
    kind: 'edit',
    file,
    format: 'json',
    ops: [{ op: 'set', pointer: '/mcpServers/gh/env/GITHUB_TOKEN', value: '${GITHUB_TOKEN}' }],
    summary: 'reference',
    pointers: ['/mcpServers/gh/env/GITHUB_TOKEN'],
    secretValues: [SECRET],
  });

  it('edits in place, keeps comments, mode and unrelated bytes, and undoes byte for byte', async () => {
    const c = await computeWrite(ctx, plan());
    assert.ok(!c.preview.diff.includes(SECRET), 'no secret in the diff');
    assert.match(c.preview.diff, /\+.*\$\{GITHUB_TOKEN\}/);
    const change = await commitWrite(ctx, plan(), c.preview);
    const after = await readFile(file, 'utf8');
    assert.equal(after, TEXT.replace(`"${SECRET}"`, '"${GITHUB_TOKEN}"'));
    assert.equal((await lstat(file)).mode & 0o777, 0o640);
    assert.deepEqual(
      (await readdir(root)).filter((n) => n.endsWith('.tmp')),
      [],
    );
    const [listed] = await listChanges(ctx);
    assert.equal(listed?.id, change.id);
    assert.equal(listed?.undoable, true);
    await undoChange(ctx, change.id);
    assert.equal(await readFile(file, 'utf8'), TEXT);
    assert.equal((await lstat(file)).mode & 0o777, 0o640);
    // The store holds no clear copy of the secret (the backup is encrypted), nor does the admin log.
    ctx.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    for (const f of await readdir(join(root, 'state')))
      assert.ok(!(await readFile(join(root, 'state', f))).includes(SECRET), `${f} holds the secret`);
  });

  it('refuses a file modified between read and write', async () => {
    const c = await computeWrite(ctx, plan());
    await writeFile(file, TEXT.replace('keep me', 'edited elsewhere'));
    await assert.rejects(commitWrite(ctx, plan(), c.preview), /changed since it was read/);
    assert.match(await readFile(file, 'utf8'), /edited elsewhere/);
  });

  it('refuses read-only files and symlinks, leaving them intact', async () => {
    await chmod(file, 0o440);
    await assert.rejects(computeWrite(ctx, plan()), /read-only/);
    await chmod(file, 0o600);
    const link = join(root, 'link.json');
    await symlink(file, link);
    await assert.rejects(computeWrite(ctx, { ...plan(), file: link }), /symbolic link/);
    assert.equal(await readFile(file, 'utf8'), TEXT);
  });

  it('refuses an edit whose result would not parse as intended', async () => {
    const toml = join(root, 'config.toml');
    const text = '[mcp_servers]\ngh = { command = "x" }\n';
    await writeFile(toml, text);
    await assert.rejects(
      computeWrite(ctx, {
        kind: 'edit',
        file: toml,
        format: 'toml',
        ops: [{ op: 'set', pointer: '/mcp_servers/gh/enabled', value: false }],
        summary: 's',
        pointers: [],
      }),
      WriteRefused,
    );
    assert.equal(await readFile(toml, 'utf8'), text);
  });

  it('a full disk or an I/O error leaves the original intact and records nothing', async () => {
    for (const code of ['ENOSPC', 'EIO']) {
      const failing: WritableFs = {
        ...nodeWritableFs,
        async writeNewSynced(path, data, mode) {
          await nodeWritableFs.writeNewSynced(path, data.subarray(0, 5), mode);
          throw Object.assign(new Error('injected'), { code });
        },
      };
      const deps = { ...ctx, writeFs: failing };
      const c = await computeWrite(deps, plan());
      await assert.rejects(commitWrite(deps, plan(), c.preview), /original file is intact/);
      assert.equal(await readFile(file, 'utf8'), TEXT);
      assert.deepEqual(
        (await readdir(root)).filter((n) => n.endsWith('.tmp')),
        [],
      );
    }
    assert.equal((await listChanges(ctx)).length, 0);
  });

  it('will not undo a change whose file has moved on', async () => {
    const c = await computeWrite(ctx, plan());
    const change = await commitWrite(ctx, plan(), c.preview);
    await writeFile(file, (await readFile(file, 'utf8')) + '\n');
    await assert.rejects(undoChange(ctx, change.id), /changed since/);
  });
});
