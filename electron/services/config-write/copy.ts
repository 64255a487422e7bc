import { posix, win32 } from 'node:path';
import type { ClientId } from '../../../shared/model/discovery.js';
import type { CopyTarget, CopyTargetInfo } from '../../../shared/model/config-write.js';
import { childPointer } from '../discovery/pointer.js';
import { locate, pathJoiner } from '../discovery/locations.js';
import { discover } from '../discovery/discover.js';
import type { DiscoveryScan, RawServer } from '../discovery/types.js';
import {
  isSecretName,
  looksLikeSecret,
  maskArgs,
  maskUrl,
  parseReferences,
  wholeReference,
  type ReferenceSyntax,
} from '../secrets/redact.js';
import {
  ALL_CLIENTS,
  CLIENTS,
  checkTakes,
  hasEnvReferences,
  labelOf,
  renderEntry,
  rootPointerOf,
  type PortableServer,
  type PortableValue,
  type TargetScope,
} from './copy-clients.js';
import type { EditOp } from './edit.js';
import { launcherArgs, ManualFix, type FixPlan, type SecretMove } from './fixes.js';
import type { PlanContext } from './plan-context.js';
import type { PlannedWrite } from './writer.js';

/**
 * Portability: a server definition copied (or moved) from one client to any of the 21 others,
 * translated to the target's root key, entry keys and transport names (copy-clients.ts), with every
 * credential carried as a reference in the target's syntax (a literal is moved to the OS secret store
 * first) or, where the client has no reference syntax, through the `gatehouse run` launcher.
 */
export const COPY_TARGETS: readonly ClientId[] = ALL_CLIENTS;

/** A server in portable form, plus the literals moved to the secret store (variable → store key). */
interface Prepared {
  server: PortableServer;
  moves: SecretMove[];
  stored: Map<string, string>;
}

function classify(
  s: RawServer,
  key: string,
  value: string,
  header: boolean,
  moves: SecretMove[],
  stored: Map<string, string>,
): PortableValue {
  const scheme = header ? /^(Bearer|Basic|Token)\s+/i.exec(value)?.[0] : undefined;
  const body = scheme ? value.slice(scheme.length) : value;
  const ref = wholeReference(body);
  if (ref) {
    if (ref.syntax === 'input')
      throw new ManualFix(
        `${key} is a VS Code input (\${input:${ref.name}}): its value lives in VS Code's secret storage, which Gatehouse cannot read. Set it up in the target by hand.`,
      );
    return { ref: ref.name, ...(scheme ? { scheme } : {}) };
  }
  if (looksLikeSecret(body) || (isSecretName(key) && body !== '')) {
    const v = header
      ? `${s.entry.name}_${key}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_')
      : /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
        ? key
        : key.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    const name = `mcp.${s.entry.client}.${s.entry.name}.${v}`.replace(/[^A-Za-z0-9_.-]+/g, '_');
    moves.push({ name, value: body });
    stored.set(v, name);
    return { ref: v, ...(scheme ? { scheme } : {}) };
  }
  return { literal: value };
}

/** A `gatehouse run --env VAR=secret:NAME` pair: a reference to the store, not a credential. */
const LAUNCHER_PAIR = /^[A-Za-z_][A-Za-z0-9_]*=secret:[A-Za-z0-9_.-]+$/;

/** The source server in portable form; throws ManualFix when it cannot be translated at all. */
function prepare(s: RawServer): Prepared {
  const t = s.entry.transport;
  if (t === 'unknown') throw new ManualFix(`"${s.entry.name}" has an unknown transport: nothing to translate.`);
  // A credential inside args or the URL would travel as a literal: it has to become env/header first.
  const args = (s.raw.args ?? []).map((a) => (LAUNCHER_PAIR.test(a) ? 'launcher-pair' : a));
  if (maskArgs(args).some((a, i) => a !== args[i]))
    throw new ManualFix(
      `"${s.entry.name}" has a credential in its arguments, which a copy would carry as a literal: move it to an environment variable the server reads (finding secret.in-args), then copy.`,
    );
  if (s.raw.url !== undefined && maskUrl(s.raw.url) !== s.raw.url)
    throw new ManualFix(
      `"${s.entry.name}" has a credential in its URL, which a copy would carry as a literal: move it to a header (finding secret.in-url), then copy.`,
    );
  // goose `env_keys` and the like: names whose values live in the client's own keyring.
  const unread = s.entry.envKeys.filter((k) => !Object.hasOwn(s.raw.env, k));
  if (unread.length)
    throw new ManualFix(
      `"${s.entry.name}" takes ${unread.join(', ')} from ${s.entry.client}'s own secret storage (or a value that is not text), which Gatehouse cannot read: set ${unread.length > 1 ? 'them' : 'it'} up in the target by hand.`,
    );
  const moves: SecretMove[] = [];
  const stored = new Map<string, string>();
  const env = Object.entries(s.raw.env).map(([k, v]) => [k, classify(s, k, v, false, moves, stored)] as const);
  const headers: Array<readonly [string, PortableValue]> = Object.entries(s.raw.headers).map(
    ([k, v]) => [k, classify(s, k, v, true, moves, stored)] as const,
  );
  // Codex source references kept as references.
  for (const [h, v] of Object.entries(s.raw.headerEnv ?? {})) headers.push([h, { ref: v }]);
  if (s.raw.bearerTokenEnvVar) headers.push(['Authorization', { ref: s.raw.bearerTokenEnvVar, scheme: 'Bearer ' }]);
  const server: PortableServer = { name: s.entry.name, transport: t, env, headers };
  if (t === 'stdio') {
    server.command = s.raw.command;
    server.args = s.raw.args ?? [];
  } else server.url = s.raw.url;
  if (s.raw.cwd) server.cwd = s.raw.cwd;
  return { server, moves, stored };
}

