import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { runFindingsScan } from '../findings/service.js';
import { findingsTestContext } from '../findings/test-context.js';
import { editText, parseValue, type EditOp } from './edit.js';
import { applyChange, previewChange, undoGroupOf } from './service.js';

/**
 * YAML edits are surgical: only the span of the edited node changes, every other byte (comments,
 * anchors, flow style, quoting, odd indentation) stays identical. Real-world-looking Continue
 * (`mcpServers:` list) and Goose (`extensions:` map) files.
 */

// Assembled at run time so secret scanners do not flag this file.
const GHP = ['ghp', 'Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0we'].join('_');

const CONTINUE = `# Continue config — team defaults
name: Team Assistant
version: 1.0.0
schema: v1

x-defaults: &node-server
  type: stdio
  command: npx

models:
  - name: Claude   # primary
    provider: anthropic
    apiKey: \${{ secrets.ANTHROPIC_API_KEY }}
    roles: [chat, edit]

mcpServers:
  - name: github      # GitHub tools
    command: npx
    args:
      - "-y"
      - '@modelcontextprotocol/server-github'
    env:
      GITHUB_PERSONAL_ACCESS_TOKEN: ${GHP}
      LOG_LEVEL:   debug

  # internal search, keep last
  - name: search
    command:   uvx
    args: [ "search-mcp==1.2.0" ,  "--port", 9000 ]   # flow, odd spacing
    env: { SEARCH_KEY: "sk-live-abc" , REGION: eu }

context:
  - provider: code
`;

const GOOSE = `# Goose — managed by hand
GOOSE_PROVIDER: anthropic
GOOSE_MODEL: claude-sonnet-4
extensions:
    developer:
        bundled: true
        display_name: Developer
        enabled: true
        name: developer
        timeout: 300
        type: builtin
    github:
      cmd: npx
      args: ['-y', "@modelcontextprotocol/server-github"]
      enabled: true
      envs:
        GITHUB_TOKEN: ${GHP}   # literal, to fix
        LOG: info
      name: github
      timeout: 300
      type: stdio
    fetch: {cmd: uvx, args: [mcp-server-fetch], enabled: true, name: fetch, type: stdio}
GOOSE_MODE: smart_approve
`;

/** The changed middle of each text (everything before and after it is byte-identical). */
function changedSpan(a: string, b: string): { was: string; now: string; at: number } {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return { was: a.slice(p, a.length - s), now: b.slice(p, b.length - s), at: p };
}

function edit(text: string, ...ops: EditOp[]): { out: string; was: string; now: string } {
  const out = editText(text, 'yaml', ops);
  const { was, now } = changedSpan(text, out);
  return { out, was, now };
}

/** Every line of `text` not in the edited node is still in the output, in order. */
function linesKept(text: string, out: string, except: (line: string) => boolean): void {
  let from = 0;
  for (const line of text.split('\n').filter((l) => !except(l))) {
    const at = out.indexOf(line, from);
    assert.ok(at >= 0, `line lost or changed: ${JSON.stringify(line)}`);
    from = at + line.length;
  }
}

