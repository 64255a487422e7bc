import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Platform, ServerEntry } from '../../../shared/model/discovery.js';
import { nodeFileSystem } from '../node-ports.js';
import type { WorkstationPort } from '../ports.js';
import { discover } from './discover.js';
import type { DiscoveryScan, RawServer } from './types.js';

/** Test-only helpers: build a temporary workstation from fixture files and scan it. */

export const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'discovery');

export const APPDATA: Record<Platform, string> = {
  linux: '.config',
  darwin: 'Library/Application Support',
  win32: 'AppData/Roaming',
};

export interface Placement {
  /** 'home' | 'project' | 'system' relative path. */
  where: 'home' | 'project' | 'system';
  rel: string;
  /** Fixture file under test/fixtures/discovery/, or literal content with `text`. */
  fixture?: string;
  text?: string;
}

export interface TempWorkstation {
  root: string;
  home: string;
  project: string;
  system: string;
  ws: WorkstationPort;
  pathOf(p: Placement): string;
  cleanup(): Promise<void>;
}

export async function makeWorkstation(
  platform: Platform,
  placements: Placement[],
  env: Record<string, string> = {},
): Promise<TempWorkstation> {
  const root = await mkdtemp(join(tmpdir(), 'gh-disc-'));
  const home = join(root, 'home');
  const project = join(root, 'project');
  const system = join(root, 'system');
  await Promise.all([mkdir(home, { recursive: true }), mkdir(project, { recursive: true }), mkdir(system)]);
  const base = { home, project, system };
  const pathOf = (p: Placement) => join(base[p.where], ...p.rel.split('/'));
  for (const p of placements) {
    const target = pathOf(p);
    await mkdir(dirname(target), { recursive: true });
    if (p.fixture !== undefined) await copyFile(join(FIXTURES, p.fixture), target);
    else await writeFile(target, p.text ?? '');
  }
  const resolvedEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) resolvedEnv[k] = v.replace('<root>', root);
  return {
    root,
    home,
    project,
    system,
    ws: { home, platform, projects: [project], systemRoot: system, env: resolvedEnv },
    pathOf,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function scanWith(
  platform: Platform,
  placements: Placement[],
  env: Record<string, string> = {},
): Promise<{ scan: DiscoveryScan; t: TempWorkstation }> {
  const t = await makeWorkstation(platform, placements, env);
  try {
    return { scan: await discover(t.ws, nodeFileSystem), t };
  } finally {
    await t.cleanup();
  }
}

export const PLATFORMS: Platform[] = ['linux', 'darwin', 'win32'];

/** Compare the listed fields of each server (in order); fields not listed are not checked. */
export function assertServers(servers: RawServer[], expected: Array<Partial<ServerEntry>>): void {
  assert.equal(servers.length, expected.length, `servers: ${servers.map((s) => s.entry.name).join(', ')}`);
  expected.forEach((exp, i) => {
    const got = servers[i]?.entry as unknown as Record<string, unknown>;
    const subset = Object.fromEntries(Object.keys(exp).map((k) => [k, got[k]]));
    assert.deepEqual(subset, exp, `server #${i} (${String(got.name)})`);
  });
}

export function leaf(scan: DiscoveryScan, pointer: string) {
  for (const s of scan.sources) {
    const l = s.leaves.find((x) => x.pointer === pointer);
    if (l) return l;
  }
  return undefined;
}

/** The realistic linux workstation fixture (see its README). */
export const WORKSTATION = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'workstation');

/** Credential values planted in test/fixtures/workstation, read from the table in its README. */
export async function plantedCredentials(): Promise<string[]> {
  const readme = await readFile(join(WORKSTATION, 'README.md'), 'utf8');
  const section = readme.split('## Planted credentials')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\|[^|]*\|\s*`([^`]+)`/gm)].map((m) => m[1]!);
}
