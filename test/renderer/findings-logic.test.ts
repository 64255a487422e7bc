import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../shared/model/finding.js';
import type { AnyFinding, ScopeFinding } from '../../shared/model/tenant.js';
import {
  filterFindings,
  groupFindings,
  NO_FILTERS,
  originKey,
  originLabel,
  formatSort,
  parseSort,
  sortFindings,
  subjectLabel,
} from '../../renderer/src/pages/findings/model.js';

/** The Findings page's view logic over both kinds: workstation findings and gateway scope findings. */

const ws: Finding = {
  id: 'w1',
  ruleId: 'secret.literal',
  severity: 'critical',
  title: 'Literal secret',
  message: 'A token is written in the file.',
  client: 'cursor',
  server: 'github',
  serverId: 's1',
  location: { file: '/home/u/.cursor/mcp.json', pointer: '/mcpServers/github/env/TOKEN' },
  status: 'open',
  firstSeen: '2026-11-01T00:00:00Z',
};
const scope: ScopeFinding = {
  id: 'g1',
  ruleId: 'scope.cross-tenant-credential',
  severity: 'high',
  title: 'Shared upstream credential',
  message: 'Two teams share it.',
  source: 'gateway',
  gatewayId: 'gw-1',
  gatewayName: 'cf-prod',
  server: 'everything',
  subject: { type: 'upstream', id: 'up1', name: 'everything' },
  teams: ['red', 'blue'],
  teamNames: ['Team Red', 'Team Blue'],
  location: { file: 'https://cf.example.com', pointer: '/gateways/up1' },
  remediation: 'One registration per team.',
  status: 'open',
  firstSeen: '2026-11-02T00:00:00Z',
};
const all: AnyFinding[] = [ws, scope];

test('origin and subject: the gateway stands in for the client, the subject for the server', () => {
  assert.deepEqual([originKey(ws), originKey(scope)], ['cursor', 'gw:gw-1']);
  assert.equal(originLabel(scope), 'cf-prod');
  assert.deepEqual([subjectLabel(ws), subjectLabel(scope)], ['github', 'upstream everything']);
});

test('filters apply to both kinds', () => {
  const ids = (f: Partial<typeof NO_FILTERS>) => filterFindings(all, { ...NO_FILTERS, ...f }).map((x) => x.id);
  assert.deepEqual(ids({ client: 'gw:gw-1' }), ['g1']);
  assert.deepEqual(ids({ client: 'cursor' }), ['w1']);
  assert.deepEqual(ids({ severity: 'high' }), ['g1']);
  assert.deepEqual(ids({ ruleId: 'secret.literal' }), ['w1']);
  assert.deepEqual(ids({ text: 'team blue' }), ['g1']);
  assert.deepEqual(ids({ text: 'cf-prod' }), ['g1']);
  assert.deepEqual(ids({ text: 'mcpservers/github' }), ['w1']);
  assert.deepEqual(ids({ status: 'suppressed' }), []);
});

test('grouping by client and server uses the gateway and the subject', () => {
  const keys = (by: 'rule' | 'server' | 'client') => groupFindings(all, by).map((g) => g.key);
  assert.deepEqual(keys('client'), ['cursor', 'gateway cf-prod']);
  assert.deepEqual(keys('server'), ['github (cursor)', 'upstream everything (cf-prod)']);
  assert.deepEqual(keys('rule'), ['secret.literal', 'scope.cross-tenant-credential']);
});

test('sorting: columns both ways, stable ties, most severe first ascending; the URL form round-trips', () => {
  const fixed: Finding = {
    ...ws,
    id: 'w2',
    title: 'another',
    severity: 'low',
    status: 'fixed',
    fixedAt: '2026-11-02T00:00:00Z',
    firstSeen: '2026-10-01T00:00:00Z',
  };
  const list: AnyFinding[] = [fixed, scope, ws];
  assert.deepEqual(
    sortFindings(list, { key: 'severity', dir: 'asc' }).map((f) => f.id),
    ['w1', 'g1', 'w2'],
  );
  assert.deepEqual(
    sortFindings(list, { key: 'severity', dir: 'desc' }).map((f) => f.id),
    ['w2', 'g1', 'w1'],
  );
  assert.deepEqual(
    sortFindings(list, { key: 'title', dir: 'asc' }).map((f) => f.id),
    ['w2', 'w1', 'g1'],
  );
  assert.deepEqual(sortFindings(list, { key: 'firstSeen', dir: 'asc' }).map((f) => f.id)[0], 'w2');
  assert.deepEqual(sortFindings(list, { key: 'status', dir: 'desc' }).map((f) => f.id)[0], 'w2');
  assert.deepEqual(
    sortFindings(list, null).map((f) => f.id),
    ['w2', 'g1', 'w1'],
    'no sort keeps the order',
  );
  const ties: AnyFinding[] = [
    { ...ws, id: 'a' },
    { ...ws, id: 'b' },
    { ...ws, id: 'c' },
  ];
  assert.deepEqual(
    sortFindings(ties, { key: 'client', dir: 'desc' }).map((f) => f.id),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(parseSort('-firstSeen'), { key: 'firstSeen', dir: 'desc' });
  assert.equal(parseSort('evidence'), null, 'only sortable columns');
  assert.equal(formatSort(parseSort('title')), 'title');
  assert.deepEqual(
    filterFindings(list, { ...NO_FILTERS, status: 'fixed' }).map((f) => f.id),
    ['w2'],
  );
});
