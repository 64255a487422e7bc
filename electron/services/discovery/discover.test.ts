import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DiscoveryResult } from '../../../shared/model/discovery.js';
import { nodeFileSystem } from '../node-ports.js';
import type { FileSystemPort, WorkstationPort } from '../ports.js';
import { discover, toDiscoveryResult, type DiscoveryProgress } from './discover.js';
import { makeWorkstation, plantedCredentials, scanWith, WORKSTATION } from './test-helpers.js';

test('broken JSON, TOML and YAML are parse errors with file, line and reason; siblings still parse', async () => {
  const { scan, t } = await scanWith('linux', [
    { where: 'home', rel: '.cursor/mcp.json', fixture: 'broken/trailing.json' },
    { where: 'home', rel: '.codex/config.toml', fixture: 'broken/bad.toml' },
    { where: 'home', rel: '.continue/config.yaml', fixture: 'broken/bad.yaml' },
    { where: 'home', rel: '.kiro/settings/mcp.json', fixture: 'clients/kiro.json' },
  ]);
  const by = (suffix: string) => scan.sources.find((s) => s.source.path.endsWith(suffix))!;
  const json = by('.cursor/mcp.json');
  assert.equal(json.source.status, 'parse-error');
  assert.equal(json.source.line, 6);
  assert.match(json.source.error!, /unexpected content after the end of the document/);
  assert.equal(json.source.path, t.pathOf({ where: 'home', rel: '.cursor/mcp.json' }));
  assert.ok(json.text?.includes('trailing'), 'the text is kept for the findings engine');
  const toml = by('config.toml');
  assert.equal(toml.source.status, 'parse-error');
  assert.equal(toml.source.line, 5);
  assert.match(toml.source.error!, /TOML/);
  const yaml = by('config.yaml');
  assert.equal(yaml.source.status, 'parse-error');
  assert.equal(yaml.source.line, 4);
  assert.match(yaml.source.error!, /YAML/);
  assert.equal(by('.kiro/settings/mcp.json').source.status, 'ok');
  assert.deepEqual(
    scan.servers.map((s) => s.entry.name),
    ['fetch'],
  );
});

test('unknown shapes are unsupported; general settings files without MCP sections are ok and empty', async () => {
  const { scan } = await scanWith('linux', [
    { where: 'home', rel: '.cursor/mcp.json', fixture: 'clients/unknown-shape.json' },
    { where: 'home', rel: '.lmstudio/mcp.json', text: '[1, 2]' },
    { where: 'home', rel: '.junie/mcp/mcp.json', text: '{"mcpServers": 3}' },
    { where: 'home', rel: '.gemini/settings.json', text: '{"theme": "x"}' },
    { where: 'home', rel: '.kiro/settings/mcp.json', text: '' },
    { where: 'home', rel: '.config/zed/settings.json', text: '// nothing\n{}\n' },
  ]);
  const status = Object.fromEntries(
    scan.sources.map((s) => [s.source.path.split('/home/')[1], [s.source.status, s.source.error]]),
  );
  assert.deepEqual(status, {
    '.cursor/mcp.json': ['unsupported', 'no "mcpServers" object and not a map of server entries'],
    '.lmstudio/mcp.json': ['unsupported', 'the document is a array, expected an object'],
    '.junie/mcp/mcp.json': ['unsupported', 'mcpServers is a number, expected an object'],
    '.gemini/settings.json': ['ok', undefined],
    '.kiro/settings/mcp.json': ['ok', undefined],
    '.config/zed/settings.json': ['ok', undefined],
  });
  assert.equal(scan.servers.length, 0);
});

test('unreadable files and folders in a file’s place are reported, not fatal', async () => {
  const t = await makeWorkstation('linux', [
    { where: 'home', rel: '.cursor/mcp.json/keep', text: '' },
    { where: 'home', rel: '.kiro/settings/mcp.json', fixture: 'clients/kiro.json' },
    { where: 'home', rel: '.junie/mcp/mcp.json', fixture: 'clients/junie.json' },
  ]);
  try {
    const denied = t.pathOf({ where: 'home', rel: '.kiro/settings/mcp.json' });
    const fs: FileSystemPort = {
      ...nodeFileSystem,
      readFile: (p) =>
        p === denied
          ? Promise.reject(Object.assign(new Error('EACCES'), { code: 'EACCES' }))
          : nodeFileSystem.readFile(p),
    };
    const scan = await discover(t.ws, fs);
    const status = scan.sources.map((s) => [s.source.path.split('/home/')[1], s.source.status, s.source.error]);
    assert.deepEqual(status, [
      ['.cursor/mcp.json', 'unreadable', 'is a folder, not a file'],
      ['.kiro/settings/mcp.json', 'unreadable', 'permission denied'],
      ['.junie/mcp/mcp.json', 'ok', undefined],
    ]);
    assert.deepEqual(
      scan.servers.map((s) => s.entry.name),
      ['jetbrains'],
    );
  } finally {
    await t.cleanup();
  }
});

