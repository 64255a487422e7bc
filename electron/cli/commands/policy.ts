import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { adminMethods, type MethodName, type MethodOutput } from '../../../shared/api/contract.js';
import { AdminError } from '../../../shared/api/errors.js';
import type { PolicyDiagnostic, PolicyPlan, PushResult, SimulationGroup } from '../../../shared/model/policy.js';
import type { ServiceContext } from '../../services/context.js';
import { policyHandlers } from '../../services/policy/handlers.js';
import type { Command, CliIo } from '../command.js';
import { formatFrom } from '../common-options.js';
import { contextFrom } from '../context.js';
import { renderTable } from '../table.js';
import { UsageError } from '../usage-error.js';

const USAGE = `gatehouse policy <sub-command> [options]

  pull --gateway NAME [--out FILE]        the live gateway's policy as a document (YAML; --format json for JSON)
  validate FILE [--gateway NAME]          schema, names, rules, guardrails, per-target limits (exit 1 on errors)
  diff FILE (--gateway NAME | --version HASH)
                                          the ordered API changes and who gains or loses which tool
  simulate FILE [--gateway NAME] [--since ISO] [--until ISO] [--fail-on-new-denials]
                                          replay recorded audit events through the draft and the live policy
  push FILE --gateway NAME [--message M] [--dry-run] [--yes] [--expect HASH|none]
                                          apply the draft (conflict-checked, verified, compensated on failure)
  save FILE [--gateway NAME] [--message M] [--expect HASH|none]
                                          store a draft as a version without pushing it
  versions [--gateway NAME]               stored policy versions, newest first
  show HASH [--out FILE]                  one stored version's document
  rollback HASH --gateway NAME [--message M] [--dry-run] [--yes]
                                          push an earlier version through the same checks
  compile FILE --target T [--out DIR]     T: contextforge | toolhive-cedar | agentgateway-cel

  --format F    table | json | yaml (pull/show: yaml | json; others: table | json; default table/yaml)
  --state DIR   local store (default: OS app-data folder, or $GATEHOUSE_STATE)

push and rollback show the plan and ask before writing; without a terminal they need --yes.
Exit codes: 0 ok; 1 validation errors, a conflict, a failed push, or new denials with
--fail-on-new-denials; 2 usage or I/O error.`;

