import { AdminError } from '../../../shared/api/errors.js';
import type { GatewayShareResult, SharedGatewaySettings } from '../../../shared/api/gateways.js';
import { appendAdminAction } from '../audit/admin-log.js';
import type { ServiceContext } from '../context.js';
import { actorOf } from '../identity/sessions.js';
import { transaction } from '../store/database.js';
import { teamState } from '../team-state/open.js';
import type { GatewaySettings, GatewaySettingsInput } from '../team-state/types.js';
import {
  cacheTeamRow,
  mustRow,
  refreshTeamGateways,
  secretKey,
  stampsOf,
  teamGateways,
  toConnection,
  type ConnectionRow,
} from './service.js';

/**
 * `gateways.share` / `gatehouse gateway share NAME`: a connection added before the team store was
 * configured stays on this workstation until an admin shares it. Preview first (exactly the
 * settings that go to the team store; the credential stays in this workstation's secret store),
 * then share (the team row and its team admin-log entry commit together), and undo (take it out of
 * the team store at the version it was shared with: it is local-only here again, everyone else
 * loses it on their next refresh).
 *
 * A team gateway of the same name with other settings is a conflict naming it and who set it; one
 * with identical settings is joined: this connection becomes that team row here (its token moves
 * with it), so the team keeps one row per gateway.
 */

export type ShareMode = 'preview' | 'share' | 'unshare';

const FIELDS: { key: keyof SharedGatewaySettings; label: string }[] = [
  { key: 'name', label: 'name' },
  { key: 'kind', label: 'kind' },
  { key: 'baseUrl', label: 'base URL' },
  { key: 'authType', label: 'auth type' },
  { key: 'username', label: 'user name' },
  { key: 'caFile', label: 'CA file' },
  { key: 'timeoutMs', label: 'timeout' },
  { key: 'ssoIssuer', label: 'SSO issuer' },
  { key: 'ssoProviderId', label: 'SSO provider id' },
];

/** The settings of a stored connection exactly as the team store would hold them (never a credential). */
export function sharedSettingsOf(r: ConnectionRow): SharedGatewaySettings {
  return {
    name: r.name,
    kind: r.kind,
    baseUrl: r.base_url,
    authType: r.auth_type,
    ...(r.username ? { username: r.username } : {}),
    ...(r.ca_file ? { caFile: r.ca_file } : {}),
    timeoutMs: r.timeout_ms,
    ...(r.sso_issuer ? { ssoIssuer: r.sso_issuer } : {}),
    ...(r.sso_provider_id ? { ssoProviderId: r.sso_provider_id } : {}),
  };
}

function differences(a: SharedGatewaySettings, b: SharedGatewaySettings): string[] {
  return FIELDS.filter(({ key }) => (a[key] ?? null) !== (b[key] ?? null)).map(
    ({ key, label }) => `${label} ${JSON.stringify(b[key] ?? null)} there, ${JSON.stringify(a[key] ?? null)} here`,
  );
}

