import { dirname, resolve } from 'node:path';
import canonicalize from 'canonicalize';
import type { CommandLine, UnpinnedRunner } from '../../../shared/model/live.js';
import type { RawServer } from '../discovery/types.js';
import { runnerTarget } from '../findings/rules/runner.js';
import type { Fingerprinter } from '../secrets/fingerprint.js';
import { isSecretName, maskConfigValue, maskUrl, secretsInConfig, wouldMask } from '../secrets/redact.js';
import { resolveCommandLine, sha256, type ResolvedCommandLine } from './command-line.js';
import { referencedNames, resolveValue, type EnvSource } from './env.js';
import {
  changeText,
  consentedLineFromRow,
  consentedLineOf,
  diffConsentedLines,
  type ConsentedLine,
} from './consent-diff.js';
import type { LiveStore } from './store.js';

/**
 * Who must agree before Gatehouse touches a configured server, and what that agreement is keyed by.
 *
 * - Stdio servers (any scope) start only with a consent to their exact command line.
 * - Remote servers whose config comes from a project file — a file inside a project folder, i.e.
 *   content of a (possibly cloned, hostile) repository: `.mcp.json`, `.cursor/mcp.json`,
 *   `.vscode/mcp.json`, `.continue/mcpServers/*`… — are not contacted at all (no auth probe, no
 *   metadata fetch, no connect) until the admin consents to that server's URL (origin + path) or
 *   trusts the project folder.
 * - Remote servers from user-scope files (the admin's own: `~/.cursor/mcp.json`…), from Claude
 *   Code's local scope (written by `claude mcp add` into the admin's own `~/.claude.json`, scope
 *   `project` but carrying `entry.project`) and from managed files (root-owned) are the admin's
 *   own choice and are contacted without asking.
 *
 * Every consent key binds the server identity — client, config file path, server name — to what it
 * covers (the command-line hash or the URL's origin + path), so a consent to one project's server
 * is never replayed by another project's server with the same command line or URL. Keys are keyed
 * HMACs (per-install key): nothing unkeyed of a resolved value is stored.
 */

/** Version of the consent key shape. v2 (command-line hash only) consents are `legacy`. */
const KEY_VERSION = 3;

/** Shown (and stored) when a stdio server's command line no longer matches its consent. */
export const CHANGED_SINCE_CONSENT = 'command line changed since consent';
/** Shown when a project remote server's URL no longer matches its consent. */
export const URL_CHANGED_SINCE_CONSENT = 'URL changed since consent';
/** Shown when the only consent of a server predates server-bound consents. */
export const LEGACY_CONSENT =
  'consent given before consents were bound to the server (client, file, name): review it again';
export const WAITING_STDIO = 'waiting for consent to start this command';
export const WAITING_REMOTE =
  'remote server from a project file: waiting for consent to contact its URL (or trust the project)';

/** The config file lies in a project folder (its content is the repository's, not the admin's). */
export function isProjectFile(s: Pick<RawServer, 'entry'>): boolean {
  return s.entry.scope === 'project' && s.entry.project === undefined;
}

/** Project-relative config paths (shared/reference/client-configs.md), to find the folder. */
const PROJECT_FILE_SUFFIX =
  /\/(?:\.mcp\.json|\.(?:cursor|vscode|roo|amazonq)\/[^/]+\.json|\.(?:zed|gemini)\/settings\.json|\.codex\/config\.toml|\.kiro\/settings\/mcp\.json|\.junie\/mcp\/mcp\.json|\.continue\/mcpServers\/[^/]+|opencode\.jsonc?)$/;

/**
 * The project folder a project file belongs to: the longest configured project folder holding it,
 * else the folder the known project-relative path hangs from, else the file's folder.
 */
export function projectDirOf(source: string, projects: readonly string[] = []): string {
  const file = resolve(source);
  let best: string | undefined;
  for (const p of projects) {
    const dir = resolve(p);
    const prefix = dir.endsWith('/') || dir.endsWith('\\') ? dir : dir + (file.includes('\\') ? '\\' : '/');
    if (file.startsWith(prefix) && (!best || dir.length > best.length)) best = dir;
  }
  if (best) return best;
  const m = PROJECT_FILE_SUFFIX.exec(file.replaceAll('\\', '/'));
  return m ? file.slice(0, m.index) || '/' : dirname(file);
}

