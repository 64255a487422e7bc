import { createHash, randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import canonicalize from 'canonicalize';
import { isSecretName, maskArgs, maskCommand } from '../secrets/redact.js';
import type { RawServer } from '../discovery/types.js';
import type { SecretStore } from '../ports.js';
import { fingerprinter, loadFingerprintKey, type Fingerprinter } from '../secrets/fingerprint.js';
import { referencedNames, resolveValue, type EnvSource } from './env.js';
import { isMeaningfulLiteral } from './redaction.js';

/**
 * Environment variables that change what a process executes or loads (preloads, interpreter
 * options, module paths, the binary lookup): hashed by their resolved value, so a different value
 * in the admin's own environment asks for consent again.
 */
const EXEC_ENV_RE =
  /^(?:NODE_OPTIONS|LD_\w*|DYLD_\w*|PATH|PYTHON\w*|BASH_ENV|ENV|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|RUBYOPT|PERL5OPT|npm_config_\w*)$/i;

export function affectsExecution(key: string): boolean {
  return EXEC_ENV_RE.test(key);
}

export interface ShownArg {
  /** The resolved argument, or its masked form when it is a secret. */
  value: string;
  /** The value is hidden (a credential): what is shown is not what runs. */
  masked: boolean;
}

export interface EnvVarInfo {
  key: string;
  /** `literal`: written in the config; `reference`: taken from the admin's environment. */
  source: 'literal' | 'reference';
  /** Variables referenced (for `reference`). */
  refs: string[];
  /** Referenced variables not set in the admin's environment. */
  unresolved: string[];
  /** Hashed by resolved value (NODE_OPTIONS, LD_*, PATH, PYTHON*…). */
  affectsExecution: boolean;
}

/** A stdio server's command line as it will run: references resolved, cwd absolute. */
export interface ResolvedCommandLine {
  /** The consent key (keyed; see consentHash). */
  hash: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Absolute effective working directory. */
  cwd: string;
  unresolved: string[];
  shown: { command: string; commandMasked: boolean; args: ShownArg[]; env: EnvVarInfo[] };
  /**
   * Values a server could echo that must be masked: resolved references, secret arguments, secret
   * env, and every meaningful configured literal (see `isMeaningfulLiteral`).
   */
  secrets: string[];
  /**
   * Keyed hash per part of what the consent key covers (each argument, each env variable by
   * name): stored with a consent, so a later change can be named without storing any value.
   */
  parts: { args: string[]; env: Record<string, string> };
}

export interface CommandLineContext {
  /** The admin's environment. */
  env: EnvSource;
  /** Keyed HMAC (per-install key of the findings engine): nothing unkeyed of a secret is hashed. */
  fingerprint: Fingerprinter;
  /** Working directory of servers configured with neither cwd nor project (default: the home folder). */
  home?: string;
}

/** Where a stdio server runs: its configured cwd (relative to the config file), the project folder, or home. */
export function effectiveCwd(s: RawServer, resolvedCwd: string | undefined, home: string): string {
  if (resolvedCwd)
    return isAbsolute(resolvedCwd) ? resolve(resolvedCwd) : resolve(dirname(s.entry.source), resolvedCwd);
  return resolve(s.entry.project ?? home);
}

/**
 * Resolves a stdio server's command line and computes its consent hash over what actually runs:
 * the resolved command and args (a secret-position argument written as a reference is hashed by
 * its reference text, so rotating a token does not ask again), the absolute effective cwd, and per
 * env key: a keyed HMAC of a literal value, the reference text of a referenced value, or a keyed
 * HMAC of the resolved value for variables that affect execution. The digest itself is keyed too.
 */
export function resolveCommandLine(s: RawServer, ctx: CommandLineContext): ResolvedCommandLine {
  const client = s.entry.client;
  const unresolved = new Set<string>();
  const secrets: string[] = [];
  const resolveOne = (literal: string) => {
    const r = resolveValue(literal, ctx.env, client);
    r.unresolved.forEach((n) => unresolved.add(n));
    if (r.value !== literal) secrets.push(r.value);
    return r.value;
  };
  const literalCommand = s.raw.command ?? '';
  const command = resolveOne(literalCommand);
  const literalArgs = s.raw.args ?? [];
  const args = literalArgs.map(resolveOne);
  const maskedArgs = maskArgs(args);
  const argsForHash: unknown[] = [];
  const shownArgs: ShownArg[] = args.map((a, i) => {
    const literal = literalArgs[i] ?? '';
    const refs = referencedNames(literal, client);
    const secretRef = refs.some(isSecretName) && a !== literal;
    const masked = maskedArgs[i] !== a || secretRef;
    if (masked) secrets.push(a);
    // Every configured literal is a value the server must not echo back, whatever its name
    // (`--config=Qz8vLm2pR7tX`, a positional value): the argument and the value after `=`.
    for (const v of [literal, /^[^=]{1,128}=(.+)$/s.exec(literal)?.[1] ?? ''])
      if (!refs.length && isMeaningfulLiteral(v)) secrets.push(v);
    argsForHash.push(masked && refs.length ? { ref: literal } : a);
    return { value: masked ? (maskedArgs[i] !== a ? maskedArgs[i]! : '****') : a, masked };
  });
  const env: Record<string, string> = {};
  const envForHash: Record<string, string> = {};
  const envInfo: EnvVarInfo[] = [];
  for (const key of Object.keys(s.raw.env).sort()) {
    const literal = s.raw.env[key] ?? '';
    const refs = referencedNames(literal, client);
    const r = resolveValue(literal, ctx.env, client);
    r.unresolved.forEach((n) => unresolved.add(n));
    env[key] = r.value;
    const exec = affectsExecution(key);
    const isRef = refs.length > 0;
    envForHash[key] = exec
      ? `value:${ctx.fingerprint(r.value)}`
      : isRef
        ? `ref:${literal}`
        : `literal:${ctx.fingerprint(literal)}`;
    // Resolved references, secret-named values and every meaningful literal, whatever its name.
    if (r.value && (isRef || isSecretName(key) || isMeaningfulLiteral(r.value))) secrets.push(r.value);
    envInfo.push({
      key,
      source: isRef ? 'reference' : 'literal',
      refs,
      unresolved: r.unresolved,
      affectsExecution: exec,
    });
  }
  const cwdLiteral = s.raw.cwd;
  const cwdResolved = cwdLiteral !== undefined ? resolveOne(cwdLiteral) : undefined;
  const cwd = effectiveCwd(s, cwdResolved, ctx.home ?? homedir());
  const body = canonicalize({ v: 2, command, args: argsForHash, env: envForHash, cwd }) ?? '';
  const shownCommand = maskCommand(command);
  const partHash = (v: unknown) => sha256(ctx.fingerprint(canonicalize({ part: v }) ?? ''));
  const parts = {
    args: argsForHash.map(partHash),
    env: Object.fromEntries(Object.entries(envForHash).map(([k, v]) => [k, partHash(v)])),
  };
  return {
    // 64 hex chars (the API's consent-hash shape), derived from the keyed HMAC: still keyed.
    hash: sha256(ctx.fingerprint(body)),
    command,
    args,
    env,
    cwd,
    unresolved: [...unresolved].sort(),
    shown: { command: shownCommand, commandMasked: shownCommand !== command, args: shownArgs, env: envInfo },
    secrets,
    parts,
  };
}

/**
 * The configured command line as written (command, args, env key names, cwd): part of a server's
 * pin identity. Not the consent key (see resolveCommandLine).
 */
export function configuredCommandHash(server: Pick<RawServer, 'raw'>): string {
  const { command = '', args = [], env, cwd } = server.raw;
  const body = canonicalize({ command, args, envKeys: Object.keys(env).sort(), cwd: cwd ?? null }) ?? '';
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Pin key of a server: client, config file, name, and a hash of its command line or URL. A server
 * moved to another command or URL is a new identity (its pins start over).
 */
export function serverIdentity(server: RawServer): string {
  const target = server.raw.url !== undefined ? `url:${server.raw.url}` : `cmd:${configuredCommandHash(server)}`;
  const body = canonicalize([server.entry.client, server.entry.source, server.entry.name, target]) ?? '';
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

let ephemeral: Fingerprinter | undefined;

/** A key for this process only (no secret store): consents made with it do not outlive the process. */
export function ephemeralFingerprinter(): Fingerprinter {
  return (ephemeral ??= fingerprinter(randomBytes(32)));
}

/** The per-install fingerprint key of the findings engine (created on first use). */
export async function openLiveFingerprinter(secrets: SecretStore): Promise<Fingerprinter> {
  try {
    return fingerprinter(await loadFingerprintKey(secrets));
  } catch {
    return ephemeralFingerprinter();
  }
}
