import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { CLIENT_IDS, type ClientId } from '../../../shared/model/discovery.js';
import type { ServiceContext } from '../context.js';
import { discover } from '../discovery/discover.js';
import { serverId } from '../discovery/extract.js';
import type { RawServer } from '../discovery/types.js';
import { findingsTestContext } from '../findings/test-context.js';
import { wholeReference } from '../secrets/redact.js';
import { labelOf } from './copy-clients.js';
import { nativeFile, nativePointer, USER_FILE, type NativeServer } from './copy-test-fixtures.js';
import { applyChange, copyTargets, previewChange, undo } from './service.js';

/**
 * Copy/move between every ordered pair of the 21 clients, for a stdio server with a literal env
 * credential and a remote server with a literal header credential: the target file is written in the
 * target's format (its other bytes untouched), discovery of the target reads back the same normalized
 * server, the credential is in the secret store and only referenced, and undo restores every file
 * byte for byte. A pair the target cannot take is refused with a message naming the client and why.
 */

// Assembled at run time so secret scanners do not flag this file.
const GHP = ['ghp', 'Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0we'].join('_');
const ARGS = ['-y', '@modelcontextprotocol/server-github@1.0.0'];
const STDIO: NativeServer = { name: 'github', command: 'npx', args: ARGS, env: { GITHUB_TOKEN: GHP, LOG: 'debug' } };
const REMOTE: NativeServer = {
  name: 'github',
  url: 'https://mcp.example.com/mcp',
  headers: { Authorization: `Bearer ${GHP}`, 'X-Team': 'blue' },
};
/** Remote servers without a credential: the URL key and transport names of every client. */
const OPEN_HTTP: NativeServer = { name: 'github', url: 'https://mcp.example.com/mcp', headers: { 'X-Team': 'blue' } };
const OPEN_SSE: NativeServer = { name: 'github', url: 'https://mcp.example.com/sse', headers: { 'X-Team': 'blue' } };
const OTHER: NativeServer = { name: 'fetch', command: 'uvx', args: ['mcp-server-fetch'] };

/** Clients with no env reference syntax (shared/reference/client-configs.md, "Secret indirection"). */
const NO_REFERENCE = new Set<ClientId>([
  'claude-desktop',
  'cline',
  'roo-code',
  'kilo-code',
  'zed',
  'copilot-cli',
  'kiro',
  'amazon-q',
  'lm-studio',
  'goose',
  'junie',
  'antigravity',
]);
const STDIO_ONLY: Partial<Record<ClientId, RegExp>> = {
  'claude-desktop': /^Claude Desktop cannot take "github": .*connectors in its settings UI/,
  junie: /^Junie cannot take "github": .*local \(stdio\) servers only/,
};

type Kind = 'stdio' | 'remote' | 'open-http' | 'open-sse';

const SERVER: Record<Kind, NativeServer> = {
  stdio: STDIO,
  remote: REMOTE,
  'open-http': OPEN_HTTP,
  'open-sse': OPEN_SSE,
};

function expectedRefusal(kind: Kind, to: ClientId): RegExp | undefined {
  if (kind === 'stdio') return undefined;
  const stdioOnly = STDIO_ONLY[to];
  if (stdioOnly) return stdioOnly;
  if (kind === 'open-sse' && to === 'codex') return /^Codex cannot take "github": Codex speaks streamable HTTP only/;
  if (kind === 'remote' && NO_REFERENCE.has(to))
    return new RegExp(`^${labelOf(to)} has no reference syntax for header values: .*keep Authorization out`);
  return undefined;
}

interface Normalized {
  transport: string;
  command?: string;
  args?: string[];
  url?: string;
  env: string[];
  headers: string[];
}