test('a command with spaces is kept whole when it names an existing file, split otherwise', async () => {
  const t = await makeWorkstation('linux', [{ where: 'home', rel: 'My Tools/mcp server', text: '#!/bin/sh\n' }]);
  try {
    const program = t.pathOf({ where: 'home', rel: 'My Tools/mcp server' });
    const config = {
      mcpServers: {
        existing: { command: program, args: ['--stdio'] },
        line: { command: `"${program}" --flag 'two words'`, args: ['--stdio'] },
      },
    };
    await writeFile(t.pathOf({ where: 'home', rel: '.lmstudio/mcp.json' }), JSON.stringify(config)).catch(async () => {
      await mkdir(join(t.home, '.lmstudio'), { recursive: true });
      await writeFile(t.pathOf({ where: 'home', rel: '.lmstudio/mcp.json' }), JSON.stringify(config));
    });
    const scan = await discover(t.ws, nodeFileSystem);
    assert.deepEqual(
      scan.servers.map((s) => [s.entry.command, s.entry.args]),
      [
        [program, ['--stdio']],
        [program, ['--flag', 'two words', '--stdio']],
      ],
    );
    assert.deepEqual(scan.servers[1]!.pointers.args, [
      '/mcpServers/line/command',
      '/mcpServers/line/command',
      '/mcpServers/line/args/0',
    ]);
  } finally {
    await t.cleanup();
  }
});

test('progress is reported for locating and parsing', async () => {
  const t = await makeWorkstation('linux', [
    { where: 'home', rel: '.kiro/settings/mcp.json', fixture: 'clients/kiro.json' },
  ]);
  try {
    const events: DiscoveryProgress[] = [];
    await discover(t.ws, nodeFileSystem, (p) => events.push(p));
    const phases = [...new Set(events.map((e) => e.phase))];
    assert.deepEqual(phases, ['locating', 'parsing']);
    const lastLocating = events.filter((e) => e.phase === 'locating').at(-1)!;
    assert.equal(lastLocating.done, lastLocating.total);
    assert.deepEqual(events.at(-1), { phase: 'parsing', done: 1, total: 1 });
  } finally {
    await t.cleanup();
  }
});

function workstation(): WorkstationPort {
  return {
    home: join(WORKSTATION, 'home'),
    platform: 'linux',
    projects: [join(WORKSTATION, 'project')],
    systemRoot: join(WORKSTATION, 'system'),
    env: {},
  };
}

test('workstation fixture: every string leaf has its exact token; no planted credential reaches the public result', async () => {
  const scan = await discover(workstation(), nodeFileSystem);
  const result = toDiscoveryResult(scan);
  DiscoveryResult.parse(result);
  const json = JSON.stringify(result);
  const planted = await plantedCredentials();
  assert.ok(planted.length >= 12, `planted: ${planted.length}`);
  for (const secret of planted) {
    assert.ok(!json.includes(secret), `leaked: ${secret.slice(0, 6)}…`);
    // …while the scan (service-side) still carries them as leaves for the findings engine.
    assert.ok(
      scan.sources.some((s) => s.text?.includes(secret)),
      `planted value not in any file: ${secret.slice(0, 6)}…`,
    );
  }
  // No text, leaves or raw values in the public projection.
  assert.ok(!json.includes('"leaves"') && !json.includes('"text"') && !json.includes('"raw"'));
  for (const s of scan.sources) {
    if (s.source.status !== 'ok') continue;
    assert.ok(s.leaves.length > 0, s.source.path);
    assert.equal(typeof s.mode, 'number');
    for (const l of s.leaves) {
      assert.ok(l.offset !== undefined && l.length !== undefined, `${s.source.path} ${l.pointer}`);
      const token = s.text!.slice(l.offset, l.offset + l.length);
      assert.ok(token.includes(l.value.split('\n')[0]!), `${s.source.path} ${l.pointer}: ${token}`);
      const before = s.text!.slice(0, l.offset);
      assert.equal(before.split('\n').length, l.line, `${s.source.path} ${l.pointer}`);
    }
  }
  const broken = result.sources.filter((s) => s.status !== 'ok');
  assert.deepEqual(broken, [
    {
      client: 'cursor',
      path: join(WORKSTATION, 'home', '.cursor', 'mcp.json'),
      scope: 'user',
      status: 'parse-error',
      error: 'unexpected content after the end of the document (JSON)',
      line: 9,
    },
  ]);
});

test('credential-bearing args and URLs are masked in entries but kept raw with pointers', async () => {
  const scan = await discover(workstation(), nodeFileSystem);
  const byName = (n: string) => scan.servers.find((s) => s.entry.name === n)!;
  const roo = byName('gitlab');
  assert.deepEqual(roo.entry.args, ['-y', '@modelcontextprotocol/server-gitlab', '--token', '…wBAD']);
  assert.equal(roo.raw.args?.[3], 'glpat-U74KKEpYEZAmggQBwBAD');
  assert.equal(roo.pointers.args?.[3], '/mcpServers/gitlab/args/3');
  const wiki = byName('team-wiki');
  assert.equal(wiki.entry.url, 'https://wiki.example.com/sse?token=ghp_…fJs1');
  assert.equal(wiki.pointers.url, '/mcpServers/team-wiki/url');
  const lm = byName('db-admin');
  assert.equal(lm.entry.url, 'https://admin:…81Lm@db.internal.example:8443/mcp');
  const slack = byName('slack');
  assert.equal(slack.raw.env.SLACK_BOT_TOKEN?.slice(0, 5), 'xoxb-');
  assert.equal(slack.pointers.env.SLACK_BOT_TOKEN, '/mcpServers/slack/env/SLACK_BOT_TOKEN');
  assert.deepEqual(slack.entry.envKeys, ['SLACK_BOT_TOKEN', 'SLACK_TEAM_ID']);
});