export async function shareGateway(
  ctx: ServiceContext,
  idOrName: string,
  mode: ShareMode,
  expectedVersion?: string,
): Promise<GatewayShareResult> {
  const team = await teamGateways(ctx);
  if (!team)
    throw new AdminError(
      'bad-request',
      'Sharing needs a team store where you are an admin (Settings › Team store, or $GATEHOUSE_DATABASE_URL); none is configured.',
    );
  await refreshTeamGateways(ctx);
  const cur = mustRow(ctx, idOrName);
  const settings = sharedSettingsOf(cur);
  const hasSecret = (await toConnection(ctx, cur, true)).hasCredential;
  const teamStore = (await teamState(ctx)).display;
  const result = async (r: ConnectionRow, done: boolean, joined?: GatewaySettings): Promise<GatewayShareResult> => ({
    gateway: await toConnection(ctx, r, true),
    settings,
    credential: { stored: hasSecret, secretStore: ctx.secrets.kind },
    teamStore,
    ...(joined ? { joins: { updatedBy: joined.updatedBy, updatedAt: joined.updatedAt } } : {}),
    done,
  });
  const actor = actorOf(ctx);

  if (mode === 'unshare') {
    if (cur.team_version === null)
      throw new AdminError('bad-request', `Gateway "${cur.name}" is not shared with the team; nothing to take back.`);
    const entry = { action: 'gateway.unshare', target: cur.name, actor, details: { gatewayId: cur.id } };
    // At the version the undo was based on: another admin's edit since is a conflict naming them.
    await team.remove(cur.id, expectedVersion ?? cur.team_version, entry);
    ctx.db.prepare('UPDATE gateway_connections SET team_version = NULL WHERE id = ?').run(cur.id);
    stampsOf(ctx).delete(cur.id);
    appendAdminAction(ctx.db, ctx.clock, entry);
    ctx.events.emit('store.changed', { topics: ['gateways'] });
    return result(mustRow(ctx, cur.id), true);
  }

  if (cur.team_version !== null)
    throw new AdminError('bad-request', `Gateway "${cur.name}" is already shared with the team.`);
  const existing = await team.get(cur.name);
  if (existing && existing.id !== cur.id) {
    const diff = differences(settings, sharedSettingsOf(rowOf(existing)));
    if (diff.length)
      throw new AdminError(
        'conflict',
        `The team store already has a gateway named "${existing.name}" (set by ${existing.updatedBy} at ${existing.updatedAt}) with other settings: ${diff.join('; ')}. Rename this one (Edit) and share it, or remove it and use the team's.`,
      );
  }
  if (mode === 'preview') return result(cur, false, existing);

  const entry = {
    action: 'gateway.share',
    target: cur.name,
    actor,
    // The settings that went to the team store; the credential never does (only whether one stays here).
    details: { gatewayId: existing?.id ?? cur.id, ...settings, credentialStaysLocal: hasSecret, joined: !!existing },
  };
  if (existing) {
    await joinTeamGateway(ctx, cur, existing);
    await (await teamState(ctx)).adminLog.append(entry);
    appendAdminAction(ctx.db, ctx.clock, entry);
    ctx.events.emit('store.changed', { topics: ['gateways'] });
    return result(mustRow(ctx, existing.id), true, existing);
  }
  const input: GatewaySettingsInput = { id: cur.id, ...settings };
  // null: the row must not exist yet; a concurrent share of the same name loses on the unique name.
  const saved = await team.put(input, null, entry);
  cacheTeamRow(ctx, saved);
  appendAdminAction(ctx.db, ctx.clock, entry);
  ctx.events.emit('store.changed', { topics: ['gateways'] });
  return result(mustRow(ctx, cur.id), true);
}

/** A team row's settings in the local row's shape (for comparing with a local connection). */
function rowOf(g: GatewaySettings): ConnectionRow {
  return {
    id: g.id,
    name: g.name,
    kind: g.kind,
    base_url: g.baseUrl,
    auth_type: g.authType,
    username: g.username ?? null,
    ca_file: g.caFile ?? null,
    timeout_ms: g.timeoutMs,
    created_at: g.createdAt,
    updated_at: g.updatedAt,
    last_test_json: null,
    last_sync_at: null,
    last_sync_error: null,
    sso_issuer: g.ssoIssuer ?? null,
    sso_provider_id: g.ssoProviderId ?? null,
    team_version: g.version,
    credential_origin: null,
  };
}

/**
 * The team already has this very gateway (same settings, its own id): this workstation's connection
 * becomes the team row. The token moves to the team row's key first (a failure leaves everything
 * as it was); the old snapshot is dropped (the next sync reads it again under the team id).
 */
async function joinTeamGateway(ctx: ServiceContext, cur: ConnectionRow, team: GatewaySettings): Promise<void> {
  const secret = await ctx.secrets.get(secretKey(cur.id)).catch(() => null);
  if (secret !== null) await ctx.secrets.set(secretKey(team.id), secret);
  transaction(ctx.db, () => {
    for (const table of ['scope_findings_seen', 'policy_bases', 'policy_versions'])
      ctx.db.prepare(`UPDATE ${table} SET gateway_id = ? WHERE gateway_id = ?`).run(team.id, cur.id);
    ctx.db.prepare('DELETE FROM gateway_connections WHERE id = ?').run(cur.id);
    cacheTeamRow(ctx, team);
  });
  await ctx.secrets.delete(secretKey(cur.id)).catch(() => {});
}
