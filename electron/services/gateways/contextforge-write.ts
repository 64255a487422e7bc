import type { Visibility } from '../../../shared/model/gateway.js';
import type { GatewayTarget } from './adapter.js';
import { GatewayError, HttpClient, type HttpResponse } from './http.js';

/**
 * Policy writes to IBM ContextForge 1.0.7, checked against the running gateway:
 *   POST/PUT/DELETE /v1/teams/…                 team create / visibility+description / delete
 *   POST /v1/teams/{id}/members, PUT|DELETE …/members/{email}
 *   POST/PUT/DELETE /v1/rbac/roles[/{id}]
 *   POST /v1/rbac/users/{email}/roles; DELETE …/roles/{role_id}?scope=&scope_id=
 *     (without scope/scope_id the DELETE answers 404 "Role assignment not found")
 *   POST /v1/servers {server:{…}, team_id, visibility}; PUT /v1/servers/{id} {associated_tools, visibility, …};
 *     POST /v1/servers/{id}/state?activate=; DELETE /v1/servers/{id}
 *   PUT /v1/tools/{id} {visibility} — top level: a `{"tool": {...}}` wrapper is accepted with 200, bumps
 *     `version` and changes nothing; POST /v1/tools/{id}/state?activate=
 * Writes are sent once (never retried: they are not idempotent). Errors name the call, never the credential.
 */
export interface PolicyWriter {
  readonly requests: number;
  createTeam(t: { name: string; visibility: 'private' | 'public'; description?: string }): Promise<string>;
  updateTeam(id: string, t: { visibility?: 'private' | 'public'; description?: string }): Promise<void>;
  deleteTeam(id: string): Promise<void>;
  addMember(teamId: string, email: string, role: 'owner' | 'member'): Promise<void>;
  updateMember(teamId: string, email: string, role: 'owner' | 'member'): Promise<void>;
  removeMember(teamId: string, email: string): Promise<void>;
  createRole(r: { name: string; scope: string; permissions: string[]; description?: string }): Promise<string>;
  updateRole(id: string, r: { permissions: string[]; description?: string }): Promise<void>;
  deleteRole(id: string): Promise<void>;
  assignRole(email: string, a: { roleId: string; scope: string; scopeId?: string; expiresAt?: string }): Promise<void>;
  revokeRole(email: string, a: { roleId: string; scope: string; scopeId?: string }): Promise<void>;
  createServer(s: {
    name: string;
    description?: string;
    teamId?: string;
    visibility: Visibility;
    toolIds: string[];
  }): Promise<string>;
  updateServer(id: string, s: { visibility?: Visibility; toolIds?: string[]; description?: string }): Promise<void>;
  setServerEnabled(id: string, enabled: boolean): Promise<void>;
  deleteServer(id: string): Promise<void>;
  updateTool(id: string, t: { visibility: Visibility }): Promise<void>;
  setToolEnabled(id: string, enabled: boolean): Promise<void>;
}

type Json = Record<string, unknown>;

export class ContextForgeWriter implements PolicyWriter {
  private readonly http: HttpClient;

  constructor(private readonly target: GatewayTarget) {
    let authorization: string | undefined;
    if (target.authType === 'bearer' && target.secret) authorization = `Bearer ${target.secret}`;
    if (target.authType === 'basic' && target.secret)
      authorization = `Basic ${Buffer.from(`${target.username ?? ''}:${target.secret}`).toString('base64')}`;
    this.http = new HttpClient({ baseUrl: target.baseUrl, authorization, ca: target.ca, timeoutMs: target.timeoutMs });
  }

  get requests(): number {
    return this.http.requests;
  }

