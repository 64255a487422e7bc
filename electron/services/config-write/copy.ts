import type { ClientId } from '../../../shared/model/discovery.js';
import type { CopyTarget } from '../../../shared/model/config-write.js';
import { childPointer } from '../discovery/pointer.js';
import { locate } from '../discovery/locations.js';
import type { RawServer } from '../discovery/types.js';
import { isSecretName, looksLikeSecret, wholeReference } from '../secrets/redact.js';
import type { EditOp } from './edit.js';
import { ManualFix, type FixPlan, type SecretMove } from './fixes.js';
import type { PlanContext } from './plan-context.js';
import type { PlannedWrite } from './writer.js';

/**
 * Portability: a server definition copied (or moved) from one client to another, translated to the
 * target's root key, entry keys and transport names, with every credential carried as a reference
 * in the target's syntax (a literal is moved to the OS secret store first). Covered targets:
 * COPY_TARGETS; the other clients are refused with a clear message.
 */
export const COPY_TARGETS: readonly ClientId[] = [
  'claude-desktop',
  'claude-code',
  'cursor',
  'vscode',
  'windsurf',
  'codex',
] as const;

/** The env-reference syntax of each covered target (Claude Desktop has none). */
const REF: Partial<Record<ClientId, (v: string) => string>> = {
  'claude-code': (v) => `\${${v}}`,
  cursor: (v) => `\${env:${v}}`,
  windsurf: (v) => `\${env:${v}}`,
  vscode: (v) => `\${env:${v}}`,
};

interface Value {
  /** The literal, or the variable it references. */
  literal?: string;
  ref?: string;
  /** `Bearer ` etc. kept in front of a reference. */
  scheme?: string;
}

