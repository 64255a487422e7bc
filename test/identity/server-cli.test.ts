import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../electron/cli/run.js';
import { deliver, driveLogin, startWorld, type World } from '../fixtures/oauth/protected-mcp.js';

/**
 * `gatehouse server login|logout` against a real OAuth-protected MCP server (SDK server auth, a
 * real oidc-provider authorization server): the URL is printed, the test plays the browser over
 * HTTP, the server ends up signed in and enumerated; logout revokes. No token in output or state.
 */

let world: World;
let root: string;
before(async () => {
  world = await startWorld();
  root = mkdtempSync(join(tmpdir(), 'gh-server-cli-'));
});
after(async () => {
  await world.close();
  rmSync(root, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('gatehouse server login / logout (OAuth-protected MCP server)', () => {
  it('prints the URL (never a token), signs in, enumerates, signs out with revocation', async () => {
    const home = join(root, 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(
      join(home, '.claude.json'),
      JSON.stringify({ mcpServers: { protected: { type: 'http', url: world.mcpUrl } } }),
    );
    const state = join(root, 'state');
    const flags = ['--home', home, '--platform', 'linux', '--system-root', join(root, 'sys'), '--state', state];
    let out = '';
    let err = '';
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };

    assert.equal(await main(['server', 'login', 'nope', '--no-browser', ...flags], io), 2);
    assert.match(err, /No configured server with id or name "nope"/);

    // Nobody comes back from the browser: a specific message, nothing stored, the listener closed.
    const started = Date.now();
    assert.equal(await main(['server', 'login', 'protected', '--no-browser', '--timeout', '1', ...flags], io), 2);
    assert.match(err, /timed out waiting for the browser/);
    assert.ok(Date.now() - started < 20_000);

    const errBefore = err.length;
    const login = main(['server', 'login', 'protected', '--no-browser', '--timeout', '60', ...flags], io);
    let url: string | undefined;
    for (let i = 0; i < 400 && !url; i++) {
      url = /http:\/\/127\.0\.0\.1:\d+\/\S*auth\S*/.exec(err.slice(errBefore))?.[0];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(url, `no URL printed: ${err}`);
    const redirect = new URL(url).searchParams.get('redirect_uri')!;
    assert.equal(await deliver(await driveLogin(url, redirect)), 200);
    assert.equal(await login, 0, err);
    assert.match(out, new RegExp(`Signed in to protected at ${world.issuer.replace(/[.:/]/g, '\\$&')}`));
    assert.ok(world.seenTokens.size > 0, 'the MCP server was called with the token');

    assert.equal(await main(['server', 'logout', 'protected', ...flags], io), 0);
    assert.match(out, /Signed out of protected \(tokens revoked/);
    assert.ok(world.revocations > 0);
    assert.equal(await main(['server', 'logout', 'protected', ...flags], io), 0);
    assert.match(out, /Not signed in to protected/);

    const tokens = [...world.issuedTokens];
    assert.ok(tokens.length > 0);
    const files = filesUnder(state);
    for (const t of tokens) {
      assert.equal(out.includes(t) || err.includes(t), false, 'token in CLI output');
      for (const f of files) assert.equal(readFileSync(f).toString('latin1').includes(t), false, `token in ${f}`);
    }
  });
});
