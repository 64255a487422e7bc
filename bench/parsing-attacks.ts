import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { discover, toDiscoveryResult } from '../electron/services/discovery/discover.js';
import { analyze } from '../electron/services/findings/engine.js';
import { nodeFileSystem } from '../electron/services/node-ports.js';
import { fingerprinter } from '../electron/services/secrets/fingerprint.js';
import * as attacks from '../test/fuzz/attacks.js';

/**
 * Issue #12 attack shapes, each planted in a workstation next to a healthy sibling file, then
 * discovered and scanned in a child process of its own (20 s / 1 GB heap cap). Prints wall time,
 * peak RSS and the outcome: whether discovery and scan finished, the status of the crafted
 * source, and whether the sibling's server survived. Figures, not assertions.
 */
interface Attack {
  name: string;
  /** Path under the home, content (or a symlink target). */
  rel: string;
  text?: () => string;
  link?: string;
  copies?: number;
}

const ATTACKS: Attack[] = [
  { name: 'json nested 2,000 deep', rel: '.cursor/mcp.json', text: () => attacks.deepJson(2000) },
  { name: 'url over 64 KiB', rel: '.cursor/mcp.json', text: () => attacks.longUrl(70_000) },
  { name: 'command line 130k tokens', rel: '.cursor/mcp.json', text: () => attacks.hugeCommandLine(130_000) },
  { name: 'toml header 5,000 parts', rel: '.codex/config.toml', text: () => attacks.dottedTomlHeader(5000) },
  { name: 'toml header 40 KB', rel: '.codex/config.toml', text: () => attacks.dottedTomlHeader(20_000) },
  { name: 'yaml alias bomb 439 B', rel: '.config/goose/config.yaml', text: () => attacks.yamlAliasBomb(9) },
  { name: 'yaml 5,000 merge keys', rel: '.config/goose/config.yaml', text: () => attacks.yamlMergeKeys(5000) },
  {
    name: 'yaml 5,000 merges in one map',
    rel: '.config/goose/config.yaml',
    text: () => attacks.yamlManyMergesOneMap(5000),
  },
  { name: '8 symlinks to /proc/self/pagemap', rel: 'pagemap', link: '/proc/self/pagemap', copies: 8 },
  { name: 'symlink to /proc/kmsg', rel: '.cursor/mcp.json', link: '/proc/kmsg' },
  { name: '16k servers (1.8 MB)', rel: '.cursor/mcp.json', text: () => attacks.manyServers(16_000) },
];

/** Files of several clients, for the copies of a symlink attack. */
const LINK_PATHS = [
  '.cursor/mcp.json',
  '.gemini/settings.json',
  '.kiro/settings/mcp.json',
  '.codeium/windsurf/mcp_config.json',
  '.lmstudio/mcp.json',
  '.junie/mcp/mcp.json',
  '.copilot/mcp-config.json',
  '.gemini/antigravity/mcp_config.json',
];

async function runOne(name: string): Promise<Record<string, unknown>> {
  const a = ATTACKS.find((x) => x.name === name)!;
  const root = await mkdtemp(join(tmpdir(), 'gh-attack-'));
  const home = join(root, 'home');
  const put = async (rel: string, fn: (p: string) => Promise<void>) => {
    const p = join(home, ...rel.split('/'));
    await mkdir(dirname(p), { recursive: true });
    await fn(p);
  };
  try {
    // The healthy sibling: Claude Desktop's config.
    await put('.config/Claude/claude_desktop_config.json', (p) =>
      writeFile(p, JSON.stringify({ mcpServers: { sibling: { command: 'npx', args: ['-y', 'sibling@1.0.0'] } } })),
    );
    if (a.link) {
      const paths = a.copies ? LINK_PATHS.slice(0, a.copies) : [a.rel];
      for (const rel of paths) await put(rel, (p) => symlink(a.link!, p));
    } else await put(a.rel, (p) => writeFile(p, a.text!()));
    const ws = { home, platform: 'linux' as const, projects: [], systemRoot: join(root, 'sys'), env: {} };
    const t0 = performance.now();
    const scan = await discover(ws, nodeFileSystem);
    const result = toDiscoveryResult(scan);
    const t1 = performance.now();
    const r = await analyze(scan, { fingerprint: fingerprinter(Buffer.alloc(32, 1)), platform: 'linux' });
    const t2 = performance.now();
    const crafted = result.sources.filter((s) => !s.path.includes('claude_desktop'));
    return {
      discover_ms: Math.round(t1 - t0),
      scan_ms: Math.round(t2 - t1),
      servers: result.servers.length,
      sibling: result.servers.some((s) => s.name === 'sibling'),
      crafted: crafted.map((s) => `${s.status}${s.error ? `: ${s.error}` : ''}`).slice(0, 2),
      findings: r.drafts.length,
      output_bytes: JSON.stringify(result).length,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export function benchParsingAttacks(): Record<string, string> {
  const out: Record<string, string> = {};
  const self = fileURLToPath(import.meta.url);
  for (const a of ATTACKS) {
    const t0 = performance.now();
    const child = spawnSync(
      process.execPath,
      ['--max-old-space-size=1024', '--import', 'tsx', self, '--attack', a.name],
      { encoding: 'utf8', timeout: 20_000, maxBuffer: 1 << 20 },
    );
    const ms = Math.round(performance.now() - t0);
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    if (child.status === 0 && line.startsWith('{')) out[a.name] = `${ms} ms total; ${line}`;
    else {
      const err = (child.stderr || '').split('\n').find((l) => /Error|heap|stack/i.test(l)) ?? '';
      out[a.name] =
        `FAILED after ${ms} ms (${child.signal ?? `exit ${child.status}`}${child.error ? `, ${child.error.message}` : ''}) ${err.slice(0, 160)}`;
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--attack');
  if (at >= 0) {
    const name = process.argv[at + 1] ?? '';
    const r = await runOne(name);
    process.stdout.write(`${JSON.stringify({ ...r, rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
  } else {
    for (const [k, v] of Object.entries(benchParsingAttacks())) process.stdout.write(`${k.padEnd(34)} ${v}\n`);
  }
}
