import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { join } from 'node:path';
import type { AuditEventDraft } from '../../../shared/model/audit.js';
import { openDatabase, type Database } from '../store/database.js';
import { AuditStore } from './store.js';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';

/** Test-only helpers for the audit capability (not imported by product code). */

export interface OtlpCall {
  time: string;
  method: string;
  tool?: string;
  user?: string;
  client?: string;
  tenant?: string;
  outcome?: 'success' | 'denied' | 'error';
  errorType?: string;
  sessionId?: string;
  requestId?: string;
  durationMs?: number;
  extra?: Record<string, string | number | boolean>;
}

/**
 * A Collector-style OTLP JSON logs payload (one ExportLogsServiceRequest), produced with the
 * OpenTelemetry JS SDK and serialized with the OTLP transformer's JSON serializer — the same bytes an
 * OTLP/HTTP JSON exporter sends and the Collector's file exporter writes per line.
 */
export async function otlpPayload(calls: readonly OtlpCall[], service = 'agentgateway'): Promise<string> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.version': '0.9.0' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('mcp.audit', '1.0.0');
  for (const c of calls) {
    const attributes: Record<string, string | number | boolean> = {
      'mcp.method.name': c.method,
      'network.transport': 'tcp',
    };
    if (c.tool) attributes['gen_ai.tool.name'] = c.tool;
    if (c.tool) attributes['gen_ai.operation.name'] = 'execute_tool';
    if (c.user) attributes['user.id'] = c.user;
    if (c.client) attributes['mcp.client.name'] = c.client;
    if (c.tenant) attributes['tenant.id'] = c.tenant;
    if (c.outcome)
      attributes['authz.decision'] = c.outcome === 'denied' ? 'deny' : c.outcome === 'error' ? 'error' : 'allow';
    if (c.errorType) attributes['error.type'] = c.errorType;
    if (c.sessionId) attributes['mcp.session.id'] = c.sessionId;
    if (c.requestId) attributes['jsonrpc.request.id'] = c.requestId;
    if (c.durationMs !== undefined) attributes['mcp.server.operation.duration'] = c.durationMs / 1000;
    Object.assign(attributes, c.extra ?? {});
    logger.emit({
      timestamp: new Date(c.time),
      severityNumber: c.outcome === 'error' ? SeverityNumber.ERROR : SeverityNumber.INFO,
      severityText: c.outcome === 'error' ? 'ERROR' : 'INFO',
      body: `${c.method}${c.tool ? ` ${c.tool}` : ''}`,
      attributes,
    });
  }
  await provider.forceFlush();
  const bytes = JsonLogsSerializer.serializeRequest(exporter.getFinishedLogRecords());
  await provider.shutdown();
  if (!bytes) throw new Error('OTLP serializer returned nothing');
  return new TextDecoder().decode(bytes);
}

const USERS = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com'];
const CLIENTS = ['claude-code', 'cursor', 'vscode', 'codex'];
const SERVERS = ['github', 'filesystem', 'slack', 'postgres'];
const TOOLS = ['create_issue', 'read_file', 'write_file', 'post_message', 'query', 'list_issues'];

/** Deterministic ToolHive audit lines (`i` → same line every time). */
export function toolhiveLine(i: number, baseMs = Date.UTC(2026, 10, 1)): string {
  const outcome = i % 10 === 3 ? 'denied' : i % 25 === 7 ? 'error' : 'success';
  return JSON.stringify({
    type: 'mcp_tool_call',
    loggedAt: new Date(baseMs + i * 1000).toISOString(),
    source: {
      type: 'network',
      value: `10.0.${i % 4}.${i % 250}`,
      extra: { request_id: String(i), session_id: `s-${i % 97}` },
    },
    outcome,
    subjects: { user: USERS[i % USERS.length], client_name: CLIENTS[i % CLIENTS.length] },
    component: SERVERS[i % SERVERS.length],
    target: { endpoint: '/mcp', method: 'tools/call', type: 'tool', name: TOOLS[i % TOOLS.length] },
    metadata: { auditId: `th-${i}`, extra: { duration_ms: (i * 7) % 500 } },
  });
}

/**
 * Builds the desktop's audit worker bundle with scripts/build-main.mjs's own options into `dir`;
 * resolves with its path (what the desktop's pool and ingest port start as their worker).
 */
export async function buildDesktopWorkerBundle(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  // (A variable specifier: the .mjs has no type declarations; its shape is checked where used.)
  const mod = '../../../scripts/audit-worker-bundle.mjs';
  const { AUDIT_WORKER_BUILD_OPTIONS } = (await import(mod)) as {
    AUDIT_WORKER_BUILD_OPTIONS: Parameters<typeof build>[0];
  };
  const out = join(dir, 'audit-worker.cjs');
  await build({ ...AUDIT_WORKER_BUILD_OPTIONS, outfile: out, logLevel: 'silent' });
  return out;
}

/**
 * Builds the CLI bundle with bin/cli-bundle.mjs's own options into `dir`; resolves with the output
 * file holding `source` (a repository path such as electron/services/audit/query-pool.ts): the file
 * a worker module in the bundle starts as its thread.
 */
export async function buildCliBundleHolding(dir: string, source: string): Promise<string> {
  const { build } = await import('esbuild');
  const mod = '../../../bin/cli-bundle.mjs';
  const { CLI_BUILD_OPTIONS } = (await import(mod)) as { CLI_BUILD_OPTIONS: Record<string, unknown> };
  const splitting = CLI_BUILD_OPTIONS.splitting === true || 'outdir' in CLI_BUILD_OPTIONS;
  const res = await build({
    ...CLI_BUILD_OPTIONS,
    ...(splitting ? { outdir: dir } : { outfile: join(dir, 'gatehouse.mjs') }),
    metafile: true,
    logLevel: 'silent',
  });
  const file = Object.entries(res.metafile.outputs).find(([, o]) => source in o.inputs)?.[0];
  if (!file) throw new Error(`${source} is not in the CLI bundle`);
  return join(String(CLI_BUILD_OPTIONS.absWorkingDir ?? process.cwd()), file);
}

/** A store at `file` holding `n` events drawn by `draft` (keys k0…), for tests over a seeded trail. */
export function seededStore(
  file: string,
  n: number,
  draft: (i: number) => AuditEventDraft,
): { db: Database; store: AuditStore } {
  const db = openDatabase(file);
  const store = new AuditStore(db);
  store.insertBatch(Array.from({ length: n }, (_, i) => ({ event: draft(i), key: `k${i}` })));
  return { db, store };
}
