import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { ServiceContext } from '../context.js';
import { runFindingsScan } from '../findings/service.js';
import { findingsTestContext } from '../findings/test-context.js';
import { applyChange, optionsFor, previewChange } from './service.js';
import { suggestVersion, type VersionLookup } from './versions.js';

/**
 * Pin suggestions for runner.unpinned: the locally installed version (a planted npx cache, uv
 * cache), else the registry's latest (a loopback server with real packument / PyPI JSON shapes,
 * and one guarded lookup against the configured npm registry).
 */

const CURSOR = `{
  "mcpServers": {
    "fs": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] },
    "fetch": { "command": "uvx", "args": ["mcp-server-fetch"] }
  }
}
`;

/** Shape of registry.npmjs.org's abbreviated packument (application/vnd.npm.install-v1+json). */
const PACKUMENT = {
  name: '@modelcontextprotocol/server-filesystem',
  'dist-tags': { latest: '2026.1.14', next: '2026.2.0-rc.1' },
  modified: '2026-01-14T10:00:00.000Z',
  versions: {
    '2025.8.21': {
      name: '@modelcontextprotocol/server-filesystem',
      version: '2025.8.21',
      dist: { tarball: 'https://example.invalid/fs-2025.8.21.tgz', integrity: 'sha512-AAAA', shasum: 'aa' },
    },
    '2026.1.14': {
      name: '@modelcontextprotocol/server-filesystem',
      version: '2026.1.14',
      bin: { 'mcp-server-filesystem': 'dist/index.js' },
      dist: { tarball: 'https://example.invalid/fs-2026.1.14.tgz', integrity: 'sha512-BBBB', shasum: 'bb' },
    },
  },
};
/** Shape of PyPI's JSON API (/pypi/<name>/json), trimmed. */
const PYPI = {
  info: { name: 'mcp-server-fetch', version: '2025.4.7', requires_python: '>=3.10', summary: 'fetch' },
  releases: { '2025.4.7': [] },
  urls: [],
};

