// Proves the installed command can run without the checkout: every package the built code (dist/, bin/) loads is a
// runtime dependency, and the tarball `npm pack` makes holds the built files and none of the sources, tests or tools.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The JavaScript that runs once installed: the launcher and the compiled server (the client is bundled by esbuild). */
function runtimeFiles(): string[] {
  const dist = join(ROOT, 'dist', 'server');
  assert.ok(existsSync(dist), 'dist/server is missing: run "npm run build" first (npm test does)');
  const compiled = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.js')).map((name) => join(dist, name));
  const launchers = readdirSync(join(ROOT, 'bin')).filter((name) => name.endsWith('.js')).map((name) => join(ROOT, 'bin', name));
  return [...launchers, ...compiled];
}

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const BUILTINS = new Set(builtinModules);

test('every package the built code imports (static or import()) is a runtime dependency, not a devDependency', () => {
  const files = runtimeFiles();
  assert.ok(files.length > 50, `the build looks incomplete: ${files.length} files`);
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    // preProcessFile reads import, export-from and import('literal') without running or type-checking anything.
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith('.') || specifier.startsWith('node:') || BUILTINS.has(specifier)) continue;
      const name = packageOf(specifier);
      seen.add(name);
      if (manifest.dependencies[name] === undefined) {
        const where = manifest.devDependencies[name] === undefined ? 'in no dependency list' : 'only a devDependency';
        missing.push(`${file.slice(ROOT.length)} imports ${specifier}, ${where}`);
      }
    }
  }
  assert.deepEqual(missing, [], 'npm install -g leaves devDependencies out: move these to "dependencies"');
  // The check reads imports at all: the server's own packages are among them.
  for (const name of ['express', 'node-pty', 'socket.io']) assert.ok(seen.has(name), `no import of ${name} found`);
});

test('the tarball holds the launcher, the built server and browser client, and no sources, tests, tools or source maps', () => {
  // --ignore-scripts: the list only, without the build `prepare` would run (the build is already there).
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const packed = new Set((JSON.parse(output) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((file) => file.path));
  for (const file of runtimeFiles()) assert.ok(packed.has(file.slice(ROOT.length)), `${file.slice(ROOT.length)} is not packed`);
  for (const page of ['lobby.html', 'room.html', 'login.html', 'replay.html', 'room.js', 'xterm.css', 'app.css']) {
    assert.ok(packed.has(`dist/client/${page}`), `dist/client/${page} is not packed`);
  }
  assert.ok(packed.has('package.json') && packed.has('README.md'));
  const unwanted = [...packed].filter((path) => /^(server|client|test|bench|scripts|docs|node_modules|\.ci)\//.test(path) || /\.(ts|map)$/.test(path));
  assert.deepEqual(unwanted, []);
});
