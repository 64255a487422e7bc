/**
 * Stands in for `@secretlint/profiler` in the CLI bundle (bin/cli-bundle.mjs aliases it). secretlint
 * marks every rule and file on it; Gatehouse never reads the profile and switches the marks off
 * (secrets/detect.ts). The real module loads node:perf_hooks and starts a PerformanceObserver at
 * start-up (~4 ms per run, issue #13) for marks that are never made.
 */
export const secretLintProfiler = {
  mark(_marker: unknown): void {},
  getEntries: async (): Promise<unknown[]> => [],
  getMeasures: async (): Promise<unknown[]> => [],
};
