import { z } from 'zod';
import { ClientId, Scope } from './discovery.js';

/**
 * Live inventory: what each configured MCP server actually exposes when connected, its pins
 * (hashes of definitions first seen) and the history of snapshots. Tool texts are untrusted data:
 * render as plain text only.
 */

/** How a remote server authenticates, probed without credentials. `n/a` for stdio servers. */
export const AuthMode = z.enum(['oauth', 'static', 'none', 'unknown', 'n/a']);
export type AuthMode = z.infer<typeof AuthMode>;

/** Per-server outcome of a live scan (and live state in the inventory; `idle` = not connected yet). */
export const LiveStatus = z.enum([
  'ok',
  'error',
  'needs-consent',
  'needs-sign-in',
  'session-expired',
  'skipped',
  'cancelled',
  'connecting',
  'idle',
]);
export type LiveStatus = z.infer<typeof LiveStatus>;

const Json = z.record(z.string(), z.unknown());

export const ToolDef = z.object({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  inputSchema: Json.optional(),
  outputSchema: Json.optional(),
  annotations: Json.optional(),
});
export type ToolDef = z.infer<typeof ToolDef>;

export const PromptDef = z.object({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  arguments: z.array(Json).optional(),
});
export type PromptDef = z.infer<typeof PromptDef>;

export const ResourceDef = z.object({
  uri: z.string(),
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  mimeType: z.string().optional(),
});
export type ResourceDef = z.infer<typeof ResourceDef>;

export const ResourceTemplateDef = z.object({
  uriTemplate: z.string(),
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  mimeType: z.string().optional(),
});
export type ResourceTemplateDef = z.infer<typeof ResourceTemplateDef>;

/** What was enumerated from one server in one scan. */
export const ServerSnapshot = z.object({
  /** Snapshot id (store row), 0 before it is stored. */
  id: z.number().int(),
  scanId: z.number().int(),
  /** ServerEntry id (client, file, pointer). */
  serverId: z.string(),
  /** Pin key: hash of client, config file, server name and command line or URL. */
  identity: z.string(),
  client: ClientId,
  serverName: z.string(),
  source: z.string(),
  transport: z.string(),
  at: z.string(),
  durationMs: z.number(),
  status: LiveStatus,
  /** Why the server could not be enumerated (status error), never containing secrets. */
  error: z.string().optional(),
  /** Last lines the server wrote to stderr, when it failed. */
  stderrTail: z.string().optional(),
  authMode: AuthMode.optional(),
  /** What the auth probe learnt (remote servers). */
  authProbe: z
    .object({
      answersWithoutCredentials: z.boolean(),
      advertisesOAuth: z.boolean(),
      resourceMetadataUrl: z.string().optional(),
      authorizationServers: z.array(z.string()).optional(),
      credentialConfigured: z.boolean(),
      credentialAccepted: z.boolean().optional(),
      unauthenticatedStatus: z.number().int().optional(),
    })
    .optional(),
  /** Transport actually used for a remote server (`http` or `sse` after fallback). */
  connectedVia: z.enum(['stdio', 'http', 'sse']).optional(),
  serverInfo: z.object({ name: z.string(), version: z.string(), title: z.string().optional() }).optional(),
  protocolVersion: z.string().optional(),
  capabilities: Json.optional(),
  instructions: z.string().optional(),
  tools: z.array(ToolDef),
  prompts: z.array(PromptDef),
  resources: z.array(ResourceDef),
  resourceTemplates: z.array(ResourceTemplateDef),
  /** Pin hash per `kind:name` (tool, prompt, resource, resourceTemplate, instructions), over full definitions. */
  hashes: z.record(z.string(), z.string()),
  /** Environment references that were not set in the admin's environment (names only). */
  unresolvedEnv: z.array(z.string()),
  /** Definitions that differ when listed under another client's name (bait-and-switch check), as `kind:name`. */
  clientDependent: z.array(z.string()).optional(),
  /** Limits that were hit (truncations, dropped notifications), in words. */
  limits: z.array(z.string()),
});
export type ServerSnapshot = z.infer<typeof ServerSnapshot>;

/** Sign-in of an OAuth-protected remote server. */
export const SignInState = z.enum(['needs-sign-in', 'signed-in', 'session-expired']);
export type SignInState = z.infer<typeof SignInState>;

/** A step of a sign-in (the `live.signIn` progress event). */
export const SignInStage = z.enum(['waiting', 'exchanging', 'verifying', 'signed-in', 'failed']);
export type SignInStage = z.infer<typeof SignInStage>;