  async createTeam(t: { name: string; visibility: 'private' | 'public'; description?: string }): Promise<string> {
    return idOf(await this.call('POST', '/v1/teams/', t));
  }
  async updateTeam(id: string, t: { visibility?: 'private' | 'public'; description?: string }): Promise<void> {
    await this.call('PUT', `/v1/teams/${enc(id)}`, t);
  }
  async deleteTeam(id: string): Promise<void> {
    await this.call('DELETE', `/v1/teams/${enc(id)}`);
  }
  async addMember(teamId: string, email: string, role: 'owner' | 'member'): Promise<void> {
    await this.call('POST', `/v1/teams/${enc(teamId)}/members`, { email, role });
  }
  async updateMember(teamId: string, email: string, role: 'owner' | 'member'): Promise<void> {
    await this.call('PUT', `/v1/teams/${enc(teamId)}/members/${enc(email)}`, { role });
  }
  async removeMember(teamId: string, email: string): Promise<void> {
    await this.call('DELETE', `/v1/teams/${enc(teamId)}/members/${enc(email)}`);
  }
  async createRole(r: { name: string; scope: string; permissions: string[]; description?: string }): Promise<string> {
    return idOf(await this.call('POST', '/v1/rbac/roles', r));
  }
  async updateRole(id: string, r: { permissions: string[]; description?: string }): Promise<void> {
    await this.call('PUT', `/v1/rbac/roles/${enc(id)}`, r);
  }
  async deleteRole(id: string): Promise<void> {
    await this.call('DELETE', `/v1/rbac/roles/${enc(id)}`);
  }
  async assignRole(
    email: string,
    a: { roleId: string; scope: string; scopeId?: string; expiresAt?: string },
  ): Promise<void> {
    await this.call('POST', `/v1/rbac/users/${enc(email)}/roles`, {
      role_id: a.roleId,
      scope: a.scope,
      ...(a.scopeId ? { scope_id: a.scopeId } : {}),
      ...(a.expiresAt ? { expires_at: a.expiresAt } : {}),
    });
  }
  async revokeRole(email: string, a: { roleId: string; scope: string; scopeId?: string }): Promise<void> {
    const q = new URLSearchParams({ scope: a.scope, ...(a.scopeId ? { scope_id: a.scopeId } : {}) });
    await this.call('DELETE', `/v1/rbac/users/${enc(email)}/roles/${enc(a.roleId)}?${q.toString()}`);
  }
  async createServer(s: {
    name: string;
    description?: string;
    teamId?: string;
    visibility: Visibility;
    toolIds: string[];
  }): Promise<string> {
    return idOf(
      await this.call('POST', '/v1/servers', {
        server: { name: s.name, description: s.description, associated_tools: s.toolIds },
        ...(s.teamId ? { team_id: s.teamId } : {}),
        visibility: s.visibility,
      }),
    );
  }
  async updateServer(
    id: string,
    s: { visibility?: Visibility; toolIds?: string[]; description?: string },
  ): Promise<void> {
    await this.call('PUT', `/v1/servers/${enc(id)}`, {
      ...(s.visibility ? { visibility: s.visibility } : {}),
      ...(s.toolIds ? { associated_tools: s.toolIds } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}),
    });
  }
  async setServerEnabled(id: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/v1/servers/${enc(id)}/state?activate=${enabled}`);
  }
  async deleteServer(id: string): Promise<void> {
    await this.call('DELETE', `/v1/servers/${enc(id)}`);
  }
  async updateTool(id: string, t: { visibility: Visibility }): Promise<void> {
    await this.call('PUT', `/v1/tools/${enc(id)}`, { visibility: t.visibility });
  }
  async setToolEnabled(id: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/v1/tools/${enc(id)}/state?activate=${enabled}`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.http.send(method, this.http.url(path.split('?')[0]!, query(path)), body);
    return this.check(res, method, path.split('?')[0]!);
  }

  private check(res: HttpResponse, method: string, path: string): unknown {
    if (res.status >= 200 && res.status < 300) return res.body;
    const detail = detailOf(res.body) ?? res.text.slice(0, 200);
    const what = `${this.target.name}: ${method} ${path}`;
    if (res.status === 401)
      throw new GatewayError('unauthorized', `${what} was refused: the credential was rejected (401)`, 401);
    if (res.status === 403)
      throw new GatewayError('forbidden', `${what} was refused (403${detail ? `: ${detail}` : ''})`, 403);
    if (res.status === 404)
      throw new GatewayError('not-found', `${what} not found (404${detail ? `: ${detail}` : ''})`, 404);
    throw new GatewayError('http', `${what} failed with ${res.status}${detail ? `: ${detail}` : ''}`, res.status);
  }
}

function query(path: string): Record<string, string> {
  const i = path.indexOf('?');
  return i < 0 ? {} : Object.fromEntries(new URLSearchParams(path.slice(i + 1)));
}
function enc(s: string): string {
  return encodeURIComponent(s);
}
function idOf(body: unknown): string {
  const o = body && typeof body === 'object' ? (body as Json) : {};
  const id = o.id ?? (o.team && typeof o.team === 'object' ? (o.team as Json).id : undefined);
  if (typeof id !== 'string' || !id)
    throw new GatewayError('bad-response', 'the gateway did not return the new object id');
  return id;
}
function detailOf(body: unknown): string | undefined {
  const d = body && typeof body === 'object' ? (body as Json).detail : undefined;
  if (typeof d === 'string') return d.slice(0, 200);
  if (Array.isArray(d)) return JSON.stringify(d).slice(0, 200);
  return undefined;
}
