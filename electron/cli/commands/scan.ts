import { parseArgs } from 'node:util';
import { SEVERITY_ORDER } from '../../../shared/model/enums.js';
import type { Finding, FindingsReport, Severity } from '../../../shared/model/finding.js';
import type { ServerEntry } from '../../../shared/model/discovery.js';
import type { ServiceContext } from '../../services/context.js';
import { runDiscovery } from '../../services/discovery/handlers.js';
import type { DiscoveryScan } from '../../services/discovery/types.js';
import { toSarif } from '../../services/findings/sarif.js';
import { runFindingsScan } from '../../services/findings/scan.js';
import type { AuthProbeResult, FindingDraft } from '../../services/findings/types.js';
import type { CliIo, Command } from '../command.js';
import { DISCOVERY_FLAGS_HELP, discoveryFlags, formatFrom, GATEWAY_FLAG_HELP, gatewayFlag } from '../common-options.js';
import { contextFrom } from '../context.js';
import { writeJson } from '../json-out.js';
import { renderTable } from '../table.js';
import { UsageError } from '../usage-error.js';
import { maskDatabaseUrl, teamStoreUrl } from '../../services/fleet/url.js';

/**
 * `gatehouse scan`: discovery + the static rules (credentials, transport, runners, advisories),
 * optionally with the live inventory (`--connect`). One document in JSON, SARIF 2.1.0, or a table.
 * Exit 0 when no open finding is at or above --fail-on (default high), 1 when one is, 2 on errors.
 */

export type LiveStatus = 'ok' | 'error' | 'needs-consent' | 'needs-sign-in' | 'session-expired' | 'skipped';

/** Per-server outcome of a live scan, merged into the JSON document's `servers`. */
export interface LiveServerResult {
  status: LiveStatus;
  authMode?: string;
  toolCount?: number;
  promptCount?: number;
  resourceCount?: number;
  error?: string;
}

export interface LiveScanResult {
  /** By server id; servers missing here are `skipped`. */
  servers: ReadonlyMap<string, LiveServerResult>;
  /** Auth probe results by server id (feeds auth.static). */
  probes?: ReadonlyMap<string, AuthProbeResult>;
  /** Findings of the live rules (tool.*, auth.none, server.unreachable). */
  drafts?: readonly FindingDraft[];
}

export type LiveScanProvider = (
  ctx: ServiceContext,
  scan: DiscoveryScan,
  opts: { yes: boolean; io: CliIo },
) => Promise<LiveScanResult>;

/**
 * Hook point for the live inventory: set `liveScan.provider` (e.g. from the live capability's
 * module, imported where the CLI is composed) and `--connect` runs it between discovery and the
 * rules. Without a provider `--connect` is a usage error.
 */
export const liveScan: { provider?: LiveScanProvider; load?: () => Promise<LiveScanProvider> } = {};
liveScan.load = async () => (await import('../../services/live/cli.js')).liveScanProvider;

export type ScanServer = ServerEntry & LiveServerResult;

export interface ScanDocument {
  servers: ScanServer[];
  findings: Finding[];
}

const FAIL_ON = ['critical', 'high', 'medium', 'low'] as const;

export function scanDocument(servers: ServerEntry[], report: FindingsReport, live?: LiveScanResult): ScanDocument {
  return {
    servers: servers.map((s) => ({ ...s, ...(live?.servers.get(s.id) ?? { status: 'skipped' as const }) })),
    findings: report.findings,
  };
}

/** 1 when an open finding is at or above the threshold. */
export function exitCodeFor(findings: readonly Finding[], failOn: Severity): 0 | 1 {
  const limit = SEVERITY_ORDER.indexOf(failOn);
  return findings.some((f) => f.status === 'open' && SEVERITY_ORDER.indexOf(f.severity) <= limit) ? 1 : 0;
}

function table(doc: ScanDocument, report: FindingsReport): string {
  const rows = doc.findings.map((f) => [
    f.severity,
    f.ruleId,
    f.client,
    f.server,
    `${f.location.file}${f.location.line ? `:${f.location.line}` : ''} ${f.location.pointer}`.trim(),
    f.evidence ?? '',
    f.status,
  ]);
  const s = report.summary;
  const counts = SEVERITY_ORDER.map((sev) => `${s.bySeverity[sev]} ${sev}`).join(', ');
  return (
    (rows.length
      ? renderTable(['SEVERITY', 'RULE', 'CLIENT', 'SERVER', 'LOCATION', 'EVIDENCE', 'STATUS'], rows, 80)
      : '') +
    `\n${s.open} open finding(s) (${counts}), ${s.suppressed} suppressed; ${doc.servers.length} server(s) scanned.\n`
  );
}

