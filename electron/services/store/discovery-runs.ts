import { DiscoveryResult, type DiscoveryOptions, type DiscoveryRun } from '../../../shared/model/discovery.js';
import type { Database } from './database.js';

/** Runs kept: the latest is what every page reads; a few older ones help when comparing. */
export const DISCOVERY_RUNS_KEPT = 20;

/**
 * Stored discovery runs. Results are stored as they are output: masked, key names only. Older
 * runs are pruned on insert (each holds the whole inventory; unbounded, 3k runs took 63 MB).
 */
export class DiscoveryRunRepository {
  constructor(private readonly db: Database) {}

  insert(run: {
    startedAt: string;
    durationMs: number;
    options: DiscoveryOptions;
    result: DiscoveryResult;
  }): DiscoveryRun {
    const info = this.db
      .prepare(
        `INSERT INTO discovery_runs (started_at, duration_ms, options_json, source_count, server_count, result_json)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.startedAt,
        run.durationMs,
        JSON.stringify(run.options),
        run.result.sources.length,
        run.result.servers.length,
        JSON.stringify(run.result),
      );
    this.db.prepare('DELETE FROM discovery_runs WHERE id <= ?').run(Number(info.lastInsertRowid) - DISCOVERY_RUNS_KEPT);
    return {
      id: Number(info.lastInsertRowid),
      startedAt: run.startedAt,
      durationMs: run.durationMs,
      result: run.result,
    };
  }

  latest(): DiscoveryRun | null {
    const row = this.db
      .prepare('SELECT id, started_at, duration_ms, result_json FROM discovery_runs ORDER BY id DESC LIMIT 1')
      .get() as { id: number; started_at: string; duration_ms: number; result_json: string } | undefined;
    if (!row) return null;
    return {
      id: row.id,
      startedAt: row.started_at,
      durationMs: row.duration_ms,
      result: DiscoveryResult.parse(JSON.parse(row.result_json)),
    };
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM discovery_runs').get() as { n: number }).n;
  }
}
