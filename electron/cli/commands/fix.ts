import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { ChangePreview, ConfigChange, FixOption } from '../../../shared/model/config-write.js';
import { RULE_IDS, type Finding, type RuleId } from '../../../shared/model/finding.js';
import type { ServiceContext } from '../../services/context.js';
import {
  applyChange,
  ManualFix,
  optionsFor,
  previewChange,
  WriteRefused,
} from '../../services/config-write/service.js';
import type { Strategy } from '../../services/config-write/fixes.js';
import { runFindingsScan } from '../../services/findings/service.js';
import type { CliIo, Command } from '../command.js';
import { DISCOVERY_FLAGS_HELP, discoveryFlags, formatFrom } from '../common-options.js';
import { contextFrom } from '../context.js';
import { UsageError } from '../usage-error.js';

/** Asks the admin on the terminal; false when there is no terminal (then only --yes writes). */
export let confirmPrompt = async (question: string): Promise<boolean> => {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
};
export function setConfirmPrompt(fn: typeof confirmPrompt): void {
  confirmPrompt = fn;
}

interface FixResult {
  findingId: string;
  ruleId: string;
  server: string;
  file: string;
  status: 'applied' | 'previewed' | 'declined' | 'manual' | 'refused';
  title?: string;
  explanation?: string;
  diff?: string;
  notes?: string[];
  changes?: string[];
  error?: string;
}

export const fixCommand: Command = {
  name: 'fix',
  summary: 'Fix findings in place: preview the masked diff, confirm, write safely (undo with gatehouse config undo)',
  usage: `gatehouse fix [FINDING_ID…] [--rule RULE] [--strategy S] [--version V] [--dry-run] [--yes] [--format text|json]
${DISCOVERY_FLAGS_HELP}
  --rule RULE          fix every open finding of this rule
  --strategy S         reference | launcher | chmod | pin | quarantine … (default: the recommended fix)
  --version V          the exact version to pin (runner.unpinned)
  --dry-run            show what would change; write nothing
  --yes                write without asking (otherwise each change is confirmed on the terminal)
  --format F           text (default) or json`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        ...discoveryFlags,
        rule: { type: 'string' },
        strategy: { type: 'string' },
        version: { type: 'string' },
        'dry-run': { type: 'boolean' },
        yes: { type: 'boolean' },
        format: { type: 'string' },
      },
      allowPositionals: true,
    });
    const format = formatFrom(values.format, ['text', 'json'] as const, 'text');
    if (values.rule && !(RULE_IDS as readonly string[]).includes(values.rule))
      throw new UsageError(`unknown rule "${values.rule}"`);
    if (!values.rule && positionals.length === 0) throw new UsageError('name finding ids or --rule RULE');
    const ctx = contextFrom(values);
    try {
      const { report } = await runFindingsScan(ctx);
      const open = report.findings.filter((f) => f.status === 'open');
      const selected: Finding[] = [];
      for (const id of positionals) {
        const f = open.find((x) => x.id === id) ?? open.find((x) => id.length >= 6 && x.id.startsWith(id));
        if (!f) throw new UsageError(`no open finding ${id} (run gatehouse scan for ids)`);
        if (values.rule && f.ruleId !== values.rule)
          throw new UsageError(`finding ${id} is a ${f.ruleId} finding, not ${values.rule}`);
        selected.push(f);
      }
      if (values.rule)
        return await fixRule(ctx, io, format, values, values.rule as RuleId, {
          only: positionals.length ? selected : undefined,
          ofRule: open.filter((f) => f.ruleId === values.rule),
        });
      const results: FixResult[] = [];
      for (const f of selected) {
        const base = { findingId: f.id, ruleId: f.ruleId, server: f.server, file: f.location.file };
        let options: FixOption[];
        try {
          options = await optionsFor(ctx, f.id);
        } catch (err) {
          results.push({ ...base, status: 'refused', error: (err as Error).message });
          continue;
        }
        const wanted = values.strategy as Strategy | undefined;
        // The recommended option, or the one asked for: never a quarantine in place of a manual fix.
        const opt = wanted
          ? options.find((o) => o.kind === 'fix' && o.strategy === wanted)
          : options[0]?.kind === 'fix'
            ? options[0]
            : undefined;
        if (!opt) {
          const m = options.find((o) => o.kind === 'manual');
          results.push({ ...base, status: 'manual', explanation: m?.explanation ?? 'no automatic fix' });
          continue;
        }
        let preview: ChangePreview;
        try {
          preview = await previewChange(ctx, {
            kind: 'fix',
            findingId: f.id,
            ...(opt.strategy ? { strategy: opt.strategy } : {}),
            input: values.version ? { version: values.version } : {},
          });
        } catch (err) {
          const manual = err instanceof ManualFix;
          if (!manual && !(err instanceof WriteRefused)) throw err;
          results.push({ ...base, status: manual ? 'manual' : 'refused', explanation: (err as Error).message });
          continue;
        }
        const diff = preview.files.map((p) => p.diff).join('');
        const r: FixResult = { ...base, status: 'previewed', title: preview.title, diff, notes: preview.notes };
        if (format === 'text') {
          io.stdout(
            `\n== ${f.id.slice(0, 12)} ${f.ruleId} ${f.server ? `"${f.server}" ` : ''}— ${preview.title}\n${diff}`,
          );
          for (const n of preview.notes) io.stdout(`  note: ${n}\n`);
        }
        if (!values['dry-run']) {
          const ok = values.yes || (format === 'text' && (await confirmPrompt('Apply this change? [y/N] ')));
          if (!ok) r.status = 'declined';
          else {
            try {
              const changes = await applyChange(ctx, preview.token);
              r.status = 'applied';
              r.changes = changes.map((c) => c.id);
              if (format === 'text')
                io.stdout(
                  `  applied (undo: gatehouse config undo ${changes.map((c) => c.id.slice(0, 8)).join(' ')})\n`,
                );
            } catch (err) {
              if (!(err instanceof WriteRefused || err instanceof ManualFix)) throw err;
              r.status = 'refused';
              r.error = err.message;
            }
          }
        }
        results.push(r);
      }
      if (format === 'json') io.stdout(JSON.stringify({ results }, null, 2) + '\n');
      else {
        for (const r of results) {
          if (r.status === 'manual')
            io.stdout(`\n== ${r.findingId.slice(0, 12)} ${r.ruleId}: manual — ${r.explanation}\n`);
          if (r.status === 'refused') io.stdout(`  refused: ${r.error ?? r.explanation}\n`);
          if (r.status === 'declined') io.stdout('  not applied (confirm, or pass --yes)\n');
        }
        if (results.length === 0) io.stdout('No open finding matches.\n');
      }
      return results.some((r) => r.status === 'refused') ? 1 : 0;
    } finally {
      ctx.db.close();
    }
  },
};

