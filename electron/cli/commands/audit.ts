import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditFileFormat, AuditOutcome, JsonlMapping, type AuditFilter } from '../../../shared/model/audit.js';
import { adminLogAnchorForExport, checkAdminLog } from '../../services/audit/admin-log-anchor.js';
import type { ChainCheck } from '../../services/audit/admin-log.js';
import { openNodeSecretStore } from '../../node/secret-store.js';
import { csvHeader, renderEvents } from '../../services/audit/export.js';
import { ingestFile, lineMapper } from '../../services/audit/ingest.js';
import { jsonErrorReason } from '../../services/audit/mask.js';
import { syncGatehouseLog } from '../../services/audit/sources/gatehouse.js';
import { AuditStore } from '../../services/audit/store.js';
import { openDatabase } from '../../services/store/database.js';
import type { Command } from '../command.js';
import { formatFrom, stateDirFrom } from '../common-options.js';
import { UsageError } from '../usage-error.js';

const USAGE = `gatehouse audit <import|query|verify> [options]

  gatehouse audit import FILE… --format toolhive|otlp-json|jsonl [--mapping FILE] [--state DIR]
      Import audit records; prints {"imported":N,"duplicates":M,"rejected":K}. Rejected records are
      listed on stderr as FILE:LINE: reason. Re-importing reports duplicates only.
  gatehouse audit query [--state DIR] [--since ISO] [--until ISO] [--tenant T] [--subject S] [--server S]
      [--tool T] [--outcome success|denied|error] [--text Q] [--limit N] [--format json|csv|jsonl]
      json: {"total":N,"events":[…],"adminLogAnchor":{…}} (total counts every match; events ≤ --limit,
      default 100). csv/jsonl print the admin log's anchor on stderr.
      --since is inclusive, --until exclusive; --subject matches the user or the client exactly.
  gatehouse audit verify [--state DIR]
      Check Gatehouse's own action log: the keyed (HMAC) chain, and its head against the anchor in the
      secret store. Exit 0 intact, 1 tampered (first broken link, or truncated / rolled back).`;

function openStore(stateDir: string) {
  const db = openDatabase(join(stateDir, 'gatehouse.db'));
  return { db, store: new AuditStore(db) };
}