/** The reference syntaxes each client expands inside values (elsewhere such text is literal). */
const EXPANDS: Partial<Record<ClientId, readonly ReferenceSyntax[]>> = {
  'claude-code': ['dollar-brace', 'dollar-brace-default'],
  cursor: ['env-colon'],
  windsurf: ['env-colon'],
  vscode: ['env-colon', 'input', 'editor-variable'],
  'vscode-insiders': ['env-colon', 'input', 'editor-variable'],
  'gemini-cli': ['dollar-brace', 'bare-dollar'],
  opencode: ['brace-env'],
  continue: ['continue-secret'],
};

/**
 * The references the source client expands inside a value (`--root=${env:HOME}/x`, a URL),
 * rewritten in the target's syntax; refused where the target cannot expand them.
 */
function rewriteInline(value: string, from: ClientId, to: ClientId, what: string): string {
  const expands = EXPANDS[from] ?? [];
  const refs = parseReferences(value).filter((r) => expands.includes(r.syntax));
  if (refs.length === 0 || from === to) return value;
  const spec = CLIENTS[to];
  let out = '';
  let at = 0;
  for (const r of refs) {
    if (r.syntax === 'input' || r.syntax === 'editor-variable')
      throw new ManualFix(`${what} uses ${r.raw}, a VS Code variable ${spec.label} does not know: replace it first.`);
    if (!spec.ref || to === 'codex')
      throw new ManualFix(
        `${what} uses ${r.raw} and ${spec.label} does not expand variables there: replace it with its value first.`,
      );
    out += value.slice(at, r.start) + spec.ref(r.name);
    at = r.end;
  }
  return out + value.slice(at);
}

/** Inline references of args, URL and literal values in the target's syntax. */
function retarget(srv: PortableServer, from: ClientId, to: ClientId): PortableServer {
  const lit = (pairs: PortableServer['env'], field: string) =>
    pairs.map(([k, v]) =>
      v.literal === undefined
        ? ([k, v] as const)
        : ([k, { literal: rewriteInline(v.literal, from, to, `${field} ${k}`) }] as const),
    );
  const out: PortableServer = { ...srv, env: lit(srv.env, 'env'), headers: lit(srv.headers, 'header') };
  if (srv.args) out.args = srv.args.map((a, i) => rewriteInline(a, from, to, `argument ${i + 1}`));
  if (srv.url !== undefined) out.url = rewriteInline(srv.url, from, to, 'the URL');
  return out;
}

/**
 * The server as the target client will hold it: for a client without env reference syntax, a stdio
 * server whose env carries references starts through `gatehouse run` (credentials from the store).
 */
