import type { IngestRecord } from '../store.js';
import { blankDraft, describeValue, isoTime, normOutcome, num, obj, RecordError, s } from './common.js';

/**
 * ToolHive audit events (one JSON object per line, on stdout or in the audit log file):
 * `{"type":"mcp_tool_call","loggedAt":…,"source":{"type":"network","value":"192.0.2.1","extra":{…}},
 *   "outcome":"success","subjects":{"user":…,"user_id":…,"client_name":…},"component":"<server>",
 *   "target":{"type":"tool","name":"weather","method":"tools/call","endpoint":"/messages"},
 *   "metadata":{"auditId":…,"extra":{"duration_ms":150,"transport":"…"}}}`.
 * Outcomes `success`, `failure`, `error`, `denied`. The documented short form (`target.resource_id`,
 * `metadata.duration_ms`) is accepted too.
 */

/** ToolHive event type → MCP method, for events whose target carries no method. */
const TYPE_METHOD: Record<string, string> = {
  mcp_initialize: 'initialize',
  mcp_tool_call: 'tools/call',
  mcp_tools_list: 'tools/list',
  mcp_resource_read: 'resources/read',
  mcp_resources_list: 'resources/list',
  mcp_prompt_get: 'prompts/get',
  mcp_prompts_list: 'prompts/list',
  mcp_notification: 'notifications',
  mcp_ping: 'ping',
  mcp_logging: 'logging/setLevel',
  mcp_completion: 'completion/complete',
  mcp_roots_list_changed: 'notifications/roots/list_changed',
};

export function mapToolHive(record: unknown, source = 'toolhive'): IngestRecord {
  const r = obj(record);
  if (!r) throw new RecordError('not a JSON object');
  const type = s(r.type);
  if (!type) throw new RecordError('no "type" (not a ToolHive audit event)');
  const time = isoTime(r.loggedAt ?? r.logged_at ?? r.time, 'loggedAt');
  const e = blankDraft(source, 'toolhive', time, record);
  const src = obj(r.source);
  const srcExtra = obj(src?.extra);
  const subjects = obj(r.subjects);
  const target = obj(r.target);
  const meta = obj(r.metadata);
  const metaExtra = obj(meta?.extra);

  const outcomeRaw = s(r.outcome);
  const outcome = normOutcome(outcomeRaw);
  if (!outcome)
    throw new RecordError(`unknown outcome (${describeValue(r.outcome)}); expected success, failure, error or denied`);
  e.outcome = outcome;
  e.sourceRecordId = s(meta?.auditId) ?? s(meta?.audit_id);
  e['client.address'] = src && s(src.type) === 'network' ? s(src.value) : null;
  e['user.id'] = s(subjects?.user) ?? s(subjects?.user_id);
  e.client = s(subjects?.client_name);
  e.tenant = s(subjects?.tenant) ?? s(subjects?.team) ?? s(r.tenant);
  e.server = s(r.component);
  const method = s(target?.method);
  // `target.method` is the MCP method in ToolHive's MCP events; an HTTP verb in the short form.
  e['mcp.method.name'] = method && method.includes('/') ? method : (TYPE_METHOD[type] ?? method ?? type);
  const targetType = s(target?.type);
  const name = s(target?.name) ?? s(target?.resource_id);
  if (targetType === 'tool') e['gen_ai.tool.name'] = name;
  else if (targetType === 'prompt') e['gen_ai.prompt.name'] = name;
  else if (targetType === 'resource') e['mcp.resource.uri'] = s(target?.uri) ?? name;
  e.durationMs = num(metaExtra?.duration_ms) ?? num(meta?.duration_ms);
  e['jsonrpc.request.id'] = s(srcExtra?.request_id) ?? s(target?.request_id);
  e['mcp.session.id'] = s(srcExtra?.session_id);
  const data = obj(r.data);
  e.reason = s(r.reason) ?? s(data?.error) ?? (outcomeRaw === 'failure' ? 'failure' : null);
  if (outcome === 'error') e['error.type'] = s(r.error_type) ?? outcomeRaw;
  return { event: e, key: e.sourceRecordId ?? JSON.stringify(record) };
}