/** One row of the inventory's live state. */
export const LiveServerState = z.object({
  serverId: z.string(),
  identity: z.string().optional(),
  status: LiveStatus,
  authMode: AuthMode.optional(),
  toolCount: z.number().int().optional(),
  promptCount: z.number().int().optional(),
  resourceCount: z.number().int().optional(),
  error: z.string().optional(),
  at: z.string().optional(),
  snapshotId: z.number().int().optional(),
  /** Pending (unaccepted) definition changes. */
  changes: z.number().int().optional(),
  /** OAuth-protected remote server: where its sign-in stands (no token is ever shown). */
  signIn: SignInState.optional(),
  /** When the signed-in session's access token expires (it is refreshed before, when it can be). */
  signInExpiresAt: z.string().optional(),
});
export type LiveServerState = z.infer<typeof LiveServerState>;

/** What a stdio server would run: shown in the consent dialog, hashed for the consent key. */
export const CommandLineEnv = z.object({
  key: z.string(),
  /** `literal`: the value is written in the config; `reference`: taken from the admin's environment. */
  source: z.enum(['literal', 'reference']),
  /** Referenced variable names (for `reference`). */
  refs: z.array(z.string()),
  /** Referenced variables not set in the admin's environment. */
  unresolved: z.array(z.string()),
  /** Changes what runs (NODE_OPTIONS, LD_*, PATH…): consent covers its resolved value. */
  affectsExecution: z.boolean(),
  /**
   * The value, when it is not a secret: execution-affecting variables (resolved; masked when it
   * looks like a credential) and configured literals that are neither secret-named nor
   * credential-shaped (decided by the shared masker). Secrets are never sent.
   */
  value: z.string().optional(),
  /** The value shown is masked (it looked like a credential). */
  valueMasked: z.boolean().optional(),
});
export type CommandLineEnv = z.infer<typeof CommandLineEnv>;

export const CommandLineArg = z.object({
  /** The resolved argument; a credential is shown masked. */
  value: z.string(),
  /** A credential is hidden here: what is shown is not what runs. */
  masked: z.boolean(),
});
export type CommandLineArg = z.infer<typeof CommandLineArg>;

/** What a consent covers: a stdio command line, or a remote server's URL (origin + path). */
export const ConsentTarget = z.enum(['stdio', 'remote']);
export type ConsentTarget = z.infer<typeof ConsentTarget>;

/** What changed in one part of a command line (or URL) since the previous consent of the server. */
export const CommandLineChange = z.object({
  field: z.enum(['command', 'args', 'cwd', 'env', 'url']),
  /** Env variable name (field `env`). */
  key: z.string().optional(),
  change: z.enum(['added', 'removed', 'modified']),
  /** What was consented, as shown then (credentials masked; absent when hidden). */
  before: z.string().optional(),
  /** What runs now, as shown (credentials masked; absent when hidden). */
  after: z.string().optional(),
  /** A value changed that is never shown (a credential, or a value stored only as a keyed hash). */
  hidden: z.boolean().optional(),
});
export type CommandLineChange = z.infer<typeof CommandLineChange>;

/** A package runner that fetches whatever is current at each start (`npx -y pkg`, `uvx pkg`). */
export const UnpinnedRunner = z.object({
  runner: z.string(),
  ecosystem: z.string(),
  name: z.string(),
  /** The version or tag given, when it is not an exact one. */
  version: z.string().optional(),
});
export type UnpinnedRunner = z.infer<typeof UnpinnedRunner>;

/**
 * What the consent dialog shows for one server: for stdio, exactly what would run; for a remote
 * server, the URL Gatehouse would contact. Name kept from when only stdio servers asked.
 */