/** The server as it will run: a `gatehouse run` wrap unfolded, Codex `env_vars` counted as env. */
function effective(t: RawServer, to: ClientId, written: string): Normalized {
  const env = [...t.entry.envKeys];
  if (t.entry.transport !== 'stdio')
    return { transport: t.entry.transport, url: t.raw.url, env: env.sort(), headers: [...t.entry.headerKeys].sort() };
  let command = t.raw.command;
  let args = t.raw.args ?? [];
  if (command === 'gatehouse' && args[0] === 'run') {
    const sep = args.indexOf('--');
    args.slice(1, sep).forEach((a, i, all) => {
      if (all[i - 1] === '--env') env.push(a.split('=')[0]!);
    });
    command = args[sep + 1];
    args = args.slice(sep + 2);
  }
  if (to === 'codex') {
    const doc = parseToml(written) as { mcp_servers: Record<string, { env_vars?: string[] }> };
    env.push(...(doc.mcp_servers.github?.env_vars ?? []));
  }
  return { transport: 'stdio', command, args, env: env.sort(), headers: [...t.entry.headerKeys].sort() };
}

function expected(kind: Kind, to: ClientId): Normalized {
  switch (kind) {
    case 'stdio':
      return { transport: 'stdio', command: 'npx', args: ARGS, env: ['GITHUB_TOKEN', 'LOG'], headers: [] };
    case 'remote':
      return { transport: 'http', url: REMOTE.url, env: [], headers: ['Authorization', 'X-Team'] };
    case 'open-http':
      return { transport: 'http', url: OPEN_HTTP.url, env: [], headers: ['X-Team'] };
    case 'open-sse':
      // opencode's `type: remote` names no transport (it negotiates): discovery reads it as HTTP.
      return { transport: to === 'opencode' ? 'http' : 'sse', url: OPEN_SSE.url, env: [], headers: ['X-Team'] };
  }
}

/** Whether `after` is `before` with one chunk inserted (every other byte kept). */
function isInsertion(before: string, after: string): boolean {
  let p = 0;
  while (p < before.length && before[p] === after[p]) p++;
  let q = 0;
  while (q < before.length - p && before[before.length - 1 - q] === after[after.length - 1 - q]) q++;
  return p + q === before.length && after.length > before.length;
}

/** One service context for the whole matrix (opening one costs more than a round trip). */
let shared: { root: string; ctx: ServiceContext } | undefined;

before(async () => {
  const root = await mkdtemp(join(tmpdir(), 'gh-copy-'));
  shared = { root, ctx: findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') }) };
});
after(async () => {
  shared?.ctx.db.close();
  if (shared) await rm(shared.root, { recursive: true, force: true });
});

/** A fresh, empty home for each pair. */
async function withHome<T>(fn: (ctx: ServiceContext, home: string) => Promise<T>): Promise<T> {
  const { root, ctx } = shared!;
  const home = join(root, 'home');
  await rm(home, { recursive: true, force: true });
  await mkdir(home);
  return fn(ctx, home);
}

async function plant(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, { mode: 0o600 });
}

const absent = async (file: string) => (await stat(file).catch(() => null)) === null;

