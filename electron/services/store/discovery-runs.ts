import { DiscoveryResult, type DiscoveryOptions, type DiscoveryRun } from '../../../shared/model/discovery.js';
import type { Database } from './database.js';

/** Stored discovery runs. Results are stored as they are output: masked, key names only. */
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
