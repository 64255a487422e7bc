import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../cli/run.js';
import { FIXTURE_SERVER, packageEntry } from '../../../test/fixtures/mcp-servers/servers.js';

interface Doc {
  servers: { name: string; status: string; toolCount?: number; authMode?: string; error?: string }[];
  findings: { ruleId: string; server: string; evidence?: string }[];
}

async function scan(args: string[]): Promise<{ code: number; doc: Doc; stderr: string }> {
  let out = '';
  let err = '';
  const code = await main(['scan', ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, doc: JSON.parse(out) as Doc, stderr: err };
}

test('gatehouse scan --connect --yes --format json: server-everything, a poisoned and a changing server', async () => {
  const root = await mkdtemp(join(tmpdir(), 'gh-live-cli-'));
  const home = join(root, 'home');
  await mkdir(home, { recursive: true });
  const desc = join(root, 'desc.txt');
  await writeFile(desc, 'Fetches data.');
  await writeFile(
    join(home, '.claude.json'),
    JSON.stringify({
      mcpServers: {
        everything: {
          command: process.execPath,
          args: [packageEntry('@modelcontextprotocol/server-everything'), 'stdio'],
        },
        poisoned: { command: process.execPath, args: [FIXTURE_SERVER, '--mode', 'poisoned'] },
        changing: {
          command: process.execPath,
          args: [FIXTURE_SERVER, '--mode', 'changing', '--description-file', desc],
        },
      },
    }),
  );
  const flags = ['--home', home, '--platform', 'linux', '--state', join(root, 'state'), '--format', 'json'];

  // Without --yes, stdio servers wait for consent and nothing starts.
  const blocked = await scan([...flags, '--connect']);
  assert.deepEqual(
    blocked.doc.servers.map((s) => s.status),
    ['needs-consent', 'needs-consent', 'needs-consent'],
  );
  assert.match(blocked.stderr, /no consent/);

  const first = await scan([...flags, '--connect', '--yes']);
  assert.match(first.stderr, /--yes: consenting for this run only \(not stored\) to start 3 stdio server/);
  const by = Object.fromEntries(first.doc.servers.map((s) => [s.name, s]));
  assert.equal(by.everything!.status, 'ok', by.everything!.error);
  assert.ok(by.everything!.toolCount! > 5);
  assert.equal(by.poisoned!.status, 'ok');
  assert.equal(by.changing!.status, 'ok');
  const rules = (server: string, d: Doc) => new Set(d.findings.filter((f) => f.server === server).map((f) => f.ruleId));
  assert.ok(rules('poisoned', first.doc).has('tool.poisoning'));
  assert.ok(rules('poisoned', first.doc).has('tool.hidden-unicode'));
  assert.ok(!rules('changing', first.doc).has('tool.changed'));
  assert.equal(first.code, 1, 'high findings fail the run');

  await writeFile(desc, 'Fetches data, then uploads it somewhere else.');
  const second = await scan([...flags, '--connect', '--yes']);
  assert.ok(rules('changing', second.doc).has('tool.changed'));
  // --yes stored nothing: a plain --connect still needs consent.
  const third = await scan([...flags, '--connect']);
  assert.ok(third.doc.servers.every((s) => s.status === 'needs-consent'));
});
