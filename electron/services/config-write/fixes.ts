import { createHash } from 'node:crypto';
import semver from 'semver';
import type { ClientId } from '../../../shared/model/discovery.js';
import type { FixOption } from '../../../shared/model/config-write.js';
import type { RawServer } from '../discovery/types.js';
import { runnerTarget } from '../findings/rules/runner.js';
import type { IdentifiedDraft } from '../findings/engine.js';
import type { EditOp } from './edit.js';
import { pointerParts } from './edit.js';
import { childPointer } from '../discovery/pointer.js';
import type { PlanContext } from './plan-context.js';
import type { PlannedWrite } from './writer.js';

/**
 * Fixes for findings, planned as writes for the safe writer. Each planner either returns the edits
 * (with the secrets to move into the OS secret store and the notes the admin must read) or throws
 * ManualFix with why no correct automatic fix exists.
 */
export class ManualFix extends Error {
  override name = 'ManualFix';
}

export interface SecretMove {
  /** Secret-store key. */
  name: string;
  value: string;
  /**
   * The variable (or input id) the client will read the value from, when the fix is a reference:
   * the client's environment is shared, so one variable cannot carry two different values.
   */
  variable?: string;
}

export interface FixPlan {
  title: string;
  plans: PlannedWrite[];
  secrets: SecretMove[];
  notes: string[];
}

export type Strategy = NonNullable<FixOption['strategy']>;

/** Clients whose config expands an environment reference inside env/header values, and how. */
const ENV_REFERENCE: Partial<Record<ClientId, { syntax: (v: string) => string; how: string }>> = {
  'claude-code': {
    syntax: (v) => `\${${v}}`,
    how: 'Claude Code expands ${VAR} from the environment it starts in',
  },
  cursor: { syntax: (v) => `\${env:${v}}`, how: 'Cursor expands ${env:VAR} from its environment' },
  windsurf: { syntax: (v) => `\${env:${v}}`, how: 'Windsurf expands ${env:VAR} from its environment' },
  'gemini-cli': { syntax: (v) => `$${v}`, how: 'Gemini CLI expands $VAR from the environment it starts in' },
  opencode: { syntax: (v) => `{env:${v}}`, how: 'opencode expands {env:VAR} from its environment' },
};

/** Clients that understand a "disabled"/"enabled" flag on a server entry. */
const DISABLE_FLAG: Partial<Record<ClientId, { key: string; value: boolean }>> = {
  cline: { key: 'disabled', value: true },
  'roo-code': { key: 'disabled', value: true },
  'kilo-code': { key: 'disabled', value: true },
  windsurf: { key: 'disabled', value: true },
  // kiro.dev/docs/mcp/configuration: "disabled" on a server entry (IDE and CLI).
  kiro: { key: 'disabled', value: true },
  codex: { key: 'enabled', value: false },
  goose: { key: 'enabled', value: false },
  opencode: { key: 'enabled', value: false },
};

// One wording for every variable, so a bulk preview shows it once.
const GUI_ENV_NOTE =
  'GUI apps started from the Dock, Start menu or a desktop launcher do not read your shell profile: on macOS use `launchctl setenv NAME value` (or a LaunchAgent), on Windows a user environment variable (System Properties → Environment Variables), on Linux ~/.config/environment.d/*.conf; then restart the app.';

const SECRET_LITERAL_RULES = new Set(['secret.literal', 'secret.project-file', 'secret.reused']);

/** A valid, stable secret-store key for one value of one server. */
function secretName(client: string, server: string, key: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  return `mcp.${clean(client)}.${clean(server)}.${clean(key)}`;
}

function envVarName(server: string, key: string, isHeader: boolean): string {
  if (!isHeader && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return key;
  const up = (s: string) =>
    s
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '');
  return `${up(server) || 'MCP'}_${up(key) || 'SECRET'}`.replace(/^(\d)/, '_$1');
}

