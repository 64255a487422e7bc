import type { StaticRule } from '../types.js';
import { authStatic } from './auth-static.js';
import { commandInlineShell } from './command-inline-shell.js';
import { configPermissions } from './config-permissions.js';
import { packageVulnerable } from './package-vulnerable.js';
import { runnerUnpinned } from './runner-unpinned.js';
import { secretInArgs } from './secret-in-args.js';
import { secretInUrl } from './secret-in-url.js';
import { secretLiteral } from './secret-literal.js';
import { secretProjectFile } from './secret-project-file.js';
import { secretReused } from './secret-reused.js';
import { transportPlaintext } from './transport-plaintext.js';

/** Every static rule; adding a rule is one module here plus its tests. */
export const STATIC_RULES: readonly StaticRule[] = [
  secretLiteral,
  secretInArgs,
  secretInUrl,
  secretProjectFile,
  secretReused,
  configPermissions,
  transportPlaintext,
  authStatic,
  runnerUnpinned,
  commandInlineShell,
  packageVulnerable,
];
