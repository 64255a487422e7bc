import type { JsonlMapping } from '../../../../shared/model/audit.js';
import type { IngestRecord } from '../store.js';
import { blankDraft, describeValue, getPath, isoTime, normOutcome, num, obj, RecordError, s } from './common.js';

/**
 * Generic JSON lines with a saved field mapping (normalized field → dotted path in the record).
 * `time` is required; outcome values map through `outcomeValues`, then the common spellings;
 * a record without an outcome field counts as success.
 */
export function mapJsonl(record: unknown, mapping: JsonlMapping, source = 'jsonl'): IngestRecord {
  if (!obj(record)) throw new RecordError('not a JSON object');
  const get = (path: string | undefined) => (path === undefined ? null : s(getPath(record, path)));
  const time = isoTime(getPath(record, mapping.time), mapping.time);
  const e = blankDraft(source, 'jsonl', time, record);
  e.sourceRecordId = get(mapping.sourceRecordId);
  e.tenant = get(mapping.tenant);
  e['user.id'] = get(mapping.user);
  e.client = get(mapping.client);
  e['client.address'] = get(mapping.clientAddress);
  e['mcp.method.name'] = get(mapping.method);
  e.server = get(mapping.server);
  e['gen_ai.tool.name'] = get(mapping.tool);
  e['gen_ai.prompt.name'] = get(mapping.prompt);
  e['mcp.resource.uri'] = get(mapping.resource);
  e.reason = get(mapping.reason);
  e['error.type'] = get(mapping.errorType);
  e.durationMs = mapping.durationMs === undefined ? null : num(getPath(record, mapping.durationMs));
  e['jsonrpc.request.id'] = get(mapping.requestId);
  e['mcp.session.id'] = get(mapping.sessionId);
  if (mapping.outcome !== undefined) {
    const raw = getPath(record, mapping.outcome);
    const rawStr = s(raw) ?? (typeof raw === 'boolean' ? String(raw) : null);
    const mapped = rawStr !== null ? mapping.outcomeValues?.[rawStr] : undefined;
    const outcome = mapped ?? normOutcome(raw);
    if (!outcome)
      throw new RecordError(
        `unknown outcome (${describeValue(raw)}) at ${mapping.outcome}: map it in outcomeValues or use success, denied or error`,
      );
    e.outcome = outcome;
  }
  return { event: e, key: e.sourceRecordId ?? JSON.stringify(record) };
}
