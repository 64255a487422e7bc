import {
  Consent,
  ServerSnapshot,
  type DefinitionKind,
  type LiveScanSummary,
  type Pin,
  type PinChange,
  type SnapshotRef,
} from '../../../shared/model/live.js';
import { ConsentedLine } from './consent-diff.js';
import type { Database } from '../store/database.js';
import { transaction } from '../store/database.js';

/** Stored consents, scans, snapshots, pins and pin changes (tables from migration 200). */
export class LiveStore {
  constructor(private readonly db: Database) {}

  // ── consents ────────────────────────────────────────────────────────────
  consent(hash: string): Consent | null {
    const r = this.db.prepare('SELECT * FROM live_consents WHERE hash = ?').get(hash) as ConsentRow | undefined;
    return r ? consentFromRow(r) : null;
  }

  consents(): Consent[] {
    return (
      this.db.prepare('SELECT * FROM live_consents ORDER BY granted_at DESC').all() as unknown as ConsentRow[]
    ).map(consentFromRow);
  }

  /**
   * Another stored consent of this server (not `hash`): `changed` when one of the same kind exists
   * (an earlier command line or URL), `legacy` when only a pre-binding (v2) consent does.
   */
  otherConsent(serverId: string, hash: string, kind: 'stdio' | 'remote' = 'stdio'): 'changed' | 'legacy' | null {
    const rows = this.db
      .prepare("SELECT kind FROM live_consents WHERE server_id = ? AND hash <> ? AND kind <> 'project'")
      .all(serverId, hash) as { kind: string }[];
    if (rows.some((r) => r.kind === kind)) return 'changed';
    if (kind === 'stdio' && rows.some((r) => r.kind === 'legacy')) return 'legacy';
    return null;
  }

  /** Whether this server has a stored consent for another (older) command line or URL. */
  hasOtherConsent(serverId: string, hash: string): boolean {
    return this.otherConsent(serverId, hash) === 'changed';
  }

  /**
   * The latest other consent of this server of the same kind (the baseline of "changed since
   * consent"), with what it covered when that was kept.
   */
  previousConsent(
    serverId: string,
    hash: string,
    kind: 'stdio' | 'remote',
  ): { consent: Consent; line: ConsentedLine | null } | null {
    const r = this.db
      .prepare(
        'SELECT * FROM live_consents WHERE server_id = ? AND hash <> ? AND kind = ? ORDER BY granted_at DESC, rowid DESC LIMIT 1',
      )
      .get(serverId, hash, kind) as (ConsentRow & { line_json: string | null }) | undefined;
    if (!r) return null;
    let line: ConsentedLine | null = null;
    if (r.line_json) {
      const parsed = ConsentedLine.safeParse(JSON.parse(r.line_json));
      line = parsed.success ? parsed.data : null;
    }
    return { consent: consentFromRow(r), line };
  }

