import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AuditFileFormat,
  AuditOutcome,
  AuditScope,
  JsonlMapping,
  type AdminLogAnchor,
  type AuditFilter,
  type AuditPage,
} from '../../../shared/model/audit.js';
import { adminLogAnchorForExport, checkAdminLog, flushAdminLog } from '../../services/audit/admin-log-anchor.js';
import { appendAdminAction, type AdminAction, type ChainCheck } from '../../services/audit/admin-log.js';
import type { ServiceContext } from '../../services/context.js';
import { configuredTeamStoreUrl } from '../../services/fleet/handlers.js';
import { DATABASE_URL_ENV } from '../../services/fleet/url.js';
import { actorOf } from '../../services/identity/sessions.js';
import { teamAdminLogAnchor, teamTimeline, type TeamTimeline } from '../../services/audit/team.js';
import { importFileToTeam } from '../../services/audit/team-import.js';
import { closeTeamStates, teamState } from '../../services/team-state/open.js';
import { openNodeSecretStore } from '../../node/secret-store.js';
import { csvHeader, renderEvents } from '../../services/audit/export.js';
import { ingestFile, lineMapper } from '../../services/audit/ingest.js';
import { jsonErrorReason } from '../../services/audit/mask.js';
import { syncGatehouseLog } from '../../services/audit/sources/gatehouse.js';
import { AuditStore, type AuditQueryOptions } from '../../services/audit/store.js';
import { openDatabase } from '../../services/store/database.js';
import type { Command } from '../command.js';
import { formatFrom, stateDirFrom } from '../common-options.js';
import { contextFrom } from '../context.js';
import { UsageError } from '../usage-error.js';

const USAGE = `gatehouse audit <import|query|verify> [options]

  gatehouse audit import FILE… --format toolhive|otlp-json|jsonl [--mapping FILE] [--state DIR]
      [--team | --database-url URL]
      Import audit records; prints {"imported":N,"duplicates":M,"rejected":K}. Rejected records are
      listed on stderr as FILE:LINE: reason. Re-importing reports duplicates only.
      --team imports into the team store's timeline instead (the configured team store:
      $${DATABASE_URL_ENV}, else the stored setting; --database-url names one); the URL must be a
      gatehouse_admin member's. Recorded in the local and the team store's admin logs.
  gatehouse audit query [--state DIR] [--since ISO] [--until ISO] [--tenant T] [--subject S] [--server S]
      [--tool T] [--outcome success|denied|error] [--text Q] [--limit N] [--format json|csv|jsonl]
      [--scope workstation|team] [--database-url URL]
      json: {"total":N,"events":[…],"adminLogAnchor":{…}} (total counts every match; events ≤ --limit,
      default 100). csv/jsonl print the admin log's anchor on stderr.
      --since is inclusive, --until exclusive; --subject matches the user or the client exactly.
      --scope team reads the team store's timeline (anchor: the team store's admin log).
  gatehouse audit verify [--state DIR]
      Check Gatehouse's own action log: the keyed (HMAC) chain, and its head against the anchor in the
      secret store. Exit 0 intact, 1 tampered (first broken link, or truncated / rolled back).`;

function openStore(stateDir: string) {
  const db = openDatabase(join(stateDir, 'gatehouse.db'));
  return { db, store: new AuditStore(db) };
}

/**
 * The team timeline for a command: `--database-url` (else $GATEHOUSE_DATABASE_URL, else the stored
 * setting of the state folder). Refused with the reason when it is not an admin's reachable store.
 */
