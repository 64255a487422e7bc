import type { AuditFileFormat, JsonlMapping } from '../../../shared/model/audit.js';
import { mapJsonl } from './sources/jsonl.js';
import { mapOtlpRequest } from './sources/otlp.js';
import { mapToolHive } from './sources/toolhive.js';
import type { IngestRecord } from './store.js';

export interface LineMapResult {
  records: IngestRecord[];
  /** Problems inside a line that still produced other records (OTLP requests hold many). */
  rejected: string[];
}

/** What a line mapper is built from: plain data, so a seal worker can build the same mapper. */
export interface LineMapperSpec {
  format: AuditFileFormat;
  source?: string;
  mapping?: JsonlMapping;
}

/** Maps one parsed line; `spec` (set by lineMapper) lets a worker thread map lines the same way. */
export type LineMapper = ((value: unknown) => LineMapResult) & { readonly spec?: LineMapperSpec };

export function lineMapper(
  format: AuditFileFormat,
  opts: { source?: string; mapping?: JsonlMapping } = {},
): LineMapper {
  const spec: LineMapperSpec = { format, source: opts.source, mapping: opts.mapping };
  return Object.assign(mapperFor(spec), { spec });
}

function mapperFor({ format, source = format, mapping }: LineMapperSpec): (value: unknown) => LineMapResult {
  switch (format) {
    case 'toolhive':
      return (v) => ({ records: [mapToolHive(v, source)], rejected: [] });
    case 'otlp-json':
      return (v) => mapOtlpRequest(v, source);
    case 'jsonl': {
      if (!mapping) throw new Error('the jsonl format needs a field mapping');
      return (v) => ({ records: [mapJsonl(v, mapping, source)], rejected: [] });
    }
  }
}
