import { z } from 'zod';
import { Visibility } from './gateway.js';

/**
 * Gateway policy as one portable document (YAML or JSON, the same content either way), meant to
 * live in git and be reviewed. It names things (teams, users, roles, servers, tools), never gateway
 * ids: ids are resolved at push, so one file can target any gateway and compile to other products'
 * policy languages. Default deny; deny wins.
 */

export const POLICY_API_VERSION = 'gatehouse/v1';

/** Objects reject unknown fields so a typo is an error, not a silently ignored line. */
const Name = z.string().min(1).max(256);
const Email = z
  .string()
  .min(3)
  .max(320)
  .regex(/^[^@\s]+@[^@\s]+$/, 'an e-mail address');
/** ISO 8601 date or date-time. */
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'an ISO 8601 date');

export const TeamRole = z.enum(['owner', 'member']);
export type TeamRole = z.infer<typeof TeamRole>;

export const PolicyMember = z.object({ email: Email, role: TeamRole.default('member') }).strict();
export type PolicyMember = z.infer<typeof PolicyMember>;

export const PolicyTeam = z
  .object({
    name: Name,
    visibility: z.enum(['private', 'public']).default('private'),
    description: z.string().max(4096).optional(),
    members: z.array(PolicyMember).max(100_000).default([]),
  })
  .strict();
export type PolicyTeam = z.infer<typeof PolicyTeam>;

export const RoleScope = z.enum(['global', 'team', 'personal']);
export type RoleScope = z.infer<typeof RoleScope>;

export const PolicyRole = z
  .object({
    name: Name,
    scope: RoleScope,
    description: z.string().max(4096).optional(),
    /** Gateway permission names (ContextForge: `tools.execute`, `servers.use`…; `*` = all). */
    permissions: z.array(z.string().min(1).max(128)).max(1000).default([]),
  })
  .strict();
export type PolicyRole = z.infer<typeof PolicyRole>;

export const PolicyAssignment = z
  .object({
    user: Email,
    role: Name,
    /** Team name for a team-scoped role. */
    team: Name.optional(),
    expires: IsoDate.optional(),
  })
  .strict();
export type PolicyAssignment = z.infer<typeof PolicyAssignment>;

/** A virtual server: the gateway's composition of tools exposed as one MCP endpoint. */
export const PolicyServer = z
  .object({
    name: Name,
    /** Owning team; absent = the admin's own (personal) scope. */
    team: Name.optional(),
    visibility: Visibility.default('team'),
    enabled: z.boolean().default(true),
    description: z.string().max(4096).optional(),
    /** Tool names (the gateway's qualified names, e.g. `everything-echo`). */
    tools: z.array(Name).max(100_000).default([]),
  })
  .strict();
export type PolicyServer = z.infer<typeof PolicyServer>;

/** Per-tool settings; tools not listed keep what the gateway has. */
export const PolicyTool = z
  .object({
    name: Name,
    visibility: Visibility.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type PolicyTool = z.infer<typeof PolicyTool>;

/** MCP operations a rule can govern (ToolHive's Cedar action names). */
export const PolicyAction = z.enum([
  'call_tool',
  'get_prompt',
  'read_resource',
  'list_tools',
  'list_prompts',
  'list_resources',
]);
export type PolicyAction = z.infer<typeof PolicyAction>;

/** `team:NAME`, `user:EMAIL`, `role:NAME`, or `*` (every authenticated caller). */
export const PolicySubject = z
  .string()
  .max(400)
  .regex(/^(\*|(team|user|role):.+)$/, 'team:NAME, user:EMAIL, role:NAME or *');
/** `server:NAME`, `tool:NAME`, `server:NAME/tool:NAME`, `prompt:NAME`, `resource:URI`, or `*`. */
export const PolicyResource = z
  .string()
  .max(2048)
  .regex(
    /^(\*|server:[^/]+(\/tool:.+)?|tool:.+|prompt:.+|resource:.+)$/,
    'server:NAME, tool:NAME, server:NAME/tool:NAME, prompt:NAME, resource:URI or *',
  );

export const PolicyRule = z
  .object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore'),
    effect: z.enum(['allow', 'deny']),
    subjects: z.array(PolicySubject).min(1).max(1000),
    actions: z.array(PolicyAction).min(1),
    resources: z.array(PolicyResource).min(1).max(1000),
    description: z.string().max(4096).optional(),
  })
  .strict();
export type PolicyRule = z.infer<typeof PolicyRule>;

