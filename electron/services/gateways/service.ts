import { randomUUID } from 'node:crypto';
import { AdminError } from '../../../shared/api/errors.js';
import {
  GatewayInput,
  GatewaySnapshot,
  GatewayTestResult,
  GatewayUpdate,
  type GatewayConnection,
  type GatewayTestStatus,
} from '../../../shared/model/gateway.js';
import { readableError } from '../error-wording.js';
import { appendAdminAction } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { SignInError } from '../identity/oidc.js';
import { accessToken, actorOf, sessionInfo, tokenKey } from '../identity/sessions.js';
import { maskSecret } from '../secrets/redact.js';
import { transaction } from '../store/database.js';
import { teamState } from '../team-state/open.js';
import type { GatewaySettings, GatewaySettingsRepository } from '../team-state/types.js';
import type { AuditQuery, GatewayAdapter, GatewayTarget } from './adapter.js';
import { ContextForgeAdapter } from './contextforge.js';
import { GatewayError, HttpClient } from './http.js';
import { listSsoProviders, signInToGateway, signOutOfGateway, ssoKey, type GatewaySignInOptions } from './sso.js';
import { servingWrite } from '../store/write-turns.js';

/**
 * Gateway connections: SQLite holds the non-secret settings, the secret store holds the credential
 * (key `gateway:<id>`). Nothing here logs, stores or returns a credential value.
 *
 * With a team store the non-secret settings (name, kind, base URL, auth type, user name, CA file
 * path, timeout, SSO issuer) live there, with row versions; the local row is this machine's cache of
 * the team row (refreshed before every gateway request, `refreshTeamGateways`) plus what stays per
 * machine: last test, last sync, the snapshot. Credentials never leave this machine's secret store:
 * another admin sees the connection without one and enters their own token (or signs in).
 */

