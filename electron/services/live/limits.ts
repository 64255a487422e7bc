/** Limits every live connection runs under, so one hostile server cannot hurt the others. */
export interface LiveLimits {
  /** Spawn/connect + initialize. */
  connectTimeoutMs: number;
  /** Each list request (one page). */
  requestTimeoutMs: number;
  /** Whole server, connect to last page. */
  serverBudgetMs: number;
  /** Largest single JSON-RPC message (stdio line or HTTP body). */
  maxMessageBytes: number;
  /** Items kept per list (tools, prompts, resources, templates). */
  maxItems: number;
  /** Pages fetched per list. */
  maxPages: number;
  /** Characters kept of a description, title or instructions. */
  maxTextLength: number;
  /** Bytes kept of one schema (canonical JSON). */
  maxSchemaBytes: number;
  /** Notifications accepted per connection; the rest are dropped unread. */
  maxNotifications: number;
  /** Non-JSON-RPC stdout lines tolerated before the server is dropped. */
  maxGarbageLines: number;
  /** Bytes of stderr kept for the failure report. */
  stderrTailBytes: number;
}

export const DEFAULT_LIMITS: LiveLimits = {
  connectTimeoutMs: 30_000,
  requestTimeoutMs: 15_000,
  serverBudgetMs: 60_000,
  maxMessageBytes: 16 * 1024 * 1024,
  maxItems: 1000,
  maxPages: 100,
  maxTextLength: 64 * 1024,
  maxSchemaBytes: 256 * 1024,
  maxNotifications: 1000,
  maxGarbageLines: 20,
  stderrTailBytes: 4096,
};

export const DEFAULT_CONCURRENCY = 8;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}
