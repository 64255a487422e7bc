import { actorOf } from '../identity/sessions.js';
import type { ServiceContext } from '../context.js';
import type { DiscoveryScan } from '../discovery/types.js';
import type { AuthProbeResult, FindingDraft } from '../findings/types.js';
import { appendAdminAction } from '../audit/admin-log.js';
import { maskUrl } from '../secrets/redact.js';
import type { CommandLine } from '../../../shared/model/live.js';
import { openLiveFingerprinter } from './command-line.js';
import { consentStateOf, consentText, consentViewOf } from './consent.js';
import { LiveStore } from './store.js';
import { runLiveScan } from './scan.js';

/** Per-server outcome as `gatehouse scan --connect` reports it (merged into the JSON `servers`). */
export interface CliLiveServer {
  status: 'ok' | 'error' | 'needs-consent' | 'needs-sign-in' | 'session-expired' | 'skipped';
  authMode?: string;
  toolCount?: number;
  promptCount?: number;
  resourceCount?: number;
  error?: string;
}

/**
 * The live inventory for `gatehouse scan --connect`: user-scope remote servers, consented stdio
 * servers and consented (or trusted-project) remote servers from project files. With `--yes`,
 * every one of them for this run only: what is started or contacted is printed on stderr as the
 * consent dialog shows it (execution-affecting variables in clear, unpinned-runner warnings),
 * nothing is stored as a consent, and each is recorded in the admin log (`consent.run-only`).
 * Without `--yes`, the servers still waiting are printed the same way. Structurally the CLI's
 * `LiveScanProvider`.
 */
export async function liveScanProvider(
  ctx: ServiceContext,
  scan: DiscoveryScan,
  opts: { yes: boolean; io: { stderr: (text: string) => void } },
): Promise<{ servers: Map<string, CliLiveServer>; probes: Map<string, AuthProbeResult>; drafts: FindingDraft[] }> {
  const fingerprint = await openLiveFingerprinter(ctx.secrets);
  const store = new LiveStore(ctx.db);
  const cctx = {
    env: ctx.workstation.env,
    fingerprint,
    home: ctx.workstation.home,
    projects: ctx.workstation.projects,
  };
  // What would wait for consent, as the dialog shows it.
  const waiting = new Map<string, CommandLine>();
  for (const s of scan.servers) {
    if (s.entry.disabled) continue;
    const state = consentStateOf(s, cctx, store);
    if (!state?.required || state.consented) continue;
    // With what changed since an earlier consent, as the dialog shows it.
    waiting.set(s.entry.id, consentViewOf(s, state, store, false).line);
  }
  const lines = [...waiting.values()];
  const remote = lines.filter((l) => l.kind === 'remote').length;
  const stdio = lines.length - remote;
  if (opts.yes && lines.length) {
    opts.io.stderr(
      `gatehouse scan: --yes: consenting for this run only (not stored) to start ${stdio} stdio server(s)` +
        (remote ? ` and contact ${remote} remote server(s) from project files` : '') +
        ':\n' +
        lines.map(consentText).join(''),
    );
  }
  const result = await runLiveScan(ctx, {
    servers: scan.servers,
    env: ctx.workstation.env,
    consent: opts.yes ? 'run' : 'stored',
    fingerprint,
    home: ctx.workstation.home,
    projects: ctx.workstation.projects,
    // Signed-in OAuth servers connect with their session (tokens stay in the secret store).
    secrets: ctx.secrets,
  });
  if (opts.yes) {
    // A run-only consent still leaves a record: which command line or URL (by key, no values) was used.
    for (const r of result.servers) {
      const line = waiting.get(r.entry.id);
      if (!line || r.snapshot.status === 'skipped' || r.snapshot.status === 'needs-consent') continue;
      appendAdminAction(ctx.db, ctx.clock, {
        action: 'consent.run-only',
        target: r.entry.id,
        actor: actorOf(ctx),
        details: {
          kind: line.kind ?? 'stdio',
          server: r.entry.name,
          client: r.entry.client,
          source: r.entry.source,
          ...(line.kind === 'remote' ? { url: line.url ?? null } : {}),
          hash: line.hash,
        },
      });
    }
  }
  const servers = new Map<string, CliLiveServer>();
  const probes = new Map<string, AuthProbeResult>();
  for (const r of result.servers) {
    const s = r.snapshot;
    const status: CliLiveServer['status'] =
      s.status === 'ok' ||
      s.status === 'error' ||
      s.status === 'needs-consent' ||
      s.status === 'needs-sign-in' ||
      s.status === 'session-expired'
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
  const blocked = result.servers.filter((r) => r.snapshot.status === 'needs-consent');
  if (blocked.length) {
    opts.io.stderr(
      `gatehouse scan: ${blocked.length} server(s) not started or contacted: no consent ` +
        '(consent in the app, trust the project there, or pass --yes for this run):\n' +
        blocked
          .map((r) => waiting.get(r.entry.id))
          .filter((l): l is CommandLine => !!l)
          .map(consentText)
          .join(''),
    );
  }
  const signIn = result.servers.filter(
    (r) => r.snapshot.status === 'needs-sign-in' || r.snapshot.status === 'session-expired',
  );
  if (signIn.length) {
    opts.io.stderr(
      `gatehouse scan: ${signIn.length} OAuth-protected server(s) not enumerated: sign in first ` +
        '("Sign in" on the server page, or `gatehouse server login SERVER_ID`):\n' +
        signIn
          .map(
            (r) =>
              `  ${r.entry.name} (${r.entry.client}, ${r.entry.source}) ${r.snapshot.status === 'session-expired' ? 'session expired' : 'needs sign-in'}: ${r.entry.id}\n`,
          )
          .join(''),
    );
  }
  ctx.events.emit('store.changed', { topics: ['live'] });
  return { servers, probes, drafts: result.drafts };
}
