import type {
  GatewaySnapshot,
  GwAuditEvent,
  GwMember,
  GwRole,
  GwRoleAssignment,
  GwTeam,
  GwToken,
  GwTool,
  GwUpstream,
  GwUser,
  GwVirtualServer,
  Visibility,
} from '../../../shared/model/gateway.js';
import type { AuditQuery, GatewayAdapter, GatewayTarget, Identity } from './adapter.js';
import { GatewayError, HttpClient, type HttpResponse } from './http.js';
import { maskUrl } from '../secrets/redact.js';

/**
 * IBM ContextForge (mcp-context-forge 1.0.x) over its REST admin API (`/v1/...`, OpenAPI served at
 * `/openapi.json`). Read-only. Endpoints used:
 *   GET /v1/version · GET /v1/auth/email/me
 *   GET /v1/gateways · GET /v1/tools · GET /v1/servers          (cursor pagination, include_pagination)
 *   GET /v1/teams/ · GET /v1/teams/{id}/members                  (cursor pagination)
 *   GET /v1/auth/email/admin/users                               (cursor pagination)
 *   GET /v1/rbac/roles · GET /v1/rbac/users/{email}/roles
 *   GET /v1/tokens/admin/all                                     (offset pagination)
 *   GET /api/logs/audit-trails                                   (offset pagination)
 */

type Json = Record<string, unknown>;
type Query = Record<string, string | number | boolean | string[] | undefined>;

/** Permission ContextForge checks for each endpoint we read (for "the token lacks X for Y"). */
const PERMISSION_FOR: Array<[RegExp, string]> = [
  [/^\/v1\/gateways/, 'gateways.read'],
  [/^\/v1\/tools/, 'tools.read'],
  [/^\/v1\/servers/, 'servers.read'],
  [/^\/v1\/teams/, 'teams.read'],
  [/^\/v1\/auth\/email\/admin\/users/, 'admin.user_management'],
  [/^\/v1\/rbac/, 'admin.user_management'],
  [/^\/v1\/tokens\/admin/, 'platform admin (tokens of all users)'],
  [/^\/api\/logs\/audit-trails/, 'audit:read'],
];

const PAGE = 100;

export class ContextForgeAdapter implements GatewayAdapter {
  readonly kind = 'contextforge' as const;
  private readonly http: HttpClient;

  private readonly pageSize: number;

  constructor(
    private readonly target: GatewayTarget,
    opts: { pageSize?: number } = {},
  ) {
    this.pageSize = opts.pageSize ?? PAGE;
    let authorization: string | undefined;
    if (target.authType === 'bearer' && target.secret) authorization = `Bearer ${target.secret}`;
    if (target.authType === 'basic' && target.secret)
      authorization = `Basic ${Buffer.from(`${target.username ?? ''}:${target.secret}`).toString('base64')}`;
    this.http = new HttpClient({
      baseUrl: target.baseUrl,
      authorization,
      ca: target.ca,
      timeoutMs: target.timeoutMs,
      attempts: 3,
      backoffMs: 200,
    });
  }

  async whoami(): Promise<Identity> {
    const me = obj(await this.getJson('/v1/auth/email/me'));
    let version: string | undefined;
    try {
      const v = obj(await this.getJson('/v1/version'));
      version = str(obj(v.app).version);
    } catch {
      version = undefined;
    }
    return { subject: str(me.email) ?? 'unknown', isAdmin: me.is_admin === true, version };
  }

  async listUpstreams(): Promise<GwUpstream[]> {
    const items = await this.cursorPages('/v1/gateways', 'gateways', { include_inactive: true });
    return items.map((g) => ({
      id: String(g.id),
      name: str(g.name) ?? String(g.id),
      // Upstream URLs can carry credentials (userinfo, ?api_key=, token path segments); they flow to
      // snapshots, the API, the merged inventory and finding messages, so only the masked form is kept.
      url: maskUrl(str(g.url) ?? ''),
      transport: str(g.transport) ?? 'unknown',
      enabled: g.enabled !== false,
      reachable: g.reachable !== false,
      visibility: vis(g.visibility),
      teamId: str(g.teamId ?? g.team_id),
      ownerEmail: str(g.ownerEmail ?? g.owner_email),
      authType: str(g.authType ?? g.auth_type) ?? 'none',
      toolCount: typeof g.toolCount === 'number' ? g.toolCount : 0,
    }));
  }