function classify(s: RawServer, key: string, value: string, header: boolean, moves: SecretMove[]): Value {
  const scheme = header ? /^(Bearer|Basic|Token)\s+/i.exec(value)?.[0] : undefined;
  const body = scheme ? value.slice(scheme.length) : value;
  const ref = wholeReference(body);
  if (ref) {
    if (ref.syntax === 'input')
      throw new ManualFix(
        `${key} is a VS Code input (\${input:${ref.name}}): its value lives in VS Code's secret storage, which Gatehouse cannot read. Set it up in the target by hand.`,
      );
    return { ref: ref.name, ...(scheme ? { scheme } : {}) } satisfies Value;
  }
  if (looksLikeSecret(body) || (isSecretName(key) && body !== '')) {
    const v = header
      ? `${s.entry.name}_${key}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_')
      : /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
        ? key
        : key.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    moves.push({ name: `mcp.${s.entry.client}.${s.entry.name}.${v}`.replace(/[^A-Za-z0-9_.-]+/g, '_'), value: body });
    return { ref: v, ...(scheme ? { scheme } : {}) } satisfies Value;
  }
  return { literal: value } satisfies Value;
}

function targetFile(pc: PlanContext, to: CopyTarget): string {
  const ws =
    to.scope === 'project' ? { ...pc.ctx.workstation, projects: to.project ? [to.project] : [] } : pc.ctx.workstation;
  if (to.scope === 'project' && !to.project) throw new ManualFix('A project-scope copy needs --project DIR.');
  const files = locate(ws).files.filter((f) => f.client === to.client && f.scope === to.scope);
  const preferred =
    to.client === 'vscode'
      ? files.find((f) => f.dialect === 'vscode')
      : (files.find((f) => !f.path.endsWith('settings.json')) ?? files[0]);
  if (!preferred) throw new ManualFix(`${to.client} has no ${to.scope}-scope config file.`);
  return preferred.path;
}

export function planCopy(pc: PlanContext, s: RawServer, to: CopyTarget, move: boolean): FixPlan {
  if (!COPY_TARGETS.includes(to.client))
    throw new ManualFix(`Copying to ${to.client} is not supported yet (covered: ${COPY_TARGETS.join(', ')}).`);
  if (s.entry.transport === 'unknown')
    throw new ManualFix('The server has an unknown transport: nothing to translate.');
  const moves: SecretMove[] = [];
  const notes: string[] = [];
  const env = Object.entries(s.raw.env).map(([k, v]) => [k, classify(s, k, v, false, moves)] as const);
  const headers: Array<readonly [string, Value]> = Object.entries(s.raw.headers).map(
    ([k, v]) => [k, classify(s, k, v, true, moves)] as const,
  );
  // Codex source references kept as references.
  for (const [h, v] of Object.entries(s.raw.headerEnv ?? {})) headers.push([h, { ref: v }]);
  if (s.raw.bearerTokenEnvVar) headers.push(['Authorization', { ref: s.raw.bearerTokenEnvVar, scheme: 'Bearer ' }]);
  const file = targetFile(pc, to);
  const format = pc.formatOf(file);
  const name = s.entry.name;
  const c = to.client;

  if (pc.scan.servers.some((x) => x.entry.source === file && x.entry.name === name && x.entry.client === c))
    throw new ManualFix(`${c} already has a server named "${name}" in ${file}: remove or rename it first.`);

  const render = (v: Value): string => {
    if (v.literal !== undefined) return v.literal;
    const ref = REF[c];
    if (!ref) throw new ManualFix(`${c} has no reference syntax for this value.`);
    return `${v.scheme ?? ''}${ref(v.ref!)}`;
  };

  let entry: Record<string, unknown>;
  let root: string;
  if (c === 'codex') {
    root = '/mcp_servers';
    if (s.entry.transport === 'stdio') {
      entry = { command: s.raw.command, args: s.raw.args ?? [] };
      const lit: Record<string, string> = {};
      const vars: string[] = [];
      for (const [k, v] of env) {
        if (v.literal !== undefined) lit[k] = v.literal;
        else if (v.ref === k) vars.push(k);
        else
          throw new ManualFix(
            `Codex forwards variables by their own name: ${k} references ${v.ref}. Rename one of them first.`,
          );
      }
      if (Object.keys(lit).length) entry.env = lit;
      if (vars.length) entry.env_vars = vars;
    } else {
      if (s.entry.transport === 'sse') throw new ManualFix('Codex speaks streamable HTTP only, not SSE.');
      entry = { url: s.raw.url };
      const lit: Record<string, string> = {};
      const envH: Record<string, string> = {};
      for (const [k, v] of headers) {
        if (v.literal !== undefined) lit[k] = v.literal;
        else if (k.toLowerCase() === 'authorization' && v.scheme?.toLowerCase().startsWith('bearer'))
          entry.bearer_token_env_var = v.ref;
        else if (!v.scheme) envH[k] = v.ref!;
        else throw new ManualFix(`Codex cannot prefix a header reference (${k}).`);
      }
      if (Object.keys(lit).length) entry.http_headers = lit;
      if (Object.keys(envH).length) entry.env_http_headers = envH;
    }
  } else {
    root = c === 'vscode' ? '/servers' : '/mcpServers';
    if (s.entry.transport === 'stdio') {
      if (c === 'claude-desktop' && env.some(([, v]) => v.ref !== undefined)) {
        // No reference syntax and a GUI app: credentials go through the launcher.
        const pairs: string[] = [];
        for (const [k, v] of env) {
          if (v.ref === undefined) continue;
          const moved = moves.find((m) => m.name.endsWith(`.${v.ref}`));
          if (!moved)
            throw new ManualFix(
              `${k} references \${${v.ref}}, whose value Gatehouse does not hold; Claude Desktop has no reference syntax. Store the value first (fix the source's literal) or set it by hand.`,
            );
          pairs.push('--env', `${k}=secret:${moved.name}`);
        }
        entry = {
          command: 'gatehouse',
          args: ['run', '--state', pc.ctx.stateDir, ...pairs, '--', s.raw.command, ...(s.raw.args ?? [])],
        };
        notes.push(
          'Claude Desktop has no reference syntax: the server starts through `gatehouse run`, which reads the credentials from the secret store.',
        );
      } else entry = { command: s.raw.command, args: s.raw.args ?? [] };
      if (c === 'vscode') entry = { type: 'stdio', ...entry };
      const envOut = Object.fromEntries(
        env.filter(([, v]) => c !== 'claude-desktop' || v.ref === undefined).map(([k, v]) => [k, render(v)]),
      );
      if (Object.keys(envOut).length) entry.env = envOut;
      if (s.raw.cwd) entry.cwd = s.raw.cwd;
    } else {
      if (c === 'claude-desktop')
        throw new ManualFix(
          'Claude Desktop adds remote servers as connectors in its settings UI, not in its config file.',
        );
      const urlKey = c === 'windsurf' ? 'serverUrl' : 'url';
      entry = { [urlKey]: s.raw.url };
      if (c === 'claude-code' || c === 'vscode') entry = { type: s.entry.transport, ...entry };
      const h = Object.fromEntries(headers.map(([k, v]) => [k, render(v)]));
      if (Object.keys(h).length) entry.headers = h;
    }
  }
  for (const m of moves)
    notes.push(
      `A literal credential was moved to Gatehouse's secret store (${pc.ctx.secrets.kind}) as "${m.name}"; the copy references it.`,
    );
  const refs = [...env, ...headers].filter(([, v]) => v.ref !== undefined).map(([, v]) => v.ref!);
  if (refs.length && c !== 'claude-desktop')
    notes.push(`${c} reads ${[...new Set(refs)].join(', ')} from the environment it starts in: set them there.`);
  const pointer = childPointer(root, name);
  const ops: EditOp[] = [{ op: 'set', pointer, value: entry }];
  const plans: PlannedWrite[] = [
    {
      kind: 'edit',
      file,
      format,
      ops,
      summary: `${move ? 'move' : 'copy'} "${name}" from ${s.entry.client} to ${c} (${to.scope})`,
      pointers: [pointer],
      secretValues: moves.map((m) => m.value),
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
  return { title: `${move ? 'Move' : 'Copy'} "${name}" to ${c}`, plans, secrets: moves, notes };
}