/** Where a finding's pointer sits in its server: an env or header value (else undefined). */
function fieldOf(s: RawServer, pointer: string): { field: 'env' | 'headers'; key: string } | undefined {
  for (const [k, p] of Object.entries(s.pointers.env)) if (p === pointer) return { field: 'env', key: k };
  for (const [k, p] of Object.entries(s.pointers.headers)) if (p === pointer) return { field: 'headers', key: k };
  return undefined;
}

function isLauncher(s: RawServer): boolean {
  const cmd = (s.raw.command ?? '')
    .split(/[\\/]/)
    .pop()
    ?.replace(/\.(cmd|exe)$/i, '');
  return cmd === 'gatehouse' && s.raw.args?.[0] === 'run';
}

/**
 * The `gatehouse run` arguments that start `s` with `pairs` (VAR=secret:NAME) from the secret store;
 * a server already behind the launcher gets the pairs added to its existing wrap.
 */
export function launcherArgs(pc: PlanContext, s: RawServer, pairs: readonly string[]): string[] {
  const env = pairs.flatMap((p) => ['--env', p]);
  if (isLauncher(s)) return ['run', ...env, ...(s.raw.args ?? []).slice(1)];
  // The launcher reads the same store as this Gatehouse: its state folder is named explicitly.
  return ['run', '--state', pc.ctx.stateDir, ...env, '--', s.raw.command ?? '', ...(s.raw.args ?? [])];
}

export interface FixInput {
  version?: string;
}

/** What can be done about a finding (first option is the recommended one). */
export function fixOptions(pc: PlanContext, d: IdentifiedDraft): FixOption[] {
  const base = { findingId: d.id, ruleId: d.ruleId };
  const manual = (explanation: string): FixOption[] => [{ ...base, kind: 'manual', title: 'Manual fix', explanation }];
  const s = d.serverId ? pc.server(d.serverId) : undefined;
  const quarantine: FixOption[] = s
    ? [
        {
          ...base,
          kind: 'fix',
          strategy: 'quarantine',
          title: 'Quarantine the server',
          explanation: `Disable "${s.entry.name}" in every client and scope where it is configured (or remove it where the client has no disabled flag; a backup is kept and undo restores it).`,
        },
      ]
    : [];
  if (SECRET_LITERAL_RULES.has(d.ruleId)) {
    if (!s) return manual('The credential is not inside a server entry; remove it from the file by hand.');
    const f = fieldOf(s, d.location.pointer);
    if (!f)
      return manual(
        'The credential is not an env or header value (e.g. an argument or URL): how a server accepts it elsewhere depends on the server; move it to an environment variable the server reads, then fix that.',
      );
    try {
      const p = planSecretFix(pc, d, s);
      return [
        { ...base, kind: 'fix', strategy: p.strategy, title: p.title, explanation: p.notes.join(' ') },
        ...quarantine,
      ];
    } catch (err) {
      if (err instanceof ManualFix) return [...manual(err.message), ...quarantine];
      throw err;
    }
  }
  switch (d.ruleId) {
    case 'secret.in-args':
      return [
        ...manual(
          'The credential is a command-line argument: the right replacement (an environment variable the server reads instead) depends on the server. Check its documentation, move the value to env, then fix the resulting finding.',
        ),
        ...quarantine,
      ];
    case 'secret.in-url':
      return [
        ...manual(
          'The credential is part of the URL: move it to an Authorization header if the server accepts one (server-specific), then fix that finding; or rotate it and use OAuth.',
        ),
        ...quarantine,
      ];
    case 'config.permissions':
      if (pc.ctx.workstation.platform === 'win32')
        return manual(
          'On Windows, restrict the file with its ACL: Properties → Security → remove inherited access for other users (icacls "<file>" /inheritance:r /grant:r "%USERNAME%:F").',
        );
      return [
        {
          ...base,
          kind: 'fix',
          strategy: 'chmod',
          title: 'Restrict to owner (chmod 600)',
          explanation: `Set ${d.location.file} to mode 0600 so only its owner can read it.`,
        },
      ];
    case 'runner.unpinned': {
      const t = s ? runnerTarget(s) : undefined;
      if (!s || !t) return manual('The runner command could not be read back.');
      if (t.spec.index < 0)
        return manual(
          'The package is part of a whole command line in "command": split it into command and args first.',
        );
      return [
        {
          ...base,
          kind: 'fix',
          strategy: 'pin',
          title: `Pin ${t.name} to an exact version`,
          explanation: `Replace "${t.spec.value}" with ${t.ecosystem === 'oci' ? 'an image tag or digest' : 'an exact version'} you have reviewed.`,
          input: {
            name: 'version',
            label:
              t.ecosystem === 'oci'
                ? 'Image tag or sha256:digest'
                : `Exact ${t.ecosystem === 'npm' ? 'npm' : 'PyPI'} version`,
            ...(t.version && semver.valid(semver.coerce(t.version)) && t.ecosystem !== 'oci'
              ? { suggestion: semver.coerce(t.version)!.version }
              : {}),
          },
        },
        ...quarantine,
      ];
    }
    case 'package.vulnerable':
    case 'command.inline-shell':
    case 'transport.plaintext':
    case 'auth.static':
    case 'auth.none':
    case 'tool.poisoning':
    case 'tool.hidden-unicode':
    case 'tool.shadowing':
    case 'tool.changed':
      return [
        ...manual(
          d.remediation ??
            'No automatic fix: the correct change depends on the server (a fixed version, an https URL, OAuth).',
        ),
        ...quarantine,
      ];
    default:
      return manual(d.remediation ?? 'No automatic fix.');
  }
}

