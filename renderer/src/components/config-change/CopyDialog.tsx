import { useState } from 'react';
import type { CopyTargetInfo } from '../../../../shared/model/config-write.js';
import { useAdminQuery } from '../../client/index.js';
import { clientLabel } from '../../lib/labels.js';
import { ChangeFlow, type ChangeRequest } from './ChangeFlow.js';
import { Busy } from './dialog-kit.js';
import type { ServerSubject } from './QuarantineDialog.js';

type Scope = CopyTargetInfo['scopes'][number];

/**
 * Copy (or move) a server to another client: the targets the service offers (refused ones shown
 * disabled, with why), the scope (a project scope needs the project folder), copy or move, then the
 * shared preview → confirm → result/undo flow. Credentials travel as references in the target's
 * syntax; the service moves literals to the secret store.
 */
export function CopyDialog({ subject, onClose }: { subject: ServerSubject; onClose(): void }) {
  const targets = useAdminQuery('config.copyTargets', { serverId: subject.serverId }, { staleTime: 0, retry: false });
  const [client, setClient] = useState<CopyTargetInfo['client'] | null>(null);
  const [scope, setScope] = useState<Scope>('user');
  const [project, setProject] = useState('');
  const [submittedProject, setSubmittedProject] = useState<string | null>(null);
  const [move, setMove] = useState(false);

  const list = targets.data ?? [];
  const target = list.find((t) => t.client === client && !t.refused);
  const scopes = target?.scopes ?? [];
  const effectiveScope: Scope | undefined = scopes.includes(scope) ? scope : scopes[0];
  const request: ChangeRequest | null =
    target && effectiveScope && (effectiveScope === 'user' || submittedProject)
      ? {
          kind: 'copy',
          serverId: subject.serverId,
          to: {
            client: target.client,
            scope: effectiveScope,
            ...(effectiveScope === 'project' && submittedProject ? { project: submittedProject } : {}),
          },
          ...(move ? { move: true } : {}),
        }
      : null;

  const chooser = (
    <>
      {targets.isPending && <Busy label="Loading the possible targets…" />}
      {targets.isError && (
        <div className="callout callout-error" role="alert" data-testid="fix-error">
          {targets.error.message}
        </div>
      )}
      {list.length > 0 && (
        <fieldset className="cc-options cc-targets" data-testid="copy-targets">
          <legend>Target client</legend>
          <div className="cc-target-grid">
            {list.map((t) => (
              <label
                key={t.client}
                className={t.refused ? 'cc-option cc-target is-refused' : 'cc-option cc-target'}
                data-testid="copy-target"
                data-client={t.client}
                data-refused={t.refused ? 'yes' : 'no'}
                title={t.refused}
              >
                <input
                  type="radio"
                  name="cc-copy-target"
                  value={t.client}
                  checked={client === t.client}
                  disabled={!!t.refused}
                  onChange={() => {
                    setClient(t.client);
                    setSubmittedProject(null);
                  }}
                />
                <span className="cc-option-title">{clientLabel(t.client)}</span>
                {t.refused && <span className="cc-target-reason">{t.refused}</span>}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {target && (
        <div className="cc-copy-row">
          <fieldset className="cc-inline" data-testid="copy-scope">
            <legend>Scope</legend>
            {scopes.map((s) => (
              <label key={s}>
                <input
                  type="radio"
                  name="cc-copy-scope"
                  value={s}
                  checked={effectiveScope === s}
                  onChange={() => {
                    setScope(s);
                    setSubmittedProject(null);
                  }}
                />{' '}
                {s === 'user' ? 'User (every project)' : 'Project folder'}
              </label>
            ))}
          </fieldset>
          <fieldset className="cc-inline" data-testid="copy-mode">
            <legend>Copy or move</legend>
            <label>
              <input type="radio" name="cc-copy-mode" checked={!move} onChange={() => setMove(false)} /> Copy
            </label>
            <label>
              <input type="radio" name="cc-copy-mode" checked={move} onChange={() => setMove(true)} /> Move (remove from{' '}
              {subject.clientLabel})
            </label>
          </fieldset>
        </div>
      )}
      {target && effectiveScope === 'project' && (
        <form
          className="cc-input-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (project.trim()) setSubmittedProject(project.trim());
          }}
        >
          <label>
            Project folder (absolute path)
            <input
              className="input mono"
              data-testid="copy-project"
              value={project}
              maxLength={4096}
              placeholder="/path/to/project"
              onChange={(e) => setProject(e.target.value)}
            />
          </label>
          <button type="submit" className="btn" data-testid="copy-project-preview" disabled={!project.trim()}>
            Preview
          </button>
        </form>
      )}
      {!target && list.length > 0 && <p className="muted">Choose a client to preview the change.</p>}
    </>
  );

  const to = target ? clientLabel(target.client) : 'another client';
  return (
    <ChangeFlow
      kind="copy"
      heading={{
        choose: `${move ? 'Move' : 'Copy'} to ${to}`,
        applied: move ? 'Moved' : 'Copied',
        undone: 'Undone',
      }}
      subtitle={
        <>
          {subject.name} · from {subject.clientLabel}
        </>
      }
      subtitleTitle={subject.name}
      request={request}
      chooser={chooser}
      onClose={onClose}
    />
  );
}
