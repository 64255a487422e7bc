import type { Suppression } from '../../../shared/model/finding.js';
import { transaction, type Database } from '../store/database.js';
import type { IdentifiedDraft } from './engine.js';
import { sharedSuppressions } from '../team-state/scope.js';

export interface StoredScan {
  id: number;
  startedAt: string;
  durationMs: number;
  live: boolean;
  drafts: IdentifiedDraft[];
}

export interface FixedDraft {
  draft: IdentifiedDraft;
  firstSeen: string;
  /** Start time of the scan that no longer reported it. */
  fixedAt: string;
}

export interface StoredSuppression extends Suppression {
  id: string;
  ruleId: string;
  file: string;
  pointer: string;
  fingerprint?: string;
  actor: string;
  /** Set when read from the team store. */
  version?: string;
}

/** Findings in the store: scans (identified drafts, masked), first-seen state and suppressions. */
export class FindingsRepository {
  constructor(private readonly db: Database) {}

  /** Records a scan and updates first/last seen; returns the first-seen time of every finding. */
  insertScan(scan: Omit<StoredScan, 'id'>): { id: number; firstSeen: Map<string, string> } {
    const ids = JSON.stringify(scan.drafts.map((d) => d.id));
    // The scan's JSON array is its drafts' JSON joined (the text JSON.stringify of the array writes).
    // SQLite joins the rows it has just stored when the ids are unique (they are, from the engine):
    // the ~1 MB array and the drafts' JSON are then never all held in JS at once (peak memory of
    // `gatehouse scan`, issue #13). In the drafts' order without sorting: CROSS JOIN makes the id
    // list (json_each, in array order) the outer loop, and group_concat joins rows as the loop
    // feeds them. An `ORDER BY j.key` inside group_concat copied every draft into a sorter first,
    // ~2 MB more at the scan's peak; store.test.ts pins the order (shuffled ids, hundreds of rows).
    const unique = new Set(scan.drafts.map((d) => d.id)).size === scan.drafts.length;
    const jsons = unique ? undefined : scan.drafts.map((d) => JSON.stringify(d));
    return transaction(this.db, () => {
      // Each row's first-seen time comes back from its upsert (RETURNING), not from a second pass.
      const upsert = this.db.prepare(
        `INSERT INTO finding_state (id, rule_id, first_seen, last_seen, fixed_at, draft_json) VALUES (?, ?, ?, ?, NULL, ?)
         ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen, fixed_at = NULL, draft_json = excluded.draft_json
         RETURNING first_seen`,
      );
      const firstSeen = new Map<string, string>();
      scan.drafts.forEach((d, i) => {
        const row = upsert.get(
          d.id,
          d.ruleId,
          scan.startedAt,
          scan.startedAt,
          jsons ? jsons[i]! : JSON.stringify(d),
        ) as {
          first_seen: string;
        };
        firstSeen.set(d.id, row.first_seen);
      });
      const head = [scan.startedAt, scan.durationMs, scan.live ? 1 : 0, scan.drafts.length] as const;
      const info = jsons
        ? this.db
            .prepare(
              'INSERT INTO finding_scans (started_at, duration_ms, live, finding_count, findings_json) VALUES (?, ?, ?, ?, ?)',
            )
            .run(...head, `[${jsons.join(',')}]`)
        : this.db
            .prepare(
              `INSERT INTO finding_scans (started_at, duration_ms, live, finding_count, findings_json)
               SELECT ?, ?, ?, ?, '[' || coalesce(group_concat(s.draft_json, ','), '') || ']'
               FROM json_each(?) AS j CROSS JOIN finding_state AS s ON s.id = j.value`,
            )
            .run(...head, ids);
      // Whatever this scan no longer reports was fixed by it (kept, with the scan time, instead of vanishing).
      this.db
        .prepare(
          `UPDATE finding_state SET fixed_at = ?
           WHERE fixed_at IS NULL AND draft_json IS NOT NULL AND id NOT IN (SELECT value FROM json_each(?))`,
        )
        .run(scan.startedAt, ids);
      // Keep the last 50 scans.
      this.db.prepare('DELETE FROM finding_scans WHERE id <= ?').run(Number(info.lastInsertRowid) - 50);
      return { id: Number(info.lastInsertRowid), firstSeen };
    });
  }

  latestScan(): StoredScan | null {
    const row = this.db
      .prepare('SELECT id, started_at, duration_ms, live, findings_json FROM finding_scans ORDER BY id DESC LIMIT 1')
      .get() as
      { id: number; started_at: string; duration_ms: number; live: number; findings_json: string } | undefined;
    if (!row) return null;
    return {
      id: row.id,
      startedAt: row.started_at,
      durationMs: row.duration_ms,
      live: row.live === 1,
      drafts: JSON.parse(row.findings_json) as IdentifiedDraft[],
    };
  }

