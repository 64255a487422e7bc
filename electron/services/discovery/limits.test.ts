import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import * as attacks from '../../../test/fuzz/attacks.js';
import { buildScanContext, fieldLookups } from '../findings/context.js';
import { nodeFileSystem, nodeFileSystemSync } from '../node-ports.js';
import { fingerprinter } from '../secrets/fingerprint.js';
import { maskArgs, maskUrl, redactText } from '../secrets/redact.js';
import { discover, toDiscoveryResult } from './discover.js';
import { parseDoc } from './document.js';
import { scanWith } from './test-helpers.js';

/**
 * Issue #12 items 1, 2 and 9 (YAML, goose): each crafted file is that source's error (or a bounded
 * result), its siblings keep their servers, and nothing recurses, blocks or grows without bound.
 * Each test reproduces an attack that crashed, froze or exhausted the old code.
 */

const SIBLING = {
  where: 'home' as const,
  rel: '.config/Claude/claude_desktop_config.json',
  text: JSON.stringify({ mcpServers: { sibling: { command: 'npx', args: ['-y', 'sibling@1.0.0'] } } }),
};

async function discoverWith(rel: string, text: string) {
  const { scan } = await scanWith('linux', [SIBLING, { where: 'home', rel, text }]);
  const result = toDiscoveryResult(scan);
  assert.ok(
    result.servers.some((s) => s.name === 'sibling'),
    'the sibling file keeps its server',
  );
  const crafted = result.sources.find((s) => !s.path.endsWith('claude_desktop_config.json'))!;
  return { scan, result, crafted };
}

describe('item 1: no stack overflow from a crafted file', () => {
  test('JSON nested 2,000 deep (4 KB) is a parse error of its source', async () => {
    const { crafted } = await discoverWith('.cursor/mcp.json', attacks.deepJson(2000));
    assert.equal(crafted.status, 'parse-error');
    assert.match(crafted.error ?? '', /nested deeper than 64 levels \(JSON\)/);
    // 100k levels too (jsonc-parser itself overflows there): caught by the pre-scan.
    assert.equal((await parseDoc('['.repeat(100_000) + ']'.repeat(100_000), 'json')).ok, false);
  });

  test('a URL over 64 KiB is masked whole, never printed and never recursed into', async () => {
    const long = `https://mcp.example.com/sse?q=${'a'.repeat(70_000)}`;
    assert.equal(maskUrl(long), '****');
    const { result, crafted } = await discoverWith('.cursor/mcp.json', attacks.longUrl(70_000));
    assert.equal(crafted.status, 'ok');
    assert.equal(result.servers.find((s) => s.name === 'long')!.url, '****');
    assert.ok(!JSON.stringify(result).includes('a'.repeat(1000)));
  });

  test('a command line of 130k words is split without spreading it onto the stack', async () => {
    const { scan, crafted } = await discoverWith('.cursor/mcp.json', attacks.hugeCommandLine(130_000));
    assert.equal(crafted.status, 'ok');
    const huge = scan.servers.find((s) => s.entry.name === 'huge')!;
    assert.equal(huge.raw.command, 'node');
    assert.equal(huge.raw.args!.length, 130_000);
    assert.equal(huge.pointers.args!.length, 130_000);
  });

  test('a TOML header of 5,000 dotted parts is a parse error of its source', async () => {
    const { crafted } = await discoverWith('.codex/config.toml', attacks.dottedTomlHeader(5000));
    assert.equal(crafted.status, 'parse-error');
    assert.match(crafted.error ?? '', /nested deeper than 64 levels \(TOML\)/);
  });

  test('masking nested in masking (`a={a={…`, JSON in JSON) is bounded', () => {
    assert.doesNotThrow(() => redactText('a={a='.repeat(4000)));
    assert.doesNotThrow(() => redactText('token: ' + '{"token":'.repeat(3000) + '"x"' + '}'.repeat(3000)));
    assert.doesNotThrow(() => maskArgs(['--api-key', '{"a":'.repeat(4000)]));
  });
});

