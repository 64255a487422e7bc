import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../ports.js';
import { openDatabase } from '../store/database.js';
import { PolicyDocument } from '../../../shared/model/policy.js';
import { diffVersions, getVersion, listVersions, policyHash, saveVersion } from './versions.js';

const doc = (vis: 'private' | 'public') =>
  PolicyDocument.parse({ apiVersion: 'gatehouse/v1', kind: 'Policy', teams: [{ name: 'Red', visibility: vis }] });

test('versions: content-addressed, parent chain, prefix lookup, diff', () => {
  const db = openDatabase(':memory:');
  const a = saveVersion(db, systemClock, {
    doc: doc('private'),
    author: 'me',
    message: 'pull',
    origin: 'pull',
    gatewayId: 'g',
    gatewayName: 'cf',
    changes: 0,
  });
  const b = saveVersion(db, systemClock, {
    doc: doc('public'),
    author: 'me',
    message: 'push',
    origin: 'push',
    gatewayId: 'g',
    gatewayName: 'cf',
    changes: 1,
  });
  assert.equal(a.hash, policyHash(doc('private')));
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  assert.equal(a.parent, null);
  assert.equal(b.parent, a.hash);
  // Key order does not change the address (canonical JSON).
  const d = doc('private');
  const reordered = Object.fromEntries(Object.entries(d).reverse()) as PolicyDocument;
  assert.equal(policyHash(reordered), a.hash);
  assert.deepEqual(
    listVersions(db, 'g').map((v) => v.origin),
    ['push', 'pull'],
  );
  assert.equal(getVersion(db, a.hash.slice(0, 6)).document.teams[0]!.visibility, 'private');
  assert.throws(() => getVersion(db, 'zzzz'), /not a version hash/);
  assert.deepEqual(
    diffVersions(db, a.hash, b.hash).changes.map((c) => c.summary),
    ['Update team Red: visibility private → public'],
  );
});