export const scanCommand: Command = {
  name: 'scan',
  summary: 'Find exposed, static or reused credentials and risky server configurations',
  usage: `gatehouse scan [options]

${DISCOVERY_FLAGS_HELP}
  --format F           table | json | sarif (default table)
  --fail-on S          critical | high | medium | low: exit 1 when an open finding is at or
                       above S (default high); suppressed findings do not count
  --connect            also connect to servers (live inventory) when available
  --yes                with --connect: consent, for this run only, to starting stdio servers
                       and contacting remote servers from project files (each is listed
                       on stderr, with execution-affecting variables and warnings)
${GATEWAY_FLAG_HELP} (adds its scope.* findings)
  --report-to URL      also send this scan (servers, findings: masked evidence and team
                       fingerprints only) to the team store postgres://… in one transaction;
                       idempotent. Also --database-url URL, or $GATEHOUSE_DATABASE_URL (keeps the
                       password off the command line). The password is never printed.
  --machine-id ID      report as this machine id (imaged machines, tests); default: a stable id
                       derived from /etc/machine-id, or one created in the state folder

Exit codes: 0 nothing open at or above --fail-on, 1 something is, 2 usage or scan errors.`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...discoveryFlags,
        format: { type: 'string' },
        'fail-on': { type: 'string' },
        connect: { type: 'boolean' },
        yes: { type: 'boolean' },
        ...gatewayFlag,
        'report-to': { type: 'string' },
        'database-url': { type: 'string' },
        'machine-id': { type: 'string' },
      },
      strict: true,
    });
    const format = formatFrom(values.format, ['table', 'json', 'sarif'] as const, 'table');
    const failOnRaw = values['fail-on'] ?? 'high';
    if (!(FAIL_ON as readonly string[]).includes(failOnRaw)) {
      throw new UsageError(`--fail-on must be one of ${FAIL_ON.join(', ')} (got "${failOnRaw}")`);
    }
    const failOn = failOnRaw as Severity;
    if (values.yes && !values.connect) throw new UsageError('--yes only applies with --connect');
    let provider: LiveScanProvider | undefined;
    if (values.connect) {
      provider = liveScan.provider ?? (liveScan.load ? await liveScan.load() : undefined);
      if (!provider) throw new UsageError('--connect needs the live inventory, which this build does not include');
    }
    // The PostgreSQL driver is loaded only when there is a team store to report to.
    const reportUrl = teamStoreUrl(values['report-to'] ?? values['database-url']);
    if (values['machine-id'] !== undefined && !reportUrl) {
      throw new UsageError('--machine-id only applies with --report-to (or $GATEHOUSE_DATABASE_URL)');
    }
    const ctx = contextFrom(values);
    try {
      return await scanWith(ctx, { format, failOn, provider, yes: !!values.yes, reportUrl, values }, io);
    } finally {
      ctx.db.close();
    }
  },
};

export interface ScanRunOptions {
  format: 'table' | 'json' | 'sarif';
  failOn: Severity;
  provider?: LiveScanProvider;
  yes: boolean;
  reportUrl?: string;
  values: { gateway?: string[]; 'machine-id'?: string };
}

/** One scan over a context and what it prints (the command minus argument parsing); the exit code. */
export async function scanWith(ctx: ServiceContext, opts: ScanRunOptions, io: CliIo): Promise<number> {
  const { run, scan } = await runDiscovery(ctx);
  const live = opts.provider ? await opts.provider(ctx, scan, { yes: !!opts.yes, io }) : undefined;
  const { report } = await runFindingsScan(ctx, {
    scan,
    ...(live?.probes ? { probes: live.probes } : {}),
    ...(live?.drafts ? { extraDrafts: live.drafts } : {}),
    live: !!live,
  });
  if (report.secretStore.warning) io.stderr(`gatehouse scan: warning: ${report.secretStore.warning}\n`);
  for (const e of report.errors ?? []) io.stderr(`gatehouse scan: error: ${e}\n`);
  const doc = scanDocument(run.result.servers, report, live);
  // Gateway code (HTTP clients, tenants) is loaded only when a gateway is asked for.
  const gwOption = opts.values.gateway?.length ? await import('../gateway-option.js') : undefined;
  const gw = gwOption && opts.values.gateway ? await gwOption.includeGateways(ctx, opts.values.gateway) : undefined;
  for (const s of gw?.sync.filter((x) => !x.ok) ?? []) io.stderr(`gatehouse scan: gateway error: ${s.message}\n`);
  if (opts.format === 'json') await writeJson(io, gw ? { ...doc, gateways: gw } : doc);
  else if (opts.format === 'sarif')
    io.stdout(JSON.stringify(toSarif(report.findings, { version: ctx.version }), null, 2) + '\n');
  else io.stdout(table(doc, report) + (gw && gwOption ? gwOption.scopeFindingsTable(gw.findings) : ''));
  let reportFailed = false;
  if (opts.reportUrl) {
    const { reportScan } = await import('../../services/fleet/workstation.js');
    try {
      const r = await reportScan(ctx, {
        url: opts.reportUrl,
        machineId: opts.values['machine-id'],
        scan,
        servers: run.result.servers,
        findings: report.findings,
        scannedAt: report.scannedAt ?? ctx.clock.now().toISOString(),
      });
      io.stderr(
        `gatehouse scan: ${r.inserted ? 'reported' : 'already reported'} scan of ${r.machineId} to ${maskDatabaseUrl(opts.reportUrl)} (${r.servers} server(s), ${r.findings} finding(s))\n`,
      );
    } catch (err) {
      reportFailed = true;
      io.stderr(`gatehouse scan: report to ${maskDatabaseUrl(opts.reportUrl)} failed: ${(err as Error).message}\n`);
    }
  }
  if (reportFailed || report.errors?.length || gw?.sync.some((x) => !x.ok)) return 2;
  return Math.max(
    exitCodeFor(report.findings, opts.failOn),
    gw && gwOption ? gwOption.scopeExitCode(gw.findings, opts.failOn) : 0,
  );
}