function translate(
  pc: PlanContext,
  s: RawServer,
  c: ClientId,
  p: Prepared,
): { entry: Record<string, unknown>; launcher: boolean } {
  checkTakes(c, p.server);
  const srv = retarget(p.server, s.entry.client, c);
  const refs = srv.env.filter(([, v]) => v.ref !== undefined);
  if (srv.transport !== 'stdio' || hasEnvReferences(c) || refs.length === 0)
    return { entry: renderEntry(c, srv), launcher: false };
  const pairs = refs.map(([k, v]) => {
    const name = p.stored.get(v.ref!);
    if (!name)
      throw new ManualFix(
        `${labelOf(c)} has no reference syntax for env values and ${k} references \${${v.ref}}, whose value Gatehouse does not hold. Store it first (fix a literal in the source) or set it up in ${labelOf(c)} by hand.`,
      );
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new ManualFix(`The variable name "${k}" cannot be passed by the gatehouse run launcher.`);
    return `${k}=secret:${name}`;
  });
  const wrapped: PortableServer = {
    ...srv,
    command: 'gatehouse',
    args: launcherArgs(pc, s, pairs),
    env: srv.env.filter(([, v]) => v.ref === undefined),
  };
  return { entry: renderEntry(c, wrapped), launcher: true };
}

interface TargetFile {
  file: string;
  /** Pointer of the server collection in that file. */
  root: string;
  /** Keys a new file needs beside the server (Continue's name/version/schema). */
  header: EditOp[];
}

/** What is already in the target's files: a project the workstation does not list is read now. */
async function targetScan(pc: PlanContext, to: CopyTarget): Promise<DiscoveryScan> {
  const ws = pc.ctx.workstation;
  if (to.scope !== 'project' || !to.project || ws.projects.includes(to.project)) return pc.scan;
  return discover({ ...ws, projects: [to.project] }, pc.ctx.fs);
}

function continueHeader(name: string, version: string): EditOp[] {
  return [
    { op: 'set', pointer: '/name', value: name },
    { op: 'set', pointer: '/version', value: version },
    { op: 'set', pointer: '/schema', value: 'v1' },
  ];
}

function targetFile(pc: PlanContext, to: CopyTarget, name: string, scan: DiscoveryScan): TargetFile {
  const c = to.client;
  const spec = CLIENTS[c];
  const scope: TargetScope = to.scope;
  if (!spec.scopes.includes(scope))
    throw new ManualFix(`${spec.label} has no ${scope} scope: it reads only its ${spec.scopes.join(' and ')} config.`);
  if (scope === 'project' && !to.project)
    throw new ManualFix(`A project-scope copy to ${spec.label} needs the project folder (--project DIR).`);
  if (scope === 'project' && !posix.isAbsolute(to.project!) && !win32.isAbsolute(to.project!))
    throw new ManualFix(`The project folder must be an absolute path (got ${to.project}).`);
  const ws = scope === 'project' ? { ...pc.ctx.workstation, projects: [to.project!] } : pc.ctx.workstation;
  const exists = new Set(scan.sources.map((x) => x.source.path));
  const root = rootPointerOf(c);
  const { files, folders } = locate(ws);
  if (c === 'continue' && scope === 'project') {
    // One block file per server in .continue/mcpServers/.
    const dir = folders.find((f) => f.client === 'continue')!.dir;
    const file = pathJoiner(ws.platform)(dir, `${name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^\.+/, '')}.yaml`);
    if (exists.has(file)) throw new ManualFix(`${file} already exists: remove or rename it first.`);
    return { file, root, header: continueHeader(name, '0.0.1') };
  }
  const candidates = files.filter(
    (f) =>
      f.client === c &&
      f.scope === scope &&
      (c !== 'vscode' && c !== 'vscode-insiders' ? true : f.dialect === 'vscode'),
  );
  if (c === 'continue') {
    const yaml = candidates.find((f) => f.format === 'yaml')!;
    const json = candidates.find((f) => f.format === 'json');
    if (!exists.has(yaml.path) && json && exists.has(json.path))
      throw new ManualFix(
        `Continue reads the legacy ${json.path} here; creating config.yaml would replace it. Migrate it to config.yaml in Continue first.`,
      );
    return { file: yaml.path, root, header: exists.has(yaml.path) ? [] : continueHeader('Local Config', '1.0.0') };
  }
  const withServers = candidates.find((f) => scan.servers.some((x) => x.entry.source === f.path));
  const chosen =
    withServers ?? candidates.find((f) => exists.has(f.path)) ?? candidates.find((f) => !f.general) ?? candidates[0];
  if (!chosen) throw new ManualFix(`${spec.label} has no ${scope}-scope config file.`);
  // A flat `{ name: entry }` file (no root key) keeps its shape.
  const flat =
    chosen.dialect === 'mcpServers' &&
    scan.servers.some((x) => x.entry.source === chosen.path && x.entry.pointer.split('/').length === 2);
  return { file: chosen.path, root: flat ? '' : root, header: [] };
}