  async listTools(): Promise<GwTool[]> {
    const items = await this.cursorPages('/v1/tools', 'tools', { include_inactive: true });
    return items.map(toTool);
  }

  /** One tool, fresh (policy conflict checks re-read what they touch). */
  async getTool(id: string): Promise<GwTool> {
    return toTool(obj(await this.getJson(`/v1/tools/${encodeURIComponent(id)}`)));
  }

  /** One virtual server, fresh. */
  async getVirtualServer(id: string): Promise<GwVirtualServer> {
    return toServer(obj(await this.getJson(`/v1/servers/${encodeURIComponent(id)}`)));
  }

  /** HTTP requests sent so far (push and bench figures). */
  get requests(): number {
    return this.http.requests;
  }

  async listVirtualServers(): Promise<GwVirtualServer[]> {
    const items = await this.cursorPages('/v1/servers', 'servers', { include_inactive: true });
    return items.map(toServer);
  }

  async listTeams(): Promise<GwTeam[]> {
    const items = await this.cursorPages('/v1/teams/', 'teams', {});
    return items.map((t) => ({
      id: String(t.id),
      name: str(t.name) ?? String(t.id),
      slug: str(t.slug) ?? '',
      personal: t.is_personal === true,
      visibility: str(t.visibility) ?? 'private',
      memberCount: typeof t.member_count === 'number' ? t.member_count : 0,
      description: str(t.description),
      updatedAt: str(t.updated_at),
    }));
  }

  async listMembers(teamId: string): Promise<GwMember[]> {
    const items = await this.cursorPages(`/v1/teams/${encodeURIComponent(teamId)}/members`, 'members', {});
    return items.map((m) => ({
      teamId: str(m.team_id) ?? teamId,
      email: str(m.user_email) ?? '',
      role: str(m.role) ?? 'member',
      active: m.is_active !== false,
    }));
  }

  async listUsers(): Promise<GwUser[]> {
    const items = await this.cursorPages('/v1/auth/email/admin/users', 'users', {});
    return items.map((u) => ({
      email: str(u.email) ?? '',
      fullName: str(u.full_name),
      isAdmin: u.is_admin === true,
      active: u.is_active !== false,
    }));
  }

  async listRoles(): Promise<GwRole[]> {
    const items = arr(await this.getJson('/v1/rbac/roles', { active_only: false }));
    return items.map((r) => ({
      id: String(r.id),
      name: str(r.name) ?? String(r.id),
      scope: str(r.scope) ?? 'global',
      permissions: strings(r.permissions),
      system: r.is_system_role === true,
      description: str(r.description),
      updatedAt: str(r.updated_at),
    }));
  }

  async listRoleAssignments(email: string): Promise<GwRoleAssignment[]> {
    const items = arr(await this.getJson(`/v1/rbac/users/${encodeURIComponent(email)}/roles`));
    return items.map((a) => ({
      email: str(a.user_email) ?? email,
      roleId: String(a.role_id),
      scope: str(a.scope) ?? 'global',
      scopeId: str(a.scope_id),
      expiresAt: str(a.expires_at),
      active: a.is_active !== false,
    }));
  }

