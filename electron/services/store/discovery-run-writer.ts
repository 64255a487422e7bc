import type { DiscoveryOptions, DiscoveryResult, DiscoveryRun } from '../../../shared/model/discovery.js';
import { transaction, type Database } from './database.js';

/** Runs kept: the latest is what every page reads; a few older ones help when comparing. */
export const DISCOVERY_RUNS_KEPT = 20;

/**
 * Records one discovery run. Results are stored as they are output: masked, key names only. Older
 * runs are pruned on insert (each holds the whole inventory; unbounded, 3k runs took 63 MB).
 * Apart from the repository (discovery-runs.ts), whose reads validate with zod: recording a run
 * (every `gatehouse scan`) does not load zod.
 */
export function insertDiscoveryRun(
  db: Database,
  run: { startedAt: string; durationMs: number; options: DiscoveryOptions; result: DiscoveryResult },
): DiscoveryRun {
  const write = () => {
    const info = db
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
    db.prepare('DELETE FROM discovery_runs WHERE id <= ?').run(Number(info.lastInsertRowid) - DISCOVERY_RUNS_KEPT);
    return info;
  };
  // Insert and prune in one transaction: one commit (one WAL sync) instead of two. Inside a
  // caller's transaction (or where node:sqlite cannot tell) they simply join it.
  const info = db.isTransaction === false ? transaction(db, write) : write();
  return {
    id: Number(info.lastInsertRowid),
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    result: run.result,
  };
}
