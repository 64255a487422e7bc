import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { RawServer } from '../discovery/types.js';

/**
 * The exact command line a stdio server would run, and its hash: the consent key. Env values are
 * not part of it (key names are), so rotating a token does not ask again; anything else does.
 */
export function commandLineHash(server: Pick<RawServer, 'raw'>): string {
  const { command = '', args = [], env, cwd } = server.raw;
  const body = canonicalize({ command, args, envKeys: Object.keys(env).sort(), cwd: cwd ?? null }) ?? '';
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Pin key of a server: client, config file, name, and a hash of its command line or URL. A server
 * moved to another command or URL is a new identity (its pins start over).
 */
export function serverIdentity(server: RawServer): string {
  const target = server.raw.url !== undefined ? `url:${server.raw.url}` : `cmd:${commandLineHash(server)}`;
  const body = canonicalize([server.entry.client, server.entry.source, server.entry.name, target]) ?? '';
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
