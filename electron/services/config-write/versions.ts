import { join } from 'node:path';
import semver from 'semver';
import type { FileSystemPort, WorkstationPort } from '../ports.js';
import type { RunnerTarget } from '../findings/rules/runner.js';

/**
 * A version to suggest when pinning an unpinned runner (`runner.unpinned`): the one installed
 * locally when it can be found (npx cache, uv cache, pipx venvs under the scanned home), else the
 * registry's latest (npm registry dist-tags.latest, PyPI JSON API). The admin still confirms it:
 * this only fills the field, and the option's explanation says where the number came from.
 * Network lookups are optional (no `fetch` → none) and bounded by a short timeout.
 */
export interface VersionSuggestion {
  version: string;
  /** Where it came from, in words for the explanation. */
  source: string;
}

export interface VersionLookup {
  /** Injected fetch (tests serve a packument on loopback); undefined: no network lookups. */
  fetch?: (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => Promise<Response>;
  /** npm registry base URL (e.g. https://registry.npmjs.org/). */
  npmRegistry: string;
  /** PyPI base URL (its JSON API is at <base>/pypi/<name>/json). */
  pypi: string;
  /** Per lookup; the whole preview never waits longer than this for the network. */
  timeoutMs: number;
}

/** The npm registry the workstation is configured for: $npm_config_registry, ~/.npmrc, or the public one. */
export async function configuredNpmRegistry(ws: WorkstationPort, fs: FileSystemPort): Promise<string> {
  const env = ws.env.npm_config_registry ?? ws.env.NPM_CONFIG_REGISTRY;
  if (env && /^https?:\/\//.test(env)) return env;
  const rc = await fs.readFile(join(ws.home, '.npmrc'), { maxBytes: 256 * 1024 }).catch(() => '');
  const m = /^\s*registry\s*=\s*(https?:\/\/\S+)\s*$/m.exec(rc);
  return m?.[1] ?? 'https://registry.npmjs.org/';
}

/** Real lookups (global fetch), unless GATEHOUSE_OFFLINE is set. */
export async function defaultVersionLookup(ws: WorkstationPort, fs: FileSystemPort): Promise<VersionLookup> {
  const offline = !!process.env.GATEHOUSE_OFFLINE;
  return {
    ...(offline ? {} : { fetch: (url, init) => fetch(url, init) }),
    npmRegistry: await configuredNpmRegistry(ws, fs),
    pypi: 'https://pypi.org',
    timeoutMs: 3000,
  };
}

const MAX_DIRS = 2000;

async function listDir(fs: FileSystemPort, dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).slice(0, MAX_DIRS);
  } catch {
    return [];
  }
}

function highest(found: Array<{ version: string; where: string }>): { version: string; where: string } | undefined {
  const valid = found.filter((f) => semver.valid(f.version));
  valid.sort((a, b) => semver.rcompare(a.version, b.version));
  return valid[0] ?? found[0];
}

/** npx caches: <cache>/_npx/<hash>/node_modules/<pkg>/package.json. */
async function localNpm(
  ws: WorkstationPort,
  fs: FileSystemPort,
  name: string,
  range: string | undefined,
): Promise<VersionSuggestion | undefined> {
  const caches = new Set<string>();
  const envCache = ws.env.npm_config_cache ?? ws.env.NPM_CONFIG_CACHE;
  if (envCache) caches.add(envCache);
  caches.add(join(ws.home, '.npm'));
  if (ws.platform === 'win32') caches.add(join(ws.home, 'AppData', 'Local', 'npm-cache'));
  const found: Array<{ version: string; where: string }> = [];
  for (const cache of caches) {
    const npx = join(cache, '_npx');
    for (const hash of await listDir(fs, npx)) {
      const pkg = join(npx, hash, 'node_modules', ...name.split('/'), 'package.json');
      const text = await fs.readFile(pkg, { maxBytes: 1024 * 1024 }).catch(() => undefined);
      if (!text) continue;
      try {
        const j = JSON.parse(text) as { name?: unknown; version?: unknown };
        if (j.name === name && typeof j.version === 'string' && (!range || semver.satisfies(j.version, range)))
          found.push({ version: j.version, where: pkg });
      } catch {
        // a damaged cache entry is skipped
      }
    }
  }
  const best = highest(found);
  return best ? { version: best.version, source: `installed locally (npx cache: ${best.where})` } : undefined;
}

/** PEP 503 normalisation, and the form wheel metadata folders use (`-`/`.` → `_`). */
const distName = (n: string) => n.toLowerCase().replace(/[-_.]+/g, '_');

