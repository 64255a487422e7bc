import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminMethods } from '../../../shared/api/contract.js';
import { AdminError } from '../../../shared/api/errors.js';
import { homeContext } from '../../../test/support/node-context.js';
import { createAdminHandlers } from '../admin-service.js';
import type { ServiceContext } from '../context.js';
import { runDiscovery } from '../discovery/handlers.js';
import type { DesktopShell } from '../ports.js';

/** app.reveal with a fake desktop shell: discovered config sources only; unavailable without a shell. */

let root = '';
let ctx: ServiceContext;
let cursorFile = '';
const revealed: string[] = [];
const fakeShell: DesktopShell = { showItemInFolder: (p) => void revealed.push(p) };

async function call<K extends keyof typeof adminMethods>(c: ServiceContext, method: K, input: unknown) {
  const spec = adminMethods[method];
  const handlers = createAdminHandlers(c);
  const out = await (handlers[method] as (i: unknown) => Promise<unknown>)(spec.input.parse(input));
  return spec.output.parse(out) as Awaited<ReturnType<(typeof handlers)[K]>>;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof AdminError, String(err));
    return err.code;
  }
}

describe('app.reveal', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gh-reveal-'));
    const home = join(root, 'home');
    await mkdir(join(home, '.cursor'), { recursive: true });
    cursorFile = join(home, '.cursor', 'mcp.json');
    await writeFile(cursorFile, JSON.stringify({ mcpServers: { a: { url: 'https://example.com/mcp' } } }));
    await writeFile(join(home, 'notes.txt'), 'not a config');
    ctx = homeContext(root, home);
    ctx.shell = fakeShell;
  });
  after(async () => {
    ctx.db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('app.info says whether the shell is there', async () => {
    assert.equal((await call(ctx, 'app.info', {})).canReveal, true);
    assert.equal((await call({ ...ctx, shell: undefined }, 'app.info', {})).canReveal, false);
  });

  it('refuses everything before a discovery run', async () => {
    assert.equal(await code(call(ctx, 'app.reveal', { path: cursorFile })), 'forbidden');
    assert.deepEqual(revealed, []);
  });

  it('reveals a config source of the latest run and refuses any other path', async () => {
    const { run } = await runDiscovery(ctx);
    assert.ok(run.result.sources.some((s) => s.path === cursorFile));
    assert.deepEqual(await call(ctx, 'app.reveal', { path: cursorFile }), { revealed: true });
    for (const path of [join(root, 'home', 'notes.txt'), '/etc/passwd', cursorFile + '/..', join(root, 'home')]) {
      assert.equal(await code(call(ctx, 'app.reveal', { path })), 'forbidden', path);
    }
    assert.throws(() => adminMethods['app.reveal'].input.parse({ path: '' }));
    assert.deepEqual(revealed, [cursorFile]);
  });

  it('is unavailable without a desktop shell (browser mode), even for a known source', async () => {
    const browser: ServiceContext = { ...ctx, mode: 'browser', shell: undefined };
    assert.equal(await code(call(browser, 'app.reveal', { path: cursorFile })), 'unavailable');
    assert.deepEqual(revealed, [cursorFile]);
  });
});
