import type { ServiceContext } from '../../services/context.js';
import { appendAdminAction } from '../../services/audit/admin-log.js';
import { actorOf } from '../../services/identity/sessions.js';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CLIENT_IDS, ClientId } from '../../../shared/model/discovery.js';
import type { ChangePreview, ConfigChange } from '../../../shared/model/config-write.js';
import { runDiscovery } from '../../services/discovery/handlers.js';
import {
  applyChange,
  changes,
  ManualFix,
  previewChange,
  undo,
  undoGroupOf,
  WriteRefused,
  type ChangeRequest,
} from '../../services/config-write/service.js';
import {
  generateManaged,
  ManagedRefused,
  NO_MANAGED_FORMAT,
  parseAllowList,
  writeManaged,
} from '../../services/config-write/managed.js';
import type { CliIo, Command } from '../command.js';
import { DISCOVERY_FLAGS_HELP, discoveryFlags, formatFrom, workstationFrom } from '../common-options.js';
import { contextFrom } from '../context.js';
import { renderTable } from '../table.js';
import { UsageError } from '../usage-error.js';
import { confirmPrompt } from './fix.js';

const USAGE = `gatehouse config <copy|quarantine|undo|changes|managed> …
  gatehouse config copy SERVER_ID --to CLIENT [--scope user|project --project DIR] [--move] [--dry-run] [--yes]
                       CLIENT: any of the 21 client ids (gatehouse discover lists them)
  gatehouse config quarantine SERVER_ID [--dry-run] [--yes]
  gatehouse config undo [CHANGE_ID | --group GROUP]   (default: the latest change; a group: all or none)
  gatehouse config changes
  gatehouse config managed --allow FILE (--out DIR | --install [--force]) [--platform P] [--system-root DIR]
                       managed client policy from an allow list (JSON/YAML): written under DIR at the
                       system-relative paths, or with --install under --system-root (default /)
${DISCOVERY_FLAGS_HELP}
  --format F           text (default) or json`;

export const configCommand: Command = {
  name: 'config',
  summary: 'Copy/move servers between clients, quarantine them, list and undo changes, generate managed policy',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseArgs({
      args: rest,
      options: {
        ...discoveryFlags,
        to: { type: 'string' },
        scope: { type: 'string' },
        move: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        yes: { type: 'boolean' },
        format: { type: 'string' },
        allow: { type: 'string' },
        out: { type: 'string' },
        install: { type: 'boolean' },
        force: { type: 'boolean' },
        group: { type: 'string' },
      },
      allowPositionals: true,
    });
    const format = formatFrom(values.format, ['text', 'json'] as const, 'text');
    const out = (obj: unknown, text: string) =>
      io.stdout(format === 'json' ? JSON.stringify(obj, null, 2) + '\n' : text);
    if (sub === 'managed') return managed(values, format, io, out, () => contextFrom(values));
    if (sub !== 'copy' && sub !== 'quarantine' && sub !== 'undo' && sub !== 'changes')
      throw new UsageError('config takes copy, quarantine, undo, changes or managed');
    const ctx = contextFrom(values);
    try {
      if (sub === 'changes') {
        const list = await changes(ctx);
        out(
          { changes: list },
          list.length === 0
            ? 'No recorded config changes.\n'
            : renderTable(
                ['ID', 'AT', 'STATUS', 'FILE', 'SUMMARY', 'UNDO'],
                list.map((c) => [
                  c.id.slice(0, 8),
                  c.at,
                  c.status,
                  c.file,
                  c.summary,
                  c.undoable ? 'yes' : (c.undoBlocked ?? 'no'),
                ]),
              ) + '\n',
        );
        return 0;
      }
      if (sub === 'undo') {
        try {
          if (values.group) {
            if (positionals[0]) throw new UsageError('config undo takes a CHANGE_ID or --group GROUP, not both');
            const all = await undoGroupOf(ctx, values.group);
            out(
              { undone: all },
              all.map((c) => `Undone ${c.id.slice(0, 8)}: ${c.file} restored byte for byte.\n`).join(''),
            );
            return 0;
          }
          const c = await undo(ctx, positionals[0]);
          out({ undone: c }, `Undone ${c.id.slice(0, 8)}: ${c.file} restored byte for byte.\n`);
          return 0;
        } catch (err) {
          if (!(err instanceof WriteRefused)) throw err;
          io.stderr(`gatehouse config undo: ${err.message}\n`);
          return 1;
        }
      }
      const serverId = positionals[0];
      if (!serverId) throw new UsageError(`config ${sub} needs a SERVER_ID (see gatehouse discover)`);
      await runDiscovery(ctx);
      let req: ChangeRequest;
      if (sub === 'quarantine') req = { kind: 'quarantine', serverId };
      else {
        const to = ClientId.safeParse(values.to);
        if (!to.success)
          throw new UsageError(
            `${values.to === undefined ? '--to CLIENT is required' : `--to ${values.to} is not a client`} (one of: ${CLIENT_IDS.join(', ')})`,
          );
        const scope = values.scope ?? 'user';
        if (scope !== 'user' && scope !== 'project') throw new UsageError('--scope is user or project');
        const project = values.project?.[0] !== undefined ? resolve(values.project[0]) : undefined;
        req = {
          kind: 'copy',
          serverId,
          to: { client: to.data, scope, ...(project ? { project } : {}) },
          move: !!values.move,
        };
      }
      let preview: ChangePreview;
      try {
        preview = await previewChange(ctx, req);
      } catch (err) {
        if (!(err instanceof ManualFix || err instanceof WriteRefused)) throw err;
        out({ status: 'refused', error: err.message }, `Not done: ${err.message}\n`);
        return 1;
      }
      if (format === 'text') {
        io.stdout(`${preview.title}\n${preview.files.map((f) => f.diff).join('')}`);
        for (const n of preview.notes) io.stdout(`  note: ${n}\n`);
      }
      if (values['dry-run']) {
        if (format === 'json') out({ status: 'previewed', preview: { ...preview, token: undefined } }, '');
        return 0;
      }
      const ok = values.yes || (format === 'text' && (await confirmPrompt('Apply this change? [y/N] ')));
      if (!ok) {
        out({ status: 'declined' }, 'Not applied (confirm, or pass --yes).\n');
        return 0;
      }
      let applied: ConfigChange[];
      try {
        applied = await applyChange(ctx, preview.token);
      } catch (err) {
        if (!(err instanceof ManualFix || err instanceof WriteRefused)) throw err;
        out({ status: 'refused', error: err.message }, `Refused: ${err.message}\n`);
        return 1;
      }
      out(
        { status: 'applied', changes: applied },
        `Applied (undo: gatehouse config undo ${applied.map((c) => c.id.slice(0, 8)).join(' / ')}).\n`,
      );
      return 0;
    } finally {
      ctx.db.close();
    }
  },
};