/**
 * `fix --rule RULE`: one combined preview for every open finding of the rule (or the named ones),
 * one diff per file, the findings left out with why, one confirmation, one all-or-nothing apply.
 */
async function fixRule(
  ctx: ServiceContext,
  io: CliIo,
  format: 'text' | 'json',
  values: { strategy?: string; version?: string; 'dry-run'?: boolean; yes?: boolean },
  ruleId: RuleId,
  { only, ofRule }: { only: Finding[] | undefined; ofRule: Finding[] },
): Promise<number> {
  let preview: ChangePreview;
  try {
    preview = await previewChange(ctx, {
      kind: 'fix-rule',
      ruleId,
      ...(only ? { findingIds: only.map((f) => f.id) } : {}),
      ...(values.strategy ? { strategy: values.strategy as Strategy } : {}),
      ...(values.version ? { input: { version: values.version } } : {}),
    });
  } catch (err) {
    if (!(err instanceof WriteRefused || err instanceof ManualFix)) throw err;
    if (format === 'json')
      io.stdout(JSON.stringify({ status: 'refused', error: err.message, results: [] }, null, 2) + '\n');
    else io.stdout(/^No open /.test(err.message) ? 'No open finding matches.\n' : `refused: ${err.message}\n`);
    return /^No open /.test(err.message) ? 0 : 1;
  }
  const skipped = new Map(preview.skipped.map((s) => [s.findingId, s]));
  if (format === 'text') {
    io.stdout(`\n== ${preview.title}\n${preview.files.map((f) => f.diff).join('')}`);
    for (const n of preview.notes) io.stdout(`  note: ${n}\n`);
    for (const s of preview.skipped)
      io.stdout(`  ${s.kind === 'refused' ? 'refused' : 'manual'}: ${s.findingId.slice(0, 12)} — ${s.reason}\n`);
  }
  let status: 'previewed' | 'applied' | 'declined' | 'refused' = 'previewed';
  let error: string | undefined;
  let applied: ConfigChange[] = [];
  if (!values['dry-run'] && preview.files.length > 0) {
    const ok = values.yes || (format === 'text' && (await confirmPrompt('Apply this change? [y/N] ')));
    if (!ok) status = 'declined';
    else {
      try {
        applied = await applyChange(ctx, preview.token);
        status = 'applied';
      } catch (err) {
        if (!(err instanceof WriteRefused || err instanceof ManualFix)) throw err;
        status = 'refused';
        error = err.message;
      }
    }
  }
  const ids = only?.map((f) => f.id) ?? [];
  const results: FixResult[] = [...new Set([...ids, ...preview.skipped.map((s) => s.findingId)])]
    .filter((id) => skipped.has(id))
    .map((id) => {
      const s = skipped.get(id)!;
      return {
        findingId: id,
        ruleId,
        server: '',
        file: '',
        status: s.kind === 'refused' ? ('refused' as const) : ('manual' as const),
        explanation: s.reason,
      };
    });
  const fixed = preview.files.length > 0 ? (only ?? ofRule).filter((f) => !skipped.has(f.id)) : [];
  for (const f of fixed)
    results.unshift({
      findingId: f.id,
      ruleId,
      server: f.server,
      file: f.location.file,
      status,
      title: preview.title,
      ...(preview.files.find((p) => p.file === f.location.file)
        ? { diff: preview.files.find((p) => p.file === f.location.file)!.diff }
        : {}),
      notes: preview.notes,
      ...(applied.length ? { changes: applied.map((c) => c.id) } : {}),
      ...(error ? { error } : {}),
    });
  if (format === 'json') {
    io.stdout(
      JSON.stringify(
        {
          status,
          title: preview.title,
          files: preview.files,
          notes: preview.notes,
          skipped: preview.skipped,
          ...(applied.length ? { changes: applied, group: applied[0]!.group } : {}),
          ...(error ? { error } : {}),
          results,
        },
        null,
        2,
      ) + '\n',
    );
  } else if (status === 'applied') {
    io.stdout(
      applied.length === 1
        ? `  applied (undo: gatehouse config undo ${applied[0]!.id.slice(0, 8)})\n`
        : `  applied to ${applied.length} files (undo all: gatehouse config undo --group ${applied[0]!.group!.slice(0, 8)})\n`,
    );
  } else if (status === 'declined') io.stdout('  not applied (confirm, or pass --yes)\n');
  else if (status === 'refused') io.stdout(`  refused: ${error}\n`);
  else if (preview.files.length === 0 && format === 'text') io.stdout('  nothing to apply\n');
  return status === 'refused' || results.some((r) => r.status === 'refused') ? 1 : 0;
}
