import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openNodeSecretStore } from '../../node/secret-store.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLI = join(ROOT, 'electron', 'cli', 'main.ts');
const EVERYTHING = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const SECRET = 'ghp_' + 'Lr4Ty8Ui2Op6As0Df3Gh7Jk1Zx5Cv9Bn2Mq4We';

describe('gatehouse run (launcher)', () => {
  it('passes the secret to a real MCP server over stdio without printing it', async () => {
    const state = await mkdtemp(join(tmpdir(), 'gh-run-'));
    try {
      await openNodeSecretStore(state).set('mcp.test.everything.GH_TOKEN', SECRET);
      let stderr = '';
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [
          '--import',
          'tsx',
          CLI,
          'run',
          '--state',
          state,
          '--env',
          'GH_TOKEN=secret:mcp.test.everything.GH_TOKEN',
          '--',
          process.execPath,
          EVERYTHING,
          'stdio',
        ],
        cwd: ROOT,
        stderr: 'pipe',
        env: { PATH: process.env.PATH ?? '' },
      });
      transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const client = new Client({ name: 'test', version: '1' });
      await client.connect(transport);
      const res = (await client.callTool({ name: 'get-env', arguments: {} })) as { content: Array<{ text?: string }> };
      await client.close();
      assert.match(res.content.map((c) => c.text ?? '').join(''), new RegExp(SECRET));
      assert.ok(!stderr.includes(SECRET), 'the launcher never prints the value');
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });

  it('fails closed with a clear message when the secret is missing', async () => {
    const state = await mkdtemp(join(tmpdir(), 'gh-run-'));
    try {
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          CLI,
          'run',
          '--state',
          state,
          '--env',
          'GH_TOKEN=secret:missing',
          '--',
          process.execPath,
          '-e',
          'console.log("started")',
        ],
        { cwd: ROOT, encoding: 'utf8' },
      );
      assert.equal(r.status, 1);
      assert.match(r.stderr, /secret "missing" \(for GH_TOKEN\) is not in the secret store/);
      assert.ok(!r.stdout.includes('started'));
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });
});