async function managed(
  values: {
    allow?: string;
    out?: string;
    install?: boolean;
    force?: boolean;
    platform?: string;
    'system-root'?: string;
  },
  format: 'text' | 'json',
  io: CliIo,
  out: (obj: unknown, text: string) => void,
  openContext: () => ServiceContext,
): Promise<number> {
  if (!values.allow) throw new UsageError('config managed needs --allow FILE');
  if (!!values.out === !!values.install)
    throw new UsageError('config managed writes to --out DIR, or to the system location with --install (not both)');
  if (values.force && !values.install) throw new UsageError('--force only applies with --install');
  const platform = workstationFrom({ platform: values.platform }).platform ?? process.platform;
  if (platform !== 'linux' && platform !== 'darwin' && platform !== 'win32')
    throw new UsageError(`no managed locations known for platform ${platform}; pass --platform`);
  const root = values.install ? resolve(values['system-root'] ?? '/') : resolve(values.out as string);
  try {
    const text = await readFile(values.allow, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read --allow ${values.allow}: ${e.code ?? e.message}`);
    });
    const allow = parseAllowList(text, values.allow);
    const files = generateManaged(allow, platform);
    const written = await writeManaged(files, root, { install: !!values.install, force: !!values.force });
    if (values.install) {
      // Installing system policy is an admin action: attributable, in the hash-chained log (paths only).
      const ctx = openContext();
      try {
        appendAdminAction(ctx.db, ctx.clock, {
          actor: actorOf(ctx),
          action: 'config.managed.install',
          target: root,
          details: {
            platform,
            servers: allow.servers.length,
            files: written.map((w) => ({ client: w.client, path: w.path, backup: w.backup ?? null })),
          },
        });
      } finally {
        ctx.db.close();
      }
    }
    const lines = written.map(
      (w) => `  ${w.client.padEnd(12)} ${w.path}${w.backup ? `  (previous kept as ${w.backup})` : ''}\n`,
    );
    out(
      {
        status: values.install ? 'installed' : 'written',
        platform,
        files: written,
        noManagedFormat: NO_MANAGED_FORMAT,
      },
      `${values.install ? 'Installed' : 'Wrote'} managed policy for ${allow.servers.length} server(s) (${platform}):\n` +
        lines.join('') +
        (values.install ? '' : `Copy the tree under ${root} to the system root (/) with your device management.\n`) +
        `No documented managed format (nothing generated): ${NO_MANAGED_FORMAT.join(', ')}.\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ManagedRefused)) throw err;
    if (format === 'json') out({ status: 'refused', error: err.message }, '');
    else io.stderr(`gatehouse config managed: ${err.message}\n`);
    return 1;
  }
}