async function withTeam<T>(
  stateDir: string,
  url: string | undefined,
  fn: (t: TeamTimeline, ctx: ServiceContext, env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const ctx = contextFrom({ state: stateDir });
  const env = url ? { ...process.env, [DATABASE_URL_ENV]: url } : process.env;
  try {
    if (!(await configuredTeamStoreUrl(ctx, env)))
      throw new UsageError(
        `no team store: set ${DATABASE_URL_ENV}, give --database-url, or configure one (Settings → Team store)`,
      );
    return await fn(await teamTimeline(ctx, env), ctx, env);
  } finally {
    await closeTeamStates();
    await flushAdminLog(ctx.db);
    ctx.db.close();
  }
}

async function importCmd(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      format: { type: 'string' },
      mapping: { type: 'string' },
      state: { type: 'string' },
      team: { type: 'boolean' },
      'database-url': { type: 'string' },
    },
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
  if (values.team || values['database-url'] !== undefined)
    return importToTeam(positionals, format, mapping, stateDirFrom(values), values['database-url'], io);
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

const FILE_ERRORS = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTREG']);

/** `audit import --team`: into the team timeline; an admin action in both admin logs. */
async function importToTeam(
  files: string[],
  format: AuditFileFormat,
  mapping: JsonlMapping | undefined,
  stateDir: string,
  url: string | undefined,
  io: Parameters<Command['run']>[1],
): Promise<number> {
  return withTeam(stateDir, url, async (t, ctx, env) => {
    const totals = { imported: 0, duplicates: 0, rejected: 0 };
    const mapper = lineMapper(format, { mapping });
    const done: string[] = [];
    let code = 0;
    let failure: unknown = null;
    for (const file of files) {
      try {
        const r = await importFileToTeam(t.audit, resolve(file), mapper, {
          onReject: (rej) => io.stderr(`${file}:${rej.line}: ${rej.reason}\n`),
        });
        totals.imported += r.imported;
        totals.duplicates += r.duplicates;
        totals.rejected += r.rejected;
        done.push(resolve(file));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code && FILE_ERRORS.has(e.code)) io.stderr(`gatehouse audit import: ${e.message}\n`);
        else failure = err;
        code = 2;
        break;
      }
    }
    // What reached the team store is recorded even when a later file failed.
    const entry: AdminAction = {
      action: 'audit.import.team',
      target: t.display,
      actor: actorOf(ctx),
      details: { files: done, format, ...totals, ...(code ? { incomplete: true } : {}) },
    };
    appendAdminAction(ctx.db, ctx.clock, entry);
    io.stdout(JSON.stringify(totals) + '\n');
    try {
      await (await teamState(ctx, env)).adminLog.append(entry);
    } catch (err) {
      failure ??= err;
    }
    if (failure) throw failure;
    return code;
  });
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
      scope: { type: 'string' },
      'database-url': { type: 'string' },
    },
    strict: true,
  });
  const format = formatFrom(values.format, ['json', 'csv', 'jsonl'] as const, 'json');
  const scope = formatFrom(values.scope, AuditScope.options, 'workstation');
  if (values['database-url'] !== undefined && scope !== 'team')
    throw new UsageError('--database-url only applies to --scope team');
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
  if (scope === 'team')
    return withTeam(stateDir, values['database-url'], async (t, ctx) =>
      printQuery(
        {
          count: (f) => t.audit.count(f),
          query: (f, o) => t.audit.query(f, o),
          anchor: () => teamAdminLogAnchor(t, ctx.clock.now()),
        },
        filter,
        format,
        limit,
        io,
      ),
    );
  const { db, store } = openStore(stateDir);
  try {
    syncGatehouseLog(db, store);
    return await printQuery(
      {
        count: async (f) => store.count(f),
        query: async (f, o) => store.query(f, o),
        // Every export carries the admin log's anchor (count + head MAC), evidence a later rollback cannot change.
        anchor: () => adminLogAnchorForExport(db, openNodeSecretStore(stateDir)),
      },
      filter,
      format,
      limit,
      io,
    );
  } finally {
    db.close();
  }
}

interface QueryTarget {
  count(filter: AuditFilter): Promise<number>;
  query(filter: AuditFilter, opts: AuditQueryOptions): Promise<AuditPage>;
  anchor(): Promise<Omit<AdminLogAnchor, 'v'> | null>;
}

async function printQuery(
  t: QueryTarget,
  filter: AuditFilter,
  format: 'json' | 'csv' | 'jsonl',
  limit: number,
  io: Parameters<Command['run']>[1],
): Promise<number> {
  const adminLogAnchor = await t.anchor();
  if (format === 'json') {
    const total = await t.count(filter);
    const events = limit === 0 ? [] : (await t.query(filter, { limit })).events;
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
    const page = await t.query(filter, { cursor, limit: Math.min(left, 1000) });
    io.stdout(renderEvents(page.events, format));
    left -= page.events.length;
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return 0;
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
