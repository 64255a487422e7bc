import type { ScanContext } from '../types.js';

/** The line of the leaf at a pointer in a file, when discovery recorded one. */
export function lineOf(ctx: ScanContext, file: string, pointer: string): number | undefined {
  const src = ctx.scan.sources.find((p) => p.source.path === file);
  const leaf = src?.leaves.find((l) => l.pointer === pointer);
  return leaf && leaf.line > 0 ? leaf.line : undefined;
}
