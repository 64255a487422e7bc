import type { ClientId } from '../../../shared/model/discovery.js';

/**
 * Environment references in config values, resolved the way the owning client resolves them:
 * `${VAR}` and `${VAR:-default}` (Claude Code and most JSON clients), `${env:VAR}` (VS Code,
 * Cursor, Windsurf), `$VAR` (Gemini CLI), `{env:VAR}` (opencode). Values come from the admin's
 * environment (the workstation port), never from Gatehouse's own process unless that is it.
 * Unresolved names are reported; the reference then becomes an empty string (what the clients do).
 */
export type EnvSource = Record<string, string | undefined>;

export interface Resolved {
  value: string;
  unresolved: string[];
}

type Syntax = 'dollar-brace' | 'dollar-brace-default' | 'env-colon' | 'bare-dollar' | 'brace-env';

const ALL: readonly Syntax[] = ['dollar-brace-default', 'dollar-brace', 'env-colon', 'bare-dollar', 'brace-env'];

/** Which reference syntaxes each client expands. Clients not listed get the common `${VAR}` forms. */
const BY_CLIENT: Partial<Record<ClientId, readonly Syntax[]>> = {
  'claude-code': ['dollar-brace-default', 'dollar-brace'],
  vscode: ['env-colon'],
  'vscode-insiders': ['env-colon'],
  cursor: ['env-colon', 'dollar-brace'],
  windsurf: ['env-colon', 'dollar-brace'],
  'gemini-cli': ['dollar-brace', 'bare-dollar'],
  opencode: ['brace-env'],
};

export function syntaxesFor(client: ClientId | undefined): readonly Syntax[] {
  if (!client) return ALL;
  return BY_CLIENT[client] ?? ['dollar-brace-default', 'dollar-brace', 'env-colon'];
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const PATTERN = new RegExp(
  [
    `\\$\\{env:(${NAME})\\}`, // 1: ${env:VAR}
    `\\$\\{(${NAME}):-([^}]{0,1024})\\}`, // 2,3: ${VAR:-default} (bounded: config text may be hostile)
    `\\$\\{(${NAME})\\}`, // 4: ${VAR}
    `\\{env:(${NAME})\\}`, // 5: {env:VAR}
    `\\$(${NAME})`, // 6: $VAR
  ].join('|'),
  'g',
);

/** Resolves references in one value. */
export function resolveValue(value: string, env: EnvSource, client?: ClientId): Resolved {
  const allowed = new Set(syntaxesFor(client));
  const unresolved: string[] = [];
  const lookup = (name: string, fallback?: string): string => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    if (v === undefined) unresolved.push(name);
    return '';
  };
  const out = value.replace(
    PATTERN,
    (m, envColon?: string, dn?: string, dd?: string, db?: string, be?: string, bare?: string) => {
      if (envColon !== undefined) return allowed.has('env-colon') ? lookup(envColon) : m;
      if (dn !== undefined) {
        if (allowed.has('dollar-brace-default')) return lookup(dn, dd);
        return m;
      }
      if (db !== undefined) return allowed.has('dollar-brace') || allowed.has('dollar-brace-default') ? lookup(db) : m;
      if (be !== undefined) return allowed.has('brace-env') ? lookup(be) : m;
      if (bare !== undefined) return allowed.has('bare-dollar') ? lookup(bare) : m;
      return m;
    },
  );
  return { value: out, unresolved };
}

/** Resolves a map of values (env, headers), collecting unresolved names. */
export function resolveMap(
  map: Record<string, string>,
  env: EnvSource,
  client: ClientId | undefined,
  unresolved: Set<string>,
) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) {
    const r = resolveValue(v, env, client);
    for (const n of r.unresolved) unresolved.add(n);
    out[k] = r.value;
  }
  return out;
}

export function resolveList(
  list: readonly string[],
  env: EnvSource,
  client: ClientId | undefined,
  unresolved: Set<string>,
) {
  return list.map((v) => {
    const r = resolveValue(v, env, client);
    for (const n of r.unresolved) unresolved.add(n);
    return r.value;
  });
}

/** The variable names a value references (in the owning client's syntaxes), resolved or not. */
export function referencedNames(value: string, client?: ClientId): string[] {
  const names: string[] = [];
  const recorder = new Proxy({} as EnvSource, {
    get: (_t, name) => {
      if (typeof name === 'string') names.push(name);
      return undefined;
    },
  });
  resolveValue(value, recorder, client);
  return [...new Set(names)];
}