/** Plans the fix of a finding with the chosen strategy (default: the recommended one). */
export function planFix(pc: PlanContext, d: IdentifiedDraft, strategy?: Strategy, input: FixInput = {}): FixPlan {
  const all = fixOptions(pc, d);
  // Without a strategy only the recommended option counts: a manual finding is never quarantined instead.
  const chosen = strategy
    ? all.find((o) => o.kind === 'fix' && o.strategy === strategy)
    : all[0]?.kind === 'fix'
      ? all[0]
      : undefined;
  if (!chosen) {
    const m = all.find((o) => o.kind === 'manual');
    throw new ManualFix(m?.explanation ?? `No automatic fix for ${d.ruleId}.`);
  }
  const s = d.serverId ? pc.server(d.serverId) : undefined;
  switch (chosen.strategy) {
    case 'chmod':
      return {
        title: chosen.title,
        plans: [
          {
            kind: 'chmod',
            file: d.location.file,
            mode: 0o600,
            summary: 'chmod 600 (readable by its owner only)',
            pointers: [''],
          },
        ],
        secrets: [],
        notes: [],
      };
    case 'pin':
      return planPin(pc, s!, input.version);
    case 'quarantine':
      return planQuarantine(pc, s!);
    default: {
      const p = planSecretFix(pc, d, s!);
      return { title: p.title, plans: p.plans, secrets: p.secrets, notes: p.notes };
    }
  }
}

// ------------------------------------------------------------------------- literal credentials

