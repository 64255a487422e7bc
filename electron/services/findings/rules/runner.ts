import valid from 'semver/functions/valid.js';
import type { RawServer } from '../../discovery/types.js';
import { commandWords, exeName, type Word } from './common.js';

/**
 * What a package runner (npx, bunx, pnpm/yarn dlx, uvx, pipx run, docker/podman run) is asked to run:
 * the package or image spec, where it sits, and whether it is pinned.
 */
export interface RunnerTarget {
  runner: string;
  ecosystem: 'npm' | 'pypi' | 'oci';
  spec: Word;
  name: string;
  version?: string;
  pinned: boolean;
}

const NPX_VALUE_FLAGS = new Set([
  '--registry',
  '--cache',
  '--userconfig',
  '-c',
  '--call',
  '--node-options',
  '--prefix',
  '-w',
  '--workspace',
]);
const UVX_VALUE_FLAGS = new Set([
  '--with',
  '--python',
  '-p',
  '--index-url',
  '--index',
  '--extra-index-url',
  '--python-preference',
  '--with-requirements',
  '--constraint',
  '--override',
  '-c',
]);
const DOCKER_VALUE_FLAGS = new Set([
  '-e',
  '--env',
  '--env-file',
  '-v',
  '--volume',
  '--mount',
  '--name',
  '-p',
  '--publish',
  '--network',
  '--net',
  '-w',
  '--workdir',
  '--entrypoint',
  '-u',
  '--user',
  '--platform',
  '-l',
  '--label',
  '--add-host',
  '--cpus',
  '-m',
  '--memory',
  '--pull',
  '--cap-add',
  '--cap-drop',
  '--security-opt',
  '--device',
  '--hostname',
  '-h',
  '--dns',
  '--ulimit',
  '--restart',
  '--log-driver',
  '--shm-size',
  '--tmpfs',
  '--gpus',
  '--ipc',
  '--pid',
]);

/** `@scope/name@1.2.3` / `name@^1` / `name` → name + version part. */
export function splitNpmSpec(spec: string): { name: string; version?: string } {
  const at = spec.startsWith('@') ? spec.indexOf('@', 1) : spec.indexOf('@');
  if (at <= 0) return { name: spec };
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

/** `name==1.2.3`, `name@1.2.3`, `name[extra]>=1` → name + exact version when pinned. */
export function splitPypiSpec(spec: string): { name: string; version?: string; exact: boolean } {
  // One optional `op\s*` group and a dotall tail: the old `\s*(op)?\s*(.*)$` split whitespace runs
  // three ways and backtracked cubically on a spec with a newline (seconds at 2,000 chars).
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:(==|@|>=|<=|~=|!=|>|<)\s*)?(.*)$/s.exec(spec.trim());
  if (!m) return { name: spec, exact: false };
  const [, name = spec, op, ver] = m;
  if (!op) return { name, exact: false };
  const exact = (op === '==' || op === '@') && /^[0-9][0-9A-Za-z.+!-]*$/.test(ver ?? '') && !/[*,]/.test(ver ?? '');
  return { name, ...(ver ? { version: ver } : {}), exact };
}

function isLocalOrUrl(spec: string): boolean {
  return (
    /^(?:\.{0,2}\/|~|[A-Za-z]:\\|file:|git\+|git:|https?:|github:)/.test(spec) ||
    spec.endsWith('.tgz') ||
    spec.endsWith('.whl')
  );
}

function npmTarget(runner: string, rest: Word[]): RunnerTarget | undefined {
  let explicit: Word | undefined;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    const v = w.value;
    if (v === '--') {
      const next = rest[i + 1];
      return next && !explicit ? npmSpec(runner, next) : explicit ? npmSpec(runner, explicit) : undefined;
    }
    if (v === '-p' || v === '--package') {
      explicit = rest[++i];
      continue;
    }
    if (v.startsWith('--package=')) {
      explicit = { ...w, value: v.slice('--package='.length) };
      continue;
    }
    if (NPX_VALUE_FLAGS.has(v)) {
      i++;
      continue;
    }
    if (v.startsWith('-')) continue;
    return npmSpec(runner, explicit ?? w);
  }
  return explicit ? npmSpec(runner, explicit) : undefined;
}