export async function planCopy(pc: PlanContext, s: RawServer, to: CopyTarget, move: boolean): Promise<FixPlan> {
  const c = to.client;
  if (!CLIENTS[c]) throw new ManualFix(`Unknown client "${String(c)}" (valid: ${ALL_CLIENTS.join(', ')}).`);
  if (move && s.entry.scope === 'managed')
    throw new ManualFix('A managed (system) server cannot be moved: change it through your device management.');
  const name = s.entry.name;
  const p = prepare(s);
  const { entry, launcher } = translate(pc, s, c, p);
  const scan = await targetScan(pc, to);
  const t = targetFile(pc, to, name, scan);
  const file = t.file;
  if (scan.servers.some((x) => x.entry.source === file && x.entry.name === name && x.entry.client === c))
    throw new ManualFix(`${labelOf(c)} already has a server named "${name}" in ${file}: remove or rename it first.`);
  if (move && file === s.entry.source)
    throw new ManualFix(`Source and target are the same file (${file}): copy the server, then remove the original.`);

  const notes: string[] = [];
  if (launcher)
    notes.push(
      `${labelOf(c)} has no reference syntax: the server starts through \`gatehouse run\`, which reads the credentials from the secret store. \`gatehouse\` must be on the PATH ${labelOf(c)} starts servers with.`,
    );
  for (const m of p.moves)
    notes.push(
      `A literal credential was moved to Gatehouse's secret store (${pc.ctx.secrets.kind}) as "${m.name}"; the copy references it.`,
    );
  const refs = [...p.server.env, ...p.server.headers].filter(([, v]) => v.ref !== undefined).map(([, v]) => v.ref!);
  if (refs.length && !launcher) {
    const vars = [...new Set(refs)].join(', ');
    notes.push(
      c === 'continue'
        ? `Continue resolves \${{ secrets.NAME }} from ~/.continue/.env (or Continue Hub secrets): add ${vars} there.`
        : `${labelOf(c)} reads ${vars} from the environment it starts in: set them there.`,
    );
  }

  const list = c === 'continue';
  const pointer = list ? t.root : childPointer(t.root, name);
  const ops: EditOp[] = [
    ...t.header,
    list ? { op: 'append', pointer, value: entry } : { op: 'set', pointer, value: entry },
  ];
  const plans: PlannedWrite[] = [
    {
      kind: 'edit',
      file,
      format: pc.formatOf(file),
      ops,
      summary: `${move ? 'move' : 'copy'} "${name}" from ${s.entry.client} to ${c} (${to.scope})`,
      pointers: [pointer],
      secretValues: p.moves.map((m) => m.value),
      create: true,
    },
  ];
  if (move)
    plans.push({
      kind: 'edit',
      file: s.entry.source,
      format: pc.formatOf(s.entry.source),
      ops: [{ op: 'remove', pointer: s.entry.pointer }],
      summary: `move "${name}" to ${c}: removed from ${s.entry.client}`,
      pointers: [s.entry.pointer],
      secretValues: [...Object.values(s.raw.env), ...Object.values(s.raw.headers)].filter((v) => v.length >= 8),
    });
  return { title: `${move ? 'Move' : 'Copy'} "${name}" to ${labelOf(c)}`, plans, secrets: p.moves, notes };
}

/** Why `c` cannot take the server at all (transport, references), or undefined when it can. */
export function refusalFor(pc: PlanContext, s: RawServer, c: ClientId): string | undefined {
  try {
    translate(pc, s, c, prepare(s));
    return undefined;
  } catch (err) {
    if (err instanceof ManualFix) return err.message;
    throw err;
  }
}

/**
 * Every client as a destination of `s`: the scopes it has (less the user file the server already
 * sits in), or why it cannot take the server.
 */
export function copyTargetsFor(pc: PlanContext, s: RawServer): CopyTargetInfo[] {
  return ALL_CLIENTS.map((client) => {
    const refused = refusalFor(pc, s, client);
    if (refused) return { client, scopes: [], refused };
    const own = client === s.entry.client && s.entry.scope === 'user' && s.entry.project === undefined;
    const scopes = CLIENTS[client].scopes.filter((sc) => !(own && sc === 'user'));
    if (scopes.length === 0)
      return { client, scopes, refused: `"${s.entry.name}" is already in ${labelOf(client)}'s only (user) config.` };
    return { client, scopes: [...scopes] };
  });
}
