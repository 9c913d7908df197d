// Proves package.json's promises: packages whose private internals the code reads are pinned to the exact version installed (and socket.io runs on that engine.io), and every runtime dependency is imported somewhere.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/**
 * What of each package's internals is read, and where: a new version may rename any of it, so a version
 * change must be a deliberate edit of package.json, made after checking these places.
 */
const READS_INTERNALS: Readonly<Record<string, string>> = {
  'node-pty': '_fd, _pty and _socket of a pty (server/terminal/ptySession.ts)',
  '@xterm/headless': '_core and its buffer, charset and input-handler services (server/terminal/xtermInternals.ts, server/shared/xtermGuards.ts)',
  '@xterm/xterm': "_core._inputHandler, through the same guard as the mirror's (server/shared/xtermGuards.ts)",
  'engine.io': "a connection's writeBuffer and transport socket, the server's clients (server/realtime/)",
};

/** The version npm installed at the top of node_modules (read from the file: not every package exports its package.json). */
const installed = (name: string): string =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

test('packages whose internals are read are pinned to an exact version, the one installed', () => {
  for (const name of Object.keys(READS_INTERNALS)) {
    const spec = manifest.dependencies[name] ?? manifest.devDependencies[name];
    assert.match(spec ?? 'missing', /^\d+\.\d+\.\d+$/, `${name} must be pinned exactly in package.json`);
    assert.equal(installed(name), spec, `${name}: installed version differs from package.json; run npm ci`);
  }
});

test('socket.io runs on the engine.io that is pinned, not a copy of its own', () => {
  const fromRoot = createRequire(join(ROOT, 'package.json'));
  const fromSocketIo = createRequire(join(ROOT, 'node_modules', 'socket.io', 'package.json'));
  assert.equal(fromSocketIo.resolve('engine.io'), fromRoot.resolve('engine.io'));
});

test('every runtime dependency is imported by the server or the client', () => {
  const sources = ['server', 'client/src'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => readFileSync(join(ROOT, dir, name), 'utf8')),
  );
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (const name of Object.keys(manifest.dependencies)) {
    const imported = new RegExp(`(from |import\\()'${escape(name)}(/[^']*)?'`);
    assert.ok(sources.some((text) => imported.test(text)), `${name} is a dependency that nothing imports`);
  }
});
