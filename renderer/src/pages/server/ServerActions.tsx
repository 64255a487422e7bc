import type { ServerEntry } from '../../../../shared/model/discovery.js';
import { useConfigChangeDialog } from '../../components/ConfigChangeDialog.js';
import { clientLabel } from '../../lib/labels.js';

/**
 * The server's config actions: copy (or move) it to another client, or quarantine it everywhere.
 * Both open the shared preview → confirm → result/undo dialog; nothing is written before Confirm.
 */
export function ServerActions({ server }: { server: ServerEntry }) {
  const open = useConfigChangeDialog((s) => s.open);
  const subject = { serverId: server.id, name: server.name, clientLabel: clientLabel(server.client) };
  return (
    <div className="server-actions" role="group" aria-label="Server actions">
      <button
        type="button"
        className="btn"
        data-testid="server-copy"
        title="Copy or move this server to another client (credentials travel as references)"
        onClick={() => open({ kind: 'copy', ...subject })}
      >
        Copy to client…
      </button>
      <button
        type="button"
        className="btn"
        data-testid="server-quarantine"
        title="Disable this server in every client and scope where it is configured (undoable)"
        onClick={() => open({ kind: 'quarantine', ...subject })}
      >
        Quarantine…
      </button>
    </div>
  );
}