function keyOf(fp: Fingerprinter, body: unknown): string {
  // 64 hex chars (the API's consent-hash shape), derived from the keyed HMAC: still keyed.
  return sha256(fp(canonicalize(body) ?? ''));
}

function identityOf(s: RawServer) {
  return { client: s.entry.client, source: resolve(s.entry.source), name: s.entry.name };
}

/** Consent key of a stdio server: its identity and its command-line hash. */
export function stdioConsentKey(s: RawServer, lineHash: string, fp: Fingerprinter): string {
  return keyOf(fp, { v: KEY_VERSION, kind: 'stdio', ...identityOf(s), line: lineHash });
}

/** Consent key of a remote server: its identity and its URL's origin + path. */
export function remoteConsentKey(s: RawServer, originPath: string, fp: Fingerprinter): string {
  return keyOf(fp, { v: KEY_VERSION, kind: 'remote', ...identityOf(s), url: originPath });
}

/**
 * Key of a remote server's OAuth session (secret-store entry and session row): its identity and
 * its URL's origin + path, as for consent, so one project's sign-in never serves another's server.
 */
export function oauthSessionKey(s: RawServer, originPath: string, fp: Fingerprinter): string {
  return keyOf(fp, { v: KEY_VERSION, kind: 'oauth', ...identityOf(s), url: originPath });
}

/** Key of the trust of a project folder. */
export function projectTrustKey(dir: string, fp: Fingerprinter): string {
  return keyOf(fp, { v: KEY_VERSION, kind: 'project', dir: resolve(dir) });
}

/** A URL's origin + path (no userinfo, query or fragment); undefined when it does not parse. */
export function originAndPath(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return undefined;
  }
}

export interface ConsentContext {
  env: EnvSource;
  fingerprint: Fingerprinter;
  home?: string;
  /** The workstation's project folders (to name a project file's folder). */
  projects?: readonly string[];
}

/** Where one server stands with respect to consent. */
export interface ConsentState {
  kind: 'stdio' | 'remote';
  /** A consent (or project trust) is needed before anything touches this server. */
  required: boolean;
  /** The consent key (what `live.grantConsent` stores). */
  key: string;
  consented: boolean;
  /** Consented through the trust of its project folder. */
  viaProject: boolean;
  projectFile: boolean;
  projectDir?: string;
  projectKey?: string;
  /** Why it waits (status `needs-consent`), when it does. */
  reason?: string;
  /** Stdio: the resolved command line. */
  line?: ResolvedCommandLine;
  /** Remote: the resolved URL's origin + path (unmasked; never stored or shown as is). */
  originPath?: string;
  /** Referenced variables not set in the admin's environment. */
  unresolved: string[];
  changedSinceConsent: boolean;
  legacyConsent: boolean;
}