/** Policy files are read whole; the contract caps documents at 2 MiB, so refuse larger ones before reading. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

async function readPolicyFile(file: string): Promise<string> {
  const path = resolve(file);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(`cannot read ${file}: no such file`);
  }
  if (!info.isFile()) throw new UsageError(`${file} is not a regular file`);
  if (info.size > MAX_FILE_BYTES)
    throw new UsageError(`${file} is ${info.size} bytes; a policy document is at most 2 MiB`);
  return readFile(path, 'utf8');
}

type Values = Record<string, string | boolean | undefined>;

export const policyCommand: Command = {
  name: 'policy',
  summary: 'Pull, validate, diff, simulate, push, version and compile gateway policy',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        gateway: { type: 'string' },
        version: { type: 'string' },
        out: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        message: { type: 'string' },
        target: { type: 'string' },
        'dry-run': { type: 'boolean' },
        yes: { type: 'boolean' },
        'fail-on-new-denials': { type: 'boolean' },
        format: { type: 'string' },
        state: { type: 'string' },
        expect: { type: 'string' },
      },
    });
    const [sub, arg] = positionals;
    if (!sub) throw new UsageError('a sub-command is required');
    const ctx = contextFrom({ state: values.state });
    try {
      return await runSub(ctx, sub, arg, values, io);
    } catch (err) {
      if (err instanceof AdminError) {
        io.stderr(`gatehouse policy ${sub}: ${err.message}\n`);
        return err.code === 'conflict' ? 1 : 2;
      }
      throw err;
    } finally {
      ctx.db.close();
    }
  },
};

/** Calls a policy method the way the adapters do: input validated by the contract's schema. */
async function call<K extends PolicyMethodName>(
  ctx: ServiceContext,
  name: K,
  input: unknown,
): Promise<MethodOutput<K>> {
  const spec = adminMethods[name];
  const parsed = spec.input.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`);
  }
  const handler = policyHandlers(ctx)[name] as (i: unknown) => Promise<MethodOutput<K>>;
  return handler(parsed.data);
}
type PolicyMethodName = Extract<MethodName, `policy.${string}`>;

function need(value: string | boolean | undefined, what: string): string {
  if (typeof value !== 'string' || !value) throw new UsageError(`${what} is required`);
  return value;
}

export function formatDiagnostics(file: string, ds: PolicyDiagnostic[]): string {
  return ds
    .map((d) => {
      const at = d.line ? `${file}:${d.line}:${d.column ?? 1}` : `${file}:${d.path.join('.') || '/'}`;
      const target = d.target ? ` [${d.target}]` : '';
      return `${at}: ${d.severity} ${d.code}${target}: ${d.message}${d.hint ? `\n    hint: ${d.hint}` : ''}\n`;
    })
    .join('');
}

export function formatPlan(plan: PolicyPlan): string {
  const against =
    plan.against.kind === 'gateway'
      ? `gateway ${plan.against.gatewayName ?? plan.against.gatewayId}`
      : `version ${plan.against.versionHash?.slice(0, 12)}`;
  if (plan.changes.length === 0) return `No changes against ${against}.\n`;
  const changes = renderTable(
    ['#', 'OP', 'KIND', 'CHANGE'],
    plan.changes.map((c) => [String(c.seq), c.op, c.kind, c.summary]),
  );
  const delta = plan.delta.length
    ? '\nAccess delta:\n' +
      renderTable(
        ['SUBJECT', 'CHANGE', 'TOOL', 'SERVER', 'WHY'],
        plan.delta.map((d) => [d.subject, d.change, d.tool, d.server, d.via]),
      )
    : '\nAccess delta: none\n';
  return `${plan.changes.length} change(s) against ${against}:\n${changes}${delta}`;
}

function formatPush(r: PushResult): string {
  const steps = r.steps.length
    ? renderTable(
        ['#', 'STATUS', 'STEP', 'ERROR'],
        r.steps.map((s) => [String(s.seq), s.status, s.summary, s.error ?? '']),
      )
    : '';
  const conflicts = r.conflicts.map((c) => `conflict ${c.kind} ${c.key}: ${c.message}\n`).join('');
  return `${r.status}: ${r.message}\n${steps}${conflicts}${r.versionHash ? `version ${r.versionHash.slice(0, 12)}\n` : ''}${r.requests} request(s), ${Math.round(r.durationMs)} ms\n`;
}

async function confirm(io: CliIo, question: string, values: Values): Promise<boolean> {
  if (values.yes === true) return true;
  if (!process.stdin.isTTY) throw new UsageError('refusing to write without a terminal to confirm: pass --yes');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Plan first, ask, then push: the same path for push and rollback. */
async function pushFlow(
  ctx: ServiceContext,
  io: CliIo,
  values: Values,
  json: boolean,
  run: (dryRun: boolean) => Promise<PushResult>,
): Promise<number> {
  const preview = await run(true);
  const dryRun = values['dry-run'] === true;
  if (dryRun || !preview.ok || preview.plan.changes.length === 0) {
    io.stdout(json ? JSON.stringify(preview, null, 2) + '\n' : formatPlan(preview.plan) + formatPush(preview));
    return preview.ok ? 0 : 1;
  }
  if (!json) io.stderr(formatPlan(preview.plan));
  const yes = await confirm(
    io,
    `Push ${preview.plan.changes.length} change(s) to gateway ${preview.gatewayName}?`,
    values,
  );
  if (!yes) {
    io.stderr('Nothing written.\n');
    return 1;
  }
  const result = await run(false);
  io.stdout(json ? JSON.stringify(result, null, 2) + '\n' : formatPush(result));
  return result.ok ? 0 : 1;
}

async function writeOrPrint(io: CliIo, text: string, out: string | boolean | undefined): Promise<void> {
  if (typeof out === 'string' && out) {
    await writeFile(resolve(out), text.endsWith('\n') ? text : text + '\n', 'utf8');
    io.stderr(`wrote ${out}\n`);
  } else io.stdout(text.endsWith('\n') ? text : text + '\n');
}

async function runSub(
  ctx: ServiceContext,
  sub: string,
  arg: string | undefined,
  values: Values,
  io: CliIo,
): Promise<number> {
  const docFormats = ['yaml', 'json'] as const;
  const outFormats = ['table', 'json'] as const;
  switch (sub) {
    case 'pull': {
      const format = formatFrom(values.format as string | undefined, docFormats, 'yaml');
      const r = await call(ctx, 'policy.pull', { gatewayId: need(values.gateway, '--gateway NAME'), format });
      if (r.diagnostics.length) io.stderr(formatDiagnostics(`gateway ${String(values.gateway)}`, r.diagnostics));
      await writeOrPrint(io, r.text, values.out);
      return 0;
    }
    case 'show': {
      const format = formatFrom(values.format as string | undefined, docFormats, 'yaml');
      const r = await call(ctx, 'policy.version', { hash: need(arg, 'a version HASH'), format });
      await writeOrPrint(io, r.text, values.out);
      return 0;
    }
    case 'validate': {
      const file = need(arg, 'a policy FILE');
      const format = formatFrom(values.format as string | undefined, outFormats, 'table');
      const text = await readPolicyFile(file);
      const r = await call(ctx, 'policy.validate', { text, gatewayId: values.gateway });
      if (format === 'json') io.stdout(JSON.stringify(r, null, 2) + '\n');
      else {
        io.stdout(formatDiagnostics(file, r.diagnostics));
        const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
        io.stdout(`${file}: ${errors} error(s), ${r.diagnostics.length - errors} other message(s)\n`);
      }
      return r.ok ? 0 : 1;
    }
    case 'diff': {
      const file = need(arg, 'a policy FILE');
      const format = formatFrom(values.format as string | undefined, outFormats, 'table');
      if (!values.gateway && !values.version) throw new UsageError('diff needs --gateway NAME or --version HASH');
      const text = await readPolicyFile(file);
      const plan = await call(ctx, 'policy.plan', {
        text,
        gatewayId: values.gateway,
        versionHash: values.version,
      });
      io.stdout(format === 'json' ? JSON.stringify(plan, null, 2) + '\n' : formatPlan(plan));
      if (format !== 'json' && plan.diagnostics.length) io.stderr(formatDiagnostics(file, plan.diagnostics));
      return plan.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
    }
    case 'simulate': {
      const file = need(arg, 'a policy FILE');
      const format = formatFrom(values.format as string | undefined, outFormats, 'table');
      const text = await readPolicyFile(file);
      const r = await call(ctx, 'policy.simulate', {
        text,
        gatewayId: values.gateway,
        since: values.since,
        until: values.until,
      });
      if (format === 'json') io.stdout(JSON.stringify(r, null, 2) + '\n');
      else {
        const rows: [string, SimulationGroup][] = [
          ...r.newlyDenied.map((g): [string, SimulationGroup] => ['denied', g]),
          ...r.newlyAllowed.map((g): [string, SimulationGroup] => ['allowed', g]),
        ];
        io.stdout(
          `${r.events} event(s), ${r.tuples} distinct call(s) evaluated with ${r.engine} in ${Math.round(r.durationMs)} ms; ${r.skipped} not replayable\n` +
            (rows.length
              ? renderTable(
                  ['NOW', 'USER', 'TEAM', 'TOOL', 'SERVER', 'CALLS', 'WHY'],
                  rows.map(([k, g]) => [
                    k,
                    g.user ?? '',
                    g.team ?? '',
                    g.tool ?? '',
                    g.server ?? '',
                    String(g.count),
                    g.reason,
                  ]),
                )
              : 'No recorded call would be decided differently.\n'),
        );
      }
      return values['fail-on-new-denials'] === true && r.newlyDenied.length > 0 ? 1 : 0;
    }
    case 'push': {
      const file = need(arg, 'a policy FILE');
      const gatewayId = need(values.gateway, '--gateway NAME');
      const json = formatFrom(values.format as string | undefined, outFormats, 'table') === 'json';
      const text = await readPolicyFile(file);
      return pushFlow(ctx, io, values, json, (dryRun) =>
        call(ctx, 'policy.push', {
          text,
          gatewayId,
          dryRun,
          message: (values.message as string) ?? '',
          ...expectedOf(values.expect),
        }),
      );
    }
    case 'save': {
      // With a team store the version is shared; --expect makes a save based on an old version a conflict.
      const file = need(arg, 'a policy FILE');
      const v = await call(ctx, 'policy.save', {
        text: await readPolicyFile(file),
        message: (values.message as string) ?? '',
        ...(values.gateway ? { gatewayId: values.gateway } : {}),
        ...expectedOf(values.expect),
      });
      io.stdout(`Saved version ${v.hash.slice(0, 12)}${v.parent ? ` (parent ${v.parent.slice(0, 12)})` : ''}\n`);
      return 0;
    }
    case 'rollback': {
      const hash = need(arg, 'a version HASH');
      const gatewayId = need(values.gateway, '--gateway NAME');
      const json = formatFrom(values.format as string | undefined, outFormats, 'table') === 'json';
      return pushFlow(ctx, io, values, json, (dryRun) =>
        call(ctx, 'policy.rollback', { hash, gatewayId, dryRun, message: (values.message as string) ?? '' }),
      );
    }
    case 'versions': {
      const format = formatFrom(values.format as string | undefined, outFormats, 'table');
      const list = await call(ctx, 'policy.versions', { gatewayId: values.gateway });
      io.stdout(
        format === 'json'
          ? JSON.stringify(list, null, 2) + '\n'
          : renderTable(
              ['VERSION', 'ORIGIN', 'GATEWAY', 'AUTHOR', 'CHANGES', 'WHEN', 'MESSAGE'],
              list.map((v) => [
                v.hash.slice(0, 12),
                v.origin,
                v.gatewayName ?? '',
                v.author,
                String(v.changes),
                v.createdAt,
                v.message,
              ]),
            ),
      );
      return 0;
    }
    case 'compile': {
      const file = need(arg, 'a policy FILE');
      const target = need(values.target, '--target contextforge|toolhive-cedar|agentgateway-cel');
      const format = formatFrom(values.format as string | undefined, outFormats, 'table');
      const text = await readPolicyFile(file);
      const r = await call(ctx, 'policy.compile', { text, target });
      if (format === 'json') io.stdout(JSON.stringify(r, null, 2) + '\n');
      else if (typeof values.out === 'string' && values.out) {
        await mkdir(resolve(values.out), { recursive: true });
        for (const f of r.files) await writeFile(join(resolve(values.out), safeName(f.name)), f.text, 'utf8');
        io.stderr(`wrote ${r.files.length} file(s) to ${values.out}\n`);
      } else for (const f of r.files) io.stdout(`# ${f.name}\n${f.text}${f.text.endsWith('\n') ? '' : '\n'}`);
      if (r.diagnostics.length) io.stderr(formatDiagnostics(file, r.diagnostics));
      return r.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown sub-command "${sub}"`);
  }
}

/** Output file names come from server names: keep them inside --out. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'policy';
}

/** `--expect HASH` (the latest version the draft was based on) or `--expect none` (no version yet). */
function expectedOf(v: unknown): { expectedVersion?: string | null } {
  if (typeof v !== 'string') return {};
  return { expectedVersion: v === 'none' ? null : v };
}
