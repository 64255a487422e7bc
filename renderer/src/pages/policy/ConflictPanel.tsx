import { useEffect, useMemo, useRef, useState } from 'react';
import type { PolicyChange, PolicyVersion } from '../../../../shared/model/policy.js';
import { DiffView } from '../../components/DiffView.js';
import { useAdminClient } from '../../client/index.js';
import { unifiedDiff } from '../../lib/line-diff.js';
import { ChangeList, short, shortTime } from './panels.js';

/** A save or push refused because the lineage moved on since the draft was loaded. */
export interface VersionConflict {
  /** The service's message: names the policy, who saved last and when. */
  message: string;
  /** What was refused. */
  action: 'save' | 'push';
  /** The lineage: a gateway id, or null for the unbound policy. */
  gatewayId: string | null;
}

export interface LatestVersion {
  version: PolicyVersion;
  text: string;
}

/**
 * The conflict panel: who saved the newer version and when, a diff from that version to the draft,
 * and two ways on — reload the latest (the draft is set aside under "Kept draft", never dropped)
 * or keep editing (nothing changes). The draft is never touched by the panel itself.
 */
export function ConflictPanel({
  conflict,
  draftText,
  onReload,
  onKeepEditing,
}: {
  conflict: VersionConflict;
  draftText: string;
  onReload(latest: LatestVersion): void;
  onKeepEditing(): void;
}) {
  const client = useAdminClient();
  // The save/push dialog that was refused has closed: focus moves here, to what happened.
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), [conflict]);
  const [latest, setLatest] = useState<LatestVersion | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** What the draft changes compared with the latest version, object by object (formatting aside). */
  const [changes, setChanges] = useState<readonly PolicyChange[] | string | null>(null);
  useEffect(() => {
    if (!latest) return;
    let live = true;
    client
      .invoke('policy.plan', { text: draftText, versionHash: latest.version.hash })
      .then((p) => live && setChanges(p.changes))
      .catch((e: unknown) => live && setChanges(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [client, latest, draftText]);
  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const list = await client.invoke(
          'policy.versions',
          conflict.gatewayId ? { gatewayId: conflict.gatewayId } : {},
        );
        const head = list[0];
        if (!head) throw new Error('the newer version could not be found (it may have been removed)');
        const r = await client.invoke('policy.version', { hash: head.hash, format: 'yaml' });
        if (live) setLatest({ version: r.version, text: r.text });
      } catch (e) {
        if (live) setError(e instanceof Error ? e.message : String(e));
      }
    })();
    return () => {
      live = false;
    };
  }, [client, conflict]);
  const diff = useMemo(() => (latest ? unifiedDiff(latest.text, draftText) : ''), [latest, draftText]);

  return (
    <section
      className="panel pol-conflict-panel"
      aria-labelledby="pol-conflict-title"
      data-testid="policy-version-conflict"
      data-action={conflict.action}
    >
      <header className="panel-head">
        <h2 id="pol-conflict-title" className="pol-conflict-title" ref={title} tabIndex={-1}>
          {conflict.action === 'save' ? 'Not saved' : 'Not pushed'}: someone saved a newer version
        </h2>
      </header>
      <div className="panel-body">
        <p role="alert" data-testid="policy-conflict-message">
          {conflict.message}
        </p>
        {latest ? (
          <p className="muted" data-testid="policy-conflict-latest">
            Latest: version <span className="mono">{short(latest.version.hash)}</span> by{' '}
            <strong data-testid="policy-conflict-author">{latest.version.author}</strong> at{' '}
            <time dateTime={latest.version.createdAt}>{shortTime(latest.version.createdAt)}</time> (
            {latest.version.origin}){latest.version.message ? ` — “${latest.version.message}”` : ''}. Your draft is
            unchanged in the editor.
          </p>
        ) : error ? (
          <p className="callout callout-error">Could not load the latest version: {error}</p>
        ) : (
          <p className="muted">Loading the latest version…</p>
        )}
        {latest && (
          <>
            <h3 className="pol-conflict-sub">What your draft changes compared with the latest version</h3>
            {changes === null ? (
              <p className="muted">Comparing…</p>
            ) : typeof changes === 'string' ? (
              <p className="muted">Could not compare object by object: {changes}</p>
            ) : (
              <div className="pol-conflict-changes">
                <ChangeList changes={changes} testId="policy-conflict-changes" />
              </div>
            )}
            <h3 className="pol-conflict-sub">Text: from the latest version to your draft</h3>
            <DiffView diff={diff} label="Latest version to your draft" testId="policy-conflict-diff" />
          </>
        )}
        <div className="pol-dialog-actions">
          <button type="button" className="btn" data-testid="policy-conflict-keep" onClick={onKeepEditing}>
            Keep editing
          </button>
          <button
            type="button"
            className="btn btn-primary"
            data-testid="policy-conflict-reload"
            disabled={!latest}
            onClick={() => latest && onReload(latest)}
          >
            Reload latest (your draft is kept under “Kept draft”)
          </button>
        </div>
      </div>
    </section>
  );
}
