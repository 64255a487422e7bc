import type { RuleId, Severity } from '../../../shared/model/finding.js';

/** Title, default severity and help text of every rule id (SARIF rules, UI, CLI). */
/** Rule ids of the findings and live-inventory rules (other capabilities' rule ids carry their own meta). */
export type StaticOrLiveRuleId = Exclude<RuleId, `scope.${string}`>;

export interface RuleMeta {
  title: string;
  severity: Severity;
  help: string;
}

export const RULE_META: Record<StaticOrLiveRuleId, RuleMeta> = {
  'secret.literal': {
    title: 'Credential written literally in a config file',
    severity: 'high',
    help: "A credential sits in plain text in an MCP client configuration file, where backups, sync tools, screen shares and other programs can read it. Replace it with the client's secret reference (environment variable, input prompt or vault wrapper) and rotate it.",
  },
  'secret.in-args': {
    title: 'Credential passed on the command line',
    severity: 'high',
    help: 'A credential is passed as a command-line argument of a stdio server; every local user can read it from the process list. Pass it through the environment (with a reference, not a literal) and rotate it.',
  },
  'secret.in-url': {
    title: 'Credential in a URL',
    severity: 'high',
    help: 'A credential is embedded in a server URL (query string or user:password@). URLs end up in logs, proxies and browser history. Send it in a header that references a variable instead, and rotate it.',
  },
  'secret.reused': {
    title: 'Same credential used by several servers or clients',
    severity: 'medium',
    help: 'The same credential (same keyed fingerprint) is configured for more than one server or client, so one leak exposes all of them and it cannot be revoked for one alone. Issue one credential per server and client.',
  },
  'secret.project-file': {
    title: 'Credential in a project-scope config file',
    severity: 'high',
    help: 'A literal credential sits in a project-scope file that is likely committed and shared with everyone who clones the repository. Replace it with a reference, make sure the file is not committed, and rotate the credential (assume it is in the git history).',
  },
  'config.permissions': {
    title: 'Config file with credentials is readable by other users',
    severity: 'medium',
    help: "A configuration file that holds credentials can be read by the file's group or by every user (mode & 0o077). Restrict it to its owner (chmod 600) or move the credentials out.",
  },
  'transport.plaintext': {
    title: 'Remote server over plain HTTP',
    severity: 'high',
    help: 'A remote MCP server is reached over http:// on a non-loopback host: requests, tool results and any credentials travel unencrypted. Use https://.',
  },
  'auth.none': {
    title: 'Remote server answers without credentials',
    severity: 'high',
    help: 'The remote server answered MCP initialize/tools/list without any credentials: anyone who can reach it can use its tools.',
  },
  'auth.static': {
    title: 'Static credential for a server that supports OAuth',
    severity: 'medium',
    help: 'The server advertises OAuth (protected-resource metadata) but is configured with a static credential. Remove the static header and let the client run the OAuth flow, which gives short-lived, revocable, scoped tokens.',
  },
  'runner.unpinned': {
    title: 'Package runner without a pinned version',
    severity: 'low',
    help: 'npx/uvx/pipx/docker fetches and runs whatever the registry serves today (no version, a range, latest or a mutable tag). Pin an exact version (or an image digest) so a compromised or changed release is not picked up silently.',
  },
  'command.inline-shell': {
    title: 'Shell or interpreter with an inline script',
    severity: 'medium',
    help: 'The server is started through a shell or interpreter with an inline script (sh -c, node -e, python -c, curl | sh, powershell -Command). That script can do anything and is hard to review. Run the server binary directly with explicit arguments.',
  },
  'package.vulnerable': {
    title: 'Server package with a known advisory',
    severity: 'high',
    help: 'The configured server package version is affected by a published security advisory. Upgrade to the fixed version and pin it.',
  },
  'tool.poisoning': {
    title: 'Hidden instructions in a tool description',
    severity: 'high',
    help: 'A tool, prompt or resource description contains instructions aimed at the model (instruction tags, "ignore previous", requests to read secrets). Remove the server or report it to its maintainer.',
  },
  'tool.hidden-unicode': {
    title: 'Invisible characters in a tool definition',
    severity: 'high',
    help: 'A name or description contains invisible Unicode (tag characters, bidi controls, zero-width) or ANSI escapes that can hide instructions from the user.',
  },
  'tool.shadowing': {
    title: "Tool shadows another server's tool",
    severity: 'medium',
    help: "A tool description names or overrides another server's tools, or two servers expose tools with the same name.",
  },
  'tool.changed': {
    title: 'Tool definition changed since it was pinned',
    severity: 'high',
    help: 'A tool, prompt or resource definition differs from its pinned version. Review the diff and re-pin only if the change is expected.',
  },
  'server.unreachable': {
    title: 'Server could not be reached',
    severity: 'info',
    help: 'The server could not be started or reached; see the reason.',
  },
};

/** Meta of any rule id (a neutral fallback for ids owned by other capabilities). */
export function ruleMeta(id: RuleId): RuleMeta {
  return (RULE_META as Partial<Record<RuleId, RuleMeta>>)[id] ?? { title: id, severity: 'medium', help: `Rule ${id}.` };
}
