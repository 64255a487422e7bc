import type { ReactNode } from 'react';
import type { CommandLine, CommandLineChange, CommandLineEnv } from '../../../../../shared/model/live.js';
import { routeHref } from '../../../app/router.js';
import './consent.css';

/** A value is hidden here (a credential): what is shown is not what runs. Nothing reveals it. */
export function MaskedBadge() {
  return (
    <span
      className="badge badge-warn"
      data-testid="masked-value"
      title="A credential is passed here; Gatehouse never shows its value"
    >
      masked value
    </span>
  );
}

const quote = (a: string) => (/\s/.test(a) || a === '' ? JSON.stringify(a) : a);

/** The command line as one string, as the dialog shows it. */
export function commandLineText(l: CommandLine): string {
  return [l.command, ...l.args].map(quote).join(' ');
}

/** Where the findings page lists this server's unpinned-runner finding (its fix pins a version). */
export function pinFixHref(l: CommandLine): string {
  const q = new URLSearchParams({ rule: 'runner.unpinned', q: l.serverName });
  return `${routeHref('findings')}?${q.toString()}`;
}

/**
 * The service's warnings (today: an unpinned package runner, `npx -y pkg` / `uvx pkg` without a
 * version, which runs whatever is latest at each start), with the way to pin it.
 */
export function ConsentWarnings({ line }: { line: CommandLine }) {
  return (
    <>
      {line.warnings?.map((w) => (
        <div
          key={w}
          className="callout callout-warn"
          role="alert"
          data-testid="consent-warning"
          data-unpinned={line.unpinned ? 'true' : undefined}
        >
          {w}
          {line.unpinned && (
            <>
              {' '}
              Consent covers this command, not the code it fetches.{' '}
              <a href={pinFixHref(line)} data-testid="consent-pin-fix">
                Pin a version
              </a>{' '}
              (the <code>runner.unpinned</code> fix writes the exact version you reviewed into the config).
            </>
          )}
        </div>
      ))}
    </>
  );
}

const FIELD_LABEL: Record<CommandLineChange['field'], string> = {
  command: 'Command',
  args: 'Arguments',
  cwd: 'Working directory',
  env: 'Env',
  url: 'URL',
};

function Side({ value, kind }: { value: string | undefined; kind: 'before' | 'after' }) {
  if (value === undefined) return <span className="faint">{kind === 'before' ? '—' : 'hidden'}</span>;
  return (
    <code className={`consent-diff-${kind}`} data-testid={`consent-diff-${kind}`}>
      {value === '' ? '""' : value}
    </code>
  );
}