describe('pin suggestions', () => {
  let root: string;
  let ctx: ServiceContext;
  let server: Server;
  let base: string;
  const requests: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const file = () => join(root, 'home', '.cursor', 'mcp.json');
  const lookup = (over: Partial<VersionLookup> = {}): VersionLookup => ({
    fetch: (url, init) => fetch(url, init),
    npmRegistry: `${base}/npm/`,
    pypi: `${base}/py`,
    timeoutMs: 2000,
    ...over,
  });

  before(async () => {
    server = createServer((req, res) => {
      requests.push({ url: req.url ?? '', headers: req.headers });
      if (req.url === '/npm/@modelcontextprotocol%2fserver-filesystem') {
        res.writeHead(200, { 'content-type': 'application/vnd.npm.install-v1+json' });
        res.end(JSON.stringify(PACKUMENT));
      } else if (req.url === '/py/pypi/mcp-server-fetch/json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(PYPI));
      } else if (req.url?.startsWith('/hang/')) {
        // Never answers: the lookup must give up on its own.
      } else {
        res.writeHead(404).end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(async () => {
    requests.length = 0;
    root = await mkdtemp(join(tmpdir(), 'gh-pin-'));
    ctx = findingsTestContext(root, { now: () => new Date('2026-01-01T00:00:00Z') });
    await mkdir(dirname(file()), { recursive: true });
    await writeFile(file(), CURSOR);
    await chmod(file(), 0o600);
  });
  afterEach(async () => {
    ctx.db.close();
    await rm(root, { recursive: true, force: true });
  });

  async function plantNpx(hash: string, version: string): Promise<string> {
    const pkg = join(root, 'home', '.npm', '_npx', hash, 'node_modules', '@modelcontextprotocol', 'server-filesystem');
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@modelcontextprotocol/server-filesystem', version }),
    );
    return join(pkg, 'package.json');
  }

  const pinFinding = async (name: string) =>
    (await runFindingsScan(ctx)).report.findings.find((f) => f.ruleId === 'runner.unpinned' && f.server === name)!;

  it('the npx cache under the scanned home: highest installed version, said where it came from, no network', async () => {
    await plantNpx('0a1b2c3d4e5f', '2025.7.1');
    const where = await plantNpx('9f8e7d6c5b4a', '2025.8.21');
    const f = await pinFinding('fs');
    const [pin] = await optionsFor(ctx, f.id, { versionLookup: lookup() });
    assert.equal(pin?.strategy, 'pin');
    assert.equal(pin?.input?.suggestion, '2025.8.21');
    assert.ok(pin?.explanation.includes(`installed locally (npx cache: ${where})`), pin?.explanation);
    assert.deepEqual(requests, [], 'no registry request when the version is installed');
  });

  it('registry: npm packument dist-tags.latest and PyPI info.version from a loopback server', async () => {
    const fs = await pinFinding('fs');
    const [pin] = await optionsFor(ctx, fs.id, { versionLookup: lookup() });
    assert.equal(pin?.input?.suggestion, '2026.1.14');
    assert.match(
      pin!.explanation,
      /latest on the npm registry http:\/\/127\.0\.0\.1:\d+\/npm\/ \(not installed locally\)/,
    );
    assert.equal(requests[0]?.url, '/npm/@modelcontextprotocol%2fserver-filesystem');
    assert.match(String(requests[0]?.headers.accept), /application\/vnd\.npm\.install-v1\+json/);
    const py = await pinFinding('fetch');
    const [pyPin] = await optionsFor(ctx, py.id, { versionLookup: lookup() });
    assert.equal(pyPin?.input?.suggestion, '2025.4.7');
    assert.match(pyPin!.explanation, /latest on PyPI/);
  });

  it('a range in the command bounds the suggestion: the highest matching version, not a newer major', async () => {
    const t = { ecosystem: 'npm' as const, name: '@modelcontextprotocol/server-filesystem', version: '^2025.8.0' };
    const v = await suggestVersion(ctx.workstation, ctx.fs, t, lookup());
    assert.equal(v?.version, '2025.8.21');
    assert.match(v!.source, /highest version matching "\^2025\.8\.0" on the npm registry/);
    // Installed, but outside the range: not suggested.
    await plantNpx('0a1b2c3d4e5f', '2026.1.14');
    assert.equal((await suggestVersion(ctx.workstation, ctx.fs, t, undefined))?.version, undefined);
    // A tag is no range: the latest.
    const tagged = await suggestVersion(ctx.workstation, ctx.fs, { ...t, version: 'latest' }, undefined);
    assert.equal(tagged?.version, '2026.1.14');
  });

  it('a uv cache environment is found for uvx (dist-info folder name, PEP 503 normalised)', async () => {
    const site = join(root, 'home', '.cache', 'uv', 'archive-v0', 'Xyz12', 'lib', 'python3.12', 'site-packages');
    await mkdir(join(site, 'mcp_server_fetch-2025.1.17.dist-info'), { recursive: true });
    const v = await suggestVersion(ctx.workstation, ctx.fs, { ecosystem: 'pypi', name: 'mcp-server-fetch' }, undefined);
    assert.equal(v?.version, '2025.1.17');
    assert.match(v!.source, /installed locally .*mcp_server_fetch-2025\.1\.17\.dist-info/);
  });

  it('offline, a registry that never answers, or a 404: no suggestion, never an error', async () => {
    const t = { ecosystem: 'npm' as const, name: '@modelcontextprotocol/server-filesystem' };
    assert.equal(await suggestVersion(ctx.workstation, ctx.fs, t, undefined), undefined);
    assert.equal(
      await suggestVersion(ctx.workstation, ctx.fs, t, lookup({ npmRegistry: `${base}/hang/`, timeoutMs: 300 })),
      undefined,
    );
    assert.equal(
      await suggestVersion(ctx.workstation, ctx.fs, { ecosystem: 'npm', name: 'no-such-pkg' }, lookup()),
      undefined,
    );
  });

  it('bulk pin: the preview pins each package to its suggestion; apply (no lookup again) → rescan clean', async () => {
    await plantNpx('9f8e7d6c5b4a', '2025.8.21');
    await runFindingsScan(ctx);
    const p = await previewChange(ctx, { kind: 'fix-rule', ruleId: 'runner.unpinned' }, { versionLookup: lookup() });
    assert.equal(p.files.length, 1);
    assert.match(p.files[0]!.diff, /server-filesystem@2025\.8\.21/);
    assert.match(p.files[0]!.diff, /mcp-server-fetch==2025\.4\.7/);
    assert.ok(p.notes.some((n) => /Pinned to 2025\.8\.21: installed locally/.test(n)));
    assert.ok(p.notes.some((n) => /Pinned to 2025\.4\.7: latest on PyPI/.test(n)));
    const seen = requests.length;
    await applyChange(ctx, p.token, { versionLookup: null });
    assert.equal(requests.length, seen, 'the apply uses the versions bound in the token');
    assert.equal(
      await readFile(file(), 'utf8'),
      CURSOR.replace('server-filesystem"', 'server-filesystem@2025.8.21"').replace(
        '"mcp-server-fetch"',
        '"mcp-server-fetch==2025.4.7"',
      ),
    );
    assert.equal((await runFindingsScan(ctx)).report.findings.filter((f) => f.ruleId === 'runner.unpinned').length, 0);
    // One version for two packages is refused with the package names.
    await writeFile(file(), CURSOR);
    await runFindingsScan(ctx);
    await assert.rejects(
      previewChange(ctx, { kind: 'fix-rule', ruleId: 'runner.unpinned', input: { version: '1.0.0' } }),
      /One version \(1\.0\.0\) for 2 different packages/,
    );
  });

  // CI has npm registry access; elsewhere an unreachable registry skips (and says why).
  it('live: the configured npm registry resolves @modelcontextprotocol/server-everything', async (t) => {
    const registry = (
      await promisify(execFile)('npm', ['config', 'get', 'registry'], { timeout: 10_000 }).catch(() => ({ stdout: '' }))
    ).stdout.trim();
    const required = !!process.env.CI || process.env.GATEHOUSE_REQUIRE_REGISTRY === '1';
    if (!/^https?:\/\//.test(registry)) {
      if (required) assert.fail('npm config get registry gave no URL');
      t.skip('no npm registry configured');
      return;
    }
    const v = await suggestVersion(
      ctx.workstation,
      ctx.fs,
      { ecosystem: 'npm', name: '@modelcontextprotocol/server-everything' },
      { fetch: (url, init) => fetch(url, init), npmRegistry: registry, pypi: 'https://pypi.org', timeoutMs: 10_000 },
    );
    if (!v && !required) {
      t.skip(`the npm registry ${registry} did not answer (offline?)`);
      return;
    }
    assert.ok(v, `no answer from ${registry}`);
    assert.match(v.version, /^\d+\.\d+\.\d+/);
    assert.ok(v.source.includes(registry));
  });
});