export const CommandLine = z.object({
  serverId: z.string(),
  client: ClientId,
  serverName: z.string(),
  /** `stdio` (default) or `remote`. */
  kind: ConsentTarget.optional(),
  scope: Scope.optional(),
  /** The config file the server comes from (part of the consent key). */
  source: z.string().optional(),
  /**
   * Consent key: keyed hash of the server identity (client, config file, server name) and what
   * runs (resolved command and args, env, absolute cwd) or the URL's origin + path.
   */
  hash: z.string(),
  /** Remote: the URL contacted, origin + path (what consent covers), credentials masked. */
  url: z.string().optional(),
  /** The config file lies in a project folder (possibly a cloned, hostile repository). */
  projectFile: z.boolean().optional(),
  /** The project folder of a project file (what "trust project" covers). */
  projectDir: z.string().optional(),
  /** The project folder is trusted (covers its remote servers). */
  projectTrusted: z.boolean().optional(),
  /** Whether anything needs consent at all (user-scope remote servers do not). */
  consentRequired: z.boolean().optional(),
  /** Warnings to read before consenting (unpinned package runners…). */
  warnings: z.array(z.string()).optional(),
  /** The resolved command (masked if it carries a credential). */
  command: z.string(),
  commandMasked: z.boolean().optional(),
  /** Variables the configured command references (the command shown is their value). */
  commandRefs: z.array(z.string()).optional(),
  /** Resolved arguments; credential-looking values masked. */
  args: z.array(z.string()),
  /** The same arguments, each saying whether a value is hidden. */
  argList: z.array(CommandLineArg).optional(),
  envKeys: z.array(z.string()),
  env: z.array(CommandLineEnv).optional(),
  /** The absolute working directory the server starts in. */
  cwd: z.string().optional(),
  consented: z.boolean(),
  /** A consent exists for an earlier command line (or URL) of this server. */
  changedSinceConsent: z.boolean().optional(),
  /** The only consent of this server predates server-bound consents: asked again. */
  legacyConsent: z.boolean().optional(),
  unresolvedEnv: z.array(z.string()),
  /** Changed since consent: what differs from the previously consented command line (or URL). */
  changes: z.array(CommandLineChange).optional(),
  /** When the previous consent (the `changes` baseline) was given. */
  previousGrantedAt: z.string().optional(),
  /** The command runs a package runner without a pinned version (the `runner.unpinned` finding). */
  unpinned: UnpinnedRunner.optional(),
});
export type CommandLine = z.infer<typeof CommandLine>;

/**
 * A stored consent. `stdio`: one server's command line; `remote`: one project server's URL;
 * `project`: trust of a project folder (covers its remote servers); `legacy`: a consent stored
 * before consents were bound to the server identity — it no longer matches anything (ask again).
 */
export const ConsentKind = z.enum(['stdio', 'remote', 'project', 'legacy']);
export type ConsentKind = z.infer<typeof ConsentKind>;

export const Consent = z.object({
  hash: z.string(),
  kind: ConsentKind.default('stdio'),
  /** Server id (for `project`: the server the trust was given from). */
  serverId: z.string(),
  client: ClientId,
  serverName: z.string(),
  command: z.string(),
  args: z.array(z.string()),
  envKeys: z.array(z.string()),
  cwd: z.string().optional(),
  /** Config file of the server. */
  source: z.string().optional(),
  /** Remote: origin + path (masked). */
  url: z.string().optional(),
  /** Project trust: the folder. */
  projectDir: z.string().optional(),
  grantedAt: z.string(),
});
export type Consent = z.infer<typeof Consent>;

export const DefinitionKind = z.enum(['tool', 'prompt', 'resource', 'resourceTemplate', 'instructions']);
export type DefinitionKind = z.infer<typeof DefinitionKind>;

export const Pin = z.object({
  identity: z.string(),
  kind: DefinitionKind,
  name: z.string(),
  hash: z.string(),
  definition: z.unknown(),
  pinnedAt: z.string(),
  /** Reason given when the pin was (re)accepted after a change. */
  reason: z.string().optional(),
});
export type Pin = z.infer<typeof Pin>;

/** A difference between a pin and what a scan saw. */
export const PinChange = z.object({
  identity: z.string(),
  serverId: z.string(),
  kind: DefinitionKind,
  name: z.string(),
  change: z.enum(['added', 'removed', 'modified']),
  beforeHash: z.string().optional(),
  afterHash: z.string().optional(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  detectedAt: z.string(),
});
export type PinChange = z.infer<typeof PinChange>;

export const LiveScanSummary = z.object({
  id: z.number().int(),
  startedAt: z.string(),
  durationMs: z.number(),
  servers: z.number().int(),
  ok: z.number().int(),
  errors: z.number().int(),
  needsConsent: z.number().int(),
  cancelled: z.number().int(),
});
export type LiveScanSummary = z.infer<typeof LiveScanSummary>;

/** A snapshot without its definitions, for history lists. */
export const SnapshotRef = z.object({
  id: z.number().int(),
  scanId: z.number().int(),
  at: z.string(),
  status: LiveStatus,
  toolCount: z.number().int(),
  promptCount: z.number().int(),
  resourceCount: z.number().int(),
  error: z.string().optional(),
});
export type SnapshotRef = z.infer<typeof SnapshotRef>;
