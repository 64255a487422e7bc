import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanWith } from '../discovery/test-helpers.js';
import type { DiscoveryScan } from '../discovery/types.js';
import { fingerprinter } from '../secrets/fingerprint.js';
import { buildScanContext } from './context.js';
import type { ScanContext } from './types.js';

/**
 * Discovery masks command, args and URL once and keeps what it hid (RawServer.hidden); detection
 * reads that back instead of masking again (issue #13). These values are found by the masker's
 * generic path only (no provider pattern: high-entropy text after a credential flag, `NAME=value`,
 * header args, URL query values and passwords, mid command line), so a read-back that drops or
 * shifts what was hidden changes the findings — compared here with the same scan without `hidden`.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomValue(r: () => number): string {
  let v = '';
  const n = 32 + Math.floor(r() * 9);
  for (let i = 0; i < n; i++) v += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return v;
}

function plantedServers(seed: number): { servers: Record<string, unknown>; planted: string[] } {
  const r = seeded(seed);
  const servers: Record<string, unknown> = {};
  const planted: string[] = [];
  for (let i = 0; i < 60; i++) {
    const v = randomValue(r);
    planted.push(v);
    const noise = ['--verbose', '--dir', '/srv/data', `--port=${3000 + i}`].slice(0, Math.floor(r() * 4));
    const shapes: Array<() => unknown> = [
      () => ({ command: 'srv', args: [...noise, '--api-key', v] }),
      () => ({ command: 'srv', args: [`--client-secret=${v}`, ...noise] }),
      () => ({ command: 'docker', args: ['run', '-e', `SERVICE_TOKEN=${v}`, ...noise, 'img:1'] }),
      () => ({ command: 'mcp-remote', args: ['https://mcp.corp.dev', '--header', `X-Api-Key: ${v}`] }),
      () => ({ type: 'http', url: `https://mcp.corp.dev/mcp?api_key=${v}&region=eu` }),
      () => ({ type: 'http', url: `https://svc:${v}@mcp.corp.dev/mcp` }),
      () => ({ command: `mytool --password ${v} serve` }),
    ];
    servers[`s${i}`] = shapes[Math.floor(r() * shapes.length)]!();
  }
  return { servers, planted };
}

function withoutHidden(scan: DiscoveryScan): DiscoveryScan {
  return { ...scan, servers: scan.servers.map(({ hidden: _hidden, ...s }) => s) };
}

function summary(ctx: ScanContext): string[] {
  return ctx.secrets
    .map((s) => [s.leaf.pointer, s.field, s.fieldKey ?? '', s.secretType, s.evidence, s.fingerprint, s.inUrl].join(' '))
    .sort();
}

describe('detection reads back what discovery masked (RawServer.hidden)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: the same findings as masking again, and every planted value among them`, async () => {
      const { servers, planted } = plantedServers(seed);
      const { scan } = await scanWith('linux', [
        { where: 'home', rel: '.claude.json', text: JSON.stringify({ mcpServers: servers }, null, 2) },
      ]);
      assert.ok(
        scan.servers.every((s) => s.hidden),
        'discovery keeps what it hid',
      );
      const opts = { fingerprint: fingerprinter(Buffer.alloc(32, 5)), platform: 'linux' as const };
      const read = await buildScanContext(scan, opts);
      const again = await buildScanContext(withoutHidden(scan), opts);
      assert.deepEqual(summary(read), summary(again));
      // A planted value is found when a finding is keyed on it, or (URL credentials, keyed on the
      // whole `scheme://user:password@host`) shows it masked in its evidence.
      const fp = fingerprinter(Buffer.alloc(32, 5));
      const keys = new Set(read.secrets.map((s) => s.fingerprint));
      const found = (v: string) =>
        keys.has(fp(v)) || read.secrets.some((s) => s.evidence.includes(`${v.slice(0, 4)}…${v.slice(-4)}`));
      assert.deepEqual(
        planted.filter((v) => !found(v)),
        [],
        'planted values without a finding',
      );
    });
  }
});