describe('surgical YAML edits: Continue (mcpServers list)', () => {
  it('append a server: pure insertion after the last item, at the items’ indentation', () => {
    const { out, was, now } = edit(CONTINUE, {
      op: 'append',
      pointer: '/mcpServers',
      value: { name: 'fs', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem@2026.1.14'] },
    });
    assert.equal(was, '', 'nothing of the original is replaced');
    assert.equal(
      now,
      '  - name: fs\n    command: npx\n    args:\n      - -y\n      - "@modelcontextprotocol/server-filesystem@2026.1.14"\n',
    );
    assert.ok(out.includes('env: { SEARCH_KEY: "sk-live-abc" , REGION: eu }\n  - name: fs'));
  });

  it('remove the first server: exactly its lines go, the comment before the next one stays', () => {
    const { was, now } = edit(CONTINUE, { op: 'remove', pointer: '/mcpServers/0' });
    assert.equal(now, '');
    assert.equal(
      was,
      `  - name: github      # GitHub tools\n    command: npx\n    args:\n      - "-y"\n      - '@modelcontextprotocol/server-github'\n    env:\n      GITHUB_PERSONAL_ACCESS_TOKEN: ${GHP}\n      LOG_LEVEL:   debug\n`,
    );
  });

  it('remove the last server (flow-styled fields, odd spacing): only its lines', () => {
    const { out, was, now } = edit(CONTINUE, { op: 'remove', pointer: '/mcpServers/1' });
    assert.equal(now, '');
    assert.match(was, /^ {2}- name: search\n[\s\S]*REGION: eu }\n$/);
    assert.ok(out.includes('  # internal search, keep last\n\ncontext:'));
  });

  it('a value in a flow map, a key from a block map, a new key in a list item: each only its span', () => {
    const ref = edit(CONTINUE, {
      op: 'set',
      pointer: '/mcpServers/1/env/SEARCH_KEY',
      value: '${{ secrets.SEARCH_KEY }}',
    });
    assert.equal(ref.out, CONTINUE.replace('"sk-live-abc"', '"${{ secrets.SEARCH_KEY }}"'));
    const rm = edit(CONTINUE, { op: 'remove', pointer: '/mcpServers/0/env/LOG_LEVEL' });
    assert.deepEqual([rm.was, rm.now], ['      LOG_LEVEL:   debug\n', '']);
    const flag = edit(CONTINUE, { op: 'set', pointer: '/mcpServers/0/disabled', value: true });
    assert.deepEqual([flag.was, flag.now], ['', '    disabled: true\n']);
    assert.ok(flag.out.includes('LOG_LEVEL:   debug\n    disabled: true\n\n  # internal search'));
    const inFlow = edit(CONTINUE, { op: 'set', pointer: '/mcpServers/1/env/DEBUG', value: '1' });
    assert.deepEqual([inFlow.was, inFlow.now], ['', ', DEBUG: "1"']);
    const rmFlow = edit(CONTINUE, { op: 'remove', pointer: '/mcpServers/1/args/1' });
    assert.equal(rmFlow.out, CONTINUE.replace('"--port", ', ''));
  });

  it('several edits in one write (bulk): every other line byte-identical, anchors kept', () => {
    const out = editText(CONTINUE, 'yaml', [
      { op: 'set', pointer: '/mcpServers/0/env/GITHUB_PERSONAL_ACCESS_TOKEN', value: '${{ secrets.GITHUB_TOKEN }}' },
      { op: 'set', pointer: '/mcpServers/1/env/SEARCH_KEY', value: '${{ secrets.SEARCH_KEY }}' },
      { op: 'remove', pointer: '/mcpServers/0/env/LOG_LEVEL' },
    ]);
    linesKept(CONTINUE, out, (l) => /GITHUB_PERSONAL_ACCESS_TOKEN|SEARCH_KEY|LOG_LEVEL/.test(l));
    assert.ok(out.includes('x-defaults: &node-server\n'));
    assert.ok(!out.includes(GHP));
    assert.equal(out.split('\n').length, CONTINUE.split('\n').length - 1);
  });
});