  /** Stores a consent; `line` is what it covered (masked, see consent-diff.ts). */
  grant(c: Consent, line?: ConsentedLine): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO live_consents (hash, kind, server_id, client, server_name, command, args_json, env_keys_json, cwd, source, url, project_dir, granted_at, line_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.hash,
        c.kind,
        c.serverId,
        c.client,
        c.serverName,
        c.command,
        JSON.stringify(c.args),
        JSON.stringify(c.envKeys),
        c.cwd ?? null,
        c.source ?? null,
        c.url ?? null,
        c.projectDir ?? null,
        c.grantedAt,
        line ? JSON.stringify(line) : null,
      );
  }

  revoke(hash: string): boolean {
    return Number(this.db.prepare('DELETE FROM live_consents WHERE hash = ?').run(hash).changes) > 0;
  }

  // ── scans and snapshots ────────────────────────────────────────────────
  startScan(startedAt: string): number {
    return Number(this.db.prepare('INSERT INTO live_scans (started_at) VALUES (?)').run(startedAt).lastInsertRowid);
  }

  finishScan(s: LiveScanSummary): void {
    this.db
      .prepare(
        'UPDATE live_scans SET duration_ms = ?, servers = ?, ok = ?, errors = ?, needs_consent = ?, cancelled = ? WHERE id = ?',
      )
      .run(s.durationMs, s.servers, s.ok, s.errors, s.needsConsent, s.cancelled, s.id);
  }

  scans(limit = 50): LiveScanSummary[] {
    const rows = this.db
      .prepare('SELECT * FROM live_scans ORDER BY id DESC LIMIT ?')
      .all(limit) as unknown as ScanRow[];
    return rows.map((r) => ({
      id: r.id,
      startedAt: r.started_at,
      durationMs: r.duration_ms,
      servers: r.servers,
      ok: r.ok,
      errors: r.errors,
      needsConsent: r.needs_consent,
      cancelled: r.cancelled,
    }));
  }

  insertSnapshot(s: ServerSnapshot): number {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO live_snapshots (scan_id, server_id, identity, at, status, auth_mode, tool_count, prompt_count, resource_count, error, snapshot_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          s.scanId,
          s.serverId,
          s.identity,
          s.at,
          s.status,
          s.authMode ?? null,
          s.tools.length,
          s.prompts.length,
          s.resources.length + s.resourceTemplates.length,
          s.error ?? null,
          JSON.stringify({ ...s, id: 0 }),
        ).lastInsertRowid,
    );
    return id;
  }

  snapshot(id: number): ServerSnapshot | null {
    const r = this.db.prepare('SELECT id, snapshot_json FROM live_snapshots WHERE id = ?').get(id) as
      { id: number; snapshot_json: string } | undefined;
    return r ? { ...ServerSnapshot.parse(JSON.parse(r.snapshot_json)), id: r.id } : null;
  }

  /** The latest snapshot of a server; `enumerated` skips needs-consent/cancelled/skipped rows. */
  latestSnapshot(serverId: string, enumerated = false): ServerSnapshot | null {
    const r = this.db
      .prepare(
        `SELECT id FROM live_snapshots WHERE server_id = ? ${enumerated ? "AND status IN ('ok','error')" : ''} ORDER BY id DESC LIMIT 1`,
      )
      .get(serverId) as { id: number } | undefined;
    return r ? this.snapshot(r.id) : null;
  }

  history(serverId: string, limit = 200): SnapshotRef[] {
    const rows = this.db
      .prepare(
        'SELECT id, scan_id, at, status, tool_count, prompt_count, resource_count, error FROM live_snapshots WHERE server_id = ? ORDER BY id DESC LIMIT ?',
      )
      .all(serverId, limit) as unknown as SnapshotRow[];
    return rows.map((r) => ({
      id: r.id,
      scanId: r.scan_id,
      at: r.at,
      status: r.status as SnapshotRef['status'],
      toolCount: r.tool_count,
      promptCount: r.prompt_count,
      resourceCount: r.resource_count,
      ...(r.error ? { error: r.error } : {}),
    }));
  }

  /** Latest snapshot row per server (for inventory state). */
  latestPerServer(): {
    serverId: string;
    id: number;
    status: string;
    authMode?: string;
    tools: number;
    prompts: number;
    resources: number;
    error?: string;
    at: string;
    identity: string;
  }[] {
    const rows = this.db
      .prepare(
        `SELECT s.* FROM live_snapshots s JOIN (SELECT server_id, MAX(id) AS id FROM live_snapshots GROUP BY server_id) m ON s.id = m.id`,
      )
      .all() as unknown as (SnapshotRow & { server_id: string; auth_mode: string | null; identity: string })[];
    return rows.map((r) => ({
      serverId: r.server_id,
      id: r.id,
      status: r.status,
      ...(r.auth_mode ? { authMode: r.auth_mode } : {}),
      tools: r.tool_count,
      prompts: r.prompt_count,
      resources: r.resource_count,
      ...(r.error ? { error: r.error } : {}),
      at: r.at,
      identity: r.identity,
    }));
  }

  // ── pins ───────────────────────────────────────────────────────────────
  pins(identity: string): Pin[] {
    const rows = this.db
      .prepare('SELECT * FROM live_pins WHERE identity = ? ORDER BY kind, name')
      .all(identity) as unknown as PinRow[];
    return rows.map((r) => ({
      identity: r.identity,
      kind: r.kind as DefinitionKind,
      name: r.name,
      hash: r.hash,
      definition: JSON.parse(r.definition_json) as unknown,
      pinnedAt: r.pinned_at,
      ...(r.reason ? { reason: r.reason } : {}),
    }));
  }

  hasPins(identity: string): boolean {
    return this.db.prepare('SELECT 1 FROM live_pins WHERE identity = ? LIMIT 1').get(identity) !== undefined;
  }

  upsertPin(p: Pin): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO live_pins (identity, kind, name, hash, definition_json, pinned_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(p.identity, p.kind, p.name, p.hash, JSON.stringify(p.definition ?? null), p.pinnedAt, p.reason ?? null);
  }

  deletePin(identity: string, kind: DefinitionKind, name: string): void {
    this.db.prepare('DELETE FROM live_pins WHERE identity = ? AND kind = ? AND name = ?').run(identity, kind, name);
  }

  // ── changes ────────────────────────────────────────────────────────────
  pendingChanges(identity?: string): (PinChange & { id: number })[] {
    const rows = (identity
      ? this.db
          .prepare('SELECT * FROM live_changes WHERE accepted_at IS NULL AND identity = ? ORDER BY id')
          .all(identity)
      : this.db
          .prepare('SELECT * FROM live_changes WHERE accepted_at IS NULL ORDER BY id')
          .all()) as unknown as ChangeRow[];
    return rows.map(changeFromRow);
  }

  /** Replaces the pending changes of one server with what the latest scan saw. */
  replacePending(identity: string, changes: PinChange[]): void {
    transaction(this.db, () => {
      const existing = new Map(
        this.pendingChanges(identity).map((c) => [`${c.kind}:${c.name}:${c.afterHash ?? ''}`, c]),
      );
      const keep = new Set<number>();
      for (const c of changes) {
        const old = existing.get(`${c.kind}:${c.name}:${c.afterHash ?? ''}`);
        if (old) {
          keep.add(old.id);
          continue;
        }
        this.db
          .prepare(
            `INSERT INTO live_changes (identity, server_id, kind, name, change, before_hash, after_hash, before_json, after_json, detected_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            c.identity,
            c.serverId,
            c.kind,
            c.name,
            c.change,
            c.beforeHash ?? null,
            c.afterHash ?? null,
            c.before === undefined ? null : JSON.stringify(c.before),
            c.after === undefined ? null : JSON.stringify(c.after),
            c.detectedAt,
          );
      }
      for (const old of existing.values()) {
        if (!keep.has(old.id)) this.db.prepare('DELETE FROM live_changes WHERE id = ?').run(old.id);
      }
    });
  }

  markAccepted(id: number, at: string, reason: string): void {
    this.db.prepare('UPDATE live_changes SET accepted_at = ?, reason = ? WHERE id = ?').run(at, reason, id);
  }
}

interface ConsentRow {
  hash: string;
  kind: string;
  source: string | null;
  url: string | null;
  project_dir: string | null;
  server_id: string;
  client: string;
  server_name: string;
  command: string;
  args_json: string;
  env_keys_json: string;
  cwd: string | null;
  granted_at: string;
}
interface ScanRow {
  id: number;
  started_at: string;
  duration_ms: number;
  servers: number;
  ok: number;
  errors: number;
  needs_consent: number;
  cancelled: number;
}
interface SnapshotRow {
  id: number;
  scan_id: number;
  at: string;
  status: string;
  tool_count: number;
  prompt_count: number;
  resource_count: number;
  error: string | null;
}
interface PinRow {
  identity: string;
  kind: string;
  name: string;
  hash: string;
  definition_json: string;
  pinned_at: string;
  reason: string | null;
}
interface ChangeRow {
  id: number;
  identity: string;
  server_id: string;
  kind: string;
  name: string;
  change: string;
  before_hash: string | null;
  after_hash: string | null;
  before_json: string | null;
  after_json: string | null;
  detected_at: string;
}

function consentFromRow(r: ConsentRow): Consent {
  return Consent.parse({
    hash: r.hash,
    kind: r.kind,
    serverId: r.server_id,
    client: r.client,
    serverName: r.server_name,
    command: r.command,
    args: JSON.parse(r.args_json) as unknown,
    envKeys: JSON.parse(r.env_keys_json) as unknown,
    ...(r.cwd ? { cwd: r.cwd } : {}),
    ...(r.source ? { source: r.source } : {}),
    ...(r.url ? { url: r.url } : {}),
    ...(r.project_dir ? { projectDir: r.project_dir } : {}),
    grantedAt: r.granted_at,
  });
}

function changeFromRow(r: ChangeRow): PinChange & { id: number } {
  return {
    id: r.id,
    identity: r.identity,
    serverId: r.server_id,
    kind: r.kind as DefinitionKind,
    name: r.name,
    change: r.change as PinChange['change'],
    ...(r.before_hash ? { beforeHash: r.before_hash } : {}),
    ...(r.after_hash ? { afterHash: r.after_hash } : {}),
    ...(r.before_json ? { before: JSON.parse(r.before_json) as unknown } : {}),
    ...(r.after_json ? { after: JSON.parse(r.after_json) as unknown } : {}),
    detectedAt: r.detected_at,
  };
}