describe('item 2: bounded time and memory', { timeout: 30_000 }, () => {
  test('a 40 KB TOML dotted header (heap exhaustion before) is a parse error', async () => {
    const text = attacks.dottedTomlHeader(20_000);
    assert.ok(text.length >= 40_000);
    const { crafted } = await discoverWith('.codex/config.toml', text);
    assert.equal(crafted.status, 'parse-error');
  });

  test('a 439-byte YAML alias bomb stops at the alias budget', async () => {
    const text = attacks.yamlAliasBomb(9);
    assert.ok(text.length < 500);
    const { crafted } = await discoverWith('.config/goose/config.yaml', text);
    assert.equal(crafted.status, 'parse-error');
    assert.match(crafted.error ?? '', /aliases expand to more than 100000 values \(YAML\)/);
  });

  test('5,000 YAML merge keys: aliases resolved in one pass (35 s before)', { timeout: 15_000 }, async () => {
    const { crafted, result } = await discoverWith('.config/goose/config.yaml', attacks.yamlMergeKeys(5000));
    assert.equal(crafted.status, 'ok');
    assert.equal(result.servers.length, 5001);
    const one = await parseDoc(attacks.yamlManyMergesOneMap(5000), 'yaml');
    assert.ok(one.ok);
  });

  test('a self-referencing YAML anchor stops at the depth limit', async () => {
    const r = await parseDoc('a: &a [x, *a]\n', 'yaml');
    assert.ok(!r.ok || r.root.kind === 'object');
  });

  const linuxProc = process.platform === 'linux' && existsSync('/proc/self/pagemap');
  // The same limits through both real ports: asynchronous (serve, the app) and synchronous (one-shot CLI).
  for (const [label, fsPort] of [
    ['asynchronous', nodeFileSystem],
    ['synchronous', nodeFileSystemSync],
  ] as const) {
    describe(`${label} reads`, () => {
      test(
        'eight symlinks to /proc/self/pagemap (size 0) are read under the byte cap',
        { skip: !linuxProc },
        async () => {
          const rels = ['.cursor/mcp.json', '.gemini/settings.json', '.kiro/settings/mcp.json', '.lmstudio/mcp.json'];
          const root = await mkdtemp(join(tmpdir(), 'gh-proc-'));
          try {
            const home = join(root, 'home');
            for (const rel of [
              ...rels,
              '.junie/mcp/mcp.json',
              '.copilot/mcp-config.json',
              '.codeium/windsurf/mcp_config.json',
              '.gemini/antigravity/mcp_config.json',
            ]) {
              await mkdir(dirname(join(home, rel)), { recursive: true });
              await symlink('/proc/self/pagemap', join(home, rel));
            }
            const sib = join(home, SIBLING.rel);
            await mkdir(dirname(sib), { recursive: true });
            await writeFile(sib, SIBLING.text);
            const ws = { home, platform: 'linux' as const, projects: [], systemRoot: join(root, 'sys'), env: {} };
            const result = toDiscoveryResult(await discover(ws, fsPort));
            assert.ok(result.servers.some((s) => s.name === 'sibling'));
            const crafted = result.sources.filter((s) => s.path !== sib);
            assert.equal(crafted.length, 8);
            for (const s of crafted) assert.notEqual(s.status, 'ok', `${s.path}: ${s.status}`);
          } finally {
            await rm(root, { recursive: true, force: true });
          }
        },
      );

      test('files are read whole through the reused buffers: small, exactly one buffer, several, UTF-8 across chunks, concurrently', async () => {
        const root = await mkdtemp(join(tmpdir(), 'gh-readbuf-'));
        try {
          const texts = [
            '{"mcpServers":{}}',
            'a'.repeat(1 << 16),
            'é'.repeat((1 << 16) - 1) + 'z', // a two-byte character straddles each 64 KiB boundary
            '€x'.repeat(100_000),
            '',
          ];
          const files = await Promise.all(
            texts.map(async (t, i) => {
              const f = join(root, `f${i}.json`);
              await writeFile(f, t);
              return f;
            }),
          );
          for (let round = 0; round < 3; round++) {
            const got = await Promise.all(files.map((f) => fsPort.readFile(f, { maxBytes: 4 << 20 })));
            assert.deepEqual(
              got.map((g) => g.length),
              texts.map((t) => t.length),
            );
            got.forEach((g, i) => assert.equal(g, texts[i], `file ${i}, round ${round}`));
          }
          // A file over the cap is still refused.
          await assert.rejects(fsPort.readFile(files[3]!, { maxBytes: 100_000 }), { code: 'EFBIG' });
        } finally {
          await rm(root, { recursive: true, force: true });
        }
      });

      test('a /proc file reporting size 0 is cut at the byte cap while reading', { skip: !linuxProc }, async () => {
        await assert.rejects(fsPort.readFile('/proc/self/status', { maxBytes: 16 }), { code: 'EFBIG' });
      });

      test('regular files read whole up to the byte cap (empty, multi-byte text, exactly the cap)', async () => {
        const root = await mkdtemp(join(tmpdir(), 'gh-read-'));
        try {
          const cases: Array<[string, string]> = [
            ['empty.json', ''],
            ['one.json', '{'],
            ['utf8.json', `{"name": "${'é€𝄞'.repeat(5000)}"}`],
            ['cap.json', 'x'.repeat(4096)],
          ];
          for (const [name, text] of cases) {
            await writeFile(join(root, name), text);
            assert.equal(await fsPort.readFile(join(root, name), { maxBytes: 64 * 1024 }), text, name);
          }
          assert.equal(await fsPort.readFile(join(root, 'cap.json'), { maxBytes: 4096 }), 'x'.repeat(4096));
          await assert.rejects(fsPort.readFile(join(root, 'cap.json'), { maxBytes: 4095 }), { code: 'EFBIG' });
        } finally {
          await rm(root, { recursive: true, force: true });
        }
      });

      test(
        'a FIFO or character device is never read (no blocking)',
        { skip: process.platform === 'win32' },
        async () => {
          const root = await mkdtemp(join(tmpdir(), 'gh-fifo-'));
          try {
            const fifo = join(root, 'mcp.json');
            execFileSync('mkfifo', [fifo]);
            await assert.rejects(fsPort.readFile(fifo, { maxBytes: 1024 }), { code: 'EFTYPE' });
            await assert.rejects(fsPort.readFile('/dev/zero', { maxBytes: 1024 }), { code: 'EFTYPE' });
          } finally {
            await rm(root, { recursive: true, force: true });
          }
        },
      );

      test(
        '/proc/kmsg (blocks forever on a plain read) is reported, not waited on',
        { skip: !existsSync('/proc/kmsg') },
        async () => {
          const { crafted } = await (async () => {
            const root = await mkdtemp(join(tmpdir(), 'gh-kmsg-'));
            try {
              const home = join(root, 'home');
              await mkdir(join(home, '.cursor'), { recursive: true });
              await symlink('/proc/kmsg', join(home, '.cursor', 'mcp.json'));
              const ws = { home, platform: 'linux' as const, projects: [], systemRoot: join(root, 'sys'), env: {} };
              const result = toDiscoveryResult(await discover(ws, fsPort));
              return { crafted: result.sources[0]! };
            } finally {
              await rm(root, { recursive: true, force: true });
            }
          })();
          assert.equal(crafted.status, 'unreadable');
        },
      );
    });
  }

  test('scan work is linear in servers: a leaf finds its server by its own pointer', async () => {
    const counts: number[] = [];
    for (const n of [1000, 4000]) {
      const { scan } = await scanWith('linux', [
        { where: 'home', rel: '.cursor/mcp.json', text: attacks.manyServers(n) },
      ]);
      fieldLookups.count = 0;
      const ctx = await buildScanContext(scan, { fingerprint: fingerprinter(Buffer.alloc(32, 2)), platform: 'linux' });
      assert.equal(ctx.secrets.length, n);
      counts.push(fieldLookups.count);
    }
    // 4× the servers, ~4× the look-ups (it was 16×: every leaf tried every server).
    assert.ok(counts[1]! <= counts[0]! * 4 + 10, `look-ups ${counts.join(' → ')}`);
  });
});

