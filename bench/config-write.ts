import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runFindingsScan } from '../electron/services/findings/service.js';
import { findingsTestContext } from '../electron/services/findings/test-context.js';
import { applyChange, previewChange, undoGroupOf } from '../electron/services/config-write/service.js';

/**
 * Config-write benchmark (issue #15, bulk fix): a home with Cursor, Windsurf, Claude Code and
 * Continue configs and 50 project `.cursor/mcp.json` files, 4 literal credentials each; one
 * `fix-rule secret.literal` preview (plan, merge, re-parse, masked diffs), its all-or-nothing apply,
 * and the group undo. Target: preview ≤ 2 s and apply ≤ 3 s for ~200 findings in ~50 files.
 */
export async function benchConfigWrite(): Promise<Record<string, string | number>> {
  const root = await mkdtemp(join(tmpdir(), 'gh-bench-cw-'));
  const secret = (i: number, j: number) =>
    ['ghp', `Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vB${String(i * 10 + j).padStart(6, '0')}`].join('_');
  const projects: string[] = [];
  const write = async (path: string, text: string) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text, { mode: 0o600 });
  };
  for (let i = 0; i < 50; i++) {
    const dir = join(root, 'projects', `p${i}`);
    projects.push(dir);
    const servers = Array.from(
      { length: 4 },
      (_, j) =>
        `    "s${j}": { "command": "npx", "args": ["-y", "pkg-${j}@1.0.${j}"], "env": { "API_TOKEN_${i}_${j}": "${secret(i, j)}", "LOG": "info" } }`,
    );
    await write(
      join(dir, '.cursor', 'mcp.json'),
      `{\n  // project ${i}\n  "mcpServers": {\n${servers.join(',\n')}\n  }\n}\n`,
    );
  }
  const base = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
  const ctx = { ...base, workstation: { ...base.workstation, projects } };
  try {
    const t0 = performance.now();
    const { report } = await runFindingsScan(ctx);
    const t1 = performance.now();
    const p = await previewChange(ctx, { kind: 'fix-rule', ruleId: 'secret.project-file' });
    const t2 = performance.now();
    const applied = await applyChange(ctx, p.token);
    const t3 = performance.now();
    await undoGroupOf(ctx, applied[0]!.group!);
    const t4 = performance.now();
    return {
      'secret.project-file findings': report.findings.filter((f) => f.ruleId === 'secret.project-file').length,
      'files in the preview': p.files.length,
      skipped: p.skipped.length,
      'scan ms': Math.round(t1 - t0),
      'bulk preview ms (target ≤ 2000)': Math.round(t2 - t1),
      'apply ms, all or nothing (target ≤ 3000)': Math.round(t3 - t2),
      'group undo ms': Math.round(t4 - t3),
      'peak RSS MB': Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    ctx.db.close();
    await rm(root, { recursive: true, force: true });
  }
}