function planSecretFix(pc: PlanContext, d: IdentifiedDraft, s: RawServer): FixPlan & { strategy: Strategy } {
  const f = fieldOf(s, d.location.pointer)!;
  const file = s.entry.source;
  const client = s.entry.client;
  const dialect = pc.dialectOf(client, file);
  const format = pc.formatOf(file);
  const value = pc.valueAt(file, d.location.pointer);
  if (value === undefined) throw new ManualFix('The value could not be read back from the file.');
  const isHeader = f.field === 'headers';
  const scheme = isHeader ? /^(Bearer|Basic|Token)\s+/i.exec(value)?.[0] : undefined;
  const secretValue = scheme ? value.slice(scheme.length) : value;
  const varName = envVarName(s.entry.name, f.key, isHeader);
  // A server of the same name in several projects holds a value per project: one store entry each.
  const owner =
    s.entry.scope === 'user'
      ? s.entry.name
      : `${s.entry.name}.${createHash('sha256').update(file).digest('hex').slice(0, 8)}`;
  const name = secretName(client, owner, varName);
  const secrets: SecretMove[] = [{ name, value: secretValue, variable: varName }];
  const where = `${isHeader ? 'header' : 'environment variable'} ${f.key} of server "${s.entry.name}"`;
  const stored = `The value is kept in Gatehouse's secret store (${pc.ctx.secrets.kind}) under "${name}".`;
  const write = (ops: EditOp[], summary: string): PlannedWrite => ({
    kind: 'edit',
    file,
    format,
    ops,
    summary,
    pointers: [d.location.pointer],
    secretValues: [value, secretValue],
  });

  // VS Code (mcp.json): ${input:id} with a password input; VS Code keeps the value in its own secret storage.
  if ((client === 'vscode' || client === 'vscode-insiders') && dialect === 'vscode') {
    const id = varName.toLowerCase().replace(/_/g, '-');
    const ref = `${scheme ?? ''}\${input:${id}}`;
    return {
      strategy: 'reference',
      title: `Replace with \${input:${id}}`,
      plans: [
        write(
          [
            { op: 'set', pointer: d.location.pointer, value: ref },
            {
              op: 'append',
              pointer: '/inputs',
              value: { type: 'promptString', id, description: `${f.key} for ${s.entry.name}`, password: true },
            },
          ],
          `${where} → \${input:${id}} (password input)`,
        ),
      ],
      secrets,
      notes: [
        `VS Code asks for "${id}" once, the first time the server starts, and keeps it in its own secret storage (not in the file).`,
        stored,
      ],
    };
  }
  // Codex: env_vars forwards a variable; env_http_headers / bearer_token_env_var name the variable of a header.
  if (client === 'codex') {
    const server = s.entry.pointer;
    if (!isHeader) {
      return {
        strategy: 'codex-env-vars',
        title: `Forward ${varName} with env_vars`,
        plans: [
          write(
            [
              { op: 'remove', pointer: d.location.pointer },
              { op: 'append', pointer: childPointer(server, 'env_vars'), value: varName },
            ],
            `${where} → env_vars = ["${varName}"]`,
          ),
        ],
        secrets,
        notes: [
          `Codex forwards ${varName} from the environment it starts in to the server: set ${varName} there (e.g. in your shell profile).`,
          stored,
        ],
      };
    }
    const bearer = f.key.toLowerCase() === 'authorization' && scheme?.toLowerCase().startsWith('bearer');
    return {
      strategy: 'codex-header-env',
      title: bearer ? `Use bearer_token_env_var = "${varName}"` : `Use env_http_headers.${f.key} = "${varName}"`,
      plans: [
        write(
          [
            { op: 'remove', pointer: d.location.pointer },
            bearer
              ? { op: 'set', pointer: childPointer(server, 'bearer_token_env_var'), value: varName }
              : { op: 'set', pointer: childPointer(childPointer(server, 'env_http_headers'), f.key), value: varName },
          ],
          `${where} → ${bearer ? 'bearer_token_env_var' : 'env_http_headers'} ${varName}`,
        ),
      ],
      secrets,
      notes: [
        `Codex reads ${varName} from the environment it starts in and sends it as ${bearer ? 'the bearer token' : `header ${f.key}`}: set ${varName} there.`,
        stored,
      ],
    };
  }
  if (client === 'continue') {
    return {
      strategy: 'reference',
      title: `Replace with \${{ secrets.${varName} }}`,
      plans: [
        write(
          [{ op: 'set', pointer: d.location.pointer, value: `${scheme ?? ''}\${{ secrets.${varName} }}` }],
          `${where} → \${{ secrets.${varName} }}`,
        ),
      ],
      secrets,
      notes: [
        `Continue resolves \${{ secrets.${varName} }} from its secrets: add ${varName}=<value> to ~/.continue/.env (or to your Continue Hub secrets).`,
        stored,
      ],
    };
  }
  const ref = ENV_REFERENCE[client];
  // VS Code settings.json servers also expand ${env:VAR}.
  const envRef =
    ref ??
    (client === 'vscode' || client === 'vscode-insiders'
      ? { syntax: (v: string) => `\${env:${v}}`, how: 'VS Code expands ${env:VAR} from its environment' }
      : undefined);
  if (envRef) {
    const r = envRef.syntax(varName);
    return {
      strategy: 'reference',
      title: `Replace with ${r}`,
      plans: [write([{ op: 'set', pointer: d.location.pointer, value: `${scheme ?? ''}${r}` }], `${where} → ${r}`)],
      secrets,
      notes: [
        `${envRef.how.replace('VAR', varName)}: set ${varName} in the environment the client is started from.`,
        GUI_ENV_NOTE,
        stored,
      ],
    };
  }
  // No reference syntax: a stdio server can go through Gatehouse's launcher.
  if (isHeader || s.entry.transport !== 'stdio')
    throw new ManualFix(
      `${client} has no reference syntax for header values of remote servers: Gatehouse cannot keep the credential out of the file for it. Prefer OAuth if the server offers it, or run the server behind a gateway that injects the credential.`,
    );
  return planLauncher(pc, s, f.key, value, name, write, where, stored);
}

