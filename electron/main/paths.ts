import { isAbsolute, join, resolve } from 'node:path';

/** App paths: the userData folder (overridable for tests) and where the bundles live. */

export const USER_DATA_ENV = 'GATEHOUSE_USER_DATA';

export interface AppPathsLike {
  setPath(name: 'userData', path: string): void;
  getPath(name: 'userData'): string;
}

/**
 * Applies `GATEHOUSE_USER_DATA` (must run before the single-instance lock and `whenReady`, since
 * both depend on userData). Returns the effective folder.
 */
export function applyUserDataOverride(
  app: AppPathsLike,
  env: Record<string, string | undefined> = process.env,
): string {
  const override = env[USER_DATA_ENV];
  if (override) app.setPath('userData', isAbsolute(override) ? override : resolve(override));
  return app.getPath('userData');
}

/**
 * Paths of the preload, the audit worker threads' bundle and the built renderer, relative to the bundled main
 * (dist/electron/).
 */
export function bundlePaths(mainDir: string): { preload: string; auditWorker: string; renderer: string } {
  return {
    preload: join(mainDir, 'preload.cjs'),
    auditWorker: join(mainDir, 'audit-worker.cjs'),
    renderer: join(mainDir, '..', 'renderer'),
  };
}
