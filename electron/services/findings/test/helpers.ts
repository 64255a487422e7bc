import { chmod } from 'node:fs/promises';
import type { Platform } from '../../../../shared/model/discovery.js';
import { discover } from '../../discovery/discover.js';
import { makeWorkstation, type Placement } from '../../discovery/test-helpers.js';
import { nodeFileSystem } from '../../node-ports.js';
import { fingerprinter } from '../../secrets/fingerprint.js';
import { shippedAdvisories } from '../advisories/index.js';
import { analyze, type IdentifiedDraft } from '../engine.js';
import type { AuthProbeResult, GitFileStatus, StaticRule } from '../types.js';

/** Test-only: write config files into a temporary workstation, discover it and run rules. */
export const TEST_KEY = Buffer.alloc(32, 7);

export interface RunOptions {
  platform?: Platform;
  rules?: readonly StaticRule[];
  probes?: ReadonlyMap<string, AuthProbeResult>;
  git?: (files: string[]) => Promise<ReadonlyMap<string, GitFileStatus>>;
  /** File modes to set (rel path under home → mode); everything else is 0600. */
  modes?: Record<string, number>;
}

export async function runOn(placements: Placement[], opts: RunOptions = {}): Promise<IdentifiedDraft[]> {
  const t = await makeWorkstation(opts.platform ?? 'linux', placements);
  try {
    for (const p of placements) await chmod(t.pathOf(p), opts.modes?.[p.rel] ?? 0o600);
    const scan = await discover(t.ws, nodeFileSystem);
    const { drafts, errors } = await analyze(
      scan,
      {
        fingerprint: fingerprinter(TEST_KEY),
        platform: opts.platform ?? 'linux',
        ...(opts.git ? { gitStatus: opts.git } : {}),
        ...(opts.probes ? { probes: opts.probes } : {}),
        advisories: shippedAdvisories().advisories,
      },
      opts.rules,
    );
    if (errors.length) throw new Error(errors.join('; '));
    // Paths relative to the temp root, for stable assertions.
    return drafts.map((d) => ({ ...d, location: { ...d.location, file: d.location.file.slice(t.root.length + 1) } }));
  } finally {
    await t.cleanup();
  }
}

/** `[ruleId, pointer, secretType?]` triples, for compact assertions. */
export function triples(drafts: IdentifiedDraft[], ruleId?: string): string[] {
  return drafts
    .filter((d) => !ruleId || d.ruleId === ruleId)
    .map((d) => [d.ruleId, d.location.pointer, d.secretType ?? ''].join(' ').trim())
    .sort();
}

/** Claude Code user config with the given mcpServers. */
export function claudeCode(servers: Record<string, unknown>): Placement {
  return { where: 'home', rel: '.claude.json', text: JSON.stringify({ mcpServers: servers }, null, 2) };
}

// Fake, pattern-valid credentials (never issued).
export const GHP = 'ghp_' + 'Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0we';
export const GH_FINE = 'github_pat_' + '11ABCDEFG0' + 'a1B2c3D4e5'.repeat(7) + 'xY';
export const AKIA = 'AKIA' + 'QZ7XR4NB2LK9WD3M';
export const ASIA = 'ASIA' + 'QZ7XR4NB2LK9WD3M';
export const SLACK = 'xoxb-' + '112233445566-778899001122-' + 'AbCdEfGhIjKlMnOpQrStUvWx';
export const OPENAI = 'sk-proj-' + 'Tq9VbN3mLk7JhG5fDs1AzXc8Ve4Rt6Yu2Io0PwQeRtYuIoPaSdFgHjKlZx';
export const ANTHROPIC = 'sk-ant-api03-' + 'Zx8Cv7Bn6Mq5Wr4Et3Ty2Ui1Op0AsDfGhJkLqWeRtY';
export const GOOGLE = 'AIza' + 'SyD3fG7hJ2kL9qW4eR8tY1uI6oP0aS5dF_x';
export const GITLAB = 'glpat-' + 'Qw3Er5Ty7Ui9Op1As2Df';
export const HF = 'hf_' + 'QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi';
export const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJzdWIiOiJmaW5kaW5ncy10ZXN0IiwiaWF0IjoxNzAwMDAwMDAwfQ.' +
  'Qm9vZ3VzU2lnbmF0dXJlRm9yVGVzdHNPbmx5MTIz';
export const GENERIC = 'Zm9vYmFyOTg3NjU0MzIxcXdlcnR5dWlvcGFzZGZn';
export const PG_PASS = 'Pg-Fixture-Pass-9931';
