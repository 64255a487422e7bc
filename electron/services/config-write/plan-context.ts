import { actorOf } from '../identity/sessions.js';
import type { ServiceContext } from '../context.js';
import { discover } from '../discovery/discover.js';
import type { DocFormat } from '../discovery/document.js';
import { formatForPath, locate, type Dialect } from '../discovery/locations.js';
import type { DiscoveryScan, RawServer } from '../discovery/types.js';
import type { WriterDeps } from './writer.js';

/** A fresh discovery of the workstation plus what the planners need about each file. */
export interface PlanContext {
  ctx: ServiceContext;
  scan: DiscoveryScan;
  /** Dialect of each known config path (by client and path). */
  dialectOf(client: string, path: string): Dialect | undefined;
  formatOf(path: string): DocFormat;
  /** Raw string value at a pointer of a file, from discovery's leaves (never leaves the services). */
  valueAt(file: string, pointer: string): string | undefined;
  server(id: string): RawServer | undefined;
}

export async function planContext(ctx: ServiceContext): Promise<PlanContext> {
  const scan = await discover(ctx.workstation, ctx.fs);
  const { files, folders } = locate(ctx.workstation);
  const dialects = new Map(files.map((f) => [`${f.client}\0${f.path}`, f.dialect]));
  return {
    ctx,
    scan,
    dialectOf: (client, path) =>
      dialects.get(`${client}\0${path}`) ?? folders.find((f) => f.client === client && path.startsWith(f.dir))?.dialect,
    formatOf: formatForPath,
    valueAt(file, pointer) {
      const src = scan.sources.find((s) => s.source.path === file);
      return src?.leaves.find((l) => l.pointer === pointer)?.value;
    },
    server: (id) => scan.servers.find((s) => s.entry.id === id),
  };
}

export function writerDeps(ctx: ServiceContext, actor = actorOf(ctx)): WriterDeps {
  return { db: ctx.db, clock: ctx.clock, secrets: ctx.secrets, actor };
}
