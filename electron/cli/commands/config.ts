import { parseArgs } from 'node:util';
import { ClientId } from '../../../shared/model/discovery.js';
import type { ChangePreview, ConfigChange } from '../../../shared/model/config-write.js';
import { runDiscovery } from '../../services/discovery/handlers.js';
import {
  applyChange,
  changes,
  ManualFix,
  previewChange,
  undo,
  WriteRefused,
  type ChangeRequest,
} from '../../services/config-write/service.js';
import type { CliIo, Command } from '../command.js';
import { DISCOVERY_FLAGS_HELP, discoveryFlags, formatFrom } from '../common-options.js';
import { contextFrom } from '../context.js';
import { renderTable } from '../table.js';
import { UsageError } from '../usage-error.js';
import { confirmPrompt } from './fix.js';

const USAGE = `gatehouse config <copy|quarantine|undo|changes> …
  gatehouse config copy SERVER_ID --to CLIENT [--scope user|project --project DIR] [--move] [--dry-run] [--yes]
  gatehouse config quarantine SERVER_ID [--dry-run] [--yes]
  gatehouse config undo [CHANGE_ID]        (default: the latest change)
  gatehouse config changes
${DISCOVERY_FLAGS_HELP}
  --format F           text (default) or json`;

export const configCommand: Command = {
  name: 'config',
  summary: 'Copy/move servers between clients, quarantine them, list and undo config changes',
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
      },
      allowPositionals: true,
    });
    const format = formatFrom(values.format, ['text', 'json'] as const, 'text');
    const out = (obj: unknown, text: string) =>
      io.stdout(format === 'json' ? JSON.stringify(obj, null, 2) + '\n' : text);
    if (sub !== 'copy' && sub !== 'quarantine' && sub !== 'undo' && sub !== 'changes')
      throw new UsageError('config takes copy, quarantine, undo or changes');
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
        if (!to.success) throw new UsageError('--to CLIENT is required (a client id)');
        const scope = values.scope ?? 'user';
        if (scope !== 'user' && scope !== 'project') throw new UsageError('--scope is user or project');
        const project = values.project?.[0];
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