  async listTokens(): Promise<GwToken[]> {
    const out: GwToken[] = [];
    for (let offset = 0; ; offset += this.pageSize) {
      const page = obj(
        await this.getJson('/v1/tokens/admin/all', { include_inactive: true, limit: this.pageSize, offset }),
      );
      const tokens = arr(page.tokens);
      for (const t of tokens) {
        out.push({
          id: String(t.id),
          name: str(t.name) ?? String(t.id),
          userEmail: str(t.user_email) ?? '',
          teamId: str(t.team_id),
          serverId: str(t.server_id),
          permissions: strings(t.resource_scopes),
          createdAt: str(t.created_at),
          expiresAt: str(t.expires_at),
          lastUsed: str(t.last_used),
          active: t.is_active !== false,
          revoked: t.is_revoked === true,
        });
      }
      const total = typeof page.total === 'number' ? page.total : undefined;
      if (tokens.length < this.pageSize || (total !== undefined && offset + tokens.length >= total)) break;
    }
    return out;
  }

  async listAuditEvents(q: AuditQuery): Promise<GwAuditEvent[]> {
    const out: GwAuditEvent[] = [];
    for (let offset = 0; out.length < q.limit;) {
      const limit = Math.min(this.pageSize, q.limit - out.length);
      const rows = arr(
        await this.getJson('/api/logs/audit-trails', {
          start_time: q.since,
          end_time: q.until,
          action: q.action,
          resource_type: q.resourceType,
          user_id: q.user,
          limit,
          offset,
        }),
      );
      for (const r of rows) out.push(toAuditEvent(r));
      if (rows.length < limit) break;
      offset += rows.length;
    }
    return out;
  }

  async snapshot(): Promise<GatewaySnapshot> {
    const warnings: string[] = [];
    const soft = async <T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        if (
          err instanceof GatewayError &&
          (err.kind === 'forbidden' || err.kind === 'unauthorized' || err.kind === 'not-found')
        ) {
          warnings.push(`${what}: ${err.message}`);
          return fallback;
        }
        throw err;
      }
    };
    // Upstreams first: it fails fast on a bad URL, certificate or credential.
    const upstreams = await this.listUpstreams();
    const [tools, servers, teams, roles, users, tokens] = await Promise.all([
      soft('tools', () => this.listTools(), []),
      soft('virtual servers', () => this.listVirtualServers(), []),
      soft('teams', () => this.listTeams(), []),
      soft('roles', () => this.listRoles(), []),
      soft('users', () => this.listUsers(), []),
      soft('tokens', () => this.listTokens(), []),
    ]);
    const members: GwMember[] = [];
    for (const t of teams) members.push(...(await soft(`members of ${t.name}`, () => this.listMembers(t.id), [])));
    const emails = new Set<string>([...users.map((u) => u.email), ...members.map((m) => m.email)]);
    const assignments: GwRoleAssignment[] = [];
    for (const e of [...emails].sort()) {
      if (!e) continue;
      assignments.push(...(await soft(`roles of ${e}`, () => this.listRoleAssignments(e), [])));
    }
    // Users known only through membership (the credential may not list users).
    for (const e of emails)
      if (e && !users.some((u) => u.email === e)) users.push({ email: e, isAdmin: false, active: true });
    return {
      gatewayId: this.target.id,
      gatewayName: this.target.name,
      kind: 'contextforge',
      baseUrl: this.http.baseUrl,
      fetchedAt: new Date().toISOString(),
      upstreams,
      tools,
      servers,
      teams,
      members,
      users,
      roles,
      assignments,
      tokens,
      warnings,
    };
  }

  /** GET → parsed JSON, mapping HTTP failures to GatewayError with a useful message. */
  private async getJson(path: string, query?: Query): Promise<unknown> {
    const res = await this.http.get(path, query);
    return this.check(res, path);
  }

  private check(res: HttpResponse, path: string): unknown {
    if (res.status >= 200 && res.status < 300) {
      if (res.body === undefined) throw new GatewayError('bad-response', `GET ${path} did not return JSON`, res.status);
      return res.body;
    }
    const detail = detailOf(res.body) ?? res.text.slice(0, 200);
    const permission = PERMISSION_FOR.find(([re]) => re.test(path))?.[1] ?? 'read access';
    if (res.status === 401) {
      throw new GatewayError(
        'unauthorized',
        `${this.target.name}: the gateway rejected the credential for GET ${path} (401${detail ? `: ${detail}` : ''}). ` +
          'The token is missing, expired or signed for another gateway.',
        401,
        permission,
      );
    }
    if (res.status === 403) {
      throw new GatewayError(
        'forbidden',
        `${this.target.name}: the token lacks permission ${permission} for GET ${path} (403${detail ? `: ${detail}` : ''})`,
        403,
        permission,
      );
    }
    if (res.status === 404)
      throw new GatewayError('not-found', `${this.target.name}: GET ${path} not found (404)`, 404);
    throw new GatewayError(
      'http',
      `${this.target.name}: GET ${path} failed with ${res.status}${detail ? `: ${detail}` : ''}`,
      res.status,
    );
  }

  /** Pages through a cursor-paginated collection (`include_pagination=true` → `{<key>: [...], nextCursor}`). */
  private async cursorPages(path: string, key: string, query: Query): Promise<Json[]> {
    const out: Json[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 10_000; guard++) {
      const body = await this.getJson(path, { ...query, include_pagination: true, limit: this.pageSize, cursor });
      if (Array.isArray(body)) {
        out.push(...arr(body));
        break;
      }
      const page = obj(body);
      const items = Array.isArray(page[key]) ? arr(page[key]) : arr(Object.values(page).find((v) => Array.isArray(v)));
      out.push(...items);
      const next = str(page.nextCursor ?? page.next_cursor);
      if (!next || items.length === 0 || next === cursor) break;
      cursor = next;
    }
    return out;
  }
}