export interface ConnectionRow {
  id: string;
  name: string;
  kind: string;
  base_url: string;
  auth_type: string;
  username: string | null;
  ca_file: string | null;
  timeout_ms: number;
  created_at: string;
  updated_at: string;
  last_test_json: string | null;
  last_sync_at: string | null;
  last_sync_error: string | null;
  sso_issuer: string | null;
  sso_provider_id: string | null;
  /** The team row version this machine last read; null for a local-only connection. */
  team_version: string | null;
  /**
   * The origin this machine's credential was entered for, when another admin has since moved the
   * row (through the team store) to another one; null: the credential belongs to `base_url`.
   */
  credential_origin: string | null;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export const secretKey = (id: string) => `gateway:${id}`;

function rows(ctx: ServiceContext): ConnectionRow[] {
  return ctx.db.prepare('SELECT * FROM gateway_connections ORDER BY name').all() as unknown as ConnectionRow[];
}

function row(ctx: ServiceContext, idOrName: string): ConnectionRow | undefined {
  return ctx.db.prepare('SELECT * FROM gateway_connections WHERE id = ? OR name = ?').get(idOrName, idOrName) as
    ConnectionRow | undefined;
}

export function mustRow(ctx: ServiceContext, idOrName: string): ConnectionRow {
  const r = row(ctx, idOrName);
  if (!r) throw new AdminError('not-found', `No gateway named or with id "${idOrName}"`);
  return r;
}

function authTypeOf(r: ConnectionRow): GatewayConnection['authType'] {
  return r.auth_type === 'basic' || r.auth_type === 'none' || r.auth_type === 'sso' ? r.auth_type : 'bearer';
}

/** The SSO credential's access token (for the masked hint only). */
async function ssoSecret(ctx: ServiceContext, id: string): Promise<string | null> {
  const raw = await ctx.secrets.get(tokenKey(ssoKey(id))).catch(() => null);
  if (!raw) return null;
  try {
    const t = JSON.parse(raw) as { accessToken?: unknown };
    return typeof t.accessToken === 'string' ? t.accessToken : null;
  } catch {
    return null;
  }
}

/** `teamStore`: an admin team store is in use, so a connection without a team row is local-only. */
export async function toConnection(
  ctx: ServiceContext,
  r: ConnectionRow,
  teamStore = false,
): Promise<GatewayConnection> {
  const isSso = r.auth_type === 'sso';
  const secret = isSso ? await ssoSecret(ctx, r.id) : await ctx.secrets.get(secretKey(r.id)).catch(() => null);
  const session = isSso ? sessionInfo(ctx, ssoKey(r.id)) : null;
  const lastTest = r.last_test_json ? GatewayTestResult.safeParse(JSON.parse(r.last_test_json)) : undefined;
  return {
    id: r.id,
    name: r.name,
    kind: r.kind === 'contextforge' ? 'contextforge' : 'contextforge',
    baseUrl: r.base_url,
    authType: authTypeOf(r),
    username: r.username ?? undefined,
    caFile: r.ca_file ?? undefined,
    timeoutMs: r.timeout_ms,
    hasCredential: secret !== null,
    credentialHint: secret !== null ? maskSecret(secret) : undefined,
    secretStore: ctx.secrets.kind,
    secretStoreWarning: storeWarning(ctx),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastTest: lastTest?.success ? lastTest.data : undefined,
    lastSyncAt: r.last_sync_at ?? undefined,
    lastSyncError: r.last_sync_error ?? undefined,
    ...(r.team_version && stampsOf(ctx).has(r.id) ? { team: stampsOf(ctx).get(r.id)! } : {}),
    ...(teamStore && r.team_version === null ? { localOnly: true as const } : {}),
    sso: isSso
      ? {
          issuer: r.sso_issuer ?? '',
          providerId: r.sso_provider_id ?? '',
          ...(session?.email ? { email: session.email } : {}),
          status: !session ? 'signed-out' : session.status === 'active' && secret !== null ? 'active' : 'sign-in-again',
          ...(session?.statusMessage ? { statusMessage: session.statusMessage } : {}),
          ...(session?.expiresAt ? { expiresAt: session.expiresAt } : {}),
        }
      : undefined,
  };
}

function storeWarning(ctx: ServiceContext): string | undefined {
  const w = (ctx.secrets as { warning?: unknown }).warning;
  return typeof w === 'string' && w ? w : undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function normalizeBaseUrl(u: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    // (Not quoted: the text may hold a credential.)
    throw new AdminError('bad-request', 'Base URL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new AdminError('bad-request', `Base URL must be https:// (got ${url.protocol})`);
  // A bearer token over plain HTTP is readable by anyone on the path; only loopback is exempt.
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname))
    throw new AdminError('bad-request', `Base URL must use https:// for a non-loopback host (${url.hostname})`);
  if (url.username || url.password)
    throw new AdminError('bad-request', 'Put credentials in the secret field, not in the URL');
  url.hash = '';
  url.search = '';
  return url.toString().replace(/\/+$/, '');
}

async function checkCaFile(ctx: ServiceContext, caFile: string | undefined): Promise<void> {
  if (!caFile) return;
  const st = await ctx.fs.stat(caFile).catch(() => null);
  if (st && (!st.isFile || st.size > 1024 * 1024)) {
    throw new AdminError('bad-request', `CA file ${caFile} is not a PEM file of at most 1 MiB`);
  }
  let text: string;
  try {
    // Capped and opened non-blocking: a FIFO or device swapped in after the stat cannot hang the read.
    text = await ctx.fs.readFile(caFile, { maxBytes: 1024 * 1024 });
  } catch (err) {
    throw new AdminError('bad-request', `CA file ${caFile} cannot be read: ${(err as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new AdminError('bad-request', `CA file ${caFile} holds no PEM certificate`);
  }
}

/** The credential on this machine was just entered (or signed in) for the row's current address. */
function credentialEntered(ctx: ServiceContext, id: string): void {
  ctx.db.prepare('UPDATE gateway_connections SET credential_origin = NULL WHERE id = ?').run(id);
}

async function storeSecret(ctx: ServiceContext, id: string, secret: string): Promise<void> {
  try {
    await ctx.secrets.set(secretKey(id), secret);
    credentialEntered(ctx, id);
  } catch (err) {
    throw new AdminError(
      'unavailable',
      `The credential could not be saved in the secret store (${ctx.secrets.kind}): ${(err as Error).message}`,
    );
  }
}

/**
 * Who last changed each team row, as this workstation last read it (the local cache keeps only the
 * version). Only rows read from the team store in this process show as shared.
 */
const teamStamps = new WeakMap<object, Map<string, { version: string; updatedBy: string; updatedAt: string }>>();
export function stampsOf(ctx: ServiceContext) {
  let m = teamStamps.get(ctx.db);
  if (!m) teamStamps.set(ctx.db, (m = new Map()));
  return m;
}

export async function teamGateways(ctx: ServiceContext): Promise<GatewaySettingsRepository | undefined> {
  const state = await teamState(ctx);
  return state.kind === 'team' ? state.gatewaySettings : undefined;
}

/**
 * Writes one team row into the local cache (keeping this machine's test/sync state). Another admin
 * may have moved the gateway to another origin: this machine's credential stays bound to the origin
 * it was entered for (`credential_origin`), so it is never sent to an address its owner did not
 * choose (`targetFor` refuses until they enter it again, or the row moves back).
 */
export function cacheTeamRow(ctx: ServiceContext, g: GatewaySettings): void {
  stampsOf(ctx).set(g.id, { version: g.version, updatedBy: g.updatedBy, updatedAt: g.updatedAt });
  const prev = ctx.db.prepare('SELECT base_url, credential_origin FROM gateway_connections WHERE id = ?').get(g.id) as
    { base_url: string; credential_origin: string | null } | undefined;
  const bound = prev ? (prev.credential_origin ?? originOf(prev.base_url)) : null;
  const credentialOrigin = bound !== null && bound !== originOf(g.baseUrl) ? bound : null;
  ctx.db
    .prepare(
      `INSERT INTO gateway_connections (id, name, kind, base_url, auth_type, username, ca_file, timeout_ms, created_at,
         updated_at, sso_issuer, sso_provider_id, team_version, credential_origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, base_url = excluded.base_url,
         auth_type = excluded.auth_type, username = excluded.username, ca_file = excluded.ca_file,
         timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at, sso_issuer = excluded.sso_issuer,
         sso_provider_id = excluded.sso_provider_id, team_version = excluded.team_version,
         credential_origin = excluded.credential_origin`,
    )
    .run(
      g.id,
      g.name,
      g.kind,
      g.baseUrl,
      g.authType,
      g.username ?? null,
      g.caFile ?? null,
      g.timeoutMs,
      g.createdAt,
      g.updatedAt,
      g.ssoIssuer ?? null,
      g.ssoProviderId ?? null,
      g.version,
      credentialOrigin,
    );
}

/**
 * With a team store: brings the local cache in line with the team's gateway settings (new and
 * changed rows written, rows another admin removed dropped with their snapshot). Local-only
 * connections (added before the team store) are left alone; a team row whose name a local-only
 * connection already uses is not cached (rename one of them). Without a team store: nothing.
 * True when an admin team store is in use.
 */
export async function refreshTeamGateways(ctx: ServiceContext): Promise<boolean> {
  const repo = await teamGateways(ctx);
  if (!repo) return false;
  const team = await repo.list();
  transaction(ctx.db, () => {
    const ids = new Set(team.map((g) => g.id));
    for (const r of rows(ctx))
      if (r.team_version !== null && !ids.has(r.id)) {
        ctx.db.prepare('DELETE FROM gateway_connections WHERE id = ?').run(r.id);
        stampsOf(ctx).delete(r.id);
      }
    for (const g of team) {
      const clash = row(ctx, g.name);
      if (clash && clash.id !== g.id && clash.team_version === null) continue;
      cacheTeamRow(ctx, g);
    }
  });
  return true;
}

export async function listGateways(ctx: ServiceContext): Promise<GatewayConnection[]> {
  const teamStore = await refreshTeamGateways(ctx);
  return Promise.all(rows(ctx).map((r) => toConnection(ctx, r, teamStore)));
}

export async function getGateway(ctx: ServiceContext, idOrName: string): Promise<GatewayConnection> {
  const teamStore = await refreshTeamGateways(ctx);
  return toConnection(ctx, mustRow(ctx, idOrName), teamStore);
}

/**
 * `gateways.testDraft`: the connection test of the Add form, before anything is saved (nothing is
 * stored, logged as a change or kept in the secret store). SSO gateways are tested after sign-in.
 */
export async function testGatewayDraft(ctx: ServiceContext, raw: GatewayInput): Promise<GatewayTestResult> {
  const input = GatewayInput.parse(raw);
  if (input.authType === 'sso')
    throw new AdminError('bad-request', 'A gateway with single sign-on is tested after saving and signing in.');
  if (input.authType !== 'none' && !input.secret)
    throw new AdminError('bad-request', `Enter the ${input.authType === 'basic' ? 'password' : 'token'} to test with.`);
  await checkCaFile(ctx, input.caFile);
  const baseUrl = normalizeBaseUrl(input.baseUrl);
  const target: GatewayTarget = {
    id: 'draft',
    name: input.name,
    kind: 'contextforge',
    baseUrl,
    authType: input.authType,
    timeoutMs: input.timeoutMs,
    ...(input.username ? { username: input.username } : {}),
    ...(input.secret && input.authType !== 'none' ? { secret: input.secret } : {}),
    ...(input.caFile ? { ca: await ctx.fs.readFile(input.caFile) } : {}),
  };
  return probe(ctx, baseUrl, async () => createAdapter(target));
}

export async function addGateway(ctx: ServiceContext, raw: GatewayInput): Promise<GatewayConnection> {
  const input = GatewayInput.parse(raw);
  const team = await teamGateways(ctx);
  if (team) await refreshTeamGateways(ctx);
  if (row(ctx, input.name)) throw new AdminError('conflict', `A gateway named "${input.name}" already exists`);
  if (input.authType === 'sso') {
    if (!input.ssoIssuer)
      throw new AdminError('bad-request', 'Single sign-on needs the identity provider issuer (--sso ISSUER)');
    if (input.secret) throw new AdminError('bad-request', 'A gateway signed in with SSO takes no static credential');
  } else if (input.authType !== 'none' && !input.secret) {
    throw new AdminError('bad-request', `A ${input.authType} credential is required (or choose auth type "none")`);
  }
  if (input.authType === 'basic' && !input.username)
    throw new AdminError('bad-request', 'Basic auth needs a user name');
  await checkCaFile(ctx, input.caFile);
  const id = randomUUID();
  const now = ctx.clock.now().toISOString();
  if (input.secret && input.authType !== 'none' && input.authType !== 'sso') await storeSecret(ctx, id, input.secret);
  const entry = {
    action: 'gateway.add',
    target: input.name,
    actor: actorOf(ctx),
    details: {
      kind: input.kind,
      baseUrl: normalizeBaseUrl(input.baseUrl),
      authType: input.authType,
      caFile: input.caFile ?? null,
      ...(input.authType === 'sso' ? { ssoIssuer: input.ssoIssuer, ssoProviderId: input.ssoProviderId ?? null } : {}),
    },
  };
  if (team) {
    // The shared settings and their team admin-log entry commit together; the credential stays here.
    try {
      const saved = await team.put(
        {
          id,
          name: input.name,
          kind: input.kind,
          baseUrl: normalizeBaseUrl(input.baseUrl),
          authType: input.authType,
          username: input.username,
          caFile: input.caFile,
          timeoutMs: input.timeoutMs,
          ssoIssuer: input.authType === 'sso' ? input.ssoIssuer : undefined,
          ssoProviderId: input.authType === 'sso' ? input.ssoProviderId : undefined,
        },
        null,
        entry,
      );
      cacheTeamRow(ctx, saved);
    } catch (err) {
      await ctx.secrets.delete(secretKey(id)).catch(() => {});
      throw err;
    }
    appendAdminAction(ctx.db, ctx.clock, entry);
    ctx.events.emit('store.changed', { topics: ['gateways'] });
    return toConnection(ctx, mustRow(ctx, id), true);
  }
  try {
    ctx.db
      .prepare(
        `INSERT INTO gateway_connections (id, name, kind, base_url, auth_type, username, ca_file, timeout_ms, created_at, updated_at,
           sso_issuer, sso_provider_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name,
        input.kind,
        normalizeBaseUrl(input.baseUrl),
        input.authType,
        input.username ?? null,
        input.caFile ?? null,
        input.timeoutMs,
        now,
        now,
        input.authType === 'sso' ? (input.ssoIssuer ?? null) : null,
        input.authType === 'sso' ? (input.ssoProviderId ?? null) : null,
      );
  } catch (err) {
    await ctx.secrets.delete(secretKey(id)).catch(() => {});
    throw err;
  }
  appendAdminAction(ctx.db, ctx.clock, entry);
  ctx.events.emit('store.changed', { topics: ['gateways'] });
  return getGateway(ctx, id);
}

export async function updateGateway(ctx: ServiceContext, raw: GatewayUpdate): Promise<GatewayConnection> {
  const input = GatewayUpdate.parse(raw);
  const team = await teamGateways(ctx);
  if (team) await refreshTeamGateways(ctx);
  const cur = mustRow(ctx, input.id);
  if (input.name && input.name !== cur.name && row(ctx, input.name)) {
    throw new AdminError('conflict', `A gateway named "${input.name}" already exists`);
  }
  if (input.caFile) await checkCaFile(ctx, input.caFile);
  if ((input.authType === 'sso') !== (cur.auth_type === 'sso') && input.authType !== undefined)
    throw new AdminError('bad-request', 'Switching to or from single sign-on: remove the gateway and add it again');
  const next = {
    name: input.name ?? cur.name,
    base_url: input.baseUrl ? normalizeBaseUrl(input.baseUrl) : cur.base_url,
    auth_type: input.authType ?? cur.auth_type,
    username: input.username ?? cur.username,
    ca_file: input.clearCaFile ? null : (input.caFile ?? cur.ca_file),
    timeout_ms: input.timeoutMs ?? cur.timeout_ms,
  };
  // The stored credential was given for one origin: never let it follow the connection elsewhere.
  const originChanged = new URL(next.base_url).origin !== new URL(cur.base_url).origin;
  if (
    originChanged &&
    !input.secret &&
    next.auth_type !== 'none' &&
    (await ctx.secrets.get(secretKey(cur.id))) !== null
  ) {
    throw new AdminError(
      'bad-request',
      `The base URL moves to another origin (${new URL(next.base_url).origin}); enter the credential again for it`,
    );
  }
  const entry = {
    action: 'gateway.update',
    target: next.name,
    actor: actorOf(ctx),
    details: {
      baseUrl: next.base_url,
      authType: next.auth_type,
      caFile: next.ca_file,
      credentialReplaced: !!input.secret,
    },
  };
  const sharedChanged =
    next.name !== cur.name ||
    next.base_url !== cur.base_url ||
    next.auth_type !== cur.auth_type ||
    next.username !== cur.username ||
    next.ca_file !== cur.ca_file ||
    next.timeout_ms !== cur.timeout_ms;
  if (team && cur.team_version !== null && !sharedChanged) {
    // Only this admin's own credential changes: it stays in this machine's secret store, and the
    // shared row (and its version) is untouched.
    if (input.secret) await storeSecret(ctx, cur.id, input.secret);
    appendAdminAction(ctx.db, ctx.clock, entry);
    ctx.events.emit('store.changed', { topics: ['gateways'] });
    return toConnection(ctx, mustRow(ctx, cur.id), true);
  }
  if (team && cur.team_version !== null) {
    // Shared settings first, at the version the edit was based on (else the one just read): a
    // concurrent edit by another admin is a conflict naming them, and nothing here changes.
    const saved = await team.put(
      {
        id: cur.id,
        name: next.name,
        kind: cur.kind,
        baseUrl: next.base_url,
        authType: next.auth_type,
        username: next.username ?? undefined,
        caFile: next.ca_file ?? undefined,
        timeoutMs: next.timeout_ms,
        ssoIssuer: cur.sso_issuer ?? undefined,
        ssoProviderId: cur.sso_provider_id ?? undefined,
      },
      input.expectedVersion ?? cur.team_version,
      entry,
    );
    if (input.secret) await storeSecret(ctx, cur.id, input.secret);
    if (next.auth_type === 'none') await ctx.secrets.delete(secretKey(cur.id));
    cacheTeamRow(ctx, saved);
    // This admin's own move with a new credential: it belongs to the new address.
    if (input.secret) credentialEntered(ctx, cur.id);
    appendAdminAction(ctx.db, ctx.clock, entry);
    ctx.events.emit('store.changed', { topics: ['gateways'] });
    return toConnection(ctx, mustRow(ctx, cur.id), true);
  }
  if (input.secret) await storeSecret(ctx, cur.id, input.secret);
  if (next.auth_type === 'none') await ctx.secrets.delete(secretKey(cur.id));
  ctx.db
    .prepare(
      `UPDATE gateway_connections SET name = ?, base_url = ?, auth_type = ?, username = ?, ca_file = ?, timeout_ms = ?,
         updated_at = ? WHERE id = ?`,
    )
    .run(
      next.name,
      next.base_url,
      next.auth_type,
      next.username,
      next.ca_file,
      next.timeout_ms,
      ctx.clock.now().toISOString(),
      cur.id,
    );
  appendAdminAction(ctx.db, ctx.clock, entry);
  ctx.events.emit('store.changed', { topics: ['gateways'] });
  return getGateway(ctx, cur.id);
}

export async function removeGateway(ctx: ServiceContext, idOrName: string, expectedVersion?: string): Promise<boolean> {
  const team = await teamGateways(ctx);
  if (team) await refreshTeamGateways(ctx);
  const cur = row(ctx, idOrName);
  if (!cur) return false;
  const entry = { action: 'gateway.remove', target: cur.name, actor: actorOf(ctx) };
  // Shared settings go first (a concurrent edit is a conflict and nothing is removed anywhere).
  if (team && cur.team_version !== null) await team.remove(cur.id, expectedVersion ?? cur.team_version, entry);
  if (cur.auth_type === 'sso') await signOutOfGateway(ctx, settingsOf(cur)).catch(() => {});
  await ctx.secrets.delete(secretKey(cur.id));
  ctx.db.prepare('DELETE FROM gateway_snapshots WHERE gateway_id = ?').run(cur.id);
  ctx.db.prepare('DELETE FROM scope_findings_seen WHERE gateway_id = ?').run(cur.id);
  ctx.db.prepare('DELETE FROM gateway_connections WHERE id = ?').run(cur.id);
  stampsOf(ctx).delete(cur.id);
  appendAdminAction(ctx.db, ctx.clock, entry);
  ctx.events.emit('store.changed', { topics: ['gateways'] });
  return true;
}

function settingsOf(r: ConnectionRow) {
  return {
    id: r.id,
    name: r.name,
    baseUrl: r.base_url,
    issuer: r.sso_issuer ?? '',
    ...(r.sso_provider_id ? { providerId: r.sso_provider_id } : {}),
    timeoutMs: r.timeout_ms,
  };
}

async function caOf(ctx: ServiceContext, r: ConnectionRow): Promise<string | undefined> {
  if (!r.ca_file) return undefined;
  try {
    return await ctx.fs.readFile(r.ca_file);
  } catch (err) {
    throw new AdminError('unavailable', `CA file ${r.ca_file} cannot be read: ${(err as Error).message}`);
  }
}

/** `gatehouse gateway login`: sign in through the gateway's single sign-on (see sso.ts). */
export async function loginGateway(
  ctx: ServiceContext,
  idOrName: string,
  opts: GatewaySignInOptions,
): Promise<GatewayConnection> {
  const r = mustRow(ctx, idOrName);
  if (r.auth_type !== 'sso')
    throw new AdminError(
      'bad-request',
      `Gateway "${r.name}" is not set up for single sign-on; add it with --sso ISSUER (auth type sso)`,
    );
  const ca = await caOf(ctx, r);
  await signInToGateway(ctx, { ...settingsOf(r), ...(ca ? { ca } : {}) }, opts);
  credentialEntered(ctx, r.id);
  return getGateway(ctx, r.id);
}

/** `gatehouse gateway logout`: revoke where the gateway allows it, then delete the SSO credential. */
export async function logoutGateway(ctx: ServiceContext, idOrName: string) {
  const r = mustRow(ctx, idOrName);
  const ca = await caOf(ctx, r);
  return signOutOfGateway(ctx, { ...settingsOf(r), ...(ca ? { ca } : {}) });
}

/** The target of a stored connection, with its credential and CA file read just in time. */
export async function targetFor(ctx: ServiceContext, idOrName: string): Promise<GatewayTarget> {
  const r = mustRow(ctx, idOrName);
  const target: GatewayTarget = {
    id: r.id,
    name: r.name,
    kind: 'contextforge',
    baseUrl: r.base_url,
    authType: r.auth_type === 'basic' || r.auth_type === 'none' ? r.auth_type : 'bearer',
    username: r.username ?? undefined,
    timeoutMs: r.timeout_ms,
  };
  if (r.auth_type !== 'none' && r.credential_origin !== null && r.credential_origin !== originOf(r.base_url)) {
    const by = stampsOf(ctx).get(r.id)?.updatedBy;
    throw new AdminError(
      'unavailable',
      `Gateway "${r.name}" was moved to ${originOf(r.base_url)}${by ? ` by ${by}` : ''} through the team store; the credential on this machine was entered for ${r.credential_origin} and is not sent elsewhere. Edit the gateway and enter the credential for the new address${r.auth_type === 'sso' ? ' (sign in again)' : ''}.`,
    );
  }
  if (r.auth_type === 'sso') {
    // The signed-in user's API token, checked for expiry first: an expired or missing one leaves the
    // gateway in "sign in again" (never a raw error).
    try {
      target.secret = await accessToken(ctx, ssoKey(r.id), `gatehouse gateway login ${r.name}`);
    } catch (err) {
      if (err instanceof SignInError) {
        ctx.events.emit('store.changed', { topics: ['gateways'] });
        throw new AdminError('unauthorized', `Gateway "${r.name}": ${err.message}`);
      }
      throw err;
    }
  } else if (target.authType !== 'none') {
    const secret = await ctx.secrets.get(secretKey(r.id));
    if (secret === null) {
      throw new AdminError(
        'unavailable',
        r.team_version !== null
          ? `No credential for gateway "${r.name}" on this machine: its settings are shared through the team store, credentials are not. Edit it and add your own token (stored in ${ctx.secrets.kind}).`
          : `No credential for gateway "${r.name}" in the secret store (${ctx.secrets.kind}); edit it to add one`,
      );
    }
    target.secret = secret;
  }
  if (r.ca_file) {
    try {
      target.ca = await ctx.fs.readFile(r.ca_file);
    } catch (err) {
      throw new AdminError('unavailable', `CA file ${r.ca_file} cannot be read: ${(err as Error).message}`);
    }
  }
  return target;
}

/** Builds the adapter for a stored connection, reading the credential and CA file just in time. */
export async function adapterFor(ctx: ServiceContext, idOrName: string): Promise<GatewayAdapter> {
  return createAdapter(await targetFor(ctx, idOrName));
}

export function createAdapter(target: GatewayTarget): GatewayAdapter {
  switch (target.kind) {
    case 'contextforge':
      return new ContextForgeAdapter(target);
  }
}

function statusOf(err: unknown): GatewayTestStatus {
  if (err instanceof GatewayError) {
    if (err.kind === 'unauthorized') return 'unauthorized';
    if (err.kind === 'forbidden') return 'forbidden';
    if (err.kind === 'tls') return 'tls';
    if (err.kind === 'unreachable') return 'unreachable';
    if (err.kind === 'timeout') return 'timeout';
  }
  return 'error';
}

/** Who the credential is and which reads it may do; a failure becomes a readable result, never a throw. */
async function probe(
  ctx: ServiceContext,
  baseUrl: string,
  makeAdapter: () => Promise<GatewayAdapter>,
): Promise<GatewayTestResult> {
  const t0 = performance.now();
  try {
    const adapter = await makeAdapter();
    const me = await adapter.whoami();
    // The reads the inventory needs; permission gaps are reported, not fatal.
    const missing: string[] = [];
    for (const read of [() => adapter.listUpstreams(), () => adapter.listTeams(), () => adapter.listTokens()]) {
      try {
        await read();
      } catch (err) {
        if (err instanceof GatewayError && (err.kind === 'forbidden' || err.kind === 'unauthorized')) {
          missing.push(err.permission ?? err.message);
        } else throw err;
      }
    }
    return {
      ok: true,
      status: 'ok',
      message:
        `Connected as ${me.subject}${me.isAdmin ? ' (platform admin)' : ''}` +
        (missing.length ? `; the token lacks ${missing.join(', ')} (those parts will be missing)` : ''),
      at: ctx.clock.now().toISOString(),
      latencyMs: performance.now() - t0,
      version: me.version,
      identity: me.subject,
      missingPermissions: missing.length ? missing : undefined,
    };
  } catch (err) {
    return {
      ok: false,
      status: statusOf(err),
      message: readableError(err, { url: baseUrl }),
      at: ctx.clock.now().toISOString(),
      latencyMs: performance.now() - t0,
      missingPermissions: err instanceof GatewayError && err.permission ? [err.permission] : undefined,
    };
  }
}

export async function testGateway(ctx: ServiceContext, idOrName: string): Promise<GatewayTestResult> {
  const r = mustRow(ctx, idOrName);
  const result = await probe(ctx, r.base_url, () => adapterFor(ctx, r.id));
  ctx.db.prepare('UPDATE gateway_connections SET last_test_json = ? WHERE id = ?').run(JSON.stringify(result), r.id);
  ctx.events.emit('store.changed', { topics: ['gateways'] });
  return result;
}

export interface SyncOutcome {
  gatewayId: string;
  ok: boolean;
  message: string;
  fetchedAt?: string;
  /** Parts the gateway refused or failed to return (the sync is partial, not a success). */
  warnings?: string[];
}

export async function syncGateway(ctx: ServiceContext, idOrName: string): Promise<SyncOutcome> {
  const r = mustRow(ctx, idOrName);
  try {
    const adapter = await adapterFor(ctx, r.id);
    const target = await targetFor(ctx, r.id);
    const ssoProviders = await listSsoProviders(
      new HttpClient({
        baseUrl: r.base_url,
        timeoutMs: r.timeout_ms,
        attempts: 1,
        ...(target.ca ? { ca: target.ca } : {}),
      }),
    ).catch(() => undefined);
    const snap = GatewaySnapshot.parse({
      ...(await adapter.snapshot()),
      ...(ssoProviders ? { ssoProviders } : {}),
      readWith: authTypeOf(r),
    });
    // After the gateway's answer (seconds, from a read like policy.plan too): a turn of its own at
    // the write lock during an audit import (write-turns.ts).
    const snapshotJson = JSON.stringify(snap);
    await servingWrite(ctx.writeTurns, () =>
      transaction(ctx.db, () => {
        ctx.db
          .prepare(
            `INSERT INTO gateway_snapshots (gateway_id, fetched_at, snapshot_json) VALUES (?, ?, ?)
             ON CONFLICT (gateway_id) DO UPDATE SET fetched_at = excluded.fetched_at, snapshot_json = excluded.snapshot_json`,
          )
          .run(r.id, snap.fetchedAt, snapshotJson);
        ctx.db
          .prepare('UPDATE gateway_connections SET last_sync_at = ?, last_sync_error = NULL WHERE id = ?')
          .run(snap.fetchedAt, r.id);
      }),
    );
    ctx.events.emit('gateways.synced', { gatewayId: r.id, ok: true, fetchedAt: snap.fetchedAt });
    ctx.events.emit('store.changed', { topics: ['gateways', 'inventory', 'findings', 'tenants'] });
    const msg =
      `${snap.upstreams.length} upstream(s), ${snap.tools.length} tool(s), ${snap.servers.length} virtual server(s), ` +
      `${snap.teams.length} team(s), ${snap.tokens.length} token(s)` +
      (snap.warnings.length ? `; ${snap.warnings.length} part(s) unreadable: ${snap.warnings.join('; ')}` : '');
    return {
      gatewayId: r.id,
      ok: true,
      message: msg,
      fetchedAt: snap.fetchedAt,
      ...(snap.warnings.length ? { warnings: snap.warnings } : {}),
    };
  } catch (err) {
    const message = readableError(err, { url: r.base_url });
    ctx.db.prepare('UPDATE gateway_connections SET last_sync_error = ? WHERE id = ?').run(message, r.id);
    ctx.events.emit('gateways.synced', { gatewayId: r.id, ok: false, fetchedAt: ctx.clock.now().toISOString() });
    ctx.events.emit('store.changed', { topics: ['gateways'] });
    return { gatewayId: r.id, ok: false, message };
  }
}

export async function syncGateways(ctx: ServiceContext, idOrName?: string): Promise<SyncOutcome[]> {
  const targets = idOrName ? [mustRow(ctx, idOrName)] : rows(ctx);
  const out: SyncOutcome[] = [];
  for (const t of targets) out.push(await syncGateway(ctx, t.id));
  return out;
}

export function loadSnapshot(ctx: ServiceContext, idOrName: string): GatewaySnapshot | null {
  const r = row(ctx, idOrName);
  if (!r) return null;
  const s = ctx.db.prepare('SELECT snapshot_json FROM gateway_snapshots WHERE gateway_id = ?').get(r.id) as
    { snapshot_json: string } | undefined;
  if (!s) return null;
  const parsed = GatewaySnapshot.safeParse(JSON.parse(s.snapshot_json));
  return parsed.success ? { ...parsed.data, gatewayName: r.name } : null;
}

export function loadSnapshots(ctx: ServiceContext, idOrName?: string): GatewaySnapshot[] {
  const ids = idOrName ? [mustRow(ctx, idOrName).id] : rows(ctx).map((r) => r.id);
  return ids.map((id) => loadSnapshot(ctx, id)).filter((s): s is GatewaySnapshot => s !== null);
}

/**
 * Audit-trail records read live from a configured gateway (ContextForge `GET /api/logs/audit-trails`,
 * needs `audit:read`). For the audit capability: `fetchGatewayAudit(ctx, 'cf', { since, limit: 500 })`.
 */
export async function fetchGatewayAudit(ctx: ServiceContext, idOrName: string, query: AuditQuery) {
  const adapter = await adapterFor(ctx, idOrName);
  return adapter.listAuditEvents(query);
}
