// Proves the layering of docs/architecture.md over the import graph of server/ and client/src: every import runs down the layer table, code shared with the browser stands alone, and no files import each other in a circle.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The layers, bottom first (docs/architecture.md explains each). A file may import files of its own layer
 * and of the layers its entry lists, and each list names only layers further up this table, so the table
 * itself cannot hold a cycle. A layer is a folder of server/ (`app` is the files directly in server/), or
 * the browser client.
 */
const LAYERS: readonly { name: string; mayImport: readonly string[] }[] = [
  // Runs in Node and in the browser: imports nothing outside itself (see checkShared).
  { name: 'shared', mayImport: [] },
  { name: 'util', mayImport: ['shared'] },
  // What the network says about a request (client address, engine.io session) and the JSON error answer.
  { name: 'net', mayImport: ['util', 'shared'] },
  // Every layer above records events; the audit knows nothing of rooms or the web.
  { name: 'audit', mayImport: ['util', 'shared'] },
  // The record (SQLite): holds audit events, so above audit; rooms and the web write and read it, so below them.
  { name: 'store', mayImport: ['audit', 'util', 'shared'] },
  // The pty and the mirror: nothing about rooms, members, sign-in or the network.
  { name: 'terminal', mayImport: ['util', 'shared'] },
  // Sessions on other hosts (SSH): a TerminalSession over an ssh2 channel, host-key trust, sealed passwords, the far
  // host's telemetry. Nothing about rooms, members or the web; the rooms layer opens them and audits what happened.
  { name: 'remote', mayImport: ['terminal', 'util', 'shared'] },
  // Capability tokens, who is asking, the event → role table and sign-in: rooms admit members by them.
  { name: 'auth', mayImport: ['audit', 'net', 'util', 'shared'] },
  { name: 'rooms', mayImport: ['remote', 'terminal', 'auth', 'store', 'audit', 'util', 'shared'] },
  // A room's recording: a local feed of the room's stream, its markers and input, written to disk and indexed in the
  // store; read back (the transcript replays it into a headless xterm of the terminal layer) and bundled.
  { name: 'recording', mayImport: ['rooms', 'terminal', 'store', 'util', 'shared'] },
  { name: 'realtime', mayImport: ['rooms', 'auth', 'store', 'audit', 'net', 'util', 'shared'] },
  { name: 'cluster', mayImport: ['realtime', 'rooms', 'auth', 'net', 'util', 'shared'] },
  { name: 'http', mayImport: ['realtime', 'recording', 'rooms', 'auth', 'store', 'audit', 'net', 'util', 'shared'] },
  // The operator's numbers: a collector that watches rooms, their connections and the mirrors (it wraps the ports the
  // realtime layer hands rooms), /metrics and its protection, readiness. Nothing below knows it is there.
  { name: 'observe', mayImport: ['realtime', 'rooms', 'auth', 'terminal', 'net', 'util', 'shared'] },
  // app.ts wires everything together; config.ts reads the options whose parsers live in the layers below.
  { name: 'app', mayImport: ['cluster', 'observe', 'http', 'realtime', 'recording', 'rooms', 'auth', 'remote', 'terminal', 'store', 'audit', 'net', 'util', 'shared'] },
  // The terminal client (`attach`, `share`'s own terminal, `rooms`): a socket.io and REST client of a server, drawing
  // the room in the local terminal through a headless xterm of the terminal layer. Never imports the server's rooms or web.
  { name: 'termclient', mayImport: ['terminal', 'util', 'shared'] },
  { name: 'cli', mayImport: ['termclient', 'app', 'observe', 'http', 'realtime', 'recording', 'rooms', 'auth', 'remote', 'terminal', 'store', 'audit', 'net', 'util', 'shared'] },
  { name: 'client', mayImport: ['shared'] },
];