/** Invariants validation checks against the gateway state (and the document itself). */
export const PolicyGuardrails = z
  .object({
    /** No public server may expose a tool that is not annotated read-only. */
    noPublicWriteTools: z.boolean().optional(),
    /** Every gateway token must expire within this many days. */
    tokenMaxDays: z.number().int().positive().max(3650).optional(),
    /** No upstream credential may be reachable from more than one team. */
    noSharedUpstreamCredentials: z.boolean().optional(),
    /** Role assignments must carry an expiry within this many days. */
    assignmentMaxDays: z.number().int().positive().max(3650).optional(),
  })
  .strict();
export type PolicyGuardrails = z.infer<typeof PolicyGuardrails>;

export const PolicyDocument = z
  .object({
    apiVersion: z.literal(POLICY_API_VERSION),
    kind: z.literal('Policy'),
    metadata: z
      .object({ name: Name.optional(), description: z.string().max(4096).optional() })
      .strict()
      .optional(),
    /** Optional binding: the gateway connection name this document is meant for. */
    gateway: Name.optional(),
    teams: z.array(PolicyTeam).max(100_000).default([]),
    roles: z.array(PolicyRole).max(100_000).default([]),
    assignments: z.array(PolicyAssignment).max(1_000_000).default([]),
    servers: z.array(PolicyServer).max(100_000).default([]),
    tools: z.array(PolicyTool).max(1_000_000).default([]),
    rules: z.array(PolicyRule).max(100_000).default([]),
    guardrails: PolicyGuardrails.default({}),
  })
  .strict();
export type PolicyDocument = z.infer<typeof PolicyDocument>;
export type PolicyDocumentInput = z.input<typeof PolicyDocument>;

export const PolicyFormat = z.enum(['yaml', 'json']);
export type PolicyFormat = z.infer<typeof PolicyFormat>;

export const DiagnosticSeverity = z.enum(['error', 'warning', 'info']);
export type DiagnosticSeverity = z.infer<typeof DiagnosticSeverity>;

export const CompileTarget = z.enum(['contextforge', 'toolhive-cedar', 'agentgateway-cel']);
export type CompileTarget = z.infer<typeof CompileTarget>;

/** One validation message, located in the source text when it came from one. */
export const PolicyDiagnostic = z.object({
  severity: DiagnosticSeverity,
  /** Stable code, e.g. `schema`, `unknown-team`, `rule-shadowed`, `guardrail.public-write-tool`, `target.inexpressible`. */
  code: z.string(),
  message: z.string(),
  /** Path into the document (`["rules", 2, "subjects", 0]`). */
  path: z.array(z.union([z.string(), z.number()])),
  /** 1-based position in the text, when the path resolves to one. */
  line: z.number().int().positive().optional(),
  column: z.number().int().positive().optional(),
  /** Character offsets for editors. */
  from: z.number().int().nonnegative().optional(),
  to: z.number().int().nonnegative().optional(),
  /** Set for messages about one compile target. */
  target: CompileTarget.optional(),
  /** What to change to fix it (e.g. the restructuring that a target can express). */
  hint: z.string().optional(),
});
export type PolicyDiagnostic = z.infer<typeof PolicyDiagnostic>;

export const PolicyObjectKind = z.enum(['team', 'member', 'role', 'assignment', 'server', 'tool']);
export type PolicyObjectKind = z.infer<typeof PolicyObjectKind>;

/** One ordered API change of a plan (create a role before assigning it, …). */
export const PolicyChange = z.object({
  seq: z.number().int().nonnegative(),
  op: z.enum(['create', 'update', 'delete']),
  kind: PolicyObjectKind,
  /** Name-based key, e.g. `team:red`, `team:red/member:a@x.io`, `role:auditor`, `assignment:a@x.io/auditor@red`. */
  key: z.string(),
  /** The gateway's id of the object (absent for creates). */
  objectId: z.string().optional(),
  /** One line for people: "Add a@x.io to team red as member". */
  summary: z.string(),
  /** Object state before and after, in document terms (null for create / delete). */
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  /** What the gateway's object looked like at the pull (version / updated_at), for conflict checks. */
  baseVersion: z.string().optional(),
});
export type PolicyChange = z.infer<typeof PolicyChange>;

/** One cell of the tenant matrix that a plan changes. */
export const MatrixDeltaEntry = z.object({
  subject: z.string(),
  server: z.string(),
  tool: z.string(),
  change: z.enum(['gains', 'loses']),
  /** Why, in words ("member of team red; server shared-utilities is team-visible"). */
  via: z.string(),
});
export type MatrixDeltaEntry = z.infer<typeof MatrixDeltaEntry>;

