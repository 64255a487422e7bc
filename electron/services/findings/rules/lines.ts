import type { StringLeaf } from '../../discovery/types.js';
import type { ScanContext, SecretOccurrence } from '../types.js';

/**
 * Look-ups the rules make per server or per finding, indexed once per scan context (a WeakMap, so
 * the index lives exactly as long as the context). Scanning by `find`/`filter` per value was
 * quadratic: O(servers × leaves) for 16k servers in one file.
 */
interface ContextIndex {
  /** file → pointer → first leaf at that pointer. */
  leaves: Map<string, Map<string, StringLeaf>>;
  secretsByServer: Map<unknown, SecretOccurrence[]>;
  secretsBySource: Map<unknown, number>;
}

const indexes = new WeakMap<ScanContext, ContextIndex>();

function indexOf(ctx: ScanContext): ContextIndex {
  let idx = indexes.get(ctx);
  if (idx) return idx;
  const leaves = new Map<string, Map<string, StringLeaf>>();
  for (const src of ctx.scan.sources) {
    if (leaves.has(src.source.path)) continue;
    const byPointer = new Map<string, StringLeaf>();
    for (const l of src.leaves) if (!byPointer.has(l.pointer)) byPointer.set(l.pointer, l);
    leaves.set(src.source.path, byPointer);
  }
  const secretsByServer = new Map<unknown, SecretOccurrence[]>();
  const secretsBySource = new Map<unknown, number>();
  for (const o of ctx.secrets) {
    if (o.server) {
      const list = secretsByServer.get(o.server);
      if (list) list.push(o);
      else secretsByServer.set(o.server, [o]);
    }
    secretsBySource.set(o.source, (secretsBySource.get(o.source) ?? 0) + 1);
  }
  idx = { leaves, secretsByServer, secretsBySource };
  indexes.set(ctx, idx);
  return idx;
}

/** The leaf at a pointer in a file, when discovery recorded one. */
export function leafAt(ctx: ScanContext, file: string, pointer: string): StringLeaf | undefined {
  return indexOf(ctx).leaves.get(file)?.get(pointer);
}

/** The line of the leaf at a pointer in a file, when discovery recorded one. */
export function lineOf(ctx: ScanContext, file: string, pointer: string): number | undefined {
  const leaf = leafAt(ctx, file, pointer);
  return leaf && leaf.line > 0 ? leaf.line : undefined;
}

/** The credentials found in one server's entry. */
export function secretsOfServer(ctx: ScanContext, server: unknown): readonly SecretOccurrence[] {
  return indexOf(ctx).secretsByServer.get(server) ?? [];
}

/** How many credentials one source holds. */
export function secretCountOf(ctx: ScanContext, source: unknown): number {
  return indexOf(ctx).secretsBySource.get(source) ?? 0;
}