function npmSpec(runner: string, w: Word): RunnerTarget | undefined {
  if (isLocalOrUrl(w.value)) return undefined;
  const { name, version } = splitNpmSpec(w.value);
  const pinned = version !== undefined && valid(version) !== null;
  return { runner, ecosystem: 'npm', spec: w, name, ...(version !== undefined ? { version } : {}), pinned };
}

function pypiTarget(runner: string, rest: Word[]): RunnerTarget | undefined {
  let from: Word | undefined;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    const v = w.value;
    if (v === '--from' || v === '--spec') {
      from = rest[++i];
      continue;
    }
    if (v.startsWith('--from=') || v.startsWith('--spec=')) {
      from = { ...w, value: v.slice(v.indexOf('=') + 1) };
      continue;
    }
    if (UVX_VALUE_FLAGS.has(v)) {
      i++;
      continue;
    }
    if (v.startsWith('-')) continue;
    const target = from ?? w;
    if (isLocalOrUrl(target.value)) return undefined;
    const p = splitPypiSpec(target.value);
    return {
      runner,
      ecosystem: 'pypi',
      spec: target,
      name: p.name,
      ...(p.version ? { version: p.version } : {}),
      pinned: p.exact,
    };
  }
  return undefined;
}

function dockerTarget(runner: string, rest: Word[]): RunnerTarget | undefined {
  for (let i = 0; i < rest.length; i++) {
    const v = rest[i]!.value;
    if (DOCKER_VALUE_FLAGS.has(v)) {
      i++;
      continue;
    }
    if (v.startsWith('-')) continue;
    const w = rest[i]!;
    const digest = v.includes('@sha256:');
    const lastSlash = v.lastIndexOf('/');
    const colon = v.indexOf(':', lastSlash + 1);
    const tag = digest ? undefined : colon > 0 ? v.slice(colon + 1) : undefined;
    const name = digest ? v.slice(0, v.indexOf('@')) : colon > 0 ? v.slice(0, colon) : v;
    const pinned = digest || (tag !== undefined && tag !== 'latest' && tag !== '');
    return { runner, ecosystem: 'oci', spec: w, name, ...(tag ? { version: tag } : {}), pinned };
  }
  return undefined;
}

/** The package a server's command line runs through a package runner, if any. */
export function runnerTarget(s: RawServer): RunnerTarget | undefined {
  const words = commandWords(s);
  if (words.length === 0) return undefined;
  const exe = exeName(words[0]!.value);
  const rest = words.slice(1);
  if (exe === 'npx' || exe === 'bunx' || exe === 'pnpx') return npmTarget(exe, rest);
  if ((exe === 'pnpm' || exe === 'yarn' || exe === 'bun') && (rest[0]?.value === 'dlx' || rest[0]?.value === 'x')) {
    return npmTarget(`${exe} ${rest[0].value}`, rest.slice(1));
  }
  if (exe === 'npm' && (rest[0]?.value === 'exec' || rest[0]?.value === 'x'))
    return npmTarget('npm exec', rest.slice(1));
  if (exe === 'uvx') return pypiTarget(exe, rest);
  if (exe === 'uv' && rest[0]?.value === 'tool' && rest[1]?.value === 'run')
    return pypiTarget('uv tool run', rest.slice(2));
  if (exe === 'pipx' && rest[0]?.value === 'run') return pypiTarget('pipx run', rest.slice(1));
  if ((exe === 'docker' || exe === 'podman') && rest[0]?.value === 'run') return dockerTarget(exe, rest.slice(1));
  return undefined;
}