/** The consent state of a stdio or remote server (other transports: undefined). */
export function consentStateOf(s: RawServer, ctx: ConsentContext, store: LiveStore): ConsentState | undefined {
  const projectFile = isProjectFile(s);
  const projectDir = projectFile ? projectDirOf(s.entry.source, ctx.projects) : undefined;
  const projectKey = projectDir ? projectTrustKey(projectDir, ctx.fingerprint) : undefined;
  const base = {
    projectFile,
    ...(projectDir ? { projectDir } : {}),
    ...(projectKey ? { projectKey } : {}),
  };
  const other = (key: string, kind: 'stdio' | 'remote') => store.otherConsent(s.entry.id, key, kind);
  if (s.entry.transport === 'stdio') {
    const line = resolveCommandLine(s, {
      env: ctx.env,
      fingerprint: ctx.fingerprint,
      ...(ctx.home ? { home: ctx.home } : {}),
    });
    const key = stdioConsentKey(s, line.hash, ctx.fingerprint);
    const consented = store.consent(key) !== null;
    const prior = consented ? null : other(key, 'stdio');
    return {
      kind: 'stdio',
      required: true,
      key,
      consented,
      viaProject: false,
      ...base,
      line,
      unresolved: line.unresolved,
      changedSinceConsent: prior === 'changed',
      legacyConsent: prior === 'legacy',
      ...(consented
        ? {}
        : {
            reason: prior === 'changed' ? CHANGED_SINCE_CONSENT : prior === 'legacy' ? LEGACY_CONSENT : WAITING_STDIO,
          }),
    };
  }
  if (s.entry.transport === 'http' || s.entry.transport === 'sse') {
    const { value: url, unresolved } = resolveValue(s.raw.url ?? '', ctx.env, s.entry.client);
    const originPath = originAndPath(url) ?? url;
    const key = remoteConsentKey(s, originPath, ctx.fingerprint);
    if (!projectFile) {
      return {
        kind: 'remote',
        required: false,
        key,
        consented: true,
        viaProject: false,
        ...base,
        originPath,
        unresolved,
        changedSinceConsent: false,
        legacyConsent: false,
      };
    }
    const own = store.consent(key) !== null;
    const viaProject = !own && projectKey !== undefined && store.consent(projectKey) !== null;
    const consented = own || viaProject;
    const prior = consented ? null : other(key, 'remote');
    return {
      kind: 'remote',
      required: true,
      key,
      consented,
      viaProject,
      ...base,
      originPath,
      unresolved,
      changedSinceConsent: prior === 'changed',
      legacyConsent: false,
      ...(consented ? {} : { reason: prior === 'changed' ? URL_CHANGED_SINCE_CONSENT : WAITING_REMOTE }),
    };
  }
  return undefined;
}

/**
 * A warning for package runners that fetch whatever is current (`npx -y pkg`, `uvx pkg`,
 * `docker run img:latest`): consenting to this command line is consenting to unpinned code.
 */
export function unpinnedWarning(s: RawServer): string | undefined {
  const t = runnerTarget(s);
  if (!t || t.pinned) return undefined;
  const what = t.ecosystem === 'oci' ? 'image' : 'package';
  const version = t.version ? `"${t.version}" is not an exact version` : 'no version is pinned';
  return `${t.runner} downloads and runs ${what} ${t.name} as it is at each start, whatever is latest then (${version}): unpinned code, which can change without the command line changing.`;
}

/** The unpinned runner of a stdio server's command line, if any (what `unpinnedWarning` says). */
export function unpinnedRunnerOf(s: RawServer): UnpinnedRunner | undefined {
  const t = runnerTarget(s);
  if (!t || t.pinned) return undefined;
  return { runner: t.runner, ecosystem: t.ecosystem, name: t.name, ...(t.version ? { version: t.version } : {}) };
}

/** Longest configured value shown in the dialog; longer ones are hidden (the masker hides them whole too). */
const MAX_SHOWN_VALUE = 1024;

/**
 * Whether a configured env value may be shown in clear: its name is not a secret name and the
 * shared masker (the same decision every display and the findings detector use) leaves the value
 * as it is. Paths, flags, regions, log levels are shown; credentials, placeholders in secret
 * positions and credential-shaped values are not.
 */
export function isShowableEnvValue(key: string, value: string): boolean {
  if (isSecretName(key) || value.length > MAX_SHOWN_VALUE) return false;
  if (value === '') return true;
  const c = { field: 'env' as const, name: key, value };
  return !wouldMask(value) && maskConfigValue(c) === value && secretsInConfig(c).length === 0;
}

