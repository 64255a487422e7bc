import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { parse } from 'yaml';

/**
 * electron-builder.yml is validated with electron-builder's own validator (app-builder-lib's
 * schema), and the security-relevant parts are pinned: targets and every Electron fuse.
 */

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url);
const config = parse(readFileSync(new URL('electron-builder.yml', root), 'utf8')) as Record<string, unknown>;
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
};
const logger = { isEnabled: false, add() {} };

describe('packaging', () => {
  test("electron-builder accepts the config (and its validator rejects what it doesn't know)", async () => {
    await validateConfiguration(config, logger);
    await assert.rejects(validateConfiguration({ ...config, electronFuses: { runAsNodeTypo: false } }, logger));
  });

  test('fuses: no RunAsNode, no NODE_OPTIONS, no inspect; cookie encryption, asar integrity, asar only', () => {
    assert.deepEqual(config.electronFuses, {
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    assert.equal(config.asar, true);
  });

  test('targets: Linux AppImage + deb, macOS dmg, Windows nsis; ships dist and package.json', () => {
    assert.equal(config.productName, 'Gatehouse');
    assert.deepEqual((config.linux as { target: string[] }).target, ['AppImage', 'deb']);
    assert.deepEqual((config.mac as { target: string[] }).target, ['dmg']);
    assert.deepEqual((config.win as { target: string[] }).target, ['nsis']);
    assert.ok((config.files as string[]).includes('dist/**'));
    assert.ok((config.files as string[]).includes('package.json'));
  });

  test('package.json main is the bundled main process that scripts/build-main.mjs writes', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { main: string };
    assert.equal(pkg.main, 'dist/electron/main.cjs');
    const script = readFileSync(new URL('scripts/build-main.mjs', root), 'utf8');
    for (const out of ['dist/electron/main.cjs', 'dist/electron/preload.cjs']) {
      assert.ok(script.includes(`outfile: '${out}'`), out);
    }
    // The CLI bundle is built by bin/cli-bundle.mjs (also what bin/gatehouse.mjs rebuilds when stale).
    assert.ok(script.includes('buildCliBundle('), 'build-main builds the CLI bundle');
    const cli = readFileSync(new URL('bin/cli-bundle.mjs', root), 'utf8');
    assert.ok(cli.includes("join(ROOT, 'dist', 'cli', 'gatehouse.mjs')"), 'dist/cli/gatehouse.mjs');
  });
});
