import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AdminError } from '../../../shared/api/errors.js';
import type { GatewayAuthType } from '../../../shared/model/gateway.js';
import type { ServiceContext } from '../../services/context.js';
import {
  addGateway,
  listGateways,
  loginGateway,
  logoutGateway,
  removeGateway,
  syncGateways,
  testGateway,
} from '../../services/gateways/service.js';
import { shareGateway } from '../../services/gateways/share.js';
import { confirmPrompt } from './fix.js';
import { openInBrowser } from './login.js';
import { scopeFindings } from '../../services/tenants/service.js';
import type { Command, CliIo } from '../command.js';
import { formatFrom } from '../common-options.js';
import { contextFrom } from '../context.js';
import { renderTable } from '../table.js';
import { UsageError } from '../usage-error.js';

const USAGE = `gatehouse gateway <add|list|test|sync|findings|login|logout|share|remove> [options]

  add NAME --url URL [--auth bearer|basic|none] [--username U]
           (--token-env VAR | --token-file FILE | --token-stdin) [--ca-file PEM] [--timeout MS]
                       add a gateway; the credential goes to the secret store (never pass it as an argument)
  add NAME --url URL --sso ISSUER [--sso-provider ID] [--client-id ID] [--ca-file PEM]
                       add a gateway you sign in to with single sign-on (then: gateway login NAME)
  login NAME [--no-browser] [--timeout S] [--days N]
                       sign in through the gateway's SSO with your identity provider; an expiring API
                       token for you (default 1 day) is kept in the secret store
  logout NAME          revoke (where the gateway allows it) and delete the SSO credential
  list                 configured gateways (credentials masked)
  test NAME            check reachability and the credential (exit 2 when it fails)
  sync [NAME]          read servers, tools, teams, roles and tokens into the local store
  findings [NAME]      tenant-scope findings (scope.*) from the stored snapshots
  share NAME [--dry-run] [--yes]
                       share a gateway added before the team store with the team: shows exactly the
                       settings that go to the team store (the token stays in this secret store), then asks
  share NAME --undo [--yes]
                       take it back out of the team store (local-only here again)
  remove NAME          remove a gateway and its stored credential

  --format F           table | json (default table)
  --state DIR          local store (default: OS app-data folder, or $GATEHOUSE_STATE)`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function secretFrom(values: {
  'token-env'?: string;
  'token-file'?: string;
  'token-stdin'?: boolean;
}): Promise<string | undefined> {
  const given = [values['token-env'], values['token-file'], values['token-stdin'] ? 'stdin' : undefined].filter(
    Boolean,
  );
  if (given.length > 1) throw new UsageError('use only one of --token-env, --token-file, --token-stdin');
  let raw: string | undefined;
  if (values['token-env']) {
    raw = process.env[values['token-env']];
    if (!raw) throw new UsageError(`environment variable ${values['token-env']} is empty or unset`);
  } else if (values['token-file']) {
    raw = await readFile(values['token-file'], 'utf8');
  } else if (values['token-stdin']) {
    raw = await readStdin();
  }
  const s = raw?.trim();
  return s ? s : undefined;
}

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: 'Configure MCP gateways (ContextForge) and read their tenant scopes',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        auth: { type: 'string' },
        username: { type: 'string' },
        'token-env': { type: 'string' },
        'token-file': { type: 'string' },
        'token-stdin': { type: 'boolean' },
        'ca-file': { type: 'string' },
        timeout: { type: 'string' },
        sso: { type: 'string' },
        'sso-provider': { type: 'string' },
        'client-id': { type: 'string' },
        audience: { type: 'string' },
        'no-browser': { type: 'boolean' },
        days: { type: 'string' },
        'dry-run': { type: 'boolean' },
        yes: { type: 'boolean' },
        undo: { type: 'boolean' },
        format: { type: 'string' },
        state: { type: 'string' },
      },
    });
    const [sub, name] = positionals;
    if (!sub) throw new UsageError('a sub-command is required');
    const format = formatFrom(values.format, ['table', 'json'] as const, 'table');
    const ctx = contextFrom({ state: values.state });
    try {
      return await runSub(ctx, sub, name, values, format, io);
    } catch (err) {
      if (err instanceof AdminError) {
        io.stderr(`gatehouse gateway ${sub}: ${err.message}\n`);
        return 2;
      }
      throw err;
    } finally {
      ctx.db.close();
    }
  },
};

