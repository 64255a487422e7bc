import { useState, type FormEvent } from 'react';
import type { GatewayConnection, GatewayTestResult } from '../../../../shared/model/gateway.js';
import { useAdminMutation, useAdminQuery } from '../../client/index.js';
import { GatewayInventoryTables } from './GatewayInventory.js';
import { GatewaySso } from './GatewaySso.js';
import { GatewayShareDialog } from './GatewayShare.js';
import { sharedNote, type SharedNote } from './share-logic.js';
import './gateways.css';

interface FormState {
  id?: string;
  name: string;
  baseUrl: string;
  authType: 'bearer' | 'basic' | 'none' | 'sso';
  username: string;
  ssoIssuer: string;
  ssoProviderId: string;
  secret: string;
  caFile: string;
  timeoutMs: string;
  /** The team row version the edit started from: another admin's change meanwhile is a conflict. */
  expectedVersion?: string;
}

/**
 * The service's validation message as the form shows it: field names as labelled, without the
 * method prefix (`Invalid input for gateways.add: baseUrl: …` → `Base URL: …`).
 */
const FIELD_LABELS: Record<string, string> = {
  baseUrl: 'Base URL',
  name: 'Name',
  secret: 'Token',
  timeoutMs: 'Timeout',
  caFile: 'CA file',
  ssoIssuer: 'Identity provider',
  username: 'User name',
};
export function formError(message: string): string {
  const m = /^Invalid input for [\w.]+: (.*)$/.exec(message);
  if (!m) return message;
  return (m[1] ?? '')
    .split('; ')
    .map((part) => part.replace(/^(\w+): /, (_, f: string) => `${FIELD_LABELS[f] ?? f}: `))
    .join('; ');
}

type SyncResult = { kind: 'test' | 'sync'; ok: boolean; partial?: boolean; text: string; status?: string };

const EMPTY_FORM: FormState = {
  name: '',
  baseUrl: 'http://127.0.0.1:4444',
  authType: 'bearer',
  username: '',
  ssoIssuer: '',
  ssoProviderId: '',
  secret: '',
  caFile: '',
  timeoutMs: '15000',
};

