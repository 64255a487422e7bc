import { DiscoveryResult, type DiscoveryRun } from '../../../shared/model/discovery.js';
import { insertDiscoveryRun } from './discovery-run-writer.js';
import type { Database } from './database.js';

export { DISCOVERY_RUNS_KEPT } from './discovery-run-writer.js';

/** Stored discovery runs (recording one: discovery-run-writer.ts). */
export class DiscoveryRunRepository {
  constructor(private readonly db: Database) {}

  insert(run: Parameters<typeof insertDiscoveryRun>[1]): DiscoveryRun {
    return insertDiscoveryRun(this.db, run);
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