describe('surgical YAML edits: Goose (extensions map, 4-space and 6-space indentation)', () => {
  it('quarantine: enabled true → false in a block map and in a flow map', () => {
    const block = edit(GOOSE, { op: 'set', pointer: '/extensions/github/enabled', value: false });
    assert.equal(block.out, GOOSE.replace('      enabled: true\n      envs:', '      enabled: false\n      envs:'));
    const inFlow = edit(GOOSE, { op: 'set', pointer: '/extensions/fetch/enabled', value: false });
    assert.ok(inFlow.out.includes('{cmd: uvx, args: [mcp-server-fetch], enabled: false, name: fetch, type: stdio}'));
    assert.equal(inFlow.out.length, GOOSE.length + 1);
  });

  it('launcher rewrite: env key removed, cmd and args replaced, nothing else moves', () => {
    const out = editText(GOOSE, 'yaml', [
      { op: 'remove', pointer: '/extensions/github/envs/GITHUB_TOKEN' },
      { op: 'set', pointer: '/extensions/github/cmd', value: 'gatehouse' },
      {
        op: 'set',
        pointer: '/extensions/github/args',
        value: ['run', '--env', 'GITHUB_TOKEN=secret:x', '--', 'npx', '-y', '@modelcontextprotocol/server-github'],
      },
    ]);
    linesKept(GOOSE, out, (l) => /GITHUB_TOKEN|cmd: npx|args: \['-y'/.test(l));
    assert.ok(
      out.includes(
        '      cmd: "gatehouse"\n      args: ["run", "--env", "GITHUB_TOKEN=secret:x", "--", "npx", "-y", "@modelcontextprotocol/server-github"]\n',
      ),
    );
    assert.ok(out.includes('      envs:\n        LOG: info\n'));
    assert.ok(!out.includes(GHP));
  });

  it('add an extension: inserted after the last one at the 4-space indentation; remove one: only its block', () => {
    const add = edit(GOOSE, {
      op: 'set',
      pointer: '/extensions/memory',
      value: {
        cmd: 'npx',
        args: ['-y', '@modelcontextprotocol/server-memory@2025.9.25'],
        enabled: true,
        type: 'stdio',
      },
    });
    assert.equal(add.was, '');
    assert.match(add.now, /^ {4}memory:\n {8}cmd: npx\n {8}args:\n/);
    assert.ok(add.out.endsWith('type: stdio}\n' + add.now + 'GOOSE_MODE: smart_approve\n'));
    const rm = edit(GOOSE, { op: 'remove', pointer: '/extensions/developer' });
    assert.equal(rm.out, GOOSE.replace(/ {4}developer:\n(?: {8}.*\n)+/, ''));
    assert.deepEqual(parseValue(rm.out, 'yaml'), {
      ...(parseValue(GOOSE, 'yaml') as Record<string, unknown>),
      extensions: Object.fromEntries(
        Object.entries((parseValue(GOOSE, 'yaml') as { extensions: Record<string, unknown> }).extensions).filter(
          ([k]) => k !== 'developer',
        ),
      ),
    });
  });

  it('a key missing two levels deep is created as a nested block under the existing entry', () => {
    const { out } = edit(GOOSE, { op: 'set', pointer: '/extensions/github/headers/X-Team', value: 'sec' });
    assert.equal(out, GOOSE.replace('      type: stdio\n', '      type: stdio\n      headers:\n        X-Team: sec\n'));
  });

  it('CRLF files stay CRLF; an edit that would not read back as intended is refused', () => {
    const crlf = GOOSE.replace(/\n/g, '\r\n');
    const { now } = edit(crlf, { op: 'set', pointer: '/extensions/memory', value: { cmd: 'x' } });
    assert.ok(now.includes('\r\n') && !/[^\r]\n/.test(now));
    // An aliased node: changing it would change its aliases too, so the read-back check refuses.
    const aliased = `base: &b\n  cmd: npx\nmcp:\n  one: *b\n`;
    assert.throws(
      () => editText(aliased, 'yaml', [{ op: 'set', pointer: '/base/cmd', value: 'uvx' }]),
      /shared through the anchor &b/,
    );
    assert.throws(
      () => editText(aliased, 'yaml', [{ op: 'set', pointer: '/mcp/one/enabled', value: false }]),
      /edit it by hand/,
    );
  });
});

describe('YAML fixes through the service (real discovery, findings and writer)', () => {
  it('bulk secret.literal over Continue and Goose: only the edited lines change; undo restores both', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-yaml-'));
    const ctx = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
    const cont = join(root, 'home', '.continue', 'config.yaml');
    const goose = join(root, 'home', '.config', 'goose', 'config.yaml');
    try {
      for (const [f, t] of [
        [cont, CONTINUE],
        [goose, GOOSE],
      ] as const) {
        await mkdir(dirname(f), { recursive: true });
        await writeFile(f, t, { mode: 0o600 });
      }
      const found = (await runFindingsScan(ctx)).report.findings.filter((f) => f.ruleId === 'secret.literal');
      assert.deepEqual(found.map((f) => f.client).sort(), ['continue', 'continue', 'goose']);
      const p = await previewChange(ctx, { kind: 'fix-rule', ruleId: 'secret.literal' });
      assert.equal(p.files.length, 2);
      const applied = await applyChange(ctx, p.token);
      const c = await readFile(cont, 'utf8');
      assert.equal(
        c,
        CONTINUE.replace(GHP, '"${{ secrets.GITHUB_PERSONAL_ACCESS_TOKEN }}"').replace(
          '"sk-live-abc"',
          '"${{ secrets.SEARCH_KEY }}"',
        ),
      );
      const g = await readFile(goose, 'utf8');
      linesKept(GOOSE, g, (l) => /GITHUB_TOKEN|cmd: npx|args: \['-y'/.test(l));
      assert.match(
        g,
        /^ {6}cmd: "gatehouse"\n {6}args: \["run", "--state", .*"--", "npx", "-y", "@modelcontextprotocol\/server-github"\]\n/m,
      );
      assert.ok(!g.includes(GHP) && !c.includes(GHP));
      assert.equal((await runFindingsScan(ctx)).report.findings.filter((f) => f.ruleId === 'secret.literal').length, 0);
      await undoGroupOf(ctx, applied[0]!.group!);
      assert.equal(await readFile(cont, 'utf8'), CONTINUE);
      assert.equal(await readFile(goose, 'utf8'), GOOSE);
    } finally {
      ctx.db.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('surgical YAML edits: small shapes', () => {
  it('an empty flow map gets its first key in place; nothing else in the file moves', () => {
    const text = `a: {  }   # empty\nb: {x: 1}\n`;
    const out = editText(text, 'yaml', [{ op: 'set', pointer: '/a/k', value: 'v' }]);
    assert.equal(out, `a: { k: "v" }   # empty\nb: {x: 1}\n`);
  });

  it('list items at the key’s own indentation: append and remove keep that style', () => {
    const text = `mcpServers:\n- name: a\n  command: x\n- name: b\n  command: y\n# end`;
    const add = editText(text, 'yaml', [{ op: 'append', pointer: '/mcpServers', value: { name: 'c', command: 'z' } }]);
    assert.equal(add, `mcpServers:\n- name: a\n  command: x\n- name: b\n  command: y\n- name: c\n  command: z\n# end`);
    const rm = editText(text, 'yaml', [{ op: 'remove', pointer: '/mcpServers/0' }]);
    assert.equal(rm, `mcpServers:\n- name: b\n  command: y\n# end`);
  });

  it('removing the only entry leaves an explicit empty collection; a bare `key:` receives a block', () => {
    const only = `mcpServers:\n  - name: a # only\n    command: x\nafter: 1\n`;
    assert.equal(editText(only, 'yaml', [{ op: 'remove', pointer: '/mcpServers/0' }]), `mcpServers: []\nafter: 1\n`);
    const bare = `extensions:   # none yet\nz: 1\n`;
    assert.equal(
      editText(bare, 'yaml', [{ op: 'set', pointer: '/extensions/x', value: { cmd: 'a' } }]),
      `extensions:   # none yet\n  x:\n    cmd: a\nz: 1\n`,
    );
    assert.equal(
      editText(`mcpServers:\nz: 1\n`, 'yaml', [{ op: 'append', pointer: '/mcpServers', value: { name: 'a' } }]),
      `mcpServers:\n- name: a\nz: 1\n`,
    );
  });
});
