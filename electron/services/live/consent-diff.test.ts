import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createNodeContext } from '../../node/runtime.js';
import { createAdminHandlers } from '../admin-service.js';
import type { SecretStore } from '../ports.js';
import { consentText, isShowableEnvValue } from './consent.js';
import { diffConsentedLines, type ConsentedLine } from './consent-diff.js';
import { WORKSTATION } from '../../../e2e/support/workstation.js';
import { filesUnder } from '../../../test/support/files.js';

/**
 * Issue #11: the consent dialog shows non-secret env values (the shared masker decides), keeps
 * what each consent covered without any secret value, and says what changed since the previous
 * consent. Real config files, real SQLite, the real handlers. All credential values are fake.
 */

function memorySecrets(): SecretStore {
  const m = new Map<string, string>();
  return {
    kind: 'memory',
    get: async (k) => m.get(k) ?? null,
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
  };
}

const GITHUB_PAT = 'ghp_Zx8Kq2Lm9Nv4Rt6Yw1Pa3Sd5Fg7Hj0Kl2Qw'; // fake, GitHub classic PAT shape
const ROTATED_PAT = 'ghp_Rt6Yw1Pa3Sd5Fg7Hj0Kl2QwZx8Kq2Lm9Nv4'; // fake
const BLOB = 'Qz8vLm2pR7tXw4Kj'; // credential-shaped value under a plain name
const REF_SECRET = 'e2e-ref-value-0123456789';