/** Gateways: connections (add, edit, test, sync, remove) and what they serve, merged with the inventory. */
export default function GatewaysPage() {
  const list = useAdminQuery('gateways.list', {});
  const inv = useAdminQuery('gateways.inventory', {}, { topics: ['discovery'] });
  const [form, setForm] = useState<FormState | null>(null);
  const [results, setResults] = useState<Record<string, SyncResult>>({});
  /** The Add form's connection test: shown before saving; a failure needs an explicit "Add anyway". */
  const [draftTest, setDraftTest] = useState<
    GatewayTestResult | { ok: false; message: string; status?: undefined } | null
  >(null);
  const [confirmRemove, setConfirmRemove] = useState<string | null>(null);
  /** Share with team: the gateway whose preview is open; after sharing, what undo takes back. */
  const [sharing, setSharing] = useState<GatewayConnection | null>(null);
  const [shared, setShared] = useState<SharedNote | null>(null);
  const [confirmUnshare, setConfirmUnshare] = useState<string | null>(null);
  const unshare = useAdminMutation('gateways.share', {
    onSuccess: () => {
      setShared(null);
      setConfirmUnshare(null);
    },
  });

  const add = useAdminMutation('gateways.add', { onSuccess: () => setForm(null) });
  const update = useAdminMutation('gateways.update', { onSuccess: () => setForm(null) });
  const remove = useAdminMutation('gateways.remove', { onSuccess: () => setConfirmRemove(null) });
  const test = useAdminMutation('gateways.test', {
    onSuccess: (r: GatewayTestResult, v) =>
      setResults((m) => ({ ...m, [v.id]: { kind: 'test', ok: r.ok, text: r.message, status: r.status } })),
    onError: (e, v) => setResults((m) => ({ ...m, [v.id]: { kind: 'test', ok: false, text: e.message } })),
  });
  const sync = useAdminMutation('gateways.sync', {
    onSuccess: (rs) =>
      setResults((m) => {
        const next = { ...m };
        for (const r of rs)
          next[r.gatewayId] = {
            kind: 'sync',
            ok: r.ok,
            // Parts refused (403 on tokens…): a partial sync, never shown as a plain success.
            partial: r.ok && !!r.warnings?.length,
            text: r.message,
          };
        return next;
      }),
  });

  const testDraft = useAdminMutation('gateways.testDraft');
  const commonOf = (form: FormState) => ({
    name: form.name.trim(),
    baseUrl: form.baseUrl.trim(),
    authType: form.authType,
    username: form.authType === 'basic' && form.username ? form.username : undefined,
    secret: form.secret && form.authType !== 'sso' ? form.secret : undefined,
    caFile: form.caFile.trim() ? form.caFile.trim() : undefined,
    timeoutMs: Number(form.timeoutMs) || 15000,
  });
  const inputOf = (form: FormState) => {
    return {
      kind: 'contextforge' as const,
      ...commonOf(form),
      ...(form.authType === 'sso'
        ? {
            ssoIssuer: form.ssoIssuer.trim(),
            ssoProviderId: form.ssoProviderId.trim() ? form.ssoProviderId.trim() : undefined,
          }
        : {}),
    };
  };
  /** Add = test first; saved straight away only when the test passed (or for SSO, tested after sign-in). */
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    if (form.id) {
      const common = commonOf(form);
      update.mutate({
        id: form.id,
        ...common,
        clearCaFile: !common.caFile,
        ...(form.expectedVersion ? { expectedVersion: form.expectedVersion } : {}),
      });
      return;
    }
    const input = inputOf(form);
    if (form.authType === 'sso') {
      add.mutate(input);
      return;
    }
    setDraftTest(null);
    add.reset();
    try {
      const r = await testDraft.mutateAsync(input);
      setDraftTest(r);
      if (r.ok) add.mutate(input);
    } catch (err) {
      setDraftTest({ ok: false, message: formError((err as Error).message) });
    }
  };
  const addAnyway = () => form && add.mutate(inputOf(form));
  const saveError = add.error ?? update.error;
  const openForm = (f: FormState) => {
    setDraftTest(null);
    testDraft.reset();
    setForm(f);
  };
  const gateways = list.data ?? [];
  const warning = gateways.find((g) => g.secretStoreWarning)?.secretStoreWarning;

  return (
    <section className="page gw-page" data-testid="page-gateways" aria-labelledby="gateways-title">
      <header className="page-header">
        <h1 id="gateways-title">Gateways</h1>
        <span className="page-sub">MCP gateways whose servers, teams and tokens Gatehouse reads</span>
        <span className="spacer" />
        {gateways.length > 0 && (
          <button
            type="button"
            className="btn"
            data-testid="gw-sync-all"
            disabled={sync.isPending}
            onClick={() => sync.mutate({})}
          >
            {sync.isPending ? 'Syncing…' : 'Sync all'}
          </button>
        )}
        <button
          type="button"
          className="btn btn-primary"
          data-testid="gw-add"
          onClick={() => {
            add.reset();
            openForm({ ...EMPTY_FORM });
          }}
        >
          Add gateway
        </button>
      </header>

      {warning && (
        <div className="callout gw-result-warn" role="status" data-testid="gw-secret-warning">
          {warning}
        </div>
      )}
      {list.isError && (
        <div className="callout callout-error" role="alert">
          Could not load gateways: {list.error.message}
        </div>
      )}

      {form && (
        <form
          className="panel"
          onSubmit={(e) => void save(e)}
          data-testid="gw-form"
          aria-label={form.id ? 'Edit gateway' : 'Add gateway'}
        >
          <header className="panel-head">
            <h2 className="gw-section-title">{form.id ? `Edit ${form.name}` : 'Add a gateway'}</h2>
            <span className="muted">The credential is kept in the OS secret store, never in Gatehouse's database.</span>
          </header>
          <div className="gw-form">
            <label>
              Kind
              <select className="select" value="contextforge" disabled aria-label="Kind">
                <option value="contextforge">IBM ContextForge</option>
              </select>
            </label>
            <label>
              Name
              <input
                className="input"
                required
                data-testid="gw-name"
                value={form.name}
                onChange={(e) => setForm({ ...form, name: e.target.value })}
                placeholder="contextforge-prod"
              />
            </label>
            <label>
              Base URL
              <input
                className="input"
                required
                type="url"
                data-testid="gw-url"
                value={form.baseUrl}
                onChange={(e) => setForm({ ...form, baseUrl: e.target.value })}
              />
            </label>
            <label>
              Auth
              <select
                className="select"
                data-testid="gw-auth"
                value={form.authType}
                onChange={(e) => setForm({ ...form, authType: e.target.value as FormState['authType'] })}
              >
                <option value="bearer">Bearer token</option>
                <option value="basic">Basic</option>
                <option value="none">None</option>
                <option value="sso">Sign in with SSO</option>
              </select>
            </label>
            {form.authType === 'sso' && (
              <>
                <label>
                  Identity provider (issuer)
                  <input
                    className="input"
                    data-testid="gw-sso-issuer"
                    value={form.ssoIssuer}
                    required
                    placeholder="https://login.example.com"
                    onChange={(e) => setForm({ ...form, ssoIssuer: e.target.value })}
                  />
                </label>
                <label>
                  Gateway SSO provider id (optional)
                  <input
                    className="input"
                    data-testid="gw-sso-provider"
                    value={form.ssoProviderId}
                    placeholder="its only provider"
                    onChange={(e) => setForm({ ...form, ssoProviderId: e.target.value })}
                  />
                </label>
                <p className="page-sub" data-testid="gw-sso-note">
                  After saving, sign in with <code>gatehouse gateway login {form.name || 'NAME'}</code>: the gateway
                  signs you in with your identity provider and Gatehouse keeps an expiring API token in the secret
                  store.
                </p>
              </>
            )}
            {form.authType === 'basic' && (
              <label>
                User name
                <input
                  className="input"
                  data-testid="gw-username"
                  value={form.username}
                  onChange={(e) => setForm({ ...form, username: e.target.value })}
                />
              </label>
            )}
            {form.authType !== 'none' && form.authType !== 'sso' && (
              <label>
                {form.authType === 'bearer' ? 'Token' : 'Password'}
                <input
                  className="input"
                  type="password"
                  autoComplete="off"
                  data-testid="gw-secret"
                  value={form.secret}
                  required={!form.id}
                  placeholder={form.id ? 'unchanged' : ''}
                  onChange={(e) => setForm({ ...form, secret: e.target.value })}
                />
              </label>
            )}
            <label>
              CA file (PEM, optional)
              <input
                className="input"
                data-testid="gw-ca"
                value={form.caFile}
                placeholder="/etc/ssl/private-ca.pem"
                onChange={(e) => setForm({ ...form, caFile: e.target.value })}
              />
            </label>
            <label>
              Timeout (ms)
              <input
                className="input"
                type="number"
                min={500}
                max={120000}
                data-testid="gw-timeout"
                value={form.timeoutMs}
                onChange={(e) => setForm({ ...form, timeoutMs: e.target.value })}
              />
            </label>
            <div className="gw-form-actions">
              <button
                type="submit"
                className="btn btn-primary"
                data-testid="gw-save"
                disabled={add.isPending || update.isPending || testDraft.isPending}
                title={form.id ? undefined : 'Tests the connection first; adds the gateway when the test passes'}
              >
                {form.id ? 'Save' : testDraft.isPending ? 'Testing…' : form.authType === 'sso' ? 'Add' : 'Test and add'}
              </button>
              <button type="button" className="btn btn-ghost" onClick={() => setForm(null)}>
                Cancel
              </button>
              {saveError && (
                <span className="callout callout-error" role="alert" data-testid="gw-save-error">
                  {formError(saveError.message)}
                </span>
              )}
            </div>
            {!form.id && draftTest && (
              <div
                className={`callout gw-draft-test ${draftTest.ok ? (draftTest.message.includes('lacks') ? 'gw-result-warn' : 'gw-result-ok') : 'callout-error'}`}
                role={draftTest.ok ? 'status' : 'alert'}
                data-testid="gw-draft-test"
                data-ok={draftTest.ok}
                data-status={draftTest.status}
              >
                <strong>{draftTest.ok ? 'Connection test passed' : 'Connection test failed'}:</strong>{' '}
                {draftTest.status === 'tls' ? 'Certificate problem — ' : ''}
                {draftTest.message}
                {!draftTest.ok && (
                  <div className="gw-draft-actions">
                    <span className="muted">
                      Fix the fields above and try again, or add it as it is and fix it later.
                    </span>
                    <button
                      type="button"
                      className="btn"
                      data-testid="gw-save-anyway"
                      disabled={add.isPending}
                      onClick={addAnyway}
                    >
                      Add anyway (untested)
                    </button>
                  </div>
                )}
              </div>
            )}
          </div>
        </form>
      )}

      {shared && (
        <div className="callout gw-result-ok gw-shared-note" role="status" data-testid="gw-shared">
          {shared.joinedBy !== null ? (
            <>
              {shared.name} joined the team&apos;s gateway (set by {shared.joinedBy}): nothing changed in the team
              store, your token stays on this workstation.
            </>
          ) : (
            <>Shared {shared.name} with the team: other admins see it and add their own token.</>
          )}{' '}
          {shared.undoVersion !== null && (
            <button
              type="button"
              className="btn btn-ghost"
              data-testid="gw-share-undo"
              disabled={unshare.isPending}
              onClick={() => unshare.mutate({ id: shared.id, mode: 'unshare', expectedVersion: shared.undoVersion! })}
            >
              Undo
            </button>
          )}
        </div>
      )}
      {unshare.error && (
        <p className="callout callout-error" role="alert" data-testid="gw-unshare-error">
          {unshare.error.message}
        </p>
      )}
      {remove.error && (
        // e.g. another admin changed the shared settings since this list was loaded.
        <p className="callout callout-error" role="alert" data-testid="gw-remove-error">
          {remove.error.message}
        </p>
      )}
      <table className="gw-table" data-testid="gw-list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Base URL</th>
            <th>Credential</th>
            <th>CA file</th>
            <th>Last test</th>
            <th>Last sync</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {list.isPending && (
            <tr>
              <td colSpan={8}>Loading…</td>
            </tr>
          )}
          {list.data && gateways.length === 0 && (
            <tr>
              <td colSpan={8} className="muted" data-testid="gw-empty">
                No gateways yet. Add one to bring its servers, teams and tokens into Gatehouse.
              </td>
            </tr>
          )}
          {gateways.map((g) => (
            <GatewayRow
              key={g.id}
              g={g}
              result={results[g.id]}
              busy={
                (test.isPending && test.variables?.id === g.id) ||
                (sync.isPending && (!sync.variables?.id || sync.variables.id === g.id))
              }
              confirming={confirmRemove === g.id}
              onTest={() => test.mutate({ id: g.id })}
              onSync={() => sync.mutate({ id: g.id })}
              onEdit={() => {
                update.reset();
                openForm({
                  id: g.id,
                  name: g.name,
                  baseUrl: g.baseUrl,
                  authType: g.authType,
                  username: g.username ?? '',
                  ssoIssuer: g.sso?.issuer ?? '',
                  ssoProviderId: g.sso?.providerId ?? '',
                  secret: '',
                  caFile: g.caFile ?? '',
                  timeoutMs: String(g.timeoutMs),
                  ...(g.team ? { expectedVersion: g.team.version } : {}),
                });
              }}
              onRemove={() =>
                confirmRemove === g.id
                  ? remove.mutate({ id: g.id, ...(g.team ? { expectedVersion: g.team.version } : {}) })
                  : setConfirmRemove(g.id)
              }
              onCancelRemove={() => setConfirmRemove(null)}
              onShare={() => {
                unshare.reset();
                setSharing(g);
              }}
              confirmingUnshare={confirmUnshare === g.id}
              onUnshare={() =>
                confirmUnshare === g.id
                  ? unshare.mutate({
                      id: g.id,
                      mode: 'unshare',
                      ...(g.team ? { expectedVersion: g.team.version } : {}),
                    })
                  : (unshare.reset(), setConfirmUnshare(g.id))
              }
              onCancelUnshare={() => setConfirmUnshare(null)}
            />
          ))}
        </tbody>
      </table>

      {sharing && (
        <GatewayShareDialog
          gateway={sharing}
          onClose={() => setSharing(null)}
          onShared={(r) => {
            setSharing(null);
            // A join offers no Undo: unsharing would take the team's gateway from every admin.
            setShared(sharedNote(r));
          }}
        />
      )}

      {gateways.length > 0 && (
        <section className="panel" aria-labelledby="gw-inv-title" data-testid="gw-inventory">
          <header className="panel-head">
            <h2 id="gw-inv-title" className="gw-section-title">
              What the gateways serve
            </h2>
            <span className="muted">merged with workstation entries on the same upstream URL</span>
          </header>
          <div className="panel-body">
            {inv.isError && (
              <div className="callout callout-error" role="alert">
                {inv.error.message}
              </div>
            )}
            {inv.data && <GatewayInventoryTables inv={inv.data} />}
          </div>
        </section>
      )}
    </section>
  );
}