async function runSub(
  ctx: ServiceContext,
  sub: string,
  name: string | undefined,
  values: Record<string, string | boolean | undefined>,
  format: 'table' | 'json',
  io: CliIo,
): Promise<number> {
  const out = (v: unknown, table: () => string) =>
    io.stdout(format === 'json' ? JSON.stringify(v, null, 2) + '\n' : table());
  switch (sub) {
    case 'add': {
      if (!name) throw new UsageError('gateway add needs a NAME');
      if (typeof values.url !== 'string') throw new UsageError('gateway add needs --url');
      const sso = typeof values.sso === 'string' ? values.sso : undefined;
      const auth = (typeof values.auth === 'string' ? values.auth : sso ? 'sso' : 'bearer') as GatewayAuthType;
      if (!['bearer', 'basic', 'none', 'sso'].includes(auth))
        throw new UsageError('--auth must be bearer, basic, none or sso');
      if (auth === 'sso' && !sso) throw new UsageError('--auth sso needs --sso ISSUER');
      if (values.audience !== undefined)
        throw new UsageError(
          '--audience (IdP access tokens sent to the gateway directly) is not supported: ContextForge 1.0.7 refuses them on its REST API; use --sso',
        );
      const secret = await secretFrom(
        values as { 'token-env'?: string; 'token-file'?: string; 'token-stdin'?: boolean },
      );
      const timeoutMs = typeof values.timeout === 'string' ? Number(values.timeout) : undefined;
      if (timeoutMs !== undefined && !Number.isInteger(timeoutMs))
        throw new UsageError('--timeout must be milliseconds');
      const conn = await addGateway(ctx, {
        name,
        kind: 'contextforge',
        baseUrl: values.url,
        authType: auth,
        secret,
        username: typeof values.username === 'string' ? values.username : undefined,
        caFile: typeof values['ca-file'] === 'string' ? values['ca-file'] : undefined,
        timeoutMs,
        ...(auth === 'sso'
          ? {
              ssoIssuer: sso,
              ...(typeof values['sso-provider'] === 'string' ? { ssoProviderId: values['sso-provider'] } : {}),
            }
          : {}),
      });
      if (conn.secretStoreWarning) io.stderr(`gatehouse gateway add: warning: ${conn.secretStoreWarning}\n`);
      out(conn, () =>
        conn.authType === 'sso'
          ? `added gateway ${conn.name} (${conn.baseUrl}) with single sign-on at ${conn.sso?.issuer}; sign in: gatehouse gateway login ${conn.name}\n`
          : `added gateway ${conn.name} (${conn.baseUrl}); credential ${conn.credentialHint ?? 'none'} in ${conn.secretStore}\n`,
      );
      return 0;
    }
    case 'list': {
      const list = await listGateways(ctx);
      out(list, () =>
        renderTable(
          ['NAME', 'KIND', 'URL', 'AUTH', 'CREDENTIAL', 'CA FILE', 'LAST TEST', 'LAST SYNC'],
          list.map((g) => [
            g.name,
            g.kind,
            g.baseUrl,
            g.sso ? `sso ${g.sso.email ?? ''}`.trim() : g.authType,
            g.sso && g.sso.status !== 'active'
              ? g.sso.status === 'signed-out'
                ? 'not signed in'
                : 'sign in again'
              : (g.credentialHint ?? (g.hasCredential ? 'stored' : '-')),
            g.caFile ?? '',
            g.lastTest ? `${g.lastTest.status}` : '',
            g.lastSyncError ? 'failed' : (g.lastSyncAt ?? ''),
          ]),
        ),
      );
      return 0;
    }
    case 'test': {
      if (!name) throw new UsageError('gateway test needs a NAME');
      const r = await testGateway(ctx, name);
      out(r, () => `${r.ok ? 'ok' : r.status}: ${r.message}${r.version ? ` (ContextForge ${r.version})` : ''}\n`);
      return r.ok ? 0 : 2;
    }
    case 'sync': {
      const results = await syncGateways(ctx, name);
      out(results, () => results.map((r) => `${r.ok ? 'synced' : 'FAILED'} ${r.gatewayId}: ${r.message}\n`).join(''));
      return results.every((r) => r.ok) ? 0 : 2;
    }
    case 'findings': {
      const findings = scopeFindings(ctx, name);
      out(
        findings,
        () =>
          renderTable(
            ['SEVERITY', 'RULE', 'GATEWAY', 'TITLE'],
            findings.map((f) => [f.severity, f.ruleId, f.gatewayName, f.title]),
          ) + `\n${findings.length} finding(s)\n`,
      );
      return 0;
    }
    case 'login': {
      if (!name) throw new UsageError('gateway login needs a NAME');
      const timeoutS = typeof values.timeout === 'string' ? Number(values.timeout) : 300;
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout must be seconds');
      const days = typeof values.days === 'string' ? Number(values.days) : undefined;
      if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 365))
        throw new UsageError('--days must be a whole number of days (1-365)');
      const noBrowser = values['no-browser'] === true || process.env.GATEHOUSE_NO_BROWSER === '1';
      const conn = await loginGateway(ctx, name, {
        timeoutMs: timeoutS * 1000,
        ...(days ? { tokenDays: days } : {}),
        openUrl: (url: string) => {
          io.stderr(`Sign in with your identity provider in the browser:\n  ${url}\n`);
          if (!noBrowser) openInBrowser(url);
        },
      });
      out(
        conn,
        () =>
          `Signed in to gateway ${conn.name} as ${conn.sso?.email ?? '?'}; API token ${conn.credentialHint ?? ''} ` +
          `in ${conn.secretStore}${conn.sso?.expiresAt ? `, expires ${conn.sso.expiresAt}` : ''}\n`,
      );
      return 0;
    }
    case 'logout': {
      if (!name) throw new UsageError('gateway logout needs a NAME');
      const r = await logoutGateway(ctx, name);
      out(r, () => `${r.message}\n`);
      return 0;
    }
    case 'share': {
      if (!name) throw new UsageError('gateway share needs a NAME');
      if (values.undo) {
        const ok =
          values.yes ||
          (format === 'table' && (await confirmPrompt(`Take gateway ${name} out of the team store? [y/N] `)));
        if (!ok) {
          out({ status: 'declined' }, () => 'Not done (confirm, or pass --yes).\n');
          return 0;
        }
        const r = await shareGateway(ctx, name, 'unshare');
        out(r, () => `Gateway ${name} is no longer shared with the team; it stays on this workstation.\n`);
        return 0;
      }
      const preview = await shareGateway(ctx, name, 'preview');
      if (format === 'table') {
        io.stdout(`Sharing gateway ${name} puts these settings in the team store ${preview.teamStore}:\n`);
        for (const [k, v] of Object.entries(preview.settings)) io.stdout(`  ${k.padEnd(14)} ${String(v)}\n`);
        io.stdout(
          preview.credential.stored
            ? `The token is not shared: it stays in this workstation's secret store (${preview.credential.secretStore}); other admins add their own.\n`
            : 'No credential is stored here; other admins add their own.\n',
        );
        if (preview.joins)
          io.stdout(
            `The team already has this gateway (set by ${preview.joins.updatedBy} at ${preview.joins.updatedAt}): this connection joins it.\n`,
          );
      }
      if (values['dry-run']) {
        if (format === 'json') out({ status: 'previewed', preview }, () => '');
        return 0;
      }
      const ok = values.yes || (format === 'table' && (await confirmPrompt('Share it? [y/N] ')));
      if (!ok) {
        out({ status: 'declined', preview }, () => 'Not shared (confirm, or pass --yes).\n');
        return 0;
      }
      const r = await shareGateway(ctx, name, 'share');
      out(r, () => `Shared gateway ${name} with the team (team version ${r.gateway.team?.version ?? '?'}).\n`);
      return 0;
    }
    case 'remove': {
      if (!name) throw new UsageError('gateway remove needs a NAME');
      const removed = await removeGateway(ctx, name);
      out({ removed }, () => (removed ? `removed gateway ${name}\n` : `no gateway named ${name}\n`));
      return removed ? 0 : 2;
    }
    default:
      throw new UsageError(`unknown sub-command "${sub}"`);
  }
}
