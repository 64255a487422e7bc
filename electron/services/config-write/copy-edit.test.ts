import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DocFormat } from '../discovery/document.js';
import { editText, parseValue, type EditOp } from './edit.js';

/**
 * The inserts a copy makes (a new server in an existing file) leave every other byte of the file as
 * it was: the result is the original with one chunk inserted (or, for a trailing `//` comment, the
 * comment kept on its line), and it parses to the original plus the new entry.
 */

const ENTRY = { command: 'npx', args: ['-y', 'pkg@1.0.0'], env: { LOG: 'debug' } };

/** `after` is `before` with exactly one chunk inserted. */
function insertedOnce(before: string, after: string): boolean {
  let p = 0;
  while (p < before.length && before[p] === after[p]) p++;
  let q = 0;
  while (q < before.length - p && before[before.length - 1 - q] === after[after.length - 1 - q]) q++;
  return p + q === before.length;
}

function check(format: DocFormat, before: string, op: EditOp, expected: (v: Record<string, unknown>) => void) {
  const after = editText(before, format, [op]);
  assert.ok(insertedOnce(before, after), `one insertion:\n${after}`);
  expected(parseValue(after, format) as Record<string, unknown>);
  return after;
}

describe('copy inserts keep the rest of the file', () => {
  it('JSON: one-line sibling entries, tabs and CRLF, a missing root key, a trailing comma', () => {
    const set = (pointer: string): EditOp => ({ op: 'set', pointer, value: ENTRY });
    check('json', '{\n  "fetch": { "command": "uvx", "args": ["mcp-server-fetch"] }\n}\n', set('/github'), (v) =>
      assert.deepEqual(v.github, ENTRY),
    );
    const crlf = check('json', '{\r\n\t"mcpServers": {\r\n\t\t"a": {}\r\n\t}\r\n}', set('/mcpServers/github'), (v) =>
      assert.deepEqual((v.mcpServers as Record<string, unknown>).github, ENTRY),
    );
    assert.ok(!/[^\r]\n/.test(crlf), 'CRLF kept');
    assert.match(crlf, /\r\n\t\t"github": \{\r\n\t\t\t"command"/, 'tab indentation kept');
    check('json', '// settings\n{\n  "theme": "dark", // mine\n}\n', set('/context_servers/github'), (v) => {
      assert.equal(v.theme, 'dark');
      assert.deepEqual((v.context_servers as Record<string, unknown>).github, ENTRY);
    });
  });

  it('JSON: a comment after the last property stays on its line', () => {
    const before = '{\n  "fetch": { "command": "uvx" } // pinned\n}\n';
    const after = editText(before, 'json', [{ op: 'set', pointer: '/github', value: ENTRY }]);
    assert.match(after, /^\{\n {2}"fetch": \{ "command": "uvx" \}, \/\/ pinned\n {2}"github": \{\n/);
    assert.deepEqual((parseValue(after, 'json') as Record<string, unknown>).github, ENTRY);
  });

  it('YAML: flow lists, comment spacing and unindented lists are not restyled', () => {
    const goose =
      '# goose\nGOOSE_PROVIDER: openai    # kept\nextensions:\n  fetch:\n    args: [a,  b]\n    cmd: uvx\n\nGOOSE_MODEL: x\n';
    const g = check('yaml', goose, { op: 'set', pointer: '/extensions/github', value: ENTRY }, (v) =>
      assert.deepEqual((v.extensions as Record<string, unknown>).github, ENTRY),
    );
    assert.match(g, /cmd: uvx\n {2}github:\n {4}command: npx\n/);
    const cont = 'name: L\nmcpServers:\n- name: fetch\n  command: uvx   # c\n';
    const c = check('yaml', cont, { op: 'append', pointer: '/mcpServers', value: { name: 'github', ...ENTRY } }, (v) =>
      assert.equal((v.mcpServers as unknown[]).length, 2),
    );
    assert.match(c, /# c\n- name: github\n {2}command: npx\n/);
    // No list yet, and no final newline.
    check('yaml', 'name: L\nversion: 1.0.0', { op: 'append', pointer: '/mcpServers', value: { name: 'g' } }, (v) =>
      assert.deepEqual(v.mcpServers, [{ name: 'g' }]),
    );
    // CRLF documents stay CRLF.
    const crlf = check(
      'yaml',
      'extensions:\r\n  a:\r\n    cmd: x\r\n',
      { op: 'set', pointer: '/extensions/b', value: { cmd: 'y' } },
      (v) => assert.deepEqual((v.extensions as Record<string, unknown>).b, { cmd: 'y' }),
    );
    assert.ok(!/[^\r]\n/.test(crlf));
  });

  it('TOML: a new [mcp_servers.x] table is appended', () => {
    check(
      'toml',
      '# codex\nmodel = "o4"\n\n[mcp_servers.fetch]\ncommand = "uvx"\n',
      { op: 'set', pointer: '/mcp_servers/github', value: ENTRY },
      // smol-toml tables have no prototype: compare as plain JSON.
      (v) => assert.deepEqual(JSON.parse(JSON.stringify((v.mcp_servers as Record<string, unknown>).github)), ENTRY),
    );
  });
});