async function roundTrip(kind: Kind, from: ClientId, to: ClientId, existing: boolean, move: boolean): Promise<void> {
  await withHome(async (ctx, home) => {
    for (const k of ['GITHUB_TOKEN', 'GITHUB_AUTHORIZATION']) await ctx.secrets.delete(`mcp.${from}.github.${k}`);
    const source = join(home, USER_FILE[from]);
    const sourceText = nativeFile(from, [SERVER[kind]]);
    await plant(source, sourceText);
    const target = join(home, USER_FILE[to]);
    const targetText = existing ? nativeFile(to, [OTHER], true) : undefined;
    if (targetText !== undefined) await plant(target, targetText);
    const id = serverId(from, source, nativePointer(from, 'github'));
    const req = { kind: 'copy', serverId: id, to: { client: to, scope: 'user' }, move } as const;

    const refusal = expectedRefusal(kind, to);
    if (refusal) {
      await assert.rejects(previewChange(ctx, req), (err: Error) => {
        assert.match(err.message, refusal);
        return true;
      });
      if (targetText === undefined) assert.ok(await absent(target), 'a refused copy creates nothing');
      else assert.equal(await readFile(target, 'utf8'), targetText);
      return;
    }

    const p = await previewChange(ctx, req);
    assert.ok(!JSON.stringify(p).includes(GHP), 'the preview never shows the credential');
    const applied = await applyChange(ctx, p.token);
    assert.equal(applied[0]!.file, target, `written to ${to}'s user file`);
    const written = await readFile(target, 'utf8');
    assert.ok(!written.includes(GHP), 'no literal credential in the target');
    if (targetText !== undefined)
      assert.ok(isInsertion(targetText, written), `the rest of ${USER_FILE[to]} is byte-identical:\n${written}`);

    // One discovery of the target home: the same normalized server, credentials referenced.
    const found = await discover(ctx.workstation, ctx.fs);
    const t = found.servers.find((x) => x.entry.client === to && x.entry.name === 'github');
    assert.ok(t, `discovered in ${to}: ${JSON.stringify(found.sources.map((x) => x.source))}`);
    assert.deepEqual(t.entry.problems ?? [], []);
    assert.deepEqual(effective(t, to, written), expected(kind, to));
    if (existing) assert.ok(found.servers.some((x) => x.entry.client === to && x.entry.name === 'fetch'));

    const key = kind === 'stdio' ? 'GITHUB_TOKEN' : 'GITHUB_AUTHORIZATION';
    const secret = `mcp.${from}.github.${key}`;
    if (kind === 'stdio' || kind === 'remote')
      assert.equal(await ctx.secrets.get(secret), GHP, 'the literal is in the secret store');
    if (kind !== 'stdio') assert.equal(t.raw.headers['X-Team'], 'blue');
    if (kind === 'stdio') {
      assert.equal(t.raw.env.LOG, 'debug');
      if (to === 'codex') assert.equal(t.raw.env.GITHUB_TOKEN, undefined);
      else if (NO_REFERENCE.has(to)) assert.ok(t.raw.args?.includes(`GITHUB_TOKEN=secret:${secret}`), 'launcher');
      else assert.equal(wholeReference(t.raw.env.GITHUB_TOKEN ?? '')?.name, key, 'referenced in the target syntax');
    } else if (kind === 'remote') {
      if (to === 'codex') assert.equal(t.raw.bearerTokenEnvVar, key);
      else {
        const m = /^Bearer (.+)$/.exec(t.raw.headers.Authorization ?? '');
        assert.equal(wholeReference(m?.[1] ?? '')?.name, key, 'Bearer + reference in the target syntax');
      }
    }

    if (move) {
      assert.equal(applied.length, 2);
      assert.ok(!found.servers.some((x) => x.entry.client === from && x.entry.name === 'github'), 'source removed');
      assert.ok(!(await readFile(source, 'utf8')).includes(GHP));
    } else {
      assert.equal(applied.length, 1);
      assert.equal(await readFile(source, 'utf8'), sourceText, 'a copy leaves the source alone');
    }

    for (const c of [...applied].reverse()) await undo(ctx, c.id);
    if (targetText === undefined) assert.ok(await absent(target), 'undo deletes the created file');
    else assert.equal(await readFile(target, 'utf8'), targetText, 'undo restores the target byte for byte');
    assert.equal(await readFile(source, 'utf8'), sourceText, 'undo restores the source byte for byte');
  });
}

describe('copy/move a server between every pair of the 21 clients (round trip)', () => {
  CLIENT_IDS.forEach((from, i) => {
    CLIENT_IDS.forEach((to, j) => {
      if (from === to) return;
      // Alternate an existing target file (other server, comments) with none, and copy with move.
      const existing = (i + j) % 2 === 0;
      it(`stdio ${from} → ${to} (${existing ? 'existing file, copy' : 'new file, move'})`, () =>
        roundTrip('stdio', from, to, existing, !existing));
      if (!STDIO_ONLY[from])
        it(`remote ${from} → ${to} (${existing ? 'existing file, move' : 'new file, copy'})`, () =>
          roundTrip('remote', from, to, existing, existing));
    });
  });
  // Remote servers without a credential reach every client: URL keys and transport names.
  for (const from of ['cursor', 'codex', 'goose', 'continue', 'opencode', 'gemini-cli'] as const)
    CLIENT_IDS.forEach((to, j) => {
      if (from !== to)
        it(`open http ${from} → ${to}`, () => roundTrip('open-http', from, to, j % 2 === 0, j % 3 === 0));
    });
  CLIENT_IDS.forEach((to, j) => {
    if (to !== 'cursor') it(`open sse cursor → ${to}`, () => roundTrip('open-sse', 'cursor', to, j % 2 === 1, false));
  });
});

