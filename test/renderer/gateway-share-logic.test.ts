import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayShareResult } from '../../shared/api/gateways.js';
import { sharedNote } from '../../renderer/src/pages/gateways/share-logic.js';

const result = (joins?: { updatedBy: string; updatedAt: string }): GatewayShareResult =>
  GatewayShareResult.parse({
    gateway: {
      id: 'gw-1',
      name: 'cf-legacy',
      kind: 'contextforge',
      baseUrl: 'https://cf-legacy.example.test',
      authType: 'bearer',
      timeoutMs: 9000,
      createdAt: '2026-11-30T09:00:00.000Z',
      updatedAt: '2026-11-30T09:00:00.000Z',
      hasCredential: true,
      secretStore: 'file',
      team: { version: 'r3', updatedBy: 'alice@team.test', updatedAt: '2026-11-30T09:00:00.000Z' },
    },
    settings: {
      name: 'cf-legacy',
      kind: 'contextforge',
      baseUrl: 'https://cf-legacy.example.test',
      authType: 'bearer',
      timeoutMs: 9000,
    },
    credential: { stored: true, secretStore: 'file' },
    teamStore: 'postgres://dave:****@db/team',
    ...(joins ? { joins } : {}),
    done: true,
  });

test('sharing a gateway offers Undo at the version it created', () => {
  assert.deepEqual(sharedNote(result()), { id: 'gw-1', name: 'cf-legacy', undoVersion: 'r3', joinedBy: null });
});

test("joining the team's identical gateway offers no Undo: it would take the team's gateway from every admin", () => {
  const note = sharedNote(
    result({ updatedBy: 'alice@team.test (https://idp#alice)', updatedAt: '2026-11-30T09:00:00.000Z' }),
  );
  assert.equal(note?.undoVersion, null);
  assert.equal(note?.joinedBy, 'alice@team.test (https://idp#alice)');
});

test('a result without a team row (nothing shared) gives no note', () => {
  const r = result();
  const { team: _t, ...gateway } = r.gateway;
  assert.equal(sharedNote({ ...r, gateway }), null);
});