function planLauncher(
  pc: PlanContext,
  s: RawServer,
  envKey: string,
  value: string,
  name: string,
  write: (ops: EditOp[], summary: string) => PlannedWrite,
  where: string,
  stored: string,
): FixPlan & { strategy: Strategy } {
  const cmdPtr = s.pointers.command;
  if (!cmdPtr || s.raw.command === undefined) throw new ManualFix('The server has no command to wrap.');
  const entry = s.entry.pointer;
  const cmdKey = pointerParts(cmdPtr).at(-1);
  if (cmdPtr !== childPointer(entry, cmdKey ?? ''))
    throw new ManualFix('The command is not a plain "command" field (nested or list form): wrap it by hand.');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envKey))
    throw new ManualFix(`The variable name "${envKey}" cannot be passed by the launcher.`);
  const pair = `${envKey}=secret:${name}`;
  const args = launcherArgs(pc, s, [pair]);
  return {
    strategy: 'launcher',
    title: `Launch through gatehouse run (${envKey} from the secret store)`,
    plans: [
      write(
        [
          { op: 'remove', pointer: s.pointers.env[envKey]! },
          { op: 'set', pointer: cmdPtr, value: 'gatehouse' },
          { op: 'set', pointer: childPointer(entry, 'args'), value: args },
        ],
        `${where} → gatehouse run --env ${pair} -- <original command>`,
      ),
    ],
    secrets: [{ name, value }],
    notes: [
      `${s.entry.client} has no reference syntax for env values, so the server now starts as \`gatehouse run --env ${pair} -- ${s.entry.command ?? ''} …\`: the launcher reads ${envKey} from the secret store at each start and passes it to the server in its environment only. \`gatehouse\` must be on the PATH the client starts servers with.`,
      stored,
    ],
  };
}

// ------------------------------------------------------------------------- runner pinning

