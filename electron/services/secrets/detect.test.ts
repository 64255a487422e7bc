import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParsedSource, StringLeaf } from '../discovery/types.js';
import { detectInSource, genericCredential, isHighEntropySecret, lintText, secretTypeOf } from './detect.js';
import { maskEvidence } from './mask.js';

const GHP = 'ghp_' + 'Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0we';
const AWS_SECRET = 'I5yJZ9lKnkeYNZdwSt1Y/5Tr0YWO3H/JF0OpHpPN';

/** A JSON source with leaves located the way discovery locates them (token offsets, quotes included). */
function jsonSource(obj: Record<string, string>, text = JSON.stringify(obj, null, 2)): ParsedSource {
  const leaves: StringLeaf[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const token = JSON.stringify(v);
    const keyAt = text.indexOf(JSON.stringify(k));
    const offset = text.indexOf(token, keyAt + k.length + 2);
    leaves.push({
      pointer: `/${k}`,
      key: k,
      value: v,
      line: text.slice(0, offset).split('\n').length,
      offset,
      length: token.length,
    });
  }
  return { source: { client: 'cursor', path: '/x/mcp.json', scope: 'user', status: 'ok' }, text, leaves };
}

describe('secretlint mapping', () => {
  it('reports each hit once, at its leaf, with the credential span and a type', async () => {
    const src = jsonSource({ a: GHP, b: `Bearer ${GHP}`, c: 'nothing here', AWS_SECRET_ACCESS_KEY: AWS_SECRET });
    const hits = await detectInSource(src, () => true);
    assert.deepEqual(
      hits.map((h) => [h.leaf.pointer, h.secretType, h.value === GHP || h.value === AWS_SECRET]),
      [
        ['/a', 'github-classic-pat', true],
        ['/b', 'github-classic-pat', true],
        ['/AWS_SECRET_ACCESS_KEY', 'aws-secret-access-key', true],
      ],
    );
  });

  it('drops hits outside leaves (comments, keys) and leaves the caller excludes', async () => {
    const text = `{\n  // "old": "${GHP}"\n  "ok": "fine"\n}`;
    const src: ParsedSource = {
      source: { client: 'vscode', path: '/x/mcp.json', scope: 'user', status: 'ok' },
      text,
      leaves: [{ pointer: '/ok', key: 'ok', value: 'fine', line: 3, offset: text.indexOf('"fine"'), length: 6 }],
    };
    assert.equal((await lintText('/x', text)).length, 1);
    assert.deepEqual(await detectInSource(src, () => true), []);
    assert.deepEqual(await detectInSource(jsonSource({ a: GHP }), () => false), []);
  });

  it('tells token classes apart', () => {
    const m = (messageId: string) => ({ ruleId: 'x', messageId, range: [0, 1] as const, loc: { start: { line: 1 } } });
    assert.equal(secretTypeOf(m('GITHUB_TOKEN'), GHP), 'github-classic-pat');
    assert.equal(secretTypeOf(m('GITHUB_TOKEN'), 'github_pat_' + 'a'.repeat(82)), 'github-fine-grained-pat');
    assert.equal(secretTypeOf(m('AWSAccessKeyID'), 'AKIAQZ7XR4NB2LK9WD3M'), 'aws-access-key');
    assert.equal(secretTypeOf(m('AWSAccessKeyID'), 'ASIAQZ7XR4NB2LK9WD3M'), 'aws-temporary-key');
    assert.equal(secretTypeOf(m('AWSAccessKeyID'), 'AIDAQZ7XR4NB2LK9WD3M'), null);
    assert.equal(secretTypeOf(m('AWSAccountID'), '123456789012'), null);
  });
});

describe('generic detection', () => {
  it('only under credential-like names or Authorization-style values', () => {
    const v = 'Zm9vYmFyOTg3NjU0MzIxcXdlcnR5dWlvcGFzZGZn';
    assert.equal(genericCredential(v, 'API_KEY', false), v);
    assert.equal(genericCredential(v, 'LOG_FORMAT', false), undefined);
    assert.equal(genericCredential(`Bearer ${v}`, 'X-Anything', true), v);
    assert.equal(genericCredential('Bearer ${TOKEN}', 'Authorization', true), undefined);
    assert.equal(genericCredential('your-token-here', 'TOKEN', false), undefined);
    assert.equal(genericCredential('https://example.org/a/b', 'TOKEN_URL', false), undefined);
  });

  it('entropy thresholds: random base64/hex yes; words, paths, short values no', () => {
    assert.ok(isHighEntropySecret('Zm9vYmFyOTg3NjU0MzIxcXdlcnR5dWlvcGFzZGZn'));
    assert.ok(isHighEntropySecret('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b'));
    assert.ok(!isHighEntropySecret('aaaaaaaaaaaaaaaaaaaaaaaa'));
    assert.ok(!isHighEntropySecret('/home/dev/projects/app'));
    assert.ok(!isHighEntropySecret('short1A'));
    assert.ok(!isHighEntropySecret('${env:SOME_LONG_VARIABLE_NAME}'));
  });
});

describe('masked evidence', () => {
  it('keeps a short prefix and the last 4; URLs keep host, private keys only the header', () => {
    assert.equal(maskEvidence(GHP, 'github-classic-pat'), `ghp_…${GHP.slice(-4)}`);
    assert.equal(
      maskEvidence('postgres://app:Pg-Fixture-Pass-9931@db.corp:5432/x', 'db-connection-string'),
      'postgres://app:…9931@db.corp:5432/x',
    );
    assert.equal(
      maskEvidence('-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n', 'private-key'),
      '-----BEGIN RSA PRIVATE KEY-----…',
    );
    assert.equal(maskEvidence('short', 'x'), '****');
  });
});