/** Layers that must never see a socket or a request: they import no web framework or socket package. */
const NO_WEB_LAYERS: readonly string[] = ['terminal', 'remote', 'rooms'];
const WEB_PACKAGE = /^(express|helmet|passport|openid-client|socket\.io|engine\.io|ws)(-[a-z0-9-]+)?(\/|$)/;
/** Layers the browser runs: no Node module in them. */
const BROWSER_LAYERS: readonly string[] = ['shared', 'client'];

interface Import {
  from: string;
  specifier: string;
  line: number;
  /** `import type` and the like: erased from the built JavaScript, so nothing is loaded at run time. */
  typeOnly: boolean;
}

/** The layer a repository path (posix, from the root) belongs to, or undefined when it is in none. */
function layerOf(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] === 'client') return 'client';
  if (parts[0] !== 'server') return undefined;
  if (parts.length === 2) return 'app';
  return LAYERS.some((layer) => layer.name === parts[1]) ? parts[1] : undefined;
}

/**
 * Every module a file refers to: import and export declarations, `import()` (as code or as a type),
 * `require()`, and `new URL('./file.js', import.meta.url)`, which is how a worker thread's file is named.
 */
function importsOf(path: string, text: string): Import[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    found.push({ from: path, specifier: specifier.text, line, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const allNamedTypes = !clause?.name && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
      add(node, node.moduleSpecifier, clause?.isTypeOnly === true || allNamedTypes);
    } else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const allNamedTypes = clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((element) => element.isTypeOnly);
      add(node, node.moduleSpecifier, node.isTypeOnly || allNamedTypes);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression, true);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isImport || isRequire) add(node, node.arguments[0], false);
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL') {
      const [target, base] = node.arguments ?? [];
      const relativeToThisFile = base !== undefined && base.getText(source) === 'import.meta.url';
      if (relativeToThisFile && target && ts.isStringLiteralLike(target) && /\.(js|mjs|cjs|ts|mts)$/.test(target.text)) add(node, target, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);

/** The repository path an import resolves to (posix; `.js` named, `.ts` on disk), or undefined for a package. */
function targetOf(imported: Import): string | undefined {
  if (!imported.specifier.startsWith('.')) return undefined;
  return posix.normalize(posix.join(posix.dirname(imported.from), imported.specifier)).replace(/\.js$/, '.ts');
}

/** Every rule this file states, checked over a set of files given as repository path → source text. */
function violations(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const order = new Map(LAYERS.map((layer, index) => [layer.name, index]));
  for (const [index, layer] of LAYERS.entries()) {
    for (const lower of layer.mayImport) {
      if (!((order.get(lower) ?? Infinity) < index)) problems.push(`layer table: ${layer.name} may import ${lower}, which is not below it`);
    }
  }
  const edges = new Map<string, string[]>();
  for (const [path, text] of files) {
    const layer = layerOf(path);
    if (layer === undefined) {
      problems.push(`${path}: in no layer; add its folder to LAYERS in test/unit/layering.test.ts and to docs/architecture.md`);
      continue;
    }
    const allowed = new Set([layer, ...LAYERS.find((entry) => entry.name === layer)!.mayImport]);
    const targets: string[] = [];
    for (const imported of importsOf(path, text)) {
      const where = `${path}:${imported.line} imports '${imported.specifier}'`;
      const target = targetOf(imported);
      if (target === undefined) {
        if (BROWSER_LAYERS.includes(layer) && isBuiltin(imported.specifier)) problems.push(`${where}: ${layer} runs in the browser, which has no Node modules`);
        else if (layer === 'shared' && !imported.typeOnly) problems.push(`${where}: shared imports no package (a type-only import is erased, so it may use one for types)`);
        if (NO_WEB_LAYERS.includes(layer) && WEB_PACKAGE.test(imported.specifier)) problems.push(`${where}: ${layer} never sees a socket or a request`);
        continue;
      }
      targets.push(target);
      const targetLayer = layerOf(target);
      if (targetLayer === undefined) problems.push(`${where}: ${target} is outside the layers`);
      else if (!allowed.has(targetLayer)) problems.push(`${where}: ${layer} may not import ${targetLayer} (it may import ${[...allowed].join(', ')})`);
    }
    edges.set(path, targets);
  }
  problems.push(...cycles(edges).map((cycle) => `import cycle: ${cycle.join(' -> ')}`));
  return problems;
}

