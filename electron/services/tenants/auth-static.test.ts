import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAccessMatrix } from './access.js';
import { evaluateScopeRules } from './findings.js';
import { NOW, snapshot } from './test-snapshot.js';

const authStatic = (extra: Partial<ReturnType<typeof snapshot>>) => {
  const snap = { ...snapshot(), ...extra };
  return evaluateScopeRules(snap, buildAccessMatrix(snap, { now: NOW }), NOW).filter((f) => f.ruleId === 'auth.static');
};

describe('auth.static on gateways', () => {
  it('flags a gateway read with a static token while it offers SSO', () => {
    const f = authStatic({ readWith: 'bearer', ssoProviders: ['okta'] });
    assert.equal(f.length, 1);
    assert.equal(f[0]!.subject.type, 'gateway');
    assert.match(f[0]!.remediation, /gateway login/);
  });
  it('is quiet with SSO in use, without SSO at the gateway, or for older snapshots', () => {
    assert.deepEqual(authStatic({ readWith: 'sso', ssoProviders: ['okta'] }), []);
    assert.deepEqual(authStatic({ readWith: 'bearer', ssoProviders: [] }), []);
    assert.deepEqual(authStatic({}), []);
  });
});