async function importCmd(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { format: { type: 'string' }, mapping: { type: 'string' }, state: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (!positionals.length) throw new UsageError('give at least one FILE to import');
  if (values.format === undefined) throw new UsageError('--format is required (toolhive, otlp-json or jsonl)');
  const format = formatFrom(values.format, AuditFileFormat.options, 'toolhive');
  let mapping: JsonlMapping | undefined;
  if (format === 'jsonl') {
    if (!values.mapping) throw new UsageError('--format jsonl needs --mapping FILE (a JSON field mapping)');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(resolve(values.mapping), 'utf8'));
    } catch (err) {
      // Never quote the file: a mistyped path may point at a credentials file.
      const why = err instanceof SyntaxError ? jsonErrorReason(err) : (err as Error).message;
      throw new UsageError(`--mapping ${values.mapping}: ${why}`);
    }
    const parsed = JsonlMapping.safeParse(raw);
    if (!parsed.success)
      throw new UsageError(
        `--mapping ${values.mapping}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    mapping = parsed.data;
  } else if (values.mapping) {
    throw new UsageError('--mapping only applies to --format jsonl');
  }
  const { db, store } = openStore(stateDirFrom(values));
  const totals = { imported: 0, duplicates: 0, rejected: 0 };
  try {
    const mapper = lineMapper(format, { mapping });
    for (const file of positionals) {
      const r = await ingestFile({
        store,
        path: resolve(file),
        mapper,
        final: true,
        onReject: (rej) => io.stderr(`${file}:${rej.line}: ${rej.reason}\n`),
      });
      totals.imported += r.imported;
      totals.duplicates += r.duplicates;
      totals.rejected += r.rejected;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR' || e.code === 'ENOTREG') {
      io.stderr(`gatehouse audit import: ${e.message}\n`);
      io.stdout(JSON.stringify(totals) + '\n');
      return 2;
    }
    throw err;
  } finally {
    db.close();
  }
  io.stdout(JSON.stringify(totals) + '\n');
  return 0;
}

async function queryCmd(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      state: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      tenant: { type: 'string' },
      subject: { type: 'string' },
      server: { type: 'string' },
      tool: { type: 'string' },
      outcome: { type: 'string' },
      text: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
    },
    strict: true,
  });
  const format = formatFrom(values.format, ['json', 'csv', 'jsonl'] as const, 'json');
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0)
    throw new UsageError(`--limit must be a whole number ≥ 0 (got "${values.limit}")`);
  const filter: AuditFilter = {};
  for (const k of ['since', 'until'] as const) {
    const v = values[k];
    if (v === undefined) continue;
    if (Number.isNaN(Date.parse(v))) throw new UsageError(`--${k} must be an ISO date/time (got "${v}")`);
    filter[k] = v;
  }
  if (values.tenant !== undefined) filter.tenant = [values.tenant];
  if (values.subject !== undefined) filter.subject = [values.subject];
  if (values.server !== undefined) filter.server = [values.server];
  if (values.tool !== undefined) filter.tool = [values.tool];
  if (values.outcome !== undefined) {
    const o = AuditOutcome.safeParse(values.outcome);
    if (!o.success) throw new UsageError(`--outcome must be success, denied or error (got "${values.outcome}")`);
    filter.outcome = [o.data];
  }
  if (values.text !== undefined) filter.text = values.text;
  const stateDir = stateDirFrom(values);
  const { db, store } = openStore(stateDir);
  try {
    syncGatehouseLog(db, store);
    // Every export carries the admin log's anchor (count + head MAC), evidence a later rollback cannot change.
    const adminLogAnchor = await adminLogAnchorForExport(db, openNodeSecretStore(stateDir));
    if (format === 'json') {
      const total = store.count(filter);
      const events = limit === 0 ? [] : store.query(filter, { limit }).events;
      io.stdout(JSON.stringify({ total, events, adminLogAnchor }) + '\n');
      return 0;
    }
    io.stderr(
      adminLogAnchor
        ? `admin log anchor: ${adminLogAnchor.count} entries, head ${adminLogAnchor.headHash}, keyed from ${adminLogAnchor.keyedFrom}, at ${adminLogAnchor.at}\n`
        : 'admin log anchor: none\n',
    );
    if (format === 'csv') io.stdout(csvHeader());
    let cursor: string | null = null;
    let left = limit;
    while (left > 0) {
      const page = store.query(filter, { cursor, limit: Math.min(left, 1000) });
      io.stdout(renderEvents(page.events, format));
      left -= page.events.length;
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return 0;
  } finally {
    db.close();
  }
}

/** One line per finding: the chain, the key schemes, the anchor. */
export function describeVerification(r: ChainCheck): string {
  const schemes = `${r.keyed} keyed, ${r.legacy} legacy`;
  const chain = r.brokenAt
    ? `audit chain BROKEN at entry ${r.brokenAt.seq}: ${r.brokenAt.problem} (${r.entries} entries before it verified)`
    : r.ok
      ? `audit chain intact: ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'} (${schemes})`
      : `audit chain TAMPERED: ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'} verify as a chain (${schemes}) but the anchor does not match`;
  return `${chain}\nanchor: ${r.anchor.message}\n`;
}

async function verifyCmd(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { state: { type: 'string' } }, strict: true });
  const stateDir = stateDirFrom(values);
  const { db } = openStore(stateDir);
  try {
    // Read-only: the key and anchor are read from this state folder's secret store, never created.
    const r = await checkAdminLog(db, openNodeSecretStore(stateDir));
    io.stdout(describeVerification(r));
    return r.ok ? 0 : 1;
  } finally {
    db.close();
  }
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'Import, query and verify the audit timeline',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'import') return importCmd(rest, io);
    if (sub === 'query') return queryCmd(rest, io);
    if (sub === 'verify') return verifyCmd(rest, io);
    throw new UsageError(sub ? `unknown audit sub-command "${sub}"` : 'give a sub-command: import, query or verify');
  },
};