/** Circles of files importing each other (type imports included: they couple the files just the same). */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const walk = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined && edges.has(next)) walk(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of edges.keys()) if (state.get(file) === undefined) walk(file);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts'))
    .map((name) => relative(ROOT, join(ROOT, dir, name)).split('\\').join('/'));
}

describe('layering', () => {
  test('every import in server/ and client/src runs down the layer table', () => {
    const paths = [...sourceFiles('server'), ...sourceFiles('client/src')];
    assert.ok(paths.length > 50, `found only ${paths.length} source files under ${ROOT}`);
    const files = new Map(paths.map((path) => [path, readFileSync(join(ROOT, path), 'utf8')]));
    assert.deepEqual(violations(files), []);
  });

  // The checker itself, on made-up files: each rule must catch its breach, or the test above proves nothing.
  test('an import up the layers is caught, down is not', () => {
    const files = new Map([
      ['server/rooms/room.ts', "import { x } from '../realtime/socketServer.js';\nimport type { Y } from '../terminal/ptySession.js';"],
      ['server/realtime/socketServer.ts', "export { z } from '../rooms/ports.js';"],
    ]);
    assert.deepEqual(violations(files), [
      "server/rooms/room.ts:1 imports '../realtime/socketServer.js': rooms may not import realtime (it may import rooms, remote, terminal, auth, store, audit, util, shared)",
    ]);
  });

  test('a type-only import up the layers is caught too, as are import(), require() and a worker file', () => {
    const files = new Map([
      ['server/auth/a.ts', "import type { C } from '../http/c.js';\ntype D = import('../http/d.js').D;"],
      ['server/terminal/b.ts', "const m = await import('../rooms/m.js');\nconst r = require('../rooms/r.js');\nnew Worker(new URL('../rooms/w.js', import.meta.url));"],
    ]);
    assert.equal(violations(files).length, 5, violations(files).join('\n'));
  });

  test('shared/ and the client import no Node module; shared/ imports nothing outside itself but types', () => {
    const files = new Map([
      ['server/shared/a.ts', "import { readFileSync } from 'node:fs';\nimport { Terminal } from '@xterm/headless';\nimport type { IWindowOptions } from '@xterm/headless';\nimport { c } from '../util/clock.js';\nimport { b } from './b.js';"],
      ['server/shared/b.ts', ''],
      ['client/src/c.ts', "import { EventEmitter } from 'events';\nimport { Terminal } from '@xterm/xterm';\nimport { b } from '../../server/shared/b.js';"],
    ]);
    assert.deepEqual(violations(files).map((problem) => problem.split(' ')[0]), [
      'server/shared/a.ts:1',
      'server/shared/a.ts:2',
      'server/shared/a.ts:4',
      'client/src/c.ts:1',
    ]);
  });

  test('rooms/ and terminal/ import no web or socket package', () => {
    const files = new Map([
      ['server/rooms/a.ts', "import type { Socket } from 'socket.io';\nimport type { Request } from 'express';"],
      ['server/terminal/b.ts', "import { Server } from 'engine.io';\nimport pty from 'node-pty';"],
    ]);
    assert.equal(violations(files).length, 3, violations(files).join('\n'));
  });

  test('a file outside every layer, and a circle of imports, are caught', () => {
    const files = new Map([
      ['server/flow/a.ts', ''],
      ['server/rooms/a.ts', "import type { B } from './b.js';"],
      ['server/rooms/b.ts', "import type { A } from './a.js';"],
    ]);
    assert.deepEqual(violations(files), [
      'server/flow/a.ts: in no layer; add its folder to LAYERS in test/unit/layering.test.ts and to docs/architecture.md',
      'import cycle: server/rooms/a.ts -> server/rooms/b.ts -> server/rooms/a.ts',
    ]);
  });
});
