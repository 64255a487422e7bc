import { ChangeFlow } from './ChangeFlow.js';

/** What a server-level dialog (quarantine, copy) is about. */
export interface ServerSubject {
  serverId: string;
  name: string;
  /** Its client's display name. */
  clientLabel: string;
}

/**
 * Quarantine a server: disabled (or removed where the client has no disabled flag) in every client
 * and scope where the same server is configured; the preview lists every file it touches.
 */
export function QuarantineDialog({ subject, onClose }: { subject: ServerSubject; onClose(): void }) {
  return (
    <ChangeFlow
      kind="quarantine"
      heading={{ choose: 'Quarantine', applied: 'Quarantined', undone: 'Undone' }}
      subtitle={
        <>
          {subject.name} · {subject.clientLabel}
        </>
      }
      subtitleTitle={subject.name}
      request={{ kind: 'quarantine', serverId: subject.serverId }}
      chooser={
        <p className="muted" data-testid="quarantine-explanation">
          Disables <strong style={{ color: 'var(--text-strong)' }}>{subject.name}</strong> in every client and scope
          where the same server is configured. Where a client has no disabled flag the entry is removed; the backup
          keeps it and Undo restores every file.
        </p>
      }
      onClose={onClose}
    />
  );
}