/** What the consent dialog (UI and CLI) shows for one server. */
export function consentRequestOf(s: RawServer, state: ConsentState, projectTrusted: boolean): CommandLine {
  const common = {
    serverId: s.entry.id,
    client: s.entry.client,
    serverName: s.entry.name,
    kind: state.kind,
    scope: s.entry.scope,
    source: s.entry.source,
    hash: state.key,
    projectFile: state.projectFile,
    ...(state.projectDir ? { projectDir: state.projectDir, projectTrusted } : {}),
    consentRequired: state.required,
    consented: state.consented,
    changedSinceConsent: state.changedSinceConsent,
    ...(state.legacyConsent ? { legacyConsent: true } : {}),
  };
  if (state.kind === 'remote') {
    return {
      ...common,
      url: maskUrl(state.originPath ?? ''),
      command: '',
      args: [],
      envKeys: [],
      env: [],
      warnings: [],
      unresolvedEnv: state.unresolved,
    };
  }
  const line = state.line!;
  const commandRefs = referencedNames(s.raw.command ?? '', s.entry.client);
  const warning = unpinnedWarning(s);
  const unpinned = unpinnedRunnerOf(s);
  return {
    ...common,
    command: line.shown.command,
    ...(line.shown.commandMasked ? { commandMasked: true } : {}),
    ...(commandRefs.length ? { commandRefs } : {}),
    args: line.shown.args.map((a) => a.value),
    argList: line.shown.args,
    envKeys: line.shown.env.map((e) => e.key),
    env: line.shown.env.map((e) => {
      const value = line.env[e.key] ?? '';
      if (!e.affectsExecution) {
        // A literal written in the config: shown when it is not a secret (references stay names:
        // their value is the admin's own environment).
        return e.source === 'literal' && isShowableEnvValue(e.key, value) ? { ...e, value } : e;
      }
      // Not a secret, and it changes what runs: shown in clear unless it looks like a credential.
      const masked = wouldMask(value) || isSecretName(e.key) || value.length > MAX_SHOWN_VALUE;
      return { ...e, value: masked ? '****' : value, ...(masked ? { valueMasked: true } : {}) };
    }),
    cwd: line.cwd,
    warnings: warning ? [warning] : [],
    ...(unpinned ? { unpinned } : {}),
    unresolvedEnv: line.unresolved,
  };
}

/**
 * The dialog's view of one server, and what a consent to it keeps (masked line, keyed part
 * hashes); when it changed since consent, what differs from the previous consent.
 */
export function consentViewOf(
  s: RawServer,
  state: ConsentState,
  store: LiveStore,
  projectTrusted: boolean,
): { line: CommandLine; kept: ConsentedLine } {
  const line = consentRequestOf(s, state, projectTrusted);
  const kept = consentedLineOf(line, state.line?.parts);
  if (state.changedSinceConsent) {
    const prev = store.previousConsent(s.entry.id, state.key, state.kind);
    if (prev) {
      line.changes = diffConsentedLines(prev.line ?? consentedLineFromRow(prev.consent), kept);
      line.previousGrantedAt = prev.consent.grantedAt;
    }
  }
  return { line, kept };
}

/** Kind of a stored consent that is not the one asked for (see LiveStore.otherConsent). */
export type PriorConsent = 'changed' | 'legacy' | null;

/** The consent dialog as plain text (the CLI's prompt and `--yes` report). */
export function consentText(l: CommandLine): string {
  const out: string[] = [];
  const where = `${l.serverName} (${l.client}, ${l.source ?? ''}${l.projectFile ? ', project file' : ''})`;
  if (l.kind === 'remote') {
    out.push(`  remote server ${where}`, `    contacts: ${l.url ?? ''}`);
    if (l.projectDir) out.push(`    project folder: ${l.projectDir}${l.projectTrusted ? ' (trusted)' : ''}`);
  } else {
    const quote = (a: string) => (/\s/.test(a) || a === '' ? JSON.stringify(a) : a);
    out.push(`  stdio server ${where}`, `    runs: ${[l.command, ...l.args].map(quote).join(' ')}`);
    if (l.cwd) out.push(`    in: ${l.cwd}`);
    for (const e of l.env ?? []) {
      const shown =
        e.value !== undefined
          ? `${e.key}=${e.value}${e.valueMasked ? ' (masked)' : ''}${e.affectsExecution ? ' (affects execution)' : ''}`
          : `${e.key} ${e.source === 'literal' ? '(value hidden)' : `from ${e.refs.map((r) => `$${r}`).join(', ')}`}`;
      out.push(`    env: ${shown}`);
    }
  }
  for (const w of l.warnings ?? []) out.push(`    warning: ${w}`);
  for (const c of l.changes ?? []) out.push(`    changed: ${changeText(c)}`);
  if (l.changedSinceConsent)
    out.push(`    note: ${l.kind === 'remote' ? URL_CHANGED_SINCE_CONSENT : CHANGED_SINCE_CONSENT}`);
  if (l.legacyConsent) out.push(`    note: ${LEGACY_CONSENT}`);
  return out.join('\n') + '\n';
}