export const PolicyPlan = z.object({
  /** What the draft was compared with. */
  against: z.object({
    kind: z.enum(['gateway', 'version']),
    gatewayId: z.string().optional(),
    gatewayName: z.string().optional(),
    versionHash: z.string().optional(),
    /** When the gateway state was read. */
    fetchedAt: z.string().optional(),
  }),
  draftHash: z.string(),
  changes: z.array(PolicyChange),
  delta: z.array(MatrixDeltaEntry),
  diagnostics: z.array(PolicyDiagnostic),
});
export type PolicyPlan = z.infer<typeof PolicyPlan>;

/** A change made on the gateway between pull and push: the three states side by side. */
export const PolicyConflict = z.object({
  kind: PolicyObjectKind,
  key: z.string(),
  objectId: z.string().optional(),
  base: z.unknown(),
  live: z.unknown(),
  draft: z.unknown(),
  message: z.string(),
});
export type PolicyConflict = z.infer<typeof PolicyConflict>;

export const PushStepStatus = z.enum(['applied', 'failed', 'compensated', 'compensation-failed', 'skipped']);
export const PushStep = z.object({
  seq: z.number().int().nonnegative(),
  summary: z.string(),
  status: PushStepStatus,
  error: z.string().optional(),
});
export type PushStep = z.infer<typeof PushStep>;

export const PushStatus = z.enum(['applied', 'no-changes', 'dry-run', 'conflict', 'invalid', 'rolled-back', 'partial']);
export type PushStatus = z.infer<typeof PushStatus>;

export const PushResult = z.object({
  status: PushStatus,
  ok: z.boolean(),
  /** Human summary: what happened, and for failures what state the gateway is in now. */
  message: z.string(),
  gatewayId: z.string(),
  gatewayName: z.string(),
  plan: PolicyPlan,
  steps: z.array(PushStep),
  conflicts: z.array(PolicyConflict),
  /** Re-pull after the push matched the draft. */
  verified: z.boolean(),
  /** The stored version (content hash) when the push was applied. */
  versionHash: z.string().optional(),
  requests: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});
export type PushResult = z.infer<typeof PushResult>;

export const PolicyVersion = z.object({
  /** SHA-256 of the canonical JSON of the document (content address). */
  hash: z.string(),
  parent: z.string().nullable(),
  author: z.string(),
  message: z.string(),
  createdAt: z.string(),
  gatewayId: z.string().nullable(),
  gatewayName: z.string().nullable(),
  /** How the version came to be. */
  origin: z.enum(['pull', 'push', 'rollback', 'import']),
  changes: z.number().int().nonnegative(),
});
export type PolicyVersion = z.infer<typeof PolicyVersion>;

/** Calls whose decision a draft changes, grouped by who did what to which tool. */
export const SimulationGroup = z.object({
  user: z.string().nullable(),
  team: z.string().nullable(),
  server: z.string().nullable(),
  tool: z.string().nullable(),
  action: PolicyAction,
  count: z.number().int().positive(),
  /** Audit event ids (a few) to open in the timeline. */
  sampleEventIds: z.array(z.string()),
  /** The rule or structural grant that decided under the draft. */
  reason: z.string(),
});
export type SimulationGroup = z.infer<typeof SimulationGroup>;

export const SimulationResult = z.object({
  since: z.string().nullable(),
  until: z.string().nullable(),
  /** Events read from the audit store in range. */
  events: z.number().int().nonnegative(),
  /** Distinct (principal, action, resource) tuples: each evaluated once per policy. */
  tuples: z.number().int().nonnegative(),
  /** Events that name no user or no tool/prompt/resource (cannot be replayed). */
  skipped: z.number().int().nonnegative(),
  newlyDenied: z.array(SimulationGroup),
  newlyAllowed: z.array(SimulationGroup),
  unchanged: z.number().int().nonnegative(),
  /** Which engine decided (`cedar`). */
  engine: z.string(),
  durationMs: z.number().nonnegative(),
});
export type SimulationResult = z.infer<typeof SimulationResult>;

export const CompileResult = z.object({
  target: CompileTarget,
  /** Output files: name → text (ToolHive: one authz config per server). */
  files: z.array(z.object({ name: z.string(), text: z.string() })),
  /** Rules or settings the target cannot express, each with why and how to restructure. */
  diagnostics: z.array(PolicyDiagnostic),
});
export type CompileResult = z.infer<typeof CompileResult>;
