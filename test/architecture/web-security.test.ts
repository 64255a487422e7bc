import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY as HTTP_CSP } from '../../electron/http/server.js';
import { APP_CSP } from '../../electron/main/security.js';
import { CONTENT_SECURITY_POLICY, CONTENT_TYPES, contentTypeFor } from '../../electron/web-security.js';

type Policy = Map<string, string[]>;

function parsePolicy(csp: string): Policy {
  const out: Policy = new Map();
  for (const part of csp.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name && !out.has(name.toLowerCase())) out.set(name.toLowerCase(), sources);
  }
  return out;
}

/** Fetch directives fall back to default-src; the others (base-uri, form-action) restrict nothing when absent. */
const FETCH_DIRECTIVES = new Set([
  'script-src',
  'style-src',
  'img-src',
  'font-src',
  'connect-src',
  'object-src',
  'media-src',
  'frame-src',
  'child-src',
  'worker-src',
  'manifest-src',
]);
/** Ignored in a <meta> policy by browsers. */
const META_IGNORED = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

/** The sources a directive allows; null when unrestricted. `'none'` is the empty set. */
function effective(policy: Policy, directive: string): Set<string> | null {
  const sources =
    policy.get(directive) ?? (FETCH_DIRECTIVES.has(directive) ? policy.get('default-src') : undefined) ?? null;
  if (sources === null) return null;
  return new Set(sources.filter((s) => s !== "'none'"));
}

function metaCsp(): string {
  const html = readFileSync(fileURLToPath(new URL('../../renderer/index.html', import.meta.url)), 'utf8');
  const m = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html);
  assert.ok(m, 'renderer/index.html has a meta Content-Security-Policy');
  return m[1]!;
}

test('the app protocol and the HTTP server serve the one policy', () => {
  assert.equal(APP_CSP, CONTENT_SECURITY_POLICY);
  assert.equal(HTTP_CSP, CONTENT_SECURITY_POLICY);
});

test('the renderer meta CSP allows what the served policy allows, no less', () => {
  // Both apply where the page is served with headers: a stricter meta silently breaks what the
  // served policy allows (the policy editor's lint marks, data: SVG, were blocked).
  const meta = parsePolicy(metaCsp());
  const served = parsePolicy(CONTENT_SECURITY_POLICY);
  for (const d of new Set([...served.keys(), ...FETCH_DIRECTIVES])) {
    if (META_IGNORED.has(d)) continue;
    const allowed = effective(served, d);
    if (allowed === null) continue;
    for (const source of allowed) assert.ok(effective(meta, d)?.has(source), `meta CSP blocks ${source} for ${d}`);
  }
});

test('the renderer meta CSP is equal to or stricter than the served policy', () => {
  const meta = parsePolicy(metaCsp());
  const served = parsePolicy(CONTENT_SECURITY_POLICY);
  const directives = new Set([...meta.keys(), ...served.keys(), ...FETCH_DIRECTIVES, 'default-src']);
  for (const d of directives) {
    if (META_IGNORED.has(d)) continue;
    const allowed = effective(served, d);
    if (allowed === null) continue;
    const inMeta = effective(meta, d);
    assert.ok(inMeta, `meta CSP leaves ${d} unrestricted; the served policy restricts it`);
    for (const source of inMeta)
      assert.ok(allowed.has(source), `meta CSP allows ${source} for ${d}; the served policy does not`);
  }
});

test('the stricter-than check notices a looser meta policy', () => {
  const served = parsePolicy(CONTENT_SECURITY_POLICY);
  const loose = parsePolicy("default-src 'none'; script-src 'self' 'unsafe-inline'");
  const script = effective(loose, 'script-src')!;
  assert.ok([...script].some((s) => !effective(served, 'script-src')!.has(s)));
  assert.equal(effective(loose, 'base-uri'), null);
});

test('content types: one table, case-insensitive, unknown as octet-stream', () => {
  assert.equal(contentTypeFor('.JS'), CONTENT_TYPES['.js']);
  assert.equal(contentTypeFor('.html'), 'text/html; charset=utf-8');
  assert.equal(contentTypeFor('.exe'), 'application/octet-stream');
  assert.equal(contentTypeFor(''), 'application/octet-stream');
});