export function toTool(t: Json): GwTool {
  const ann = obj(t.annotations);
  return {
    id: String(t.id),
    name: str(t.name) ?? String(t.id),
    originalName: str(t.originalName ?? t.original_name) ?? str(t.name) ?? '',
    upstreamId: str(t.gatewayId ?? t.gateway_id),
    description: str(t.description) ?? '',
    visibility: vis(t.visibility),
    teamId: str(t.teamId ?? t.team_id),
    enabled: t.enabled !== false,
    readOnly: typeof ann.readOnlyHint === 'boolean' ? ann.readOnlyHint : undefined,
    destructive: typeof ann.destructiveHint === 'boolean' ? ann.destructiveHint : undefined,
    version: typeof t.version === 'number' ? t.version : undefined,
    updatedAt: str(t.updatedAt ?? t.updated_at),
  };
}

export function toServer(s: Json): GwVirtualServer {
  return {
    id: String(s.id),
    name: str(s.name) ?? String(s.id),
    description: str(s.description) ?? '',
    visibility: vis(s.visibility),
    teamId: str(s.teamId ?? s.team_id),
    ownerEmail: str(s.ownerEmail ?? s.owner_email),
    enabled: s.enabled !== false,
    toolIds: strings(s.associatedToolIds ?? s.associated_tool_ids),
    version: typeof s.version === 'number' ? s.version : undefined,
    updatedAt: str(s.updatedAt ?? s.updated_at),
  };
}

function toAuditEvent(r: Json): GwAuditEvent {
  return {
    id: String(r.id),
    timestamp: str(r.timestamp) ?? '',
    action: str(r.action) ?? '',
    resourceType: str(r.resource_type) ?? '',
    resourceId: str(r.resource_id),
    resourceName: str(r.resource_name),
    user: str(r.user_email) ?? str(r.user_id),
    teamId: str(r.team_id),
    success: r.success !== false,
    correlationId: str(r.correlation_id),
    requiresReview: r.requires_review === true,
    dataClassification: str(r.data_classification),
  };
}

function detailOf(body: unknown): string | undefined {
  const d = obj(body).detail;
  if (typeof d === 'string') return d.slice(0, 200);
  if (Array.isArray(d)) return JSON.stringify(d).slice(0, 200);
  return undefined;
}
function obj(v: unknown): Json {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}
function arr(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter((x): x is Json => !!x && typeof x === 'object') : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
function vis(v: unknown): Visibility {
  return v === 'private' || v === 'team' || v === 'public' ? v : 'public';
}
