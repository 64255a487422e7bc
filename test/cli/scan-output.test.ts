import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { generateSyntheticWorkstation, type SyntheticOptions } from '../../bench/synthetic-workstation.js';
import { scanWith } from '../../electron/cli/commands/scan.js';
import { createNodeContext } from '../../electron/node/runtime.js';
import { openNodeSecretStore } from '../../electron/node/secret-store.js';
import { nodeFileSystemSync } from '../../electron/services/node-ports.js';
import { FINGERPRINT_KEY_NAME, fingerprinter } from '../../electron/services/secrets/fingerprint.js';

/**
 * `gatehouse scan` prints and stores exactly what it did before the scan path was reworked for
 * speed (issue #13): over the two homes of `npm run bench -- cli` (planted credentials included),
 * two scans in one state folder (the second sees the first: first-seen times, carried findings,
 * pruning), JSON then table output. The digests below were produced by the scan path as it was
 * before the rework (commit "test: scan output golden"), so any change to a printed byte or a
 * stored row fails here. Run-specific parts are normalised: the state folder, wall-clock durations; the home sits in a
 * fixed folder.
 */

const FIXED_KEY = 'a5'.repeat(32);

/** Digests of [json run, table run, store after both] per home, from the pre-rework scan path. */
const GOLDEN: Record<string, [string, string, string]> = {
  small: [
    'd7084c533896fdf7a32e3220631752fca9b0bef79aa174fb002f26efb08d33f4',
    'f0174c8145b4ad711457bc14e1372ad7ef5069aae518baecdf1bb020fe431cc1',
    'fcc5d79942f5a8b2a539793ecb5e310677a3d4655ac98bcd8c417fe80038db69',
  ],
  big: [
    '0ec05beca8897db164ec72b1bef57aae8867b5763da89cbc61fff79986269e11',
    'e6c01429629f84ce91e914752d83a7c8a1d6f7db77cf966407143eba9325ff1f',
    'b0f3961f1bae0d78e07bdbbf096e1e85511c7d7c649212519b107251f512d2ab',
  ],
};

const HOMES: Record<string, SyntheticOptions> = {
  small: { files: 10, serversPerFile: 5, seed: 7 },
  big: {},
};

function sha(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * Every row of every non-empty table (virtual tables through their shadow tables), sorted; wall-clock
 * columns (durations) zeroed. The migration ledger and empty tables are left out: a later migration
 * that adds a table the scan never writes (e.g. an audit rollup) does not change what a scan stores.
 */
function dumpStore(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")
      .all()
      .map((r) => String(r.name));
    let out = '';
    for (const t of tables) {
      if (t === 'schema_migrations' || !db.prepare(`SELECT 1 FROM "${t}" LIMIT 1`).get()) continue;
      out += `# ${t}\n`;
      const rows: string[] = [];
      for (const row of db.prepare(`SELECT * FROM "${t}"`).all()) {
        const clean = Object.fromEntries(
          Object.entries(row).map(([k, v]) => [
            k,
            /duration/i.test(k)
              ? 0
              : typeof v === 'string'
                ? v.replace(/"durationMs":[0-9.e+-]+/g, '"durationMs":0')
                : v instanceof Uint8Array
                  ? Buffer.from(v).toString('hex')
                  : v,
          ]),
        );
        rows.push(JSON.stringify(clean));
      }
      out += rows.sort().join('\n') + '\n';
    }
    return out;
  } finally {
    db.close();
  }
}

async function scanTwice(name: string): Promise<{ json: string; table: string; store: string; planted: string[] }> {
  // A fixed folder: server ids hash the config path, so the digests depend on it.
  const root = join(tmpdir(), `gatehouse-scan-output-${name}`);
  await rm(root, { recursive: true, force: true });
  const synth = await generateSyntheticWorkstation({ ...HOMES[name], root });
  const state = await mkdtemp(join(tmpdir(), 'gh-scan-out-'));
  try {
    const secrets = openNodeSecretStore(state, { keyring: null });
    await secrets.set(FINGERPRINT_KEY_NAME, FIXED_KEY);
    const runs: string[] = [];
    for (const [i, format] of (['json', 'table'] as const).entries()) {
      const base = createNodeContext({
        stateDir: state,
        mode: 'cli',
        workstation: synth.ws,
        secrets,
        fs: nodeFileSystemSync, // as contextFrom gives the CLI
      });
      const at = new Date(Date.UTC(2026, 0, 1 + i));
      const ctx = { ...base, clock: { now: () => at } };
      let stdout = '';
      try {
        const code = await scanWith(
          ctx,
          { format, failOn: 'high', yes: false, values: {} },
          { stdout: (t) => (stdout += t), stderr: () => {} },
        );
        assert.equal(code, 1, 'planted credentials are high or critical findings');
      } finally {
        ctx.db.close();
      }
      runs.push(stdout);
    }
    const store = dumpStore(join(state, 'gatehouse.db')).split(state).join('<state>');
    return { json: runs[0] ?? '', table: runs[1] ?? '', store, planted: synth.planted.map((p) => p.value) };
  } finally {
    await rm(state, { recursive: true, force: true });
    await rm(synth.root, { recursive: true, force: true });
  }
}

describe('gatehouse scan output is unchanged by the scan-path rework (bench homes)', () => {
  for (const name of Object.keys(HOMES)) {
    it(`${name} home: same JSON, table and store as before`, async () => {
      const out = await scanTwice(name);
      // Never a raw planted credential in what is printed or stored.
      for (const v of out.planted) {
        assert.ok(!out.json.includes(v) && !out.table.includes(v) && !out.store.includes(v), 'a planted value leaked');
      }
      // Every planted credential is a finding (by its keyed fingerprint).
      const doc = JSON.parse(out.json) as { servers: unknown[]; findings: Array<{ fingerprint?: string }> };
      const found = new Set(doc.findings.map((f) => f.fingerprint));
      const fp = fingerprinter(Buffer.from(FIXED_KEY, 'hex'));
      assert.deepEqual(
        out.planted.filter((v) => !found.has(fp(v))),
        [],
        'planted credentials without a finding',
      );
      // GATEHOUSE_WRITE_GOLDEN=1 keeps the outputs, to diff against a run of an earlier commit.
      if (process.env.GATEHOUSE_WRITE_GOLDEN) {
        await writeFile(
          join(tmpdir(), `gh-scan-golden-${name}.txt`),
          `${out.json}\n---\n${out.table}\n---\n${out.store}`,
        );
      }
      assert.deepEqual([sha(out.json), sha(out.table), sha(out.store)], GOLDEN[name]);
    });
  }
});