/** uv's cache (uvx environments) and pipx venvs: site-packages/<name>-<version>.dist-info. */
async function localPypi(
  ws: WorkstationPort,
  fs: FileSystemPort,
  name: string,
): Promise<VersionSuggestion | undefined> {
  const want = distName(name);
  const envRoots: string[] = [];
  const uvCache = ws.env.UV_CACHE_DIR ?? join(ws.env.XDG_CACHE_HOME ?? join(ws.home, '.cache'), 'uv');
  for (const e of await listDir(fs, join(uvCache, 'archive-v0'))) envRoots.push(join(uvCache, 'archive-v0', e));
  const pipxHome = ws.env.PIPX_HOME ?? join(ws.home, '.local', 'pipx');
  for (const e of await listDir(fs, join(pipxHome, 'venvs'))) envRoots.push(join(pipxHome, 'venvs', e));
  const found: Array<{ version: string; where: string }> = [];
  for (const root of envRoots) {
    for (const py of (await listDir(fs, join(root, 'lib'))).filter((p) => p.startsWith('python'))) {
      const site = join(root, 'lib', py, 'site-packages');
      for (const entry of await listDir(fs, site)) {
        const m = /^(.+)-([^-]+)\.dist-info$/.exec(entry);
        if (m && distName(m[1]!) === want) found.push({ version: m[2]!, where: join(site, entry) });
      }
    }
  }
  if (found.length === 0) return undefined;
  // PyPI versions are not always semver: prefer the highest semver-valid one, else any.
  const best = highest(found)!;
  return { version: best.version, source: `installed locally (${best.where})` };
}

async function getJson(lookup: VersionLookup, url: string, accept: string): Promise<unknown> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), lookup.timeoutMs);
  try {
    const res = await lookup.fetch!(url, { signal: ctl.signal, headers: { accept } });
    if (!res.ok) return undefined;
    return (await res.json()) as unknown;
  } catch {
    return undefined; // offline, timed out, not JSON: no suggestion, never an error
  } finally {
    clearTimeout(timer);
  }
}

/** `@scope/name` → `@scope%2fname` (the registry's path form). */
export function packumentUrl(registry: string, name: string): string {
  const base = registry.endsWith('/') ? registry : `${registry}/`;
  return `${base}${encodeURIComponent(name).replace(/^%40/, '@').replace(/%2F/g, '%2f')}`;
}

async function registryNpm(
  lookup: VersionLookup,
  name: string,
  range: string | undefined,
): Promise<VersionSuggestion | undefined> {
  const url = packumentUrl(lookup.npmRegistry, name);
  // The abbreviated packument (install-v1) is small and carries dist-tags and the version list.
  const doc = (await getJson(lookup, url, 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8')) as
    { 'dist-tags'?: { latest?: unknown }; versions?: Record<string, unknown> } | undefined;
  const latest = doc?.['dist-tags']?.latest;
  const where = `the npm registry ${lookup.npmRegistry} (not installed locally)`;
  if (typeof latest === 'string' && semver.valid(latest) && (!range || semver.satisfies(latest, range)))
    return { version: latest, source: `latest on ${where}` };
  // The command names a range the latest is outside of: the highest version inside it.
  const best = range && doc?.versions ? semver.maxSatisfying(Object.keys(doc.versions), range) : null;
  return best ? { version: best, source: `highest version matching "${range}" on ${where}` } : undefined;
}

async function registryPypi(lookup: VersionLookup, name: string): Promise<VersionSuggestion | undefined> {
  const base = lookup.pypi.replace(/\/+$/, '');
  const doc = (await getJson(lookup, `${base}/pypi/${encodeURIComponent(name)}/json`, 'application/json')) as
    { info?: { version?: unknown } } | undefined;
  const v = doc?.info?.version;
  if (typeof v !== 'string' || !/^[0-9][0-9A-Za-z.+!-]*$/.test(v)) return undefined;
  return { version: v, source: `latest on PyPI ${base} (not installed locally)` };
}

/** The suggestion for one runner target (undefined when none can be found; never throws). */
export async function suggestVersion(
  ws: WorkstationPort,
  fs: FileSystemPort,
  target: Pick<RunnerTarget, 'ecosystem' | 'name' | 'version'>,
  lookup: VersionLookup | undefined,
): Promise<VersionSuggestion | undefined> {
  if (target.ecosystem === 'oci') return undefined; // a tag is not a version we can vouch for
  if (target.ecosystem === 'npm') {
    // A range in the command (`pkg@^1.2`) bounds the suggestion; a tag (`@latest`) does not.
    const range = target.version && semver.validRange(target.version) ? target.version : undefined;
    const local = await localNpm(ws, fs, target.name, range);
    if (local || !lookup?.fetch) return local;
    return registryNpm(lookup, target.name, range);
  }
  // A PyPI specifier (`pkg>=1.0`) is not evaluated here: no suggestion rather than one outside it.
  if (target.version) return undefined;
  const local = await localPypi(ws, fs, target.name);
  if (local || !lookup?.fetch) return local;
  return registryPypi(lookup, target.name);
}
