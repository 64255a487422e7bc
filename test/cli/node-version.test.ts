import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const bin = fileURLToPath(new URL('../../bin/gatehouse.mjs', import.meta.url));
// The machine's own Node (not the project's Node 24 that npm puts first on PATH).
const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
const systemMajor = systemNode
  ? Number(spawnSync(systemNode, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim())
  : NaN;

test(
  'the CLI refuses to start on Node < 22 with a clear message',
  { skip: !(systemMajor < 22) && `the system Node here is ${systemMajor || 'absent'}, not older than 22` },
  () => {
    const r = spawnSync(systemNode!, [bin, 'discover'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /needs Node\.js 22\.5 or newer/);
    assert.equal(r.stdout, '');
  },
);

test('the CLI runs on the project Node and prints help with exit 0', () => {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /discover/);
  assert.match(r.stdout, /serve/);
});

test('an unknown command exits 2 and says so', () => {
  const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});
