import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appResponse, registerAppScheme, resolveAppPath, serveApp } from './protocol.js';
import { APP_CSP } from './security.js';

let root: string;
let outside: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gh-proto-'));
  outside = await mkdtemp(join(tmpdir(), 'gh-proto-out-'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>Gatehouse</title>');
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'assets', 'a.js'), 'export {}');
  await writeFile(join(outside, 'secret'), 'TOPSECRET');
  await symlink(join(outside, 'secret'), join(root, 'assets', 'leak.js'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('app protocol', () => {
  test('registers gatehouse:// as a standard secure scheme and serves it', async () => {
    const registered: unknown[] = [];
    let handler: ((r: Request) => Promise<Response> | Response) | undefined;
    registerAppScheme({ registerSchemesAsPrivileged: (s) => void registered.push(...s) });
    serveApp({ handle: (scheme, h) => void (scheme === 'gatehouse' && (handler = h)) }, root);
    assert.deepEqual(registered, [
      { scheme: 'gatehouse', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    const res = await handler!(new Request('gatehouse://app/index.html'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), APP_CSP);
    assert.match(await res.text(), /Gatehouse/);
  });

  test('content types, index for /, 404 for missing', async () => {
    const js = await appResponse(root, 'gatehouse://app/assets/a.js');
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await appResponse(root, 'gatehouse://app/')).status, 200);
    assert.equal((await appResponse(root, 'gatehouse://app/missing.js')).status, 404);
    assert.equal((await appResponse(root, 'gatehouse://app/index.html', 'POST')).status, 405);
  });

  test('nothing outside the renderer folder is reachable', async () => {
    assert.equal(resolveAppPath(root, 'gatehouse://other/index.html'), null);
    assert.equal(resolveAppPath(root, 'file:///etc/passwd'), null);
    // The URL parser folds %2e%2e segments itself: what remains must still be inside the folder.
    const folded = resolveAppPath(root, 'gatehouse://app/%2e%2e/%2e%2e/etc/passwd');
    assert.ok(folded === null || folded.startsWith(root + '/'), String(folded));
    assert.equal(resolveAppPath(root, 'gatehouse://app/assets/..%2f..%2f..%2fetc%2fpasswd'), null);
    assert.equal(resolveAppPath(root, 'gatehouse://app/..%5c..%5cx'), null);
    assert.equal(resolveAppPath(root, 'gatehouse://app/a%00.js'), null);
    const leak = await appResponse(root, 'gatehouse://app/assets/leak.js');
    assert.equal(leak.status, 404);
    assert.doesNotMatch(await leak.text(), /TOPSECRET/);
  });
});
