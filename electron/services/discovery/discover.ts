import type { ConfigSource, DiscoveryResult } from '../../../shared/model/discovery.js';
import type { FileSystemPort, WorkstationPort } from '../ports.js';
import { collectLeaves, parseDoc } from './document.js';
import { extract } from './extract.js';
import { formatForPath, locate, pathJoiner, type Location } from './locations.js';
import type { DiscoveryScan, ParsedSource, RawServer } from './types.js';

export type DiscoveryProgress = { phase: 'locating' | 'parsing' | 'storing' | 'done'; done: number; total: number };

/**
 * Finds every MCP server configured on the workstation: resolves each client's user, project and
 * managed config paths, reads the files that exist concurrently, parses them (JSON/JSONC, TOML,
 * YAML) with positions, and extracts normalized server entries. Never throws for a bad file: its
 * source carries the status and reason instead.
 */
export async function discover(
  ws: WorkstationPort,
  fs: FileSystemPort,
  onProgress?: (p: DiscoveryProgress) => void,
): Promise<DiscoveryScan> {
  const { files, folders } = locate(ws);
  const join = pathJoiner(ws.platform);

  // Expand folders (Continue's .continue/mcpServers/*.yaml) into file locations.
  const expanded = await Promise.all(
    folders.map(async (f): Promise<Location[]> => {
      const st = await safeStat(fs, f.dir);
      if (!st || st === 'error' || !st.isDirectory) return [];
      const names = await fs.readdir(f.dir).catch(() => [] as string[]);
      return names
        .filter((n) => f.extensions.some((e) => n.toLowerCase().endsWith(e)))
        .sort()
        .map((n) => {
          const path = join(f.dir, n);
          return {
            client: f.client,
            scope: f.scope,
            dialect: f.dialect,
            general: f.general,
            path,
            format: formatForPath(path),
          };
        });
    }),
  );
  const candidates = [...files, ...expanded.flat()];
  const total = candidates.length;
  let located = 0;
  onProgress?.({ phase: 'locating', done: 0, total });

  const stats = await mapLimit(candidates, CONCURRENCY, async (loc) => {
    const st = await safeStat(fs, loc.path);
    onProgress?.({ phase: 'locating', done: ++located, total });
    return st;
  });
  const present = candidates
    .map((loc, i) => ({ loc, st: stats[i] }))
    .filter((x): x is { loc: Location; st: Exclude<StatResult, null> } => x.st !== null && x.st !== undefined);

  let parsed = 0;
  onProgress?.({ phase: 'parsing', done: 0, total: present.length });
  // Blocking reads (the CLI): one file at a time, so each parse tree is garbage before the next file
  // is parsed (with 64 in flight, up to 64 trees were alive: ~5 MB more peak RSS on 2,000 servers).
  const results = await mapLimit(present, fs.blocking ? 1 : CONCURRENCY, async ({ loc, st }) => {
    const r = await readOneIsolated(loc, st, fs);
    onProgress?.({ phase: 'parsing', done: ++parsed, total: present.length });
    return r;
  });
  return {
    sources: results.map((r) => r.source),
    servers: results.flatMap((r) => r.servers),
  };
}

/** Files read at once: enough to keep the disk busy, few enough never to run out of handles. */
const CONCURRENCY = 64;

/** Promise.all over `items` with at most `limit` calls in flight; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

type StatResult = { mode: number; isFile: boolean; isDirectory: boolean; size: number } | 'error' | null;

async function safeStat(fs: FileSystemPort, path: string): Promise<Exclude<StatResult, 'error'> | 'error'> {
  try {
    return await fs.stat(path);
  } catch {
    // Exists but cannot be looked at (EACCES on a parent folder…): report it as unreadable.
    return 'error';
  }
}

/**
 * A config file larger than this is not read (reported unreadable). Real configs are kilobytes
 * (a long-lived ~/.claude.json a few MB); the cap also bounds what a `/proc` file that reports
 * size 0 can make us hold.
 */
export const MAX_BYTES = 8 * 1024 * 1024;

/**
 * One file's failure is that source's error, never its siblings': whatever escapes the parsers'
 * own limits is reported on the source (without the error's text, which may quote the file).
 */
async function readOneIsolated(
  loc: Location,
  st: Exclude<StatResult, null>,
  fs: FileSystemPort,
): Promise<{ source: ParsedSource; servers: RawServer[] }> {
  try {
    return await readOne(loc, st, fs);
  } catch (err) {
    const what = err instanceof RangeError ? 'too complex to read (nesting or size limit)' : 'could not be processed';
    return {
      source: {
        source: {
          client: loc.client,
          path: loc.path,
          scope: loc.scope,
          status: 'parse-error',
          error: `the file ${what} (${(err as Error).name ?? 'Error'})`,
        },
        leaves: [],
      },
      servers: [],
    };
  }
}

function readErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EFBIG') return (err as Error).message;
  if (code === 'EFTYPE') return 'not a regular file';
  if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'not a regular file (reading would block)';
  return `cannot read the file (${code ?? (err as Error).message})`;
}

async function readOne(
  loc: Location,
  st: Exclude<StatResult, null>,
  fs: FileSystemPort,
): Promise<{ source: ParsedSource; servers: RawServer[] }> {
  const base: ConfigSource = { client: loc.client, path: loc.path, scope: loc.scope, status: 'ok' };
  const fail = (status: ConfigSource['status'], error: string, extra: Partial<ParsedSource> = {}, line?: number) => ({
    source: { source: { ...base, status, error, ...(line !== undefined ? { line } : {}) }, leaves: [], ...extra },
    servers: [],
  });
  if (st === 'error') return fail('unreadable', 'cannot access the file');
  const mode = st.mode;
  if (!st.isFile)
    return fail('unreadable', st.isDirectory ? 'is a folder, not a file' : 'not a regular file', { mode });
  if (st.size > MAX_BYTES) return fail('unreadable', `file too large (${st.size} bytes)`, { mode });
  let text: string;
  try {
    text = await fs.readFile(loc.path, { maxBytes: MAX_BYTES });
  } catch (err) {
    return fail('unreadable', readErrorReason(err), { mode });
  }
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1); // BOM: keep offsets, drop the mark
  const doc = await parseDoc(text, loc.format);
  if (!doc.ok) return fail('parse-error', doc.reason, { text, mode }, doc.line);
  const leaves = collectLeaves(doc.root);
  const extracted = await extract(doc.root, loc, fs);
  if ('unsupported' in extracted) {
    return {
      source: { source: { ...base, status: 'unsupported', error: extracted.unsupported }, text, leaves, mode },
      servers: [],
    };
  }
  return { source: { source: base, text, leaves, mode }, servers: extracted.servers };
}

/** The public projection: sources and masked server entries only (no text, leaves or raw values). */
export function toDiscoveryResult(scan: DiscoveryScan): DiscoveryResult {
  return {
    sources: scan.sources.map((s) => s.source),
    servers: scan.servers.map((s) => s.entry),
  };
}