  /**
   * The latest scan's drafts of the given rules, in their stored order: SQLite picks them out of
   * the stored JSON, so a rescan does not parse every draft of the previous scan to keep a few.
   */
  latestScanDrafts(ruleIds: Iterable<string>): IdentifiedDraft[] {
    const ids = JSON.stringify([...ruleIds]);
    // Most scans hold none of them, and finding_state says so without reading the stored JSON: every
    // draft of the latest scan has its row there with fixed_at NULL (insertScan clears it for the
    // scan's drafts and sets it for all others). Rows with fixed_at NULL that are not the latest
    // scan's (from before draft_json was kept) only mean the full query runs. Reading the ~1 MB
    // JSON to search it for each rule id took ~13 ms of the 2,000-server scan (issue #13).
    const mayHold = this.db
      .prepare(
        `SELECT 1 AS yes FROM finding_state
         WHERE fixed_at IS NULL AND rule_id IN (SELECT value FROM json_each(?)) LIMIT 1`,
      )
      .get(ids);
    if (!mayHold) return [];
    const rows = this.db
      .prepare(
        `SELECT d.value AS draft
         FROM (SELECT findings_json FROM finding_scans ORDER BY id DESC LIMIT 1) AS s, json_each(s.findings_json) AS d
         WHERE d.value ->> '$.ruleId' IN (SELECT value FROM json_each(?))
         ORDER BY d.key`,
      )
      .all(ids) as { draft: string }[];
    return rows.map((r) => JSON.parse(r.draft) as IdentifiedDraft);
  }

  /** Findings a later scan no longer reported, most recently fixed first. */
  fixed(limit = 1000): FixedDraft[] {
    const rows = this.db
      .prepare(
        `SELECT first_seen, fixed_at, draft_json FROM finding_state
         WHERE fixed_at IS NOT NULL AND draft_json IS NOT NULL ORDER BY fixed_at DESC, id LIMIT ?`,
      )
      .all(limit) as { first_seen: string; fixed_at: string; draft_json: string }[];
    return rows.map((r) => ({
      draft: JSON.parse(r.draft_json) as IdentifiedDraft,
      firstSeen: r.first_seen,
      fixedAt: r.fixed_at,
    }));
  }

  fixedCount(): number {
    return Number(
      (
        this.db
          .prepare('SELECT COUNT(*) AS n FROM finding_state WHERE fixed_at IS NOT NULL AND draft_json IS NOT NULL')
          .get() as { n: number }
      ).n,
    );
  }

  firstSeen(ids: string[]): Map<string, string> {
    const out = new Map<string, string>();
    // One statement for the whole list (a look-up per id was a thousand round trips per scan).
    const rows = this.db
      .prepare('SELECT id, first_seen FROM finding_state WHERE id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(ids)) as { id: string; first_seen: string }[];
    for (const r of rows) out.set(r.id, r.first_seen);
    return out;
  }

  suppressions(): Map<string, StoredSuppression> {
    // Inside a team-store request the shared suppressions replace the local ones (team-state/scope.ts).
    const shared = sharedSuppressions();
    if (shared) return new Map(shared);
    const rows = this.db
      .prepare(
        'SELECT id, rule_id, file, pointer, fingerprint, reason, created_at, expires_at, actor FROM finding_suppressions',
      )
      .all() as {
      id: string;
      rule_id: string;
      file: string;
      pointer: string;
      fingerprint: string | null;
      reason: string;
      created_at: string;
      expires_at: string | null;
      actor: string;
    }[];
    return new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          key: r.id,
          ruleId: r.rule_id,
          file: r.file,
          pointer: r.pointer,
          ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}),
          reason: r.reason,
          createdAt: r.created_at,
          ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
          actor: r.actor,
        },
      ]),
    );
  }

  /** Suppresses a workstation finding or a gateway scope finding (both keyed by their stable id). */
  suppress(
    d: { id: string; ruleId: string; location: { file: string; pointer: string }; fingerprint?: string | undefined },
    s: { reason: string; createdAt: string; expiresAt?: string; actor: string },
  ): void {
    this.db
      .prepare(
        `INSERT INTO finding_suppressions (id, rule_id, file, pointer, fingerprint, reason, created_at, expires_at, actor)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at,
           expires_at = excluded.expires_at, actor = excluded.actor`,
      )
      .run(
        d.id,
        d.ruleId,
        d.location.file,
        d.location.pointer,
        d.fingerprint ?? null,
        s.reason,
        s.createdAt,
        s.expiresAt ?? null,
        s.actor,
      );
  }

  unsuppress(id: string): boolean {
    return Number(this.db.prepare('DELETE FROM finding_suppressions WHERE id = ?').run(id).changes) > 0;
  }
}
