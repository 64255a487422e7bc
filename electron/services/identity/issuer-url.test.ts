import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { adminMethods } from '../../../shared/api/contract.js';
import { endpointUrlProblem } from '../../../shared/model/endpoint-url.js';
import { GatewayInput } from '../../../shared/model/gateway.js';
import { cliContext } from '../../../test/support/node-context.js';
import { CONSOLE_KEY, getProvider, setProvider } from './sessions.js';

/**
 * An issuer URL is configuration: stored, shown in Settings, returned by whoami and written to the
 * admin log. One with a user name or password in it was all of that in clear (found by exploratory
 * testing: the password reached the page, the API and the database). It is refused on every path,
 * with an error that names the field and never quotes the URL; so are non-https issuers off loopback.
 */

const PASSWORD = 'IdpPassw0rdSECRETxyz';
const root = mkdtempSync(join(tmpdir(), 'gatehouse-issuer-url-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('endpoint URLs (issuers, gateway SSO issuers)', () => {
  it('accepts https anywhere and http on loopback only; refuses credentials and other schemes', () => {
    for (const ok of [
      'https://idp.example.com',
      'https://idp.example.com/realms/a',
      'http://127.0.0.1:8080',
      'http://localhost:1',
      'http://[::1]:9',
    ])
      assert.equal(endpointUrlProblem(ok), null, ok);
    const bad: [string, RegExp][] = [
      [`https://admin:${PASSWORD}@idp.example.com`, /user name or password/],
      ['https://admin@idp.example.com', /user name or password/],
      ['http://idp.example.com', /https:\/\/ \(http:\/\/ only on loopback/],
      ['ftp://idp.example.com', /https:\/\//],
      ['idp.example.com', /must be a URL/],
    ];
    for (const [url, why] of bad) assert.match(endpointUrlProblem(url) ?? '', why, url);
  });

  it('identity.configure refuses an issuer with a password, naming the field and never quoting it', () => {
    const input = adminMethods['identity.configure'].input;
    const r = input.safeParse({ issuer: `https://admin:${PASSWORD}@idp.example.com`, clientId: 'gatehouse' });
    assert.equal(r.success, false);
    const text = JSON.stringify(r.error?.issues);
    assert.match(text, /The issuer must not contain a user name or password/);
    assert.doesNotMatch(text, new RegExp(PASSWORD));
    assert.equal(input.safeParse({ issuer: 'http://idp.example.com', clientId: 'x' }).success, false);
    assert.equal(input.safeParse({ issuer: 'ftp://idp.example.com', clientId: 'x' }).success, false);
    assert.equal(input.safeParse({ issuer: ' https://idp.example.com ', clientId: 'x' }).success, true);
  });

  it('a gateway’s SSO issuer is held to the same rule', () => {
    const r = GatewayInput.safeParse({
      name: 'gw',
      baseUrl: 'https://gw.example.com',
      authType: 'sso',
      ssoIssuer: `https://u:${PASSWORD}@idp.example.com`,
    });
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /The SSO issuer must not contain a user name or password/);
    assert.doesNotMatch(JSON.stringify(r.error?.issues), new RegExp(PASSWORD));
  });

  it('the service refuses it too (gatehouse login --issuer), and nothing reaches the database', () => {
    const state = mkdtempSync(join(root, 'state-'));
    const ctx = cliContext(state);
    try {
      assert.throws(
        () =>
          setProvider(ctx, CONSOLE_KEY, {
            issuer: `https://admin:${PASSWORD}@idp.example.com`,
            clientId: 'x',
            scopes: ['openid'],
          }),
        (err: Error & { code?: string }) =>
          err.code === 'bad-request' && /user name or password/.test(err.message) && !err.message.includes(PASSWORD),
      );
      assert.equal(getProvider(ctx, CONSOLE_KEY), null);
    } finally {
      ctx.db.close();
    }
    for (const f of readdirSync(state)) {
      if (!f.startsWith('gatehouse.db')) continue;
      assert.equal(readFileSync(join(state, f)).includes(PASSWORD), false, f);
    }
  });
});