function planPin(pc: PlanContext, s: RawServer, version: string | undefined): FixPlan {
  const t = runnerTarget(s);
  if (!t) throw new ManualFix('The runner command could not be read back.');
  if (!version)
    throw new ManualFix('Pinning needs the exact version you have reviewed (--version / the version field).');
  const v = version.trim();
  let spec: string;
  if (t.ecosystem === 'npm') {
    if (!semver.valid(v)) throw new ManualFix(`"${v}" is not an exact semver version (e.g. 1.4.2).`);
    spec = `${t.name}@${v}`;
  } else if (t.ecosystem === 'pypi') {
    if (!/^[0-9][0-9A-Za-z.+!-]*$/.test(v)) throw new ManualFix(`"${v}" is not an exact PyPI version.`);
    spec = `${t.name}==${v}`;
  } else {
    if (/^sha256:[0-9a-f]{64}$/.test(v)) spec = `${t.name}@${v}`;
    else if (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(v) && v !== 'latest') spec = `${t.name}:${v}`;
    else throw new ManualFix(`"${v}" is not an image tag or sha256 digest.`);
  }
  // Keep `uvx --from pkg` vs `pkg` forms: replace only the spec word.
  const word = t.spec.value;
  const replaced =
    word.includes('=') && word.startsWith('--') ? `${word.slice(0, word.indexOf('=') + 1)}${spec}` : spec;
  return {
    title: `Pin ${t.name} to ${v}`,
    plans: [
      {
        kind: 'edit',
        file: s.entry.source,
        format: pc.formatOf(s.entry.source),
        ops: [{ op: 'set', pointer: t.spec.pointer, value: replaced }],
        summary: `${t.runner} ${word} → ${replaced}`,
        pointers: [t.spec.pointer],
      },
    ],
    secrets: [],
    notes: [`The server now runs ${spec}; review each later upgrade before changing the pin.`],
  };
}

// ------------------------------------------------------------------------- quarantine

/** The same server (name and command or URL) in every client and scope. */
function sameServer(a: RawServer, b: RawServer): boolean {
  if (a.entry.name !== b.entry.name) return false;
  if (a.raw.url || b.raw.url) return a.raw.url === b.raw.url;
  return a.raw.command === b.raw.command && JSON.stringify(a.raw.args ?? []) === JSON.stringify(b.raw.args ?? []);
}

export function planQuarantine(pc: PlanContext, s: RawServer): FixPlan {
  const all = pc.scan.servers.filter((x) => !x.entry.disabled && sameServer(x, s) && x.entry.scope !== 'managed');
  const byFile = new Map<string, RawServer[]>();
  for (const x of all) byFile.set(x.entry.source, [...(byFile.get(x.entry.source) ?? []), x]);
  const notes: string[] = [];
  const plans: PlannedWrite[] = [];
  for (const [file, servers] of byFile) {
    const ops: EditOp[] = [];
    // Removals from a list go last-first so indexes stay right.
    const sorted = [...servers].sort((a, b) => b.entry.pointer.localeCompare(a.entry.pointer));
    for (const x of sorted) {
      const flag = DISABLE_FLAG[x.entry.client];
      if (flag) ops.push({ op: 'set', pointer: childPointer(x.entry.pointer, flag.key), value: flag.value });
      else ops.push({ op: 'remove', pointer: x.entry.pointer });
    }
    const c = servers[0]!.entry.client;
    const flag = DISABLE_FLAG[c];
    plans.push({
      kind: 'edit',
      file,
      format: pc.formatOf(file),
      ops,
      summary: flag
        ? `quarantine "${s.entry.name}": ${flag.key} = ${String(flag.value)}`
        : `quarantine "${s.entry.name}": removed (${c} has no disabled flag; undo restores it)`,
      pointers: servers.map((x) => x.entry.pointer),
    });
  }
  if (all.some((x) => !DISABLE_FLAG[x.entry.client]))
    notes.push('Where the client has no disabled flag the entry is removed; the backup keeps it and undo restores it.');
  if (pc.scan.servers.some((x) => x.entry.scope === 'managed' && sameServer(x, s)))
    notes.push('A managed (system) copy exists and was left alone: change it through your device management.');
  return { title: `Quarantine "${s.entry.name}" (${all.length} place(s))`, plans, secrets: [], notes };
}