describe('item 9: YAML duplicates and goose platform extensions', () => {
  test('a duplicate YAML server name lists both entries, each with a problem', async () => {
    const { result, crafted } = await discoverWith('.config/goose/config.yaml', attacks.yamlDuplicateKey());
    assert.equal(crafted.status, 'ok');
    const fetch = result.servers.filter((s) => s.name === 'fetch');
    assert.equal(fetch.length, 2);
    assert.deepEqual(
      fetch.map((s) => s.args),
      [['mcp-server-fetch'], ['-y', 'evil-fetch']],
    );
    assert.notEqual(fetch[0]!.id, fetch[1]!.id);
    assert.match(fetch[0]!.problems?.[0] ?? '', /duplicate name "fetch" \(the other entry is at line 7\)/);
    assert.match(fetch[1]!.problems?.[0] ?? '', /duplicate name "fetch" \(the other entry is at line 3\)/);
  });

  test('goose platform extensions are not MCP servers', async () => {
    const text =
      'extensions:\n  todo:\n    type: platform\n    name: todo\n    enabled: true\n  fetch:\n    type: stdio\n    cmd: uvx\n    args: [mcp-server-fetch]\n';
    const { result } = await discoverWith('.config/goose/config.yaml', text);
    assert.deepEqual(
      result.servers.filter((s) => s.client === 'goose').map((s) => s.name),
      ['fetch'],
    );
  });
});
