import { AdminError } from '../../../shared/api/errors.js';
import type { ServiceContext } from '../context.js';
import type { HandlerGroup } from '../handlers.js';
import { ManualFix } from './fixes.js';
import { applyChange, changes, copyTargets, optionsFor, previewChange, undo, undoGroupOf } from './service.js';
import { WriteRefused } from './writer.js';

export function configWriteHandlers(
  ctx: ServiceContext,
): HandlerGroup<
  'config.fixOptions' | 'config.preview' | 'config.apply' | 'config.copyTargets' | 'config.changes' | 'config.undo'
> {
  const refusals = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WriteRefused || err instanceof ManualFix) throw new AdminError('conflict', err.message);
      throw err;
    }
  };
  return {
    'config.fixOptions': ({ findingId }) => refusals(() => optionsFor(ctx, findingId)),
    'config.preview': (req) => refusals(() => previewChange(ctx, req)),
    'config.apply': ({ token }) => refusals(() => applyChange(ctx, token)),
    'config.changes': () => changes(ctx),
    'config.copyTargets': ({ serverId }) => refusals(() => copyTargets(ctx, serverId)),
    'config.undo': ({ id, group }) =>
      refusals(async () => {
        if (group && id) throw new WriteRefused('Undo takes a change id or a group, not both.');
        return group ? undoGroupOf(ctx, group) : [await undo(ctx, id)];
      }),
  };
}
