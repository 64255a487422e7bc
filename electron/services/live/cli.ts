import type { ServiceContext } from '../context.js';
import type { DiscoveryScan } from '../discovery/types.js';
import type { AuthProbeResult, FindingDraft } from '../findings/types.js';
import { appendAdminAction } from '../audit/admin-log.js';
import { maskUrl } from '../secrets/redact.js';
import { openLiveFingerprinter } from './command-line.js';
import { runLiveScan } from './scan.js';

/** Per-server outcome as `gatehouse scan --connect` reports it (merged into the JSON `servers`). */
export interface CliLiveServer {
  status: 'ok' | 'error' | 'needs-consent' | 'skipped';
  authMode?: string;
  toolCount?: number;
  promptCount?: number;
  resourceCount?: number;
  error?: string;
}

/**
 * The live inventory for `gatehouse scan --connect`: remote servers and consented stdio servers;
 * with `--yes`, every stdio server for this run only (said on stderr, nothing stored).
 * Structurally the CLI's `LiveScanProvider`.
 */
export async function liveScanProvider(
  ctx: ServiceContext,
  scan: DiscoveryScan,
  opts: { yes: boolean; io: { stderr: (text: string) => void } },
): Promise<{ servers: Map<string, CliLiveServer>; probes: Map<string, AuthProbeResult>; drafts: FindingDraft[] }> {
  const stdio = scan.servers.filter((s) => s.entry.transport === 'stdio' && !s.entry.disabled);
  if (opts.yes && stdio.length) {
    opts.io.stderr(
      `gatehouse scan: --yes: consenting for this run only (not stored) to start ${stdio.length} stdio server(s): ` +
        stdio.map((s) => `${s.entry.name} (${s.entry.client})`).join(', ') +
        '\n',
    );
  }
  const result = await runLiveScan(ctx, {
    servers: scan.servers,
    env: ctx.workstation.env,
    consent: opts.yes ? 'run' : 'stored',
    fingerprint: await openLiveFingerprinter(ctx.secrets),
    home: ctx.workstation.home,
  });
  if (opts.yes) {
    // A run-only consent still leaves a record: which command line (by hash, no values) was started.
    for (const r of result.servers) {
      if (!r.commandHash || r.snapshot.status === 'skipped' || r.snapshot.status === 'needs-consent') continue;
      appendAdminAction(ctx.db, ctx.clock, {
        action: 'consent.run-only',
        target: r.entry.id,
        actor: 'cli',
        details: { server: r.entry.name, client: r.entry.client, source: r.entry.source, hash: r.commandHash },
      });
    }
  }
  const servers = new Map<string, CliLiveServer>();
  const probes = new Map<string, AuthProbeResult>();
  for (const r of result.servers) {
    const s = r.snapshot;
    const status: CliLiveServer['status'] =
      s.status === 'ok' || s.status === 'error' || s.status === 'needs-consent'
        ? s.status
        : s.status === 'cancelled'
          ? 'error'
          : 'skipped';
    servers.set(r.entry.id, {
      status,
      ...(s.authMode && s.authMode !== 'n/a' ? { authMode: s.authMode } : {}),
      ...(status === 'ok'
        ? {
            toolCount: s.tools.length,
            promptCount: s.prompts.length,
            resourceCount: s.resources.length + s.resourceTemplates.length,
          }
        : {}),
      ...(s.error && status !== 'ok' ? { error: s.error } : {}),
    });
    if (r.probe) {
      probes.set(r.entry.id, {
        ...(r.probe.mode !== 'n/a' ? { authMode: r.probe.mode } : {}),
        advertisesOAuth: r.probe.advertisesOAuth,
        // Server-chosen URL: shown in findings, so masked like every other URL.
        ...(r.probe.resourceMetadataUrl ? { resourceMetadata: maskUrl(r.probe.resourceMetadataUrl) } : {}),
      });
    }
  }
  const waiting = result.summary.needsConsent;
  if (waiting) {
    opts.io.stderr(
      `gatehouse scan: ${waiting} stdio server(s) not started: no consent (consent in the app, or pass --yes for this run)\n`,
    );
  }
  ctx.events.emit('store.changed', { topics: ['live'] });
  return { servers, probes, drafts: result.drafts };
}
