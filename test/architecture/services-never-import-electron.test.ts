import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Layering rules, checked on the sources (imports, re-exports, dynamic imports and require()):
 * - electron/services/** and shared/** never import `electron`;
 * - shared/** imports no Node built-in (it also runs in the renderer);
 * - everything the renderer reaches (renderer/src/** and, transitively, what it imports) imports
 *   no Node built-in, no `electron`, and nothing under electron/;
 * - the preload reaches only `electron`, itself and shared/api/client.ts.
 */

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SOURCE = /\.(c|m)?tsx?$/;
const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier a file mentions (static, type-only, dynamic, require). */
export function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** Specifiers that survive compilation (type-only imports and exports are erased). */
export function runtimeSpecifiers(text: string): string[] {
  const file = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.importClause?.isTypeOnly) out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) out.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

const isElectron = (s: string) => s === 'electron' || s.startsWith('electron/');
const isNodeBuiltin = (s: string) => s.startsWith('node:') || NODE_BUILTINS.has(s.split('/')[0]!);

/** Resolves a relative specifier as the bundlers do (`.js` → `.ts`/`.tsx`, folder → index). */
function resolveRelative(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(c|m)?jsx?$/, '');
  for (const candidate of [
    base,
    `${stem}.ts`,
    `${stem}.tsx`,
    `${stem}.mts`,
    join(base, 'index.ts'),
    join(base, 'index.tsx'),
  ]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

function violations(files: string[], forbidden: (spec: string, file: string) => string | null): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const why = forbidden(spec, file);
      if (why) out.push(`${relative(ROOT, file)} imports "${spec}" (${why})`);
    }
  }
  return out;
}

/** The files reachable from `entries` through relative imports. */
function closure(entries: string[], scan: (text: string) => string[] = specifiers): string[] {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file) || !SOURCE.test(file)) continue;
    seen.add(file);
    for (const spec of scan(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = resolveRelative(file, spec);
      if (target) queue.push(target);
    }
  }
  return [...seen];
}

describe('architecture', () => {
  test('the import scanner sees every import form (so the rules below can fail)', () => {
    const found = specifiers(
      [
        "import { app } from 'electron';",
        "import type { X } from 'electron/main';",
        "export * from 'node:fs';",
        "const a = await import('node:path');",
        "const b = require('fs');",
        "import './side-effect.js';",
      ].join('\n'),
    );
    assert.deepEqual(found, ['electron', 'electron/main', 'node:fs', 'node:path', 'fs', './side-effect.js']);
    assert.ok(
      isElectron('electron') && isNodeBuiltin('fs') && isNodeBuiltin('node:sqlite') && isNodeBuiltin('fs/promises'),
    );
    assert.ok(!isNodeBuiltin('zod') && !isElectron('electron-builder'));
    assert.deepEqual(
      runtimeSpecifiers(
        "import type { A } from './a.js';\nimport { b } from './b.js';\nexport type { C } from './c.js';\nrequire('fs');",
      ),
      ['./b.js', 'fs'],
    );
  });

  test('electron/services never imports electron', () => {
    const files = walk(join(ROOT, 'electron', 'services'));
    assert.ok(files.length > 5, 'found the services');
    assert.deepEqual(
      violations(files, (s) => (isElectron(s) ? 'services are runtime-neutral; inject a port' : null)),
      [],
    );
  });

  test('shared/ imports neither electron nor Node built-ins', () => {
    const files = walk(join(ROOT, 'shared'));
    assert.ok(files.length > 3, 'found shared/');
    assert.deepEqual(
      violations(files, (s) =>
        isElectron(s) ? 'shared/ is runtime-neutral' : isNodeBuiltin(s) ? 'shared/ also runs in the renderer' : null,
      ),
      [],
    );
  });

  test('nothing the renderer reaches imports Node built-ins, electron or electron/**', () => {
    const files = closure(walk(join(ROOT, 'renderer', 'src')));
    assert.ok(files.length > 3, 'found the renderer');
    const electronDir = join(ROOT, 'electron') + '/';
    assert.deepEqual(
      violations(files, (s, file) => {
        if (isElectron(s)) return 'the renderer talks only through AdminClient';
        if (isNodeBuiltin(s)) return 'the renderer is a sandboxed web page';
        if (s.startsWith('.') && resolve(dirname(file), s).startsWith(electronDir)) return 'main-process code';
        return null;
      }),
      [],
    );
  });

  test('the preload reaches only electron, itself and the shared IPC names', () => {
    const entry = join(ROOT, 'electron', 'preload', 'preload.ts');
    // What is bundled: runtime imports only (type-only imports are erased by esbuild).
    const files = closure([entry], runtimeSpecifiers)
      .map((f) => relative(ROOT, f))
      .sort();
    assert.deepEqual(files, ['electron/preload/bridge.ts', 'electron/preload/preload.ts', 'shared/api/client.ts']);
    const bare = closure([entry], runtimeSpecifiers).flatMap((f) =>
      runtimeSpecifiers(readFileSync(f, 'utf8')).filter((s) => !s.startsWith('.')),
    );
    assert.deepEqual([...new Set(bare)], ['electron']);
  });
});
