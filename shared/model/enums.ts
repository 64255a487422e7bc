/**
 * The model's enumerations as plain values, without zod: code that needs only these at run time
 * (the CLI's scan path) imports them from here and does not load zod (~13 MB and ~30 ms at start-up,
 * issue #13). The zod schemas in finding.ts and discovery.ts are built from these same lists.
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type SeverityValue = (typeof SEVERITIES)[number];
/** Most severe first. */
export const SEVERITY_ORDER: readonly SeverityValue[] = SEVERITIES;

export function emptySeverityCounts(): Record<SeverityValue, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

export const PLATFORMS = ['linux', 'darwin', 'win32'] as const;
export type PlatformValue = (typeof PLATFORMS)[number];