function GatewayRow(props: {
  g: GatewayConnection;
  result?: SyncResult;
  busy: boolean;
  confirming: boolean;
  onTest(): void;
  onSync(): void;
  onEdit(): void;
  onRemove(): void;
  onCancelRemove(): void;
  onShare(): void;
  confirmingUnshare: boolean;
  onUnshare(): void;
  onCancelUnshare(): void;
}) {
  const { g, result } = props;
  return (
    <>
      <tr data-testid="gw-row" data-name={g.name} data-shared={g.team ? 'team' : g.localOnly ? 'local' : undefined}>
        <td>
          {g.name}{' '}
          {g.localOnly && (
            <span
              className="badge"
              data-testid="gw-local-only"
              title="Added before the team store was configured: only on this workstation. Share it with the team to let other admins use it."
            >
              local only
            </span>
          )}
          {g.team && (
            <span
              className="badge badge-ok"
              data-testid="gw-team"
              title={`Settings shared through the team store; last changed by ${g.team.updatedBy} at ${new Date(g.team.updatedAt).toLocaleString()}`}
            >
              team
            </span>
          )}
        </td>
        <td>ContextForge</td>
        <td className="mono">{g.baseUrl}</td>
        <td>
          {g.authType === 'none' ? (
            <span className="muted">none</span>
          ) : g.sso ? (
            <GatewaySso g={g} />
          ) : g.hasCredential ? (
            <span title={`stored in ${g.secretStore}`} data-testid="gw-credential">
              <span className="mono">{g.credentialHint ?? 'stored'}</span>{' '}
              <span className="faint">({g.secretStore})</span>
            </span>
          ) : g.team ? (
            // Shared settings, no token here: credentials are never shared through the team store.
            <span
              className="badge badge-warn"
              data-testid="gw-credential-own"
              title="Settings are shared through the team store; credentials are not. Edit the gateway and add your own token."
            >
              add your token
            </span>
          ) : (
            <span className="badge badge-danger">missing</span>
          )}
        </td>
        <td className="mono">{g.caFile ?? <span className="muted">system</span>}</td>
        <td>
          {g.lastTest ? (
            <span className={`badge ${g.lastTest.ok ? 'badge-ok' : 'badge-danger'}`} title={g.lastTest.message}>
              {g.lastTest.status}
            </span>
          ) : (
            <span className="muted">never</span>
          )}
        </td>
        <td>
          {g.lastSyncError ? (
            <span className="badge badge-danger" title={g.lastSyncError}>
              failed
            </span>
          ) : g.lastSyncAt ? (
            new Date(g.lastSyncAt).toLocaleString()
          ) : (
            <span className="muted">never</span>
          )}
        </td>
        <td>
          <span className="gw-actions">
            <button type="button" className="btn" data-testid="gw-test" disabled={props.busy} onClick={props.onTest}>
              Test
            </button>
            <button type="button" className="btn" data-testid="gw-sync" disabled={props.busy} onClick={props.onSync}>
              Sync
            </button>
            <button type="button" className="btn btn-ghost" data-testid="gw-edit" onClick={props.onEdit}>
              Edit
            </button>
            {g.localOnly && (
              <button type="button" className="btn" data-testid="gw-share" onClick={props.onShare}>
                Share with team…
              </button>
            )}
            {g.team && (
              <button
                type="button"
                className={`btn ${props.confirmingUnshare ? 'btn-primary' : 'btn-ghost'}`}
                data-testid="gw-unshare"
                title="Take the settings out of the team store: the gateway stays on this workstation only"
                onClick={props.onUnshare}
              >
                {props.confirmingUnshare ? 'Confirm remove from team' : 'Remove from team'}
              </button>
            )}
            {props.confirmingUnshare && (
              <button type="button" className="btn btn-ghost" onClick={props.onCancelUnshare}>
                Keep shared
              </button>
            )}
            <button
              type="button"
              className={`btn ${props.confirming ? 'btn-primary' : 'btn-ghost'}`}
              data-testid="gw-remove"
              onClick={props.onRemove}
            >
              {props.confirming ? 'Confirm remove' : 'Remove'}
            </button>
            {props.confirming && (
              <button type="button" className="btn btn-ghost" onClick={props.onCancelRemove}>
                Keep
              </button>
            )}
          </span>
        </td>
      </tr>
      {(result || g.lastSyncError) && (
        <tr>
          <td colSpan={8}>
            {result && (
              <div
                className={`callout ${result.partial ? 'gw-result-warn' : result.ok ? 'gw-result-ok' : 'callout-error'}`}
                role={result.ok && !result.partial ? 'status' : 'alert'}
                data-testid={`gw-${result.kind}-result`}
                data-ok={result.partial ? 'partial' : result.ok}
                data-status={result.status}
              >
                {result.kind === 'test' ? 'Test' : result.partial ? 'Sync incomplete' : 'Sync'}:{' '}
                {result.status === 'tls' ? 'Certificate problem — ' : ''}
                {result.text}
              </div>
            )}
            {!result && g.lastSyncError && (
              <div className="callout callout-error" role="alert">
                Last sync failed: {g.lastSyncError}
              </div>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