/** What changed since the previous consent, part by part; hidden values are named, never shown. */
export function ConsentChanges({ line }: { line: CommandLine }) {
  const changes = line.changes;
  if (!changes?.length) return null;
  return (
    <div className="consent-diff" data-testid="consent-diff">
      <div className="consent-diff-head">
        <strong>Changed since your consent</strong>
        {line.previousGrantedAt && (
          <span className="muted"> of {new Date(line.previousGrantedAt).toLocaleString()}</span>
        )}
      </div>
      <table className="consent-diff-table">
        <thead>
          <tr>
            <th scope="col">What</th>
            <th scope="col">Consented</th>
            <th scope="col">Now</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((c, i) => (
            <tr
              key={i}
              data-testid="consent-diff-row"
              data-field={c.field}
              data-key={c.key}
              data-change={c.change}
              data-hidden={c.hidden ? 'true' : 'false'}
            >
              <th scope="row">
                {FIELD_LABEL[c.field]}
                {c.key ? (
                  <>
                    {' '}
                    <span className="key-chip">{c.key}</span>
                  </>
                ) : null}{' '}
                <span className={c.change === 'modified' ? 'badge badge-warn' : 'badge'}>{c.change}</span>
              </th>
              <td>
                {c.change === 'added' ? <span className="faint">—</span> : <Side value={c.before} kind="before" />}
              </td>
              <td>
                {c.change === 'removed' ? <span className="faint">—</span> : <Side value={c.after} kind="after" />}
                {c.hidden && (
                  <span className="muted" title="The value is a credential (or was kept only as a keyed hash)">
                    {' '}
                    (a hidden value changed)
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function envRowsOf(l: CommandLine): CommandLineEnv[] {
  return (
    l.env ??
    l.envKeys.map((key) => ({ key, source: 'literal' as const, refs: [], unresolved: [], affectsExecution: false }))
  );
}

/** One env variable: its value when it is not a secret, else where it comes from. */
function EnvVar({ e }: { e: CommandLineEnv }) {
  return (
    <li data-testid="consent-env-var" data-key={e.key} data-source={e.source}>
      <span className="key-chip">{e.key}</span>
      {e.value !== undefined ? (
        <>
          {' = '}
          <code className="key-chip" data-testid="consent-env-value">
            {e.value === '' ? '""' : e.value}
          </code>
          {e.valueMasked && <MaskedBadge />}{' '}
        </>
      ) : (
        ' '
      )}
      <span className="muted">
        {e.source === 'literal'
          ? e.value !== undefined
            ? 'literal'
            : 'literal (secret: value hidden)'
          : `from ${e.refs.map((r) => `$${r}`).join(', ')}`}
      </span>
      {e.unresolved.length > 0 && (
        <span className="badge badge-warn" data-testid="consent-env-unresolved">
          unresolved: {e.unresolved.join(', ')}
        </span>
      )}
      {e.affectsExecution && (
        <span
          className="badge badge-warn"
          title="Changes what runs (interpreter options, preloads, search paths): shown in clear, and consent covers its value"
        >
          affects execution
        </span>
      )}
    </li>
  );
}

/**
 * Everything one server's consent covers: the stdio command line (command, arguments, env,
 * working directory) or the remote URL, where it is configured, and its fingerprint.
 */
export function ConsentDetails({ line: l, compact = false }: { line: CommandLine; compact?: boolean }) {
  const remote = l.kind === 'remote';
  const row = (label: string, value: ReactNode) => (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  );
  const origin = (
    <>
      {!compact && row('Server', `${l.serverName} (${l.client})`)}
      {l.source &&
        row(
          'Config file',
          <span className="keys">
            <code data-testid="consent-source">{l.source}</code>
            {l.projectFile && (
              <span
                className="badge badge-warn"
                data-testid="consent-project-file"
                title="This file belongs to a project folder: its content comes with the repository, not from you"
              >
                project file
              </span>
            )}
          </span>,
        )}
      {l.projectDir &&
        row(
          'Project folder',
          <span className="keys">
            <code data-testid="consent-project-dir">{l.projectDir}</code>
            {l.projectTrusted && <span className="badge">trusted</span>}
          </span>,
        )}
    </>
  );
  const unresolved =
    l.unresolvedEnv.length > 0 &&
    row(
      'Unresolved',
      <span className="badge badge-warn">not set in your environment: {l.unresolvedEnv.join(', ')}</span>,
    );
  if (remote) {
    return (
      <>
        <div className="gh-cmd" data-testid="consent-url">
          {l.url}
        </div>
        <dl className="detail">
          {origin}
          {unresolved}
          {row('Fingerprint', <code className="muted">{l.hash.slice(0, 20)}…</code>)}
        </dl>
      </>
    );
  }
  const env = envRowsOf(l);
  return (
    <>
      <div className="gh-cmd" data-testid="consent-command">
        {commandLineText(l)}
      </div>
      <dl className="detail">
        {origin}
        {!compact &&
          row(
            'Command',
            <span className="keys">
              <code data-testid="consent-program">{l.command}</code>
              {l.commandMasked && <MaskedBadge />}
              {l.commandRefs?.length ? (
                <span className="muted">from {l.commandRefs.map((r) => `$${r}`).join(', ')}</span>
              ) : null}
            </span>,
          )}
        {row(
          'Arguments',
          l.args.length ? (
            <ol className="arg-list" data-testid="consent-args">
              {(l.argList ?? l.args.map((value) => ({ value, masked: false }))).map((a, i) => (
                <li key={i} data-testid="consent-arg" data-masked={a.masked ? 'true' : 'false'}>
                  <code className="key-chip">{a.value}</code>
                  {a.masked && <MaskedBadge />}
                </li>
              ))}
            </ol>
          ) : (
            <span className="faint">—</span>
          ),
        )}
        {row(
          'Env variables',
          env.length ? (
            <ul className="env-list" data-testid="consent-env">
              {env.map((e) => (
                <EnvVar key={e.key} e={e} />
              ))}
            </ul>
          ) : (
            <span className="faint">none</span>
          ),
        )}
        {row(
          'Working directory',
          l.cwd ? <code data-testid="consent-cwd">{l.cwd}</code> : <span className="faint">unknown</span>,
        )}
        {unresolved}
        {row('Fingerprint', <code className="muted">{l.hash.slice(0, 20)}…</code>)}
      </dl>
    </>
  );
}

/** The callouts to read before consenting: what changed, legacy consent, unpinned runner, warnings. */
export function ConsentNotices({ line: l }: { line: CommandLine }) {
  const remote = l.kind === 'remote';
  return (
    <>
      {l.changedSinceConsent && (
        <div className="callout callout-warn" data-testid="consent-changed">
          {remote
            ? 'URL changed since consent: this server is no longer at the address you agreed to. Review it again.'
            : 'Command line changed since consent: what this server runs is no longer what you agreed to. Review it again.'}
        </div>
      )}
      <ConsentChanges line={l} />
      {l.legacyConsent && (
        <div className="callout callout-warn" data-testid="consent-legacy">
          Your earlier consent was given before consents were bound to the server (client, config file, name), so
          another project&apos;s server with the same command line could have used it. Review it again.
        </div>
      )}
      <ConsentWarnings line={l} />
    </>
  );
}