/** The project-scope file each client reads, relative to the project folder. */
const PROJECT_FILE: Partial<Record<ClientId, string>> = {
  'claude-code': '.mcp.json',
  cursor: '.cursor/mcp.json',
  vscode: '.vscode/mcp.json',
  'roo-code': '.roo/mcp.json',
  continue: '.continue/mcpServers/github.yaml',
  zed: '.zed/settings.json',
  'gemini-cli': '.gemini/settings.json',
  codex: '.codex/config.toml',
  kiro: '.kiro/settings/mcp.json',
  'amazon-q': '.amazonq/mcp.json',
  opencode: 'opencode.json',
  junie: '.junie/mcp/mcp.json',
};

async function plantCursor(home: string, server: NativeServer = STDIO): Promise<string> {
  const source = join(home, USER_FILE.cursor);
  await plant(source, nativeFile('cursor', [server]));
  return serverId('cursor', source, nativePointer('cursor', server.name));
}

describe('copy targets, scopes and refusals', () => {
  for (const to of CLIENT_IDS)
    it(`project scope: ${to}`, () =>
      withHome(async (ctx, home) => {
        const id = await plantCursor(home);
        const project = join(home, 'work', 'app');
        await mkdir(project, { recursive: true });
        const req = { kind: 'copy', serverId: id, to: { client: to, scope: 'project', project } } as const;
        const rel = PROJECT_FILE[to];
        if (!rel) {
          await assert.rejects(previewChange(ctx, req), new RegExp(`${labelOf(to)} has no project scope`));
          return;
        }
        const applied = await applyChange(ctx, (await previewChange(ctx, req)).token);
        assert.equal(applied[0]!.file, join(project, rel));
        const written = await readFile(applied[0]!.file, 'utf8');
        assert.ok(!written.includes(GHP));
        const found = await discover({ ...ctx.workstation, projects: [project] }, ctx.fs);
        const t = found.servers.find((x) => x.entry.client === to && x.entry.scope === 'project');
        assert.ok(t, `discovered in ${to}'s project scope`);
        assert.equal(t.entry.name, 'github');
        assert.deepEqual(effective(t, to, written), expected('stdio', to));
        await undo(ctx, applied[0]!.id);
        assert.ok(await absent(applied[0]!.file));
      }));

  const PLATFORM_FILES: Record<'darwin' | 'win32', Partial<Record<ClientId, string>>> = {
    darwin: {
      'claude-desktop': 'Library/Application Support/Claude/claude_desktop_config.json',
      vscode: 'Library/Application Support/Code/User/mcp.json',
      cline:
        'Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json',
      zed: '.config/zed/settings.json',
      goose: '.config/goose/config.yaml',
    },
    win32: {
      'claude-desktop': 'AppData/Roaming/Claude/claude_desktop_config.json',
      vscode: 'AppData/Roaming/Code/User/mcp.json',
      zed: 'AppData/Roaming/Zed/settings.json',
      goose: 'AppData/Roaming/Block/goose/config/config.yaml',
      opencode: '.config/opencode/opencode.json',
    },
  };
  for (const platform of ['darwin', 'win32'] as const)
    it(`${platform}: each client's own user file, read back by discovery`, () =>
      withHome(async (base, home) => {
        const ctx = { ...base, workstation: { ...base.workstation, platform } };
        const id = await plantCursor(home);
        for (const [to, rel] of Object.entries(PLATFORM_FILES[platform]) as Array<[ClientId, string]>) {
          const req = { kind: 'copy', serverId: id, to: { client: to, scope: 'user' } } as const;
          const applied = await applyChange(ctx, (await previewChange(ctx, req)).token);
          assert.equal(applied[0]!.file, join(home, rel));
          const found = await discover(ctx.workstation, ctx.fs);
          assert.ok(
            found.servers.some((x) => x.entry.client === to && x.entry.source === join(home, rel)),
            to,
          );
          await undo(ctx, applied[0]!.id);
        }
      }));

  it('a project copy needs an absolute project folder; a name clash is refused', () =>
    withHome(async (ctx, home) => {
      const id = await plantCursor(home);
      const copy = (to: ClientId, scope: 'user' | 'project', project?: string) =>
        previewChange(ctx, { kind: 'copy', serverId: id, to: { client: to, scope, ...(project ? { project } : {}) } });
      await assert.rejects(copy('codex', 'project'), /A project-scope copy to Codex needs the project folder/);
      await assert.rejects(copy('codex', 'project', 'rel/dir'), /must be an absolute path \(got rel\/dir\)/);
      await assert.rejects(
        copy('cursor', 'user'),
        /Cursor already has a server named "github" in .*\.cursor\/mcp\.json/,
      );
      const vscode = join(home, USER_FILE.vscode);
      await plant(vscode, nativeFile('vscode', [OTHER, { ...OTHER, name: 'github' }]));
      await assert.rejects(copy('vscode', 'user'), /VS Code already has a server named "github"/);
      // Continue's legacy config.json in use: a new config.yaml would replace it.
      await plant(join(home, '.continue', 'config.json'), '{ "models": [] }\n');
      await assert.rejects(copy('continue', 'user'), /Continue reads the legacy .*config\.json here/);
    }));

  it('a flat { name: entry } file keeps its shape', () =>
    withHome(async (ctx, home) => {
      const id = await plantCursor(home);
      const kiro = join(home, USER_FILE.kiro);
      const flat = '{\n  "fetch": { "command": "uvx", "args": ["mcp-server-fetch"] }\n}\n';
      await plant(kiro, flat);
      const applied = await applyChange(
        ctx,
        (await previewChange(ctx, { kind: 'copy', serverId: id, to: { client: 'kiro', scope: 'user' } })).token,
      );
      const written = await readFile(kiro, 'utf8');
      assert.ok(isInsertion(flat, written));
      assert.ok(!written.includes('mcpServers'));
      const names = (await discover(ctx.workstation, ctx.fs)).servers
        .filter((x) => x.entry.client === 'kiro')
        .map((x) => x.entry.name);
      assert.deepEqual(names.sort(), ['fetch', 'github']);
      await undo(ctx, applied[0]!.id);
      assert.equal(await readFile(kiro, 'utf8'), flat);
    }));

  it('copyTargets lists every client with its real scopes, or why it cannot take the server', () =>
    withHome(async (ctx, home) => {
      const stdio = await plantCursor(home);
      const list = await copyTargets(ctx, stdio);
      assert.deepEqual(
        list.map((x) => x.client),
        [...CLIENT_IDS],
      );
      const by = new Map(list.map((x) => [x.client, x]));
      assert.deepEqual(by.get('cursor'), { client: 'cursor', scopes: ['project'] }, 'not into its own user file');
      assert.deepEqual(by.get('windsurf'), { client: 'windsurf', scopes: ['user'] });
      assert.deepEqual(by.get('claude-desktop'), { client: 'claude-desktop', scopes: ['user'] }, 'via the launcher');
      assert.deepEqual(by.get('codex'), { client: 'codex', scopes: ['user', 'project'] });
      assert.ok(list.every((x) => x.refused === undefined));

      await plant(join(home, USER_FILE['claude-code']), nativeFile('claude-code', [REMOTE]));
      const remote = serverId('claude-code', join(home, USER_FILE['claude-code']), '/mcpServers/github');
      const r = new Map((await copyTargets(ctx, remote)).map((x) => [x.client, x]));
      assert.match(r.get('claude-desktop')!.refused ?? '', /connectors in its settings UI/);
      assert.match(r.get('junie')!.refused ?? '', /^Junie cannot take "github"/);
      assert.match(r.get('goose')!.refused ?? '', /^goose has no reference syntax for header values/);
      assert.deepEqual(r.get('goose')!.scopes, []);
      assert.deepEqual(r.get('claude-code'), { client: 'claude-code', scopes: ['project'] });
      assert.deepEqual(r.get('opencode'), { client: 'opencode', scopes: ['user', 'project'] });
      assert.equal(
        await ctx.secrets.get('mcp.claude-code.github.GITHUB_AUTHORIZATION'),
        null,
        'listing stores nothing',
      );

      // A VS Code input lives in VS Code's own secret storage: no client can receive it.
      await plant(
        join(home, USER_FILE.vscode),
        JSON.stringify({ servers: { gh: { type: 'stdio', command: 'npx', env: { T: '${input:gh-token}' } } } }),
      );
      const input = serverId('vscode', join(home, USER_FILE.vscode), '/servers/gh');
      for (const x of await copyTargets(ctx, input)) assert.match(x.refused ?? '', /VS Code input/, x.client);

      // A credential in args or in the URL would travel as a literal.
      await plant(
        join(home, USER_FILE.kiro),
        JSON.stringify({
          mcpServers: {
            a: { command: 'npx', args: ['srv', '--token', GHP] },
            u: { url: `https://x.example/mcp?key=${GHP}` },
          },
        }),
      );
      for (const [name, where] of [
        ['a', 'arguments'],
        ['u', 'URL'],
      ] as const) {
        const lit = serverId('kiro', join(home, USER_FILE.kiro), `/mcpServers/${name}`);
        for (const x of await copyTargets(ctx, lit))
          assert.match(x.refused ?? '', new RegExp(`"${name}" has a credential in its ${where}`), x.client);
      }

      // goose keeps env_keys values in its keyring: nothing to carry, so no client can take it.
      await plant(
        join(home, USER_FILE.goose),
        'extensions:\n  gh:\n    type: stdio\n    cmd: npx\n    env_keys: [GITHUB_TOKEN]\n    enabled: true\n',
      );
      const keyring = serverId('goose', join(home, USER_FILE.goose), '/extensions/gh');
      for (const x of await copyTargets(ctx, keyring))
        assert.match(x.refused ?? '', /takes GITHUB_TOKEN from goose's own secret storage/, x.client);
    }));
});

describe('references inside arguments and URLs', () => {
  it('are rewritten in the target syntax, or refused where the target does not expand them', () =>
    withHome(async (ctx, home) => {
      const server: NativeServer = { name: 'files', command: 'npx', args: ['srv', '--root=${env:HOME}/work'] };
      const id = await plantCursor(home, server);
      const argsIn = async (to: ClientId) => {
        const applied = await applyChange(
          ctx,
          (await previewChange(ctx, { kind: 'copy', serverId: id, to: { client: to, scope: 'user' } })).token,
        );
        const t = (await discover(ctx.workstation, ctx.fs)).servers.find((x) => x.entry.client === to)!;
        await undo(ctx, applied[0]!.id);
        return t.raw.args;
      };
      assert.deepEqual(await argsIn('claude-code'), ['srv', '--root=${HOME}/work']);
      assert.deepEqual(await argsIn('gemini-cli'), ['srv', '--root=$HOME/work']);
      assert.deepEqual(await argsIn('opencode'), ['srv', '--root={env:HOME}/work']);
      const targets = new Map((await copyTargets(ctx, id)).map((x) => [x.client, x.refused]));
      assert.match(
        targets.get('codex') ?? '',
        /argument 2 uses \$\{env:HOME\} and Codex does not expand variables there/,
      );
      assert.match(targets.get('cline') ?? '', /Cline does not expand variables there/);
      assert.equal(targets.get('vscode'), undefined);

      // Cline expands nothing: the same text there is literal and travels as is.
      const cline = join(home, USER_FILE.cline);
      await plant(cline, nativeFile('cline', [{ ...server, name: 'lit' }]));
      const lit = serverId('cline', cline, '/mcpServers/lit');
      const p = await previewChange(ctx, { kind: 'copy', serverId: lit, to: { client: 'claude-code', scope: 'user' } });
      await applyChange(ctx, p.token);
      const t = (await discover(ctx.workstation, ctx.fs)).servers.find(
        (x) => x.entry.name === 'lit' && x.entry.client === 'claude-code',
      );
      assert.deepEqual(t?.raw.args, ['srv', '--root=${env:HOME}/work']);
    }));
});