describe('consent: non-secret env values shown, secrets never; what changed since consent', () => {
  test('the shared masker decides which values are shown', () => {
    assert.equal(isShowableEnvValue('REGION', 'eu-west-1'), true);
    assert.equal(isShowableEnvValue('DATA_DIR', '/srv/data/reports'), true);
    assert.equal(isShowableEnvValue('LOG_FLAGS', '--verbose --color=false'), true);
    assert.equal(isShowableEnvValue('API_TOKEN', 'short'), false, 'secret name: never shown');
    assert.equal(isShowableEnvValue('DB_PASSWORD', 'hunter2'), false);
    assert.equal(isShowableEnvValue('GH', GITHUB_PAT), false, 'known token shape');
    assert.equal(isShowableEnvValue('CONFIG_BLOB', BLOB), false, 'high-entropy value under a plain name');
    assert.equal(isShowableEnvValue('DATABASE', 'postgres://app:pw-1234567@db/app'), false, 'URL credentials');
  });

  test('live.commandLine sends non-secret literals, never a secret; a change is diffed against the kept consent', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-consent-diff-'));
    after(() => rm(root, { recursive: true, force: true }));
    const home = join(root, 'home');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(home, { recursive: true });
    const write = (server: Record<string, unknown>) =>
      writeFile(join(home, '.claude.json'), JSON.stringify({ mcpServers: { tool: server } }));
    await write({
      command: process.execPath,
      args: ['-e', '0', '--token', GITHUB_PAT],
      env: {
        REGION: 'eu-west-1',
        DATA_DIR: '/srv/data/reports',
        CONFIG_BLOB: BLOB,
        GITHUB_TOKEN: GITHUB_PAT,
        FROM_ENV: '${REF_VAR}',
        NODE_OPTIONS: '--max-old-space-size=4096',
      },
    });
    const ctx = createNodeContext({
      stateDir: join(root, 'state'),
      mode: 'browser',
      secrets: memorySecrets(),
      workstation: {
        home,
        platform: 'linux',
        projects: [],
        systemRoot: join(root, 'sys'),
        env: { REF_VAR: REF_SECRET },
      },
    });
    try {
      const h = createAdminHandlers(ctx);
      const id = (await h['discovery.run']({})).result.servers[0]!.id;
      const first = await h['live.commandLine']({ serverId: id });
      const values = Object.fromEntries((first.env ?? []).map((e) => [e.key, e.value]));
      assert.deepEqual(values, {
        CONFIG_BLOB: undefined,
        DATA_DIR: '/srv/data/reports',
        FROM_ENV: undefined,
        GITHUB_TOKEN: undefined,
        NODE_OPTIONS: '--max-old-space-size=4096',
        REGION: 'eu-west-1',
      });
      const sent = JSON.stringify(first) + consentText(first);
      for (const secret of [GITHUB_PAT, BLOB, REF_SECRET])
        assert.ok(!sent.includes(secret), `a secret value was sent: ${secret.slice(0, 4)}…`);
      assert.equal(first.changes, undefined, 'nothing to diff before any consent');

      await h['live.grantConsent']({ serverId: id, hash: first.hash });
      assert.equal((await h['live.commandLine']({ serverId: id })).consented, true);

      // Region, data folder, the token argument and the secret env value change; a variable goes, one comes.
      await write({
        command: process.execPath,
        args: ['-e', '0', '--token', ROTATED_PAT],
        cwd: root,
        env: {
          REGION: 'us-east-2',
          DATA_DIR: '/srv/data/reports',
          CONFIG_BLOB: BLOB,
          GITHUB_TOKEN: ROTATED_PAT,
          NODE_OPTIONS: '--max-old-space-size=4096',
          LOG_LEVEL: 'debug',
        },
      });
      const next = await h['live.commandLine']({ serverId: id });
      assert.equal(next.consented, false);
      assert.equal(next.changedSinceConsent, true);
      assert.ok(next.previousGrantedAt);
      const byPart = Object.fromEntries((next.changes ?? []).map((c) => [c.key ? `env:${c.key}` : c.field, c]));
      assert.deepEqual(Object.keys(byPart).sort(), [
        'args',
        'cwd',
        'env:FROM_ENV',
        'env:GITHUB_TOKEN',
        'env:LOG_LEVEL',
        'env:REGION',
      ]);
      assert.deepEqual(byPart['env:REGION'], {
        field: 'env',
        key: 'REGION',
        change: 'modified',
        before: 'eu-west-1',
        after: 'us-east-2',
      });
      assert.deepEqual(byPart['env:GITHUB_TOKEN'], {
        field: 'env',
        key: 'GITHUB_TOKEN',
        change: 'modified',
        hidden: true,
      });
      assert.deepEqual(byPart['env:LOG_LEVEL'], { field: 'env', key: 'LOG_LEVEL', change: 'added', after: 'debug' });
      assert.deepEqual(byPart['env:FROM_ENV'], {
        field: 'env',
        key: 'FROM_ENV',
        change: 'removed',
        before: 'from $REF_VAR',
      });
      assert.equal(byPart['cwd']!.change, 'modified');
      assert.equal(byPart['cwd']!.before, home);
      assert.equal(byPart['cwd']!.after, root);
      // The rotated token is shown masked on both sides (prefix…last4), never in clear.
      assert.match(byPart['args']!.before!, /--token ghp_\S*…/);
      assert.notEqual(byPart['args']!.before, byPart['args']!.after);
      assert.match(consentText(next), /changed: env REGION: eu-west-1 → us-east-2/);

      const sentNext = JSON.stringify(next) + consentText(next);
      for (const secret of [GITHUB_PAT, ROTATED_PAT, BLOB, REF_SECRET])
        assert.ok(!sentNext.includes(secret), `a secret value was sent in the diff: ${secret.slice(0, 4)}…`);

      // Consent again: recorded with the actor and the changed parts (names only).
      await h['live.grantConsent']({ serverId: id, hash: next.hash });
      const log = ctx.db
        .prepare("SELECT actor, details_json FROM admin_log WHERE action = 'consent.grant' ORDER BY seq")
        .all() as { actor: string; details_json: string }[];
      assert.equal(log.length, 2);
      assert.ok(log.every((r) => r.actor.length > 0));
      assert.deepEqual(JSON.parse(log[1]!.details_json).changed, [
        'args',
        'cwd',
        'env:FROM_ENV',
        'env:GITHUB_TOKEN',
        'env:LOG_LEVEL',
        'env:REGION',
      ]);
    } finally {
      ctx.db.close();
    }
    // Nothing secret is stored: not in the kept consent lines, the admin log, anywhere in the state.
    const stored = (await Promise.all((await filesUnder(join(root, 'state'))).map((f) => readFile(f))))
      .map((b) => b.toString('latin1'))
      .join('\n');
    assert.ok(stored.includes('eu-west-1'), 'the kept line holds the non-secret value (else this proves nothing)');
    for (const secret of [GITHUB_PAT, ROTATED_PAT, BLOB, REF_SECRET])
      assert.ok(!stored.includes(secret), `${secret.slice(0, 4)}… stored`);
  });

  test('over the fixture workstation: no planted credential in any consent view, non-secret values shown', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-consent-canary-'));
    after(() => rm(root, { recursive: true, force: true }));
    const ctx = createNodeContext({
      stateDir: join(root, 'state'),
      mode: 'browser',
      secrets: memorySecrets(),
      workstation: {
        home: WORKSTATION.home,
        platform: WORKSTATION.platform,
        projects: WORKSTATION.projects,
        systemRoot: WORKSTATION.systemRoot,
        env: {},
      },
    });
    try {
      const h = createAdminHandlers(ctx);
      const servers = (await h['discovery.run']({})).result.servers.filter((x) =>
        ['stdio', 'http', 'sse'].includes(x.transport),
      );
      assert.ok(servers.length > 10);
      const views = await Promise.all(servers.map((x) => h['live.commandLine']({ serverId: x.id })));
      const shown = views.flatMap((v) => (v.env ?? []).filter((e) => e.value !== undefined && !e.affectsExecution));
      assert.ok(shown.length > 0, 'some literal env value is shown (else this proves nothing)');
      const text = JSON.stringify(views) + views.map(consentText).join('');
      assert.equal(WORKSTATION.secrets.length, 14);
      for (const secret of WORKSTATION.secrets)
        assert.ok(!text.includes(secret), `planted credential ${secret.slice(0, 4)}… in a consent view`);
    } finally {
      ctx.db.close();
    }
  });

  test('diff of kept lines: command, url, hidden argument and env changes', () => {
    const base: ConsentedLine = {
      v: 1,
      command: 'npx',
      args: ['-y', 'pkg@1.0.0', '--key', '****'],
      argHashes: ['a', 'b', 'c', 'd'],
      cwd: '/home/a',
      env: [
        { key: 'MODE', source: 'literal', refs: [], value: 'fast', hash: 'm1' },
        { key: 'SECRET', source: 'literal', refs: [], hash: 's1' },
      ],
    };
    assert.deepEqual(diffConsentedLines(base, base), []);
    const changed: ConsentedLine = {
      ...base,
      command: 'bunx',
      argHashes: ['a', 'b', 'c', 'D'],
      env: [
        { key: 'MODE', source: 'literal', refs: [], value: 'fast', hash: 'm1' },
        { key: 'SECRET', source: 'literal', refs: [], hash: 's2' },
      ],
    };
    assert.deepEqual(diffConsentedLines(base, changed), [
      { field: 'command', change: 'modified', before: 'npx', after: 'bunx' },
      {
        field: 'args',
        change: 'modified',
        before: '-y pkg@1.0.0 --key ****',
        after: '-y pkg@1.0.0 --key ****',
        hidden: true,
      },
      { field: 'env', key: 'SECRET', change: 'modified', hidden: true },
    ]);
    // A consent kept before part hashes existed: only what its row shows can be compared.
    const legacy: ConsentedLine = { ...base, argHashes: [], env: base.env.map((e) => ({ ...e, hash: '' })) };
    assert.deepEqual(diffConsentedLines(legacy, changed), [
      { field: 'command', change: 'modified', before: 'npx', after: 'bunx' },
    ]);
    const remote = (url: string): ConsentedLine => ({ v: 1, command: '', args: [], argHashes: [], env: [], url });
    assert.deepEqual(diffConsentedLines(remote('https://a.example/mcp'), remote('https://b.example/mcp')), [
      { field: 'url', change: 'modified', before: 'https://a.example/mcp', after: 'https://b.example/mcp' },
    ]);
  });

  test('live.grantConsents: several servers in one go, all or nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gh-consent-many-'));
    after(() => rm(root, { recursive: true, force: true }));
    const home = join(root, 'home');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(home, { recursive: true });
    const servers = Object.fromEntries(
      ['a', 'b', 'c'].map((n) => [n, { command: process.execPath, args: ['-e', '0', n] }]),
    );
    await writeFile(join(home, '.claude.json'), JSON.stringify({ mcpServers: servers }));
    const ctx = createNodeContext({
      stateDir: join(root, 'state'),
      mode: 'browser',
      secrets: memorySecrets(),
      workstation: { home, platform: 'linux', projects: [], systemRoot: join(root, 'sys'), env: {} },
    });
    try {
      const h = createAdminHandlers(ctx);
      const ids = (await h['discovery.run']({})).result.servers.map((s) => s.id);
      const lines = await Promise.all(ids.map((serverId) => h['live.commandLine']({ serverId })));
      const items = lines.map((l) => ({ serverId: l.serverId, hash: l.hash }));
      // One stale key: nothing is granted, and the message names the server.
      const stale = [...items.slice(0, 2), { serverId: items[2]!.serverId, hash: 'f'.repeat(64) }];
      await assert.rejects(h['live.grantConsents']({ items: stale }), /Nothing was consented.*"c"/);
      assert.equal((await h['live.consents']({})).length, 0);
      const { consents } = await h['live.grantConsents']({ items });
      assert.equal(consents.length, 3);
      const states = await h['live.states']({});
      assert.ok(
        states.every((s) => s.status === 'idle'),
        JSON.stringify(states),
      );
      const log = ctx.db.prepare("SELECT target FROM admin_log WHERE action = 'consent.grant'").all() as {
        target: string;
      }[];
      assert.deepEqual(log.map((r) => r.target).sort(), [...ids].sort());
    } finally {
      ctx.db.close();
    }
  });
});
