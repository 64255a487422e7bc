import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../electron/services/store/database.js';
import { AuditStore } from '../electron/services/audit/store.js';
import type { AuditEventDraft } from '../shared/model/audit.js';

const dir = mkdtempSync(join(tmpdir(), 'auditui-prof-'));
const db = openDatabase(join(dir, 'p.db'));
const store = new AuditStore(db);
const N = Number(process.env.N ?? 200_000);
let seed = 1;
const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const BASE = Date.UTC(2026, 9, 1);
const batch: { event: AuditEventDraft; key: string }[] = [];
for (let i = 0; i < N; i++) {
  const x = r();
  batch.push({
    key: `k${i}`,
    event: {
      time: new Date(BASE + Math.floor((i / N) * 30 * 86_400_000)).toISOString(),
      source: 'toolhive', sourceKind: 'toolhive', sourceRecordId: `r${i}`,
      tenant: `team-${Math.floor(r() * 8)}`, 'user.id': `user${Math.floor(r() * 2000)}@corp.example`,
      client: `client-${Math.floor(r() * 6)}`, 'client.address': null, 'mcp.method.name': 'tools/call',
      server: `server-${Math.floor(r() * 40)}`, 'gen_ai.tool.name': `tool_${Math.floor(r() * 300)}`,
      'gen_ai.prompt.name': null, 'mcp.resource.uri': null,
      outcome: x < 0.85 ? 'success' : x < 0.95 ? 'denied' : 'error', reason: null, 'error.type': null,
      durationMs: null, 'jsonrpc.request.id': null, 'mcp.session.id': null, original: null,
    },
  });
  if (batch.length === 10_000) store.insertBatch(batch.splice(0));
}
if (batch.length) store.insertBatch(batch.splice(0));
const t = (name: string, fn: () => unknown) => {
  const a = performance.now();
  fn();
  console.log(name, (performance.now() - a).toFixed(1), 'ms');
};
for (let k = 0; k < 2; k++) {
  t('facets {}', () => store.facets({}));
  t('facets tenant=team-1', () => store.facets({ tenant: ['team-1'] }));
  t('facets not tenant=team-1', () => store.facets({ exclude: { tenant: ['team-1'] } }));
  t('facets not outcome=success', () => store.facets({ exclude: { outcome: ['success'] } }));
  t('facets not server=server-1', () => store.facets({ exclude: { server: ['server-1'] } }));
  t('count not tenant', () => store.count({ exclude: { tenant: ['team-1'] } }));
  t('hist not tenant', () => store.histogram({ exclude: { tenant: ['team-1'] } }, 120));
  t('search user1', () => store.facets({}, ['subject'], 50, 'user1'));
}
db.close();
rmSync(dir, { recursive: true, force: true });
