import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { ChangePreview, FixOption } from '../../../shared/model/config-write.js';
import { RULE_IDS, type Finding } from '../../../shared/model/finding.js';
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
        selected.push(f);
      }
      if (values.rule) selected.push(...open.filter((f) => f.ruleId === values.rule && !selected.includes(f)));
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
        const opt = options.find((o) => o.kind === 'fix' && (!wanted || o.strategy === wanted));
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
